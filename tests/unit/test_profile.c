/* profile: its list of matmuls is the model's weight matrices, each once,
 * and measuring a step leaves the model's parameters and moments as they
 * were. (How long the phases take is reported by bench, never tested.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytegpt/corpus.h"
#include "bytegpt/profile.h"
#include "bytegpt/train.h"
#include "bytegpt/settings.h"
#include "test.h"

static char dir[] = "/tmp/bg_profile_XXXXXX";
static char text_path[256];

/* Every matmul weight of the layout (the 2-D tensors but the position
 * embedding, which is added, not multiplied; wte counts as the LM head)
 * appears in profile_matmuls with its shape, and every matmul bias. */
static void check_matmuls(const struct bg_config *cfg)
{
    struct bg_matmul_shape s[BG_PROFILE_N_MATMULS];
    struct bg_tensor t[BG_N_TENSORS];
    profile_matmuls(cfg, s);
    model_tensors(cfg, t);
    size_t weights = 0, biases = 0, want_weights = 0, want_biases = 0;
    for (int i = 0; i < BG_PROFILE_N_MATMULS; i++) {
        weights += s[i].count * s[i].C * s[i].OC;
        biases += s[i].bias ? s[i].count * s[i].OC : 0;
    }
    for (int i = 0; i < BG_N_TENSORS; i++) {
        const char *n = t[i].name;
        if (t[i].cols > 1 && strcmp(n, "wpe") != 0)
            want_weights += t[i].size;
        if (!strcmp(n, "qkvb") || !strcmp(n, "attprojb") || !strcmp(n, "fcb") || !strcmp(n, "fcprojb"))
            want_biases += t[i].size;
    }
    CHECK(weights == want_weights);
    CHECK(biases == want_biases);
}

static void test_matmuls_are_the_weights(void)
{
    struct bg_config tiny = {.L = 2, .NH = 2, .C = 32, .ctx = 32, .V = 256}, one = {.L = 1, .NH = 1, .C = 8, .ctx = 4, .V = 256}, wide = {.L = 6, .NH = 12, .C = 384, .ctx = 256, .V = 256};
    check_matmuls(&tiny);
    check_matmuls(&one);
    check_matmuls(&wide);
}

static void write_text(void)
{
    FILE *f = fopen(text_path, "w");
    for (int i = 0; i < 4000; i++)
        fprintf(f, "call me ishmael %d. ", i);
    fclose(f);
}

/* Two real steps, then two measured ones: every phase has a time, and
 * the parameters, AdamW moments (Muon's momentum among them) and step
 * count do not move. Under Muon its phase was timed; under AdamW not. */
static void measuring_leaves_the_model(int optim, int modern)
{
    struct bg_train_config cfg;
    struct bg_error err;
    settings_preset("tiny", &cfg, &err);
    cfg.accum = 2;
    cfg.optim = optim;
    if (modern) { /* every choice of the recipe, so that each kernel's phase runs */
        struct bg_config *m = &cfg.model;
        m->norm = BG_NORM_RMS;
        m->pos = BG_POS_ROTARY;
        m->qk_norm = 1;
        m->act = BG_ACT_RELU2;
        m->head = BG_HEAD_UNTIED;
        m->bigram = 1;
        m->softcap = 15;
    }
    struct bg_corpus *c = NULL;
    struct bg_corpus_options opt = {.ctx = cfg.model.ctx, .seed = 1};
    CHECK(corpus_open(&c, text_path, &opt, &err) == BG_OK);
    struct bg_trainer t;
    CHECK(trainer_init(&t, &cfg, c, 0, 1, &err) == BG_OK);
    struct bg_rng r;
    rng_seed(&r, 1, 1);
    model_init_weights(&t.model, &r);
    struct bg_step_result res;
    for (int i = 0; i < 2; i++)
        CHECK(trainer_step(&t, 1e-3, 1e-3, &res, &err) == BG_OK);

    size_t bytes = t.model.num_params * sizeof(float);
    float *before = malloc(3 * bytes);
    memcpy(before, t.model.params, bytes);
    memcpy((char *)before + bytes, t.model.m, bytes);
    memcpy((char *)before + 2 * bytes, t.model.v, bytes);
    struct bg_profile p;
    CHECK(profile_init(&p, &t, &err) == BG_OK);
    for (int i = 0; i < 2; i++)
        CHECK(profile_step(&p, &t, 1e-3, &err) == BG_OK);
    CHECK(p.steps == 2);
    int all_timed = 1;
    for (int ph = 0; ph < BG_N_PHASES; ph++)
        all_timed &= p.seconds[ph] >= 0 && p.seconds[ph] < 1e3;
    CHECK(all_timed);
    CHECK((p.seconds[BG_PH_MUON] > 0) == (optim == BG_OPT_MUON));
    /* The two clocks on the real model that split bench's "other": its
     * zeroing and its forward and backward were timed (each takes some
     * time, however short). */
    CHECK(p.zero_seconds > 0 && p.zero_seconds < 1e3);
    CHECK(p.pass_seconds > 0 && p.pass_seconds < 1e3);
    CHECK(memcmp(before, t.model.params, bytes) == 0);
    CHECK(memcmp((char *)before + bytes, t.model.m, bytes) == 0);
    CHECK(memcmp((char *)before + 2 * bytes, t.model.v, bytes) == 0);
    CHECK(t.step == 2);
    /* The bigram table's gradient is zero between steps, as the trainer
     * needs it to be. */
    int table_zero = 1;
    for (size_t i = 0; modern && i < (size_t)BG_BIGRAM_ROWS * cfg.model.C; i++)
        table_zero &= t.model.g.bigram[i] == 0.0f;
    CHECK(table_zero);
    profile_free(&p);

    /* Training goes on from where it was. */
    CHECK(trainer_step(&t, 1e-3, 1e-3, &res, &err) == BG_OK);
    CHECK(isfinite(res.loss) && res.loss < 5.6);
    free(before);
    trainer_free(&t);
    corpus_close(c);
}

static void test_measuring_leaves_the_model(void)
{
    measuring_leaves_the_model(BG_OPT_ADAMW, 0);
}

static void test_measuring_leaves_a_muon_model(void)
{
    measuring_leaves_the_model(BG_OPT_MUON, 0);
}

static void test_measuring_leaves_a_modern_model(void)
{
    measuring_leaves_the_model(BG_OPT_MUON, 1);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    snprintf(text_path, sizeof text_path, "%s/text.txt", dir);
    write_text();
    train_set_threads(2);
    RUN_TEST(test_matmuls_are_the_weights);
    RUN_TEST(test_measuring_leaves_the_model);
    RUN_TEST(test_measuring_leaves_a_muon_model);
    RUN_TEST(test_measuring_leaves_a_modern_model);
    remove(text_path);
    rmdir(dir);
    return TEST_EXIT();
}
