/* model, the recipe's block choices (RMSNorm, ReLU^2, the untied head,
 * soft-capping): each alone and all together, the whole model's gradient
 * against finite differences of its loss; the memory each needs, GPT-2's
 * unchanged; the untied head's zero init. test_model.c holds GPT-2's own
 * tests (against PyTorch, causality, overfitting). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/arena.h"
#include "bytegpt/model.h"
#include "test.h"

#define U_FP32 5.9604644775390625e-08

/* The tolerances test_model.c derives for this model against float64
 * PyTorch: the loss within 64 u relative (of ln 256 = 5.6), each gradient
 * within 128 u of its tensor's largest. */
#define LOSS_TOL (64 * U_FP32 * 5.6)
#define GRAD_TOL (128 * U_FP32)

struct recipe {
    const char *name;
    int norm, act, head;
    double softcap;
};

static const struct recipe recipes[] = {
    {"gpt-2", BG_NORM_LAYER, BG_ACT_GELU, BG_HEAD_TIED, 0.0},
    {"rmsnorm", BG_NORM_RMS, BG_ACT_GELU, BG_HEAD_TIED, 0.0},
    {"relu2", BG_NORM_LAYER, BG_ACT_RELU2, BG_HEAD_TIED, 0.0},
    {"untied head", BG_NORM_LAYER, BG_ACT_GELU, BG_HEAD_UNTIED, 0.0},
    {"softcap 1", BG_NORM_LAYER, BG_ACT_GELU, BG_HEAD_TIED, 1.0},
    {"all four", BG_NORM_RMS, BG_ACT_RELU2, BG_HEAD_UNTIED, 1.0},
};
#define N_RECIPES (sizeof recipes / sizeof recipes[0])

static struct bg_config tiny(const struct recipe *r)
{
    struct bg_config c = {.L = 2, .NH = 2, .C = 16, .ctx = 8, .V = 256};
    c.norm = r->norm;
    c.act = r->act;
    c.head = r->head;
    c.softcap = r->softcap;
    return c;
}

/* Parameters uniform in [-0.3, 0.3], norm gains 1 more, rather than the
 * init: zero-initialised projections and head would make most gradients
 * exactly 0 and test nothing, and weights this large put the logits
 * around 1, where a cap of 1 bends them, and the MLP's inputs on both
 * sides of ReLU's kink. */
static void random_params(struct bg_model *m, struct bg_rng *rng)
{
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(&m->cfg, t);
    for (int i = 0; i < BG_N_TENSORS; i++) {
        int gain = strcmp(t[i].name, "ln1w") == 0 || strcmp(t[i].name, "ln2w") == 0 || strcmp(t[i].name, "lnfw") == 0;
        for (size_t j = 0; j < t[i].size; j++)
            m->params[t[i].offset + j] = (gain ? 1.0f : 0.0f) + 0.3f * (2 * rng_uniform(rng) - 1);
    }
}

/* The loss with the tensor moved by step times dir; returns it and
 * leaves in moved[] the displacement actually taken, (float)(p + s d) - p. */
static double loss_moved(struct bg_model *m, const struct bg_tensor *t, const float *dir, double step,
                         double *moved, const uint8_t *in, const uint8_t *tg, size_t B, size_t T)
{
    float *p = m->params + t->offset;
    float *save = malloc(t->size * sizeof(float));
    memcpy(save, p, t->size * sizeof(float));
    for (size_t j = 0; j < t->size; j++) {
        p[j] = (float)(save[j] + step * dir[j]);
        moved[j] = (double)p[j] - save[j];
    }
    double loss = model_forward(m, in, tg, B, T);
    memcpy(p, save, t->size * sizeof(float));
    free(save);
    return loss;
}

/* A directional finite difference for one tensor, the analytic gradient
 * g against the central difference along a random direction d of +-1s:
 *     e(h) = (L(p + h d) - L(p - h d)) / 2h - g . (moved+ - moved-) / 2h,
 * the analytic side using the displacements actually taken. e(h) is
 * c h^2 (truncation) plus rounding, if g is right; as in gradcheck.h,
 * |e(2h) - e(h)| = 3 |c| h^2 bounds the truncation, each loss is within
 * LOSS_TOL of exact (so 2 LOSS_TOL / 2h of rounding in e(h), and half that
 * in e(2h)), and g within GRAD_TOL of the tensor's largest component per
 * element. A direction of the whole tensor, rather than one element at a
 * time, sums every component's contribution into a change of the loss well
 * above its rounding. Returns |e(h)| / tol (fails above 1). */
