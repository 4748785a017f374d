/* model: sizes and memory known before allocating, GPT-2's init, the
 * whole model against PyTorch (loss, every gradient, three AdamW steps
 * with clipping), and a tiny model overfitting one batch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/adamw.h"
#include "bytegpt/model.h"
#include "bytegpt/tokenizer.h"
#include "test.h"

/* Tolerances against the float64 PyTorch answers, in units of fp32's unit
 * roundoff u = 2^-24. A dot product of length K in fp32 carries a relative
 * error of about sqrt(K) u when roundings are random (K u at worst); here
 * K <= 4C = 128, so about 11 u per matmul, and the forward pass chains six
 * such matmuls and normalisations: 64 u relative for the loss. Backward
 * chains as many again: 128 u of the largest gradient of each tensor. */
#define U_FP32 5.9604644775390625e-08
#define LOSS_TOL (64 * U_FP32 * 5.6)
#define GRAD_TOL (128 * U_FP32)

/* ---- Sizes ---- */

static void test_param_count(void)
{
    /* By hand: embeddings V*C + ctx*C; per layer LayerNorms 4C, qkv
     * 3C*C + 3C, projection C*C + C, MLP 4C*C + 4C + 4C*C + C; final LN 2C. */
    struct bg_config c = {.L = 3, .NH = 4, .C = 48, .ctx = 20, .V = 256};
    size_t C = 48, per_layer = 4 * C + 3 * C * C + 3 * C + C * C + C + 8 * C * C + 5 * C;
    size_t expect = 256 * C + 20 * C + 3 * per_layer + 2 * C;
    CHECK(config_num_params(&c) == expect);
    CHECK_NEAR(config_flops_per_token(&c), 6.0 * expect + 6.0 * 3 * 20 * 48, 0);
}

/* One layer and one head read in the singular. */
static void test_config_describe(void)
{
    char buf[96];
    struct bg_config one = {.L = 1, .NH = 1, .C = 64, .ctx = 32, .V = 256}, four = {.L = 4, .NH = 4, .C = 128, .ctx = 128, .V = 256};
    CHECK(strcmp(config_describe(&one, buf, sizeof buf), "1 layer, 1 head, dim 64, ctx 32") == 0);
    CHECK(strcmp(config_describe(&four, buf, sizeof buf), "4 layers, 4 heads, dim 128, ctx 128") == 0);
}

static void test_config_validation(void)
{
    struct bg_error err;
    struct bg_config ok = {.L = 2, .NH = 2, .C = 32, .ctx = 16, .V = 256}, bad_heads = {.L = 2, .NH = 3, .C = 32, .ctx = 16, .V = 256}, zero = {.L = 0, .NH = 2, .C = 32, .ctx = 16, .V = 256};
    CHECK(config_validate(&ok, &err) == BG_OK);
    CHECK(config_validate(&bad_heads, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "divisible") != NULL);
    CHECK(config_validate(&zero, &err) == BG_ERR_INPUT);
}

static void test_memory_estimate_is_exact(void)
{
    struct bg_config c = {.L = 2, .NH = 2, .C = 24, .ctx = 10, .V = 256};
    struct bg_memory mem;
    model_memory(&c, 3, &mem);
    struct bg_model m;
    struct bg_error err;
    CHECK(model_init(&m, &c, 3, &err) == BG_OK);
    CHECK(m.param_arena.size == mem.param_arena);
    CHECK(m.act_arena.size == mem.act_arena);
    /* Carving used exactly what was sized: the estimate is the allocation. */
    CHECK(m.param_arena.used == m.param_arena.size);
    CHECK(m.act_arena.used == m.act_arena.size);
    CHECK(mem.total == mem.param_arena + mem.act_arena);
    model_free(&m);
}

/* ---- Init ---- */

static double tensor_std(const float *x, size_t n)
{
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        s += x[i];
        s2 += (double)x[i] * x[i];
    }
    return sqrt(s2 / n - (s / n) * (s / n));
}

static void test_init(void)
{
    struct bg_config c = {.L = 4, .NH = 4, .C = 64, .ctx = 64, .V = 256};
    struct bg_model m, m2;
    struct bg_error err;
    struct bg_rng r;
    CHECK(model_init(&m, &c, 1, &err) == BG_OK);
    CHECK(model_init(&m2, &c, 1, &err) == BG_OK);
    rng_seed(&r, 5, 1);
    model_init_weights(&m, &r);
    /* The sample standard deviation of n normal draws has a standard error
     * of about std/sqrt(2n); 5 of those is the bound. */
    size_t n = 256 * 64;
    CHECK_NEAR(tensor_std(m.p.wte, n), 0.02, 5 * 0.02 / sqrt(2.0 * n));
    n = 4 * 64 * 64;
    double proj = 0.02 / sqrt(8.0);
    CHECK_NEAR(tensor_std(m.p.attprojw, n), proj, 5 * proj / sqrt(2.0 * n));
    CHECK_NEAR(tensor_std(m.p.fcprojw, 4 * n), proj, 5 * proj / sqrt(8.0 * n));
    int biases_zero = 1, ln_one = 1;
    for (size_t i = 0; i < 4 * 64; i++) {
        biases_zero &= m.p.qkvb[i] == 0 && m.p.attprojb[i] == 0 && m.p.fcprojb[i] == 0 && m.p.ln1b[i] == 0;
        ln_one &= m.p.ln1w[i] == 1 && m.p.ln2w[i] == 1;
    }
    CHECK(biases_zero);
    CHECK(ln_one);
    /* A seed fixes the model; another seed gives another. */
    rng_seed(&r, 5, 1);
    model_init_weights(&m2, &r);
    CHECK(memcmp(m.params, m2.params, m.num_params * sizeof(float)) == 0);
    rng_seed(&r, 6, 1);
    model_init_weights(&m2, &r);
    CHECK(memcmp(m.params, m2.params, m.num_params * sizeof(float)) != 0);
    model_free(&m);
    model_free(&m2);
}

