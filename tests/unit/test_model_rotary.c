/* model with rotary positions and QK-norm: the whole model's gradient
 * against finite differences of its loss with each setting alone and
 * both together, the refusal of an odd head dim under rotary, the table
 * at model_init, and memory: GPT-2's unchanged, each setting's own cost
 * exactly what it adds. The kernels themselves are tested in
 * test_ops_rotary.c. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/model.h"
#include "bytegpt/ops_rotary.h"
#include "test.h"
#include "gradcheck.h"

/* A model small enough that every parameter can be moved: 2 layers, 2
 * heads of 4 (two rotary pairs each), 8 positions; batches of 2 x 4, so
 * that BT = 8 and the mean's weight 1/8 is exact. */
static struct bg_config tiny(int pos, int qk_norm)
{
    struct bg_config c = {.L = 2, .NH = 2, .C = 8, .ctx = 8, .V = 256};
    c.pos = pos;
    c.qk_norm = qk_norm;
    return c;
}

/* ---- Configuration and memory ---- */

static void test_odd_head_dim_refused_under_rotary(void)
{
    struct bg_config c = tiny(BG_POS_ROTARY, 0);
    struct bg_error err;
    c.C = 6; /* heads of 3 */
    CHECK(config_validate(&c, &err) == BG_ERR_INPUT);
    printf("    %s\n", err.msg);
    CHECK(strstr(err.msg, "even") != NULL);
    /* Learned positions and QK-norm have no such need. */
    c.pos = BG_POS_LEARNED;
    c.qk_norm = 1;
    CHECK(config_validate(&c, &err) == BG_OK);
}

/* The activations of the GPT-2 model as they were before rotary and
 * QK-norm existed, written out again here: B*T rows, L layers. */