static double check_tensor(struct bg_model *m, const struct bg_tensor *t, const float *g, struct bg_rng *rng,
                           const uint8_t *in, const uint8_t *tg, size_t B, size_t T, double h, double *dd)
{
    size_t n = t->size;
    float *dir = malloc(n * sizeof(float));
    double *mp = malloc(n * sizeof(double)), *mm = malloc(n * sizeof(double));
    double gmax = 0, e[2];
    for (size_t j = 0; j < n; j++) {
        dir[j] = rng_range(rng, 2) ? 1.0f : -1.0f;
        gmax = fabs(g[j]) > gmax ? fabs(g[j]) : gmax;
    }
    double grad_err = 0;
    for (int k = 0; k < 2; k++) {
        double s = (k + 1) * h;
        double lp = loss_moved(m, t, dir, s, mp, in, tg, B, T), lm = loss_moved(m, t, dir, -s, mm, in, tg, B, T);
        double predicted = 0, span = 0;
        for (size_t j = 0; j < n; j++) {
            predicted += g[j] * (mp[j] - mm[j]);
            span += fabs(mp[j] - mm[j]);
        }
        e[k] = (lp - lm - predicted) / (2 * s);
        if (k == 0) {
            *dd = predicted / (2 * s);
            grad_err = GRAD_TOL * gmax * span / (2 * s);
        }
    }
    double tol = fabs(e[1] - e[0]) + 2 * LOSS_TOL / (2 * h) + 2 * LOSS_TOL / (4 * h) + grad_err;
    free(dir), free(mp), free(mm);
    return fabs(e[0]) / tol;
}

static void test_gradients_by_finite_differences(void)
{
    size_t B = 2, T = 8;
    for (size_t r = 0; r < N_RECIPES; r++) {
        struct bg_config c = tiny(&recipes[r]);
        struct bg_model m;
        struct bg_error err;
        struct bg_rng rng;
        CHECK(model_init(&m, &c, B, &err) == BG_OK);
        rng_seed(&rng, 40 + r, 7);
        random_params(&m, &rng);
        uint8_t in[16], tg[16];
        for (size_t i = 0; i < B * T; i++) {
            in[i] = (uint8_t)rng_range(&rng, 256);
            tg[i] = (uint8_t)rng_range(&rng, 256);
        }
        model_zero_grad(&m);
        double loss = model_forward(&m, in, tg, B, T);
        model_backward(&m, 1.0f);
        float *g = malloc(m.num_params * sizeof(float));
        memcpy(g, m.grads, m.num_params * sizeof(float));
        struct bg_tensor t[BG_N_TENSORS];
        model_tensors(&c, t);
        printf("  %s: loss %.6f\n", recipes[r].name, loss);
        for (int i = 0; i < BG_N_TENSORS; i++) {
            if (t[i].size == 0)
                continue;
            double dd = 0, worst = 0;
            for (int k = 0; k < 3; k++) {
                double ratio = check_tensor(&m, &t[i], g + t[i].offset, &rng, in, tg, B, T, 1e-2, &dd);
                worst = ratio > worst ? ratio : worst;
            }
            printf("    %-9s g.d %10.3e  worst |fd-grad|/bound %.3g\n", t[i].name, dd, worst);
            CHECK(worst <= 1.0);
        }
        free(g);
        model_free(&m);
    }
}

/* ---- Memory ---- */

static size_t floats(size_t n)
{
    return arena_round(n * sizeof(float));
}

/* GPT-2's activation arena, written out from the list of activations it
 * has always had, so that a recipe's buffers cannot grow it: encoded;
 * per layer ln1 and its mean and rstd, qkv, atty, att, residual2, ln2 and
 * its mean and rstd, fch, its activation, residual3; lnf and its mean and
 * rstd, probs, losses; then the gradients. */
static size_t gpt2_act_arena(size_t L, size_t NH, size_t C, size_t T, size_t B, size_t V)
{
    size_t BT = B * T;
    size_t acts = floats(BT * C) + 2 * (floats(L * BT * C) + 2 * floats(L * BT)) + floats(L * BT * 3 * C) +
                  3 * floats(L * BT * C) + floats(L * B * NH * T * T) + 2 * floats(L * BT * 4 * C) +
                  floats(BT * C) + 2 * floats(BT) + floats(BT * V) + floats(BT);
    size_t grads = 3 * floats(BT * C) + floats(BT * 3 * C) + floats(B * NH * T * T) + floats(BT * 4 * C) +
                   floats(BT * V);
    return acts + grads;
}

/* GPT-2's arenas are what they were; each choice adds or removes exactly
 * its own: RMSNorm the three means and the three biases, the cap its
 * tanh (B,T,V), the untied head its (V,C) matrix in each of params,
 * grads, m and v. And for every recipe the estimate is what model_init
 * carves, to the byte. */