/* ---- Against PyTorch: tests/fixtures/reference_tiny.bin ---- */

struct reference {
    int32_t L, NH, C, ctx, B, T, steps;
    float lr, beta1, beta2, eps, wd, max_norm;
    uint64_t N;
    uint8_t *inputs, *targets;
    float *params0, loss, *grads, *losses, *norms, *params;
};

static int read_exact(FILE *f, void *p, size_t n)
{
    return fread(p, 1, n, f) == n;
}

static int load_reference(struct reference *r)
{
    FILE *f = fopen(BG_FIXTURES "/reference_tiny.bin", "rb");
    if (!f)
        return 0;
    char magic[8];
    int ok = read_exact(f, magic, 8) && memcmp(magic, "BGREF01", 8) == 0 && read_exact(f, &r->L, 7 * 4) &&
             read_exact(f, &r->lr, 6 * 4) && read_exact(f, &r->N, 8);
    if (ok) {
        size_t bt = (size_t)r->B * r->T, n = r->N;
        r->inputs = malloc(bt);
        r->targets = malloc(bt);
        r->params0 = malloc(n * 4);
        r->grads = malloc(n * 4);
        r->params = malloc(n * 4);
        r->losses = malloc(r->steps * 4);
        r->norms = malloc(r->steps * 4);
        ok = read_exact(f, r->inputs, bt) && read_exact(f, r->targets, bt) && read_exact(f, r->params0, n * 4) &&
             read_exact(f, &r->loss, 4) && read_exact(f, r->grads, n * 4) && read_exact(f, r->losses, r->steps * 4) &&
             read_exact(f, r->norms, r->steps * 4) && read_exact(f, r->params, n * 4);
    }
    fclose(f);
    return ok;
}

static void free_reference(struct reference *r)
{
    free(r->inputs), free(r->targets), free(r->params0), free(r->grads);
    free(r->params), free(r->losses), free(r->norms);
}

