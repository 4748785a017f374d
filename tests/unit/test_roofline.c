/* roofline: the counts it is built on, and how the limits are put together.
 * (The times themselves are the machine's and are never tested; only that
 * they are there and are combined as roofline.h says.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytegpt/corpus.h"
#include "bytegpt/roofline.h"
#include "bytegpt/train.h"
#include "bytegpt/settings.h"
#include "test.h"

static char dir[] = "/tmp/bg_roofline_XXXXXX";
static char text_path[256];

static void write_text(void)
{
    FILE *f = fopen(text_path, "w");
    for (int i = 0; i < 4000; i++)
        fprintf(f, "call me ishmael %d. ", i);
    fclose(f);
}

/* Relative closeness, for counts held in doubles. */
static int same(double a, double b)
{
    return a == b || (b != 0 && a / b > 1 - 1e-12 && a / b < 1 + 1e-12);
}

/* The byte counts of three phases, worked out by hand from the shapes
 * (roofline.c's comments give the rule: 4 bytes a float, each tensor
 * once per time it must cross memory), for the tiny preset with accum 2. */
static void check_counts(const struct bg_roofline *r, const struct bg_train_config *cfg, size_t num_params)
{
    double L = (double)cfg->model.L, C = (double)cfg->model.C, V = (double)cfg->model.V;
    double BT = (double)(cfg->batch * cfg->model.ctx), k = (double)cfg->accum;
    /* GELU: forward reads and writes (B,T,4C); backward reads two and
     * writes one, in place. */
    CHECK(same(r->bytes[BG_PH_GELU], k * L * 4 * (2 + 3) * BT * 4 * C));
    /* LayerNorm, 2L + 1 of them: forward x in, out, mean and rstd out;
     * backward x, dout, dinp in and out, mean and rstd in. */
    CHECK(same(r->bytes[BG_PH_LAYERNORM], k * (2 * L + 1) * 4 * ((2 * BT * C + 2 * BT) + (4 * BT * C + 2 * BT))));
    /* The loss: logits in and probabilities out, losses out; backward
     * probabilities in, dlogits in and out. */
    CHECK(same(r->bytes[BG_PH_LOSS], k * 4 * ((2 * BT * V + BT) + 3 * BT * V)));
    /* Once a step, whatever accum: the clip reads the gradients, AdamW
     * reads 4 and writes 3 floats per parameter it updates: all of them,
     * or under Muon all but the blocks' 4 matrices, 12 C^2 per layer, for
     * which Muon reads g and buf and writes buf and its iterate, reads the
     * iterate for the norm, reads and writes it to scale it, reads it and
     * the parameter and writes the parameter: 10 floats. */
    double n = (double)num_params, muon = cfg->optim == BG_OPT_MUON ? 12 * L * C * C : 0.0;
    CHECK(same(r->bytes[BG_PH_OPTIM], 4.0 * (n + 7 * (n - muon))));
    CHECK(same(r->bytes[BG_PH_MUON], 4.0 * 10 * muon));
}

/* Each limit is the products plus the larger of memory and arithmetic,
 * and the step's is their sum; only the matmul and attention phases have
 * products; the bandwidth used is the one measured at the smallest size
 * that holds a call's bytes. */
static void check_limits(const struct bg_roofline *r, int muon)
{
    int ok = 1;
    double sum = 0;
    for (int ph = 0; ph < BG_N_PHASES; ph++) {
        double memory = r->bytes[ph] / r->bandwidth[ph], arithmetic = r->ops[ph] / r->vector_ops;
        double want = r->products[ph] + (memory > arithmetic ? memory : arithmetic);
        int has_products = ph == BG_PH_MATMUL_FWD || ph == BG_PH_MATMUL_BWD || ph == BG_PH_ATTN_FWD ||
                           ph == BG_PH_ATTN_BWD || (muon && ph == BG_PH_MUON);
        ok &= same(r->limit[ph], want) && (r->products[ph] > 0) == has_products;
        ok &= r->bandwidth[ph] == roofline_bandwidth(r, r->call_bytes[ph]);
        sum += r->limit[ph];
    }
    CHECK(ok);
    CHECK(same(r->step_limit, sum));
    int sizes = 1;
    for (int i = 0; i < ROOFLINE_N_SIZES; i++)
        sizes &= r->bw_size[i] == ((size_t)256 << 10) << (2 * i) && r->bw[i] > 0;
    CHECK(sizes);
    CHECK(r->vector_ops > 0);
    CHECK(roofline_bandwidth(r, 1) == r->bw[0]);
    CHECK(roofline_bandwidth(r, 300 << 10) == r->bw[1]);
    CHECK(roofline_bandwidth(r, 1e12) == r->bw[ROOFLINE_N_SIZES - 1]);
}

/* The tiny preset with accum 2, with AdamW or with Muon (whose Newton-
 * Schulz products make a phase of products of their own). */
static void roofline_for(int optim)
{
    struct bg_train_config cfg;
    struct bg_error err;
    settings_preset("tiny", &cfg, &err);
    cfg.accum = 2;
    cfg.optim = optim;
    struct bg_corpus *c = NULL;
    struct bg_corpus_options opt = {.ctx = cfg.model.ctx, .seed = 1};
    CHECK(corpus_open(&c, text_path, &opt, &err) == BG_OK);
    struct bg_trainer t;
    CHECK(trainer_init(&t, &cfg, c, 0, 1, &err) == BG_OK);
    struct bg_profile p;
    CHECK(profile_init(&p, &t, &err) == BG_OK);
    struct bg_roofline r;
    CHECK(roofline_measure(&r, &p, &err) == BG_OK);
    check_counts(&r, &cfg, t.model.num_params);
    check_limits(&r, optim == BG_OPT_MUON);
    profile_free(&p);
    trainer_free(&t);
    corpus_close(c);
}

static void test_roofline(void)
{
    roofline_for(BG_OPT_ADAMW);
}

static void test_roofline_muon(void)
{
    roofline_for(BG_OPT_MUON);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    snprintf(text_path, sizeof text_path, "%s/text.txt", dir);
    write_text();
    train_set_threads(2);
    RUN_TEST(test_roofline);
    RUN_TEST(test_roofline_muon);
    remove(text_path);
    rmdir(dir);
    return TEST_EXIT();
}