static void test_memory(void)
{
    size_t L = 2, NH = 2, C = 24, T = 10, B = 3, V = 256, BT = B * T;
    size_t per_layer = 4 * C + 3 * C * C + 3 * C + C * C + C + 8 * C * C + 5 * C;
    size_t n_gpt2 = V * C + T * C + L * per_layer + 2 * C;
    size_t acts = gpt2_act_arena(L, NH, C, T, B, V);
    struct {
        struct recipe r;
        size_t params, act_arena;
    } want[] = {
        {recipes[0], n_gpt2, acts},
        {recipes[1], n_gpt2 - 2 * L * C - C, acts - 2 * floats(L * BT) - floats(BT)},
        {recipes[2], n_gpt2, acts},
        {recipes[3], n_gpt2 + V * C, acts},
        {recipes[4], n_gpt2, acts + floats(BT * V)},
        {recipes[5], n_gpt2 - 2 * L * C - C + V * C, acts - 2 * floats(L * BT) - floats(BT) + floats(BT * V)},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct bg_config c = {.L = L, .NH = NH, .C = C, .ctx = T, .V = V};
        c.norm = want[i].r.norm, c.act = want[i].r.act, c.head = want[i].r.head, c.softcap = want[i].r.softcap;
        struct bg_memory mem;
        model_memory(&c, B, &mem);
        printf("  %-12s params %zu, activation arena %zu bytes\n", want[i].r.name, config_num_params(&c),
               mem.act_arena);
        CHECK(config_num_params(&c) == want[i].params);
        CHECK(mem.param_arena == 4 * floats(want[i].params));
        CHECK(mem.act_arena == want[i].act_arena);
        struct bg_model m;
        struct bg_error err;
        CHECK(model_init(&m, &c, B, &err) == BG_OK);
        CHECK(m.param_arena.used == m.param_arena.size && m.param_arena.size == mem.param_arena);
        CHECK(m.act_arena.used == m.act_arena.size && m.act_arena.size == mem.act_arena);
        model_free(&m);
    }
}

/* ---- The untied head's init ---- */

/* With the head and both output projections at zero, every block starts
 * as the identity and every logit is exactly 0, so the first loss is
 * ln 256 (up to logf's 1 ulp), capped or not; wte keeps GPT-2's init.
 * The first gradient is the head's alone. */
static void test_untied_init(void)
{
    for (int capped = 0; capped < 2; capped++) {
        struct bg_config c = tiny(&recipes[capped ? 5 : 3]);
        struct bg_model m;
        struct bg_error err;
        struct bg_rng rng;
        CHECK(model_init(&m, &c, 2, &err) == BG_OK);
        rng_seed(&rng, 50, 7);
        model_init_weights(&m, &rng);
        size_t L = c.L, C = c.C, V = c.V;
        int zero = 1, wte_random = 0;
        for (size_t i = 0; i < V * C; i++) {
            zero &= m.p.lmhead[i] == 0.0f;
            wte_random |= m.p.wte[i] != 0.0f;
        }
        for (size_t i = 0; i < L * C * C; i++)
            zero &= m.p.attprojw[i] == 0.0f;
        for (size_t i = 0; i < L * C * 4 * C; i++)
            zero &= m.p.fcprojw[i] == 0.0f;
        CHECK(zero);
        CHECK(wte_random);
        uint8_t in[16], tg[16];
        for (int i = 0; i < 16; i++)
            in[i] = (uint8_t)rng_range(&rng, 256), tg[i] = (uint8_t)rng_range(&rng, 256);
        double loss = model_forward(&m, in, tg, 2, 8);
        printf("  %s: first loss %.9f, ln 256 = %.9f\n", capped ? "all four" : "untied head", loss, log(256.0));
        CHECK_NEAR(loss, log(256.0), 2 * U_FP32 * log(256.0));
        /* The gradient through a zero head is exactly zero, so the first
         * step moves the head (and no block) only. */
        model_zero_grad(&m);
        model_backward(&m, 1.0f);
        int head_moves = 0, rest_still = 1;
        for (size_t i = 0; i < V * C; i++)
            head_moves |= m.g.lmhead[i] != 0.0f;
        for (size_t i = 0; i < m.num_params; i++)
            if (i < (size_t)(m.g.lmhead - m.grads) || i >= (size_t)(m.g.lmhead - m.grads) + V * C)
                rest_still &= m.grads[i] == 0.0f;
        CHECK(head_moves);
        CHECK(rest_still);
        model_free(&m);
    }
}

int main(void)
{
    RUN_TEST(test_gradients_by_finite_differences);
    RUN_TEST(test_memory);
    RUN_TEST(test_untied_init);
    return TEST_EXIT();
}