static double max_abs(const float *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

static void test_against_pytorch(void)
{
    struct reference ref = {0};
    int loaded = load_reference(&ref);
    CHECK(loaded);
    if (!loaded) {
        free_reference(&ref);
        return;
    }
    struct bg_config c = {.L = (size_t)ref.L, .NH = (size_t)ref.NH, .C = (size_t)ref.C, .ctx = (size_t)ref.ctx, .V = 256};
    struct bg_model m;
    struct bg_error err;
    CHECK(model_init(&m, &c, (size_t)ref.B, &err) == BG_OK);
    CHECK(m.num_params == ref.N);
    memcpy(m.params, ref.params0, ref.N * 4);
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(&c, t);

    double loss = model_forward(&m, ref.inputs, ref.targets, ref.B, ref.T);
    model_zero_grad(&m);
    model_backward(&m, 1.0f);
    printf("  loss %.9f, PyTorch (float64) %.9f\n", loss, ref.loss);
    CHECK_NEAR(loss, ref.loss, LOSS_TOL);
    for (int i = 0; i < BG_N_TENSORS; i++) {
        double scale = max_abs(ref.grads + t[i].offset, t[i].size), worst = 0;
        for (size_t j = 0; j < t[i].size; j++) {
            double d = fabs(m.grads[t[i].offset + j] - ref.grads[t[i].offset + j]);
            worst = d > worst ? d : worst;
        }
        printf("  grad %-9s max |ref| %.3e, max |diff| %.3e (%.2e relative)\n", t[i].name, scale, worst, worst / scale);
        CHECK(worst <= GRAD_TOL * scale);
    }

    struct bg_adamw opt = {ref.beta1, ref.beta2, ref.eps, ref.wd};
    memcpy(m.params, ref.params0, ref.N * 4);
    for (int s = 0; s < ref.steps; s++) {
        model_zero_grad(&m);
        double l = model_forward(&m, ref.inputs, ref.targets, ref.B, ref.T);
        model_backward(&m, 1.0f);
        double norm = adamw_clip(m.grads, m.num_params, ref.max_norm);
        printf("  step %d: loss %.7f (ref %.7f), norm %.7f (ref %.7f)\n", s + 1, l, ref.losses[s], norm, ref.norms[s]);
        CHECK_NEAR(l, ref.losses[s], LOSS_TOL);
        CHECK_NEAR(norm, ref.norms[s], GRAD_TOL * ref.norms[s]);
        adamw_update(&opt, t, m.params, m.grads, m.m, m.v, ref.lr, (uint64_t)s + 1);
    }
    /* AdamW moves each parameter by about lr * m / sqrt(v) per step, a
     * ratio of gradient components: where a component's gradient is well
     * above its fp32 error the ratio is accurate to a few times that
     * relative error, where it is near zero the direction itself is noise
     * and can flip (a difference of at most 2 lr per step). So: components
     * whose first gradient is at least 1e-3 of their tensor's largest must
     * match to lr * steps * 1000 * GRAD_TOL; the rest to 2 lr per step. */
    double worst_good = 0, worst_small = 0;
    size_t n_small = 0;
    for (int i = 0; i < BG_N_TENSORS; i++) {
        double scale = max_abs(ref.grads + t[i].offset, t[i].size);
        for (size_t j = t[i].offset; j < t[i].offset + t[i].size; j++) {
            double d = fabs(m.params[j] - ref.params[j]);
            if (fabs(ref.grads[j]) >= 1e-3 * scale) {
                worst_good = d > worst_good ? d : worst_good;
            } else {
                worst_small = d > worst_small ? d : worst_small;
                n_small++;
            }
        }
    }
    printf("  params after %d steps: max |diff| %.3e; %zu near-zero-gradient components: %.3e (lr %g)\n",
           ref.steps, worst_good, n_small, worst_small, ref.lr);
    CHECK(worst_good <= ref.lr * ref.steps * 1000 * GRAD_TOL);
    CHECK(worst_small <= 2 * ref.lr * ref.steps);
    model_free(&m);
    free_reference(&ref);
}

/* ---- Behaviour ---- */

/* Causality: the prediction at position t depends only on bytes 0..t,
 * so running the first 5 bytes alone gives the same probabilities as
 * running all 16 and reading the first 5 positions. */
static void test_causal(void)
{
    struct bg_config c = {.L = 2, .NH = 4, .C = 32, .ctx = 16, .V = 256};
    struct bg_model m;
    struct bg_error err;
    struct bg_rng r;
    CHECK(model_init(&m, &c, 2, &err) == BG_OK);
    rng_seed(&r, 9, 1);
    model_init_weights(&m, &r);
    uint8_t in[16];
    for (int i = 0; i < 16; i++)
        in[i] = (uint8_t)rng_range(&r, 256);
    float *full = malloc(16 * 256 * sizeof(float));
    model_forward(&m, in, NULL, 1, 16);
    memcpy(full, model_probs(&m, 0, 0), 16 * 256 * sizeof(float));
    model_forward(&m, in, NULL, 1, 5);
    double worst = 0;
    for (int i = 0; i < 5 * 256; i++)
        worst = fmax(worst, fabs(full[i] - model_probs(&m, 0, 0)[i]));
    /* The same arithmetic on the same numbers, except that BLAS may block
     * a different number of rows differently: a few u of a probability. */
    CHECK(worst <= 16 * U_FP32);
    free(full);
    model_free(&m);
}

/* A tiny model must be able to memorise one batch: if any gradient were
 * wrong, the loss would stall well above zero. */
static void test_overfit_one_batch(void)
{
    struct bg_config c = {.L = 2, .NH = 2, .C = 32, .ctx = 16, .V = 256};
    struct bg_model m;
    struct bg_error err;
    struct bg_rng r;
    CHECK(model_init(&m, &c, 4, &err) == BG_OK);
    rng_seed(&r, 11, 1);
    model_init_weights(&m, &r);
    uint8_t in[64], tg[64];
    const char *text = "the whale, the white whale! call me ishmael. some years ago, never mind how long";
    for (int i = 0; i < 64; i++) {
        in[i] = (uint8_t)text[i];
        tg[i] = (uint8_t)text[i + 1];
    }
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(&c, t);
    struct bg_adamw opt = {0.9f, 0.95f, 1e-8f, 0.0f};
    double loss = 0;
    int step;
    for (step = 1; step <= 300; step++) {
        model_zero_grad(&m);
        loss = model_forward(&m, in, tg, 4, 16);
        if (loss < 0.05)
            break;
        model_backward(&m, 1.0f);
        adamw_clip(m.grads, m.num_params, 1.0);
        adamw_update(&opt, t, m.params, m.grads, m.m, m.v, 1e-2f, (uint64_t)step);
    }
    printf("  loss %.4f after %d steps\n", loss, step);
    CHECK(loss < 0.05);
    model_free(&m);
}

int main(void)
{
    RUN_TEST(test_param_count);
    RUN_TEST(test_config_describe);
    RUN_TEST(test_config_validation);
    RUN_TEST(test_memory_estimate_is_exact);
    RUN_TEST(test_init);
    RUN_TEST(test_against_pytorch);
    RUN_TEST(test_causal);
    RUN_TEST(test_overfit_one_batch);
    return TEST_EXIT();
}