static size_t gpt2_act_arena(const struct bg_config *c, size_t B)
{
    size_t L = c->L, T = c->ctx, C = c->C, NH = c->NH, V = c->V, BT = B * T;
    size_t sizes[] = {
        BT * C,     L * BT * C,     L * BT,         L * BT,     L * BT * 3 * C, L * BT * C,
        L * B * NH * T * T,         L * BT * C,     L * BT * C, L * BT,         L * BT,
        L * BT * 4 * C,             L * BT * 4 * C, L * BT * C, BT * C,         BT,
        BT,         BT * V,         BT,             /* the gradients: */
        BT * C,     BT * C,         BT * 3 * C,     BT * C,     B * NH * T * T, BT * 4 * C, BT * V,
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        total += arena_round(sizes[i] * sizeof(float));
    return total;
}

/* GPT-2 settings: the same arenas as before to the byte. Rotary adds its
 * table (two arrays of ctx x HS/2) and drops wpe from each of the four
 * parameter blocks; QK-norm adds its rstd (L,B,T,2NH). Each model carves
 * exactly what model_memory sized. */
static void test_memory(void)
{
    size_t B = 3;
    struct bg_config g = {.L = 3, .NH = 4, .C = 48, .ctx = 20, .V = 256};
    struct bg_memory mg, mem;
    model_memory(&g, B, &mg);
    CHECK(mg.act_arena == gpt2_act_arena(&g, B));
    CHECK(mg.param_arena == 4 * arena_round(config_num_params(&g) * sizeof(float)));
    for (int pos = 0; pos < 2; pos++)
        for (int qk = 0; qk < 2; qk++) {
            struct bg_config c = g;
            c.pos = pos;
            c.qk_norm = qk;
            model_memory(&c, B, &mem);
            size_t HS = c.C / c.NH, table = 2 * arena_round(c.ctx * HS / 2 * sizeof(float));
            size_t rstd = arena_round(c.L * B * c.ctx * 2 * c.NH * sizeof(float));
            size_t params = config_num_params(&g) - (pos ? c.ctx * c.C : 0);
            CHECK(config_num_params(&c) == params);
            CHECK(mem.act_arena == mg.act_arena + (pos ? table : 0) + (qk ? rstd : 0));
            CHECK(mem.param_arena == 4 * arena_round(params * sizeof(float)));
            struct bg_model m;
            struct bg_error err;
            CHECK(model_init(&m, &c, B, &err) == BG_OK);
            CHECK(m.act_arena.used == mem.act_arena && m.param_arena.used == mem.param_arena);
            model_free(&m);
        }
}

/* model_init fills the table: position 0 is no turn, and every row is
 * rotary_table's. */
static void test_table_at_init(void)
{
    struct bg_config c = tiny(BG_POS_ROTARY, 0);
    struct bg_model m;
    struct bg_error err;
    CHECK(model_init(&m, &c, 1, &err) == BG_OK);
    size_t half = c.C / c.NH / 2;
    float *cs = fbuf(c.ctx * half), *sn = fbuf(c.ctx * half);
    rotary_table(cs, sn, c.ctx, 2 * half);
    check_same("cos table at init", m.a.rope_cos, cs, c.ctx * half);
    check_same("sin table at init", m.a.rope_sin, sn, c.ctx * half);
    CHECK(m.a.rope_cos[0] == 1.0f && m.a.rope_sin[0] == 0.0f);
    free(cs), free(sn);
    model_free(&m);
}

/* Causality, and rotary's angles belonging to positions rather than to
 * the window's length: running the first 5 bytes alone gives the same
 * probabilities as running all 8 and reading the first 5 positions. As
 * in test_model.c's test_causal: the same arithmetic on the same numbers,
 * except that BLAS may block a different number of rows differently, so
 * a few u of a probability. */
static void test_causal(void)
{
    struct bg_config c = tiny(BG_POS_ROTARY, 1);
    struct bg_model m;
    struct bg_error err;
    struct bg_rng r;
    CHECK(model_init(&m, &c, 1, &err) == BG_OK);
    rng_seed(&r, 9, 1);
    model_init_weights(&m, &r);
    uint8_t in[8];
    for (int i = 0; i < 8; i++)
        in[i] = (uint8_t)rng_range(&r, 256);
    float *full = fbuf(8 * 256);
    model_forward(&m, in, NULL, 1, 8);
    memcpy(full, model_probs(&m, 0, 0), 8 * 256 * sizeof(float));
    model_forward(&m, in, NULL, 1, 5);
    double worst = 0;
    for (int i = 0; i < 5 * 256; i++)
        worst = fmax(worst, fabs(full[i] - model_probs(&m, 0, 0)[i]));
    printf("    first 5 positions, T = 8 against T = 5: max |diff| %.3g\n", worst);
    CHECK(worst <= 16 * U32);
    free(full);
    model_free(&m);
}

/* ---- The whole model against finite differences ----
 *
 * The objective is the mean loss L = sum_i loss_i / 8 over the BT = 8
 * positions, which gradcheck.h's driver sees as outputs loss_i with
 * weights R_i = 1/8 (exact). It moves every parameter, one at a time, by
 * +-h and +-2h and compares the central difference with model_backward's
 * gradient, within:
 * - truncation: Richardson's |D(2h) - D(h)|, three times D(h)'s own;
 * - rounding: each loss_i comes from the fp32 forward, within
 *   LOSS_REL * loss_i of its exact value. LOSS_REL = 64 u is
 *   test_model.c's budget for this forward (six chained matmuls and
 *   normalisations with dot products of at most 4C = 32 terms, checked
 *   there against float64 PyTorch); QK-norm and rotary add a normalisation
 *   of unit output and an orthogonal rotation per layer, a few roundings
 *   that do not grow what they are given;
 * - the analytic gradient's own fp32 error, GRAD_REL = 128 u of the
 *   largest gradient of its tensor (test_model.c's budget for backward).
 * With parameters of order 0.3, a real error (a wrong sign or index in a
 * backward) moves a gradient by a sizeable part of itself; the test also
 * checks that the largest qkvw gradients stand well above the rounding
 * part of the tolerance, so such an error could not hide inside it. */
#define LOSS_REL (64 * U32)
#define GRAD_REL (128 * U32)
#define FD_H 1e-2

struct model_ctx {
    struct bg_model *m;
    const uint8_t *in, *tg;
};

static void model_fd_forward(void *p)
{
    struct model_ctx *c = p;
    model_forward(c->m, c->in, c->tg, 2, 4);
}

static double max_abs(const float *x, size_t n)
{
    double mx = 0.0;
    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, fabs(x[i]));
    return mx;
}

