/* train: a tiny run learns structure beyond byte frequencies, a seed
 * fixes the run bit for bit, and accumulating micro-batches gives the
 * gradient of the whole batch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <unistd.h>

#include "bytegpt/corpus.h"
#include "bytegpt/schedule.h"
#include "bytegpt/train.h"
#include "bytegpt/settings.h"
#include "test.h"

static char dir[] = "/tmp/bg_train_XXXXXX";
static char text_path[256];

/* A text of words drawn from a small vocabulary: its bytes are far from
 * uniform within a word and unpredictable only at word starts. */
static double write_text(size_t n_words)
{
    static const char *words[] = {"whale", "sea", "ship", "ahab", "white", "boat", "harpoon", "deep",
                                  "captain", "water", "long", "old", "storm", "sail", "crew", "moby"};
    struct bg_rng r;
    rng_seed(&r, 2024, 0);
    FILE *f = fopen(text_path, "w");
    size_t count[256] = {0}, total = 0;
    for (size_t i = 0; i < n_words; i++) {
        const char *w = words[rng_range(&r, 16)];
        for (const char *c = w; *c; c++, total++)
            count[(unsigned char)*c]++;
        count[' ']++;
        total++;
        fprintf(f, "%s ", w);
    }
    fclose(f);
    /* The order-0 entropy in nats per byte: the loss of a model that
     * knows the byte frequencies and nothing about context. */
    double h = 0;
    for (int i = 0; i < 256; i++)
        if (count[i])
            h -= (double)count[i] / total * log((double)count[i] / total);
    return h;
}

/* Runs the tiny preset for `steps` and returns the final validation
 * loss; the per-step losses go to losses when not NULL. */
static double run_tiny(uint64_t seed, uint64_t steps, double *losses)
{
    struct bg_train_config cfg;
    struct bg_error err;
    settings_preset("tiny", &cfg, &err);
    cfg.seed = seed;
    cfg.steps = steps;
    struct bg_corpus *c = NULL;
    struct bg_corpus_options opt = {.ctx = cfg.model.ctx, .seed = seed};
    CHECK(corpus_open(&c, text_path, &opt, &err) == BG_OK);
    struct bg_trainer t;
    CHECK(trainer_init(&t, &cfg, c, 0, 1, &err) == BG_OK);
    struct bg_rng init;
    rng_seed(&init, seed, BG_STREAM_INIT);
    model_init_weights(&t.model, &init);
    struct bg_schedule s = {cfg.lr, cfg.min_lr, cfg.warmup, cfg.schedule, cfg.decay};
    for (uint64_t i = 0; i < steps; i++) {
        struct bg_step_result res;
        double lr = schedule_lr(&s, i, (double)i / steps, (double)cfg.warmup / steps);
        CHECK(trainer_step(&t, lr, &res, &err) == BG_OK);
        if (losses)
            losses[i] = res.loss;
    }
    double val = trainer_evaluate(&t);
    trainer_free(&t);
    corpus_close(c);
    return val;
}

static void test_tiny_run_learns(void)
{
    double h0 = write_text(40000);
    double val = run_tiny(1, 400, NULL);
    /* Starting at ln 256 = 5.545 nats, a model that only learned byte
     * frequencies would stop at the order-0 entropy h0 (about 2.6 nats
     * here); going below it means it uses the context. */
    printf("  validation loss %.3f nats after 400 steps; order-0 entropy %.3f; ln 256 = %.3f\n", val, h0, log(256.0));
    CHECK(val < h0);
}

static void test_seed_fixes_the_run(void)
{
    double a[30], b[30], c[30];
    run_tiny(7, 30, a);
    run_tiny(7, 30, b);
    run_tiny(8, 30, c);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(memcmp(a, c, sizeof a) != 0);
}

/* The gradient of the mean loss over 4 rows equals the sum of the
 * gradients of two 2-row halves scaled by 1/2. The two differ only in
 * the order of fp32 sums, so they agree to about 64 u of the largest
 * gradient of each tensor (the same chain-length argument as
 * test_model's PyTorch tolerances). */
static void test_accumulation_equals_batch(void)
{
    struct bg_config c = {.L = 2, .NH = 2, .C = 32, .ctx = 16, .V = 256};
    struct bg_model m;
    struct bg_error err;
    struct bg_rng r;
    CHECK(model_init(&m, &c, 4, &err) == BG_OK);
    rng_seed(&r, 3, 1);
    model_init_weights(&m, &r);
    uint8_t in[64], tg[64];
    for (int i = 0; i < 64; i++) {
        in[i] = (uint8_t)rng_range(&r, 256);
        tg[i] = (uint8_t)rng_range(&r, 256);
    }
    float *whole = malloc(m.num_params * sizeof(float));
    model_zero_grad(&m);
    model_forward(&m, in, tg, 4, 16);
    model_backward(&m, 1.0f);
    memcpy(whole, m.grads, m.num_params * sizeof(float));
    model_zero_grad(&m);
    for (int k = 0; k < 2; k++) {
        model_forward(&m, in + 32 * k, tg + 32 * k, 2, 16);
        model_backward(&m, 0.5f);
    }
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(&c, t);
    int ok = 1;
    for (int i = 0; i < BG_N_TENSORS; i++) {
        double scale = 0, worst = 0;
        for (size_t j = t[i].offset; j < t[i].offset + t[i].size; j++) {
            scale = fmax(scale, fabs(whole[j]));
            worst = fmax(worst, fabs(whole[j] - m.grads[j]));
        }
        if (worst > 64 * 5.96e-8 * scale) {
            printf("  %s: max |diff| %.3e, scale %.3e\n", t[i].name, worst, scale);
            ok = 0;
        }
    }
    CHECK(ok);
    free(whole);
    model_free(&m);
}

/* --threads 0, the default, means every core: a 0 passed on to OpenMP
 * would leave the run on one thread. */
static void test_default_threads_are_all_cores(void)
{
    train_set_threads(0);
    CHECK(omp_get_max_threads() == (int)sysconf(_SC_NPROCESSORS_ONLN));
    train_set_threads(1);
    CHECK(omp_get_max_threads() == 1);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    snprintf(text_path, sizeof text_path, "%s/words.txt", dir);
    train_set_threads(2);
    RUN_TEST(test_tiny_run_learns);
    RUN_TEST(test_seed_fixes_the_run);
    RUN_TEST(test_accumulation_equals_batch);
    RUN_TEST(test_default_threads_are_all_cores);
    remove(text_path);
    rmdir(dir);
    return TEST_EXIT();
}