static void gradcheck(int pos, int qk_norm)
{
    struct bg_config c = tiny(pos, qk_norm);
    struct bg_model m;
    struct bg_error err;
    struct bg_rng rng;
    CHECK(model_init(&m, &c, 2, &err) == BG_OK);
    rng_seed(&rng, 24, (uint64_t)(2 * pos + qk_norm));
    /* GPT-2's init, then noise of 0.3 on every parameter: biases and
     * gains away from 0 and 1, and weights large enough that attention's
     * scores, and so rotary's and QK-norm's gradients, are far from
     * negligible. */
    model_init_weights(&m, &rng);
    for (size_t i = 0; i < m.num_params; i++)
        m.params[i] += rng_normal(&rng, 0.0f, 0.3f);
    uint8_t in[8], tg[8];
    for (int i = 0; i < 8; i++) {
        in[i] = (uint8_t)rng_range(&rng, 256);
        tg[i] = (uint8_t)rng_range(&rng, 256);
    }
    model_zero_grad(&m);
    model_forward(&m, in, tg, 2, 4);
    model_backward(&m, 1.0f);
    float R[8];
    for (int i = 0; i < 8; i++)
        R[i] = 0.125f;
    struct model_ctx ctx = {&m, in, tg};
    struct fd_problem p = {model_fd_forward, &ctx, m.a.losses, 8, R,
                           LOSS_REL * max_abs(m.a.losses, 8)};
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(&c, t);
    /* The gradients are copied out first: every step of the driver runs
     * the forward again, which leaves m.grads alone but not the
     * activations backward would read. */
    float *grads = fbuf(m.num_params);
    memcpy(grads, m.grads, m.num_params * sizeof(float));
    for (int i = 0; i < BG_N_TENSORS; i++) {
        if (t[i].size == 0)
            continue;
        double *tol = dbuf(t[i].size), gmax = max_abs(grads + t[i].offset, t[i].size);
        for (size_t j = 0; j < t[i].size; j++)
            tol[j] = GRAD_REL * gmax;
        char what[96];
        snprintf(what, sizeof what, "fd %-8s pos=%s qk_norm=%s", t[i].name, pos ? "rotary" : "learned",
                 qk_norm ? "on" : "off");
        fd_check(what, &p, m.params + t[i].offset, t[i].size, grads + t[i].offset, tol, FD_H);
        if (strcmp(t[i].name, "qkvw") == 0) {
            /* The rounding part of every element's tolerance: 2 loss
             * errors over the step 2h, weighted by the R_i. */
            double rounding = 2 * p.out_abs_err / (2 * FD_H);
            printf("    largest |qkvw gradient| %.3g, rounding part of its bound %.3g\n", gmax, rounding);
            CHECK(gmax > 100 * rounding);
        }
        free(tol);
    }
    free(grads);
    model_free(&m);
}

static void test_gradcheck_rotary(void)
{
    gradcheck(BG_POS_ROTARY, 0);
}

static void test_gradcheck_qk_norm(void)
{
    gradcheck(BG_POS_LEARNED, 1);
}

static void test_gradcheck_rotary_and_qk_norm(void)
{
    gradcheck(BG_POS_ROTARY, 1);
}

int main(void)
{
    /* One thread: thousands of forwards of a tiny model, where threads
     * would only wait for each other. */
    omp_set_num_threads(1);
    RUN_TEST(test_odd_head_dim_refused_under_rotary);
    RUN_TEST(test_memory);
    RUN_TEST(test_table_at_init);
    RUN_TEST(test_causal);
    RUN_TEST(test_gradcheck_rotary);
    RUN_TEST(test_gradcheck_qk_norm);
    RUN_TEST(test_gradcheck_rotary_and_qk_norm);
    return TEST_EXIT();
}
