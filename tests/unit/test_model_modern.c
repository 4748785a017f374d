/* model with every setting beside GPT-2's, against PyTorch: the loss,
 * every gradient, and three clipped steps of Muon + AdamW + sparse Adam
 * against tests/fixtures/reference_modern.bin (scripts/reference_modern.py
 * says what it holds and how it was made). test_model.c does the same for
 * GPT-2's settings; the tolerances here follow its reasoning. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/adamw.h"
#include "bytegpt/bigram.h"
#include "bytegpt/model.h"
#include "bytegpt/muon.h"
#include "bytegpt/train.h"
#include "test.h"

/* Tolerances against the float64 PyTorch answers, in units of fp32's unit
 * roundoff u = 2^-24. As in test_model.c, a dot product of length K <= 4C
 * = 128 carries about sqrt(K) u = 11 u of relative error, and the forward
 * pass chains six matmuls: 66 u. The settings add pointwise stages (RMSNorm,
 * QK-norm, rotary, ReLU^2, softcap's tanh within 2 ulp), each a few
 * roundings, about 4 u each: 90 u, so 96 u of the loss. Backward chains as
 * many again: 192 u of the largest gradient of each tensor. */
#define U_FP32 5.9604644775390625e-08
#define LOSS_REL (96 * U_FP32)
#define GRAD_TOL (192 * U_FP32)
/* Muon's Newton-Schulz iteration maps each singular value s of its iterate
 * by p(s) = a s + b s^3 + c s^5, which keeps [0, 1.2024] inside itself
 * (the normalised input starts there) and whose slope |p'| and ratio p(s)/s
 * stay below 4 on it, so an error in an iterate grows at most 4 fold per
 * iteration: 4^5 over the five. What enters is the gradient's own error
 * (GRAD_TOL of its size) and each iteration's three products (about 11 u
 * each, and amplified only by the iterations after it; 40 u in all covers
 * them). Muon's step is lr sqrt(max(1, rows/cols)) times the result, and
 * the bound adds up over the steps, each starting from the last one's
 * rounding (test_model.c's AdamW bound grows with the steps alike). It is
 * a worst case: the printed share shows how far inside it Muon lands. */
#define NS_GAIN 1024.0
#define NS_ROUND (40 * U_FP32)

/* ---- tests/fixtures/reference_modern.bin ---- */

struct reference {
    int32_t L, NH, C, ctx, B, T, steps, first_step;
    int32_t norm, pos, qk_norm, act, head, bigram, optim;
    float softcap;
    float lr, beta1, beta2, eps, wd, max_norm, muon_lr;
    uint64_t N, n_dense;
    uint32_t n_rows, *rows;
    uint8_t *inputs, *targets; /* (steps, B, T) */
    float *params0, loss, *grads, *losses, *norms, *mus, *params; /* params0, grads, params: all N */
};

static int read_exact(FILE *f, void *p, size_t n)
{
    return fread(p, 1, n, f) == n;
}

/* Reads the dense part and the listed bigram rows into x (N floats,
 * zero elsewhere: the rows the file leaves out are zero). */
static int read_sparse(FILE *f, const struct reference *r, float *x)
{
    memset(x, 0, r->N * sizeof *x);
    if (!read_exact(f, x, r->n_dense * 4))
        return 0;
    for (uint32_t i = 0; i < r->n_rows; i++)
        if (r->rows[i] >= BG_BIGRAM_ROWS || !read_exact(f, x + r->n_dense + (size_t)r->rows[i] * r->C, r->C * 4))
            return 0;
    return 1;
}

static int read_header(FILE *f, struct reference *r)
{
    char magic[8];
    return read_exact(f, magic, 8) && memcmp(magic, "BGREF02", 8) == 0 && read_exact(f, &r->L, 8 * 4) &&
           read_exact(f, &r->norm, 7 * 4) && read_exact(f, &r->softcap, 4) && read_exact(f, &r->lr, 7 * 4) &&
           read_exact(f, &r->N, 8) && read_exact(f, &r->n_dense, 8) && read_exact(f, &r->n_rows, 4) &&
           r->n_dense + (uint64_t)BG_BIGRAM_ROWS * r->C == r->N && r->n_rows <= BG_BIGRAM_ROWS && r->steps > 0;
}

static int load_reference(struct reference *r)
{
    FILE *f = fopen(BG_FIXTURES "/reference_modern.bin", "rb");
    if (!f)
        return 0;
    int ok = read_header(f, r);
    if (ok) {
        size_t bt = (size_t)r->steps * r->B * r->T, n = r->N, s = (size_t)r->steps;
        r->rows = malloc(r->n_rows * 4 + 1);
        r->inputs = malloc(bt);
        r->targets = malloc(bt);
        r->params0 = malloc(n * 4);
        r->grads = malloc(n * 4);
        r->params = malloc(n * 4);
        r->losses = malloc(3 * s * 4);
        ok = r->rows && r->inputs && r->targets && r->params0 && r->grads && r->params && r->losses &&
             read_exact(f, r->rows, r->n_rows * 4) && read_exact(f, r->inputs, bt) && read_exact(f, r->targets, bt) &&
             read_sparse(f, r, r->params0) && read_exact(f, &r->loss, 4) && read_sparse(f, r, r->grads) &&
             read_exact(f, r->losses, 3 * s * 4) && read_sparse(f, r, r->params);
        r->norms = r->losses ? r->losses + s : NULL;
        r->mus = r->losses ? r->losses + 2 * s : NULL;
    }
    fclose(f);
    return ok;
}

static void free_reference(struct reference *r)
{
    free(r->rows), free(r->inputs), free(r->targets), free(r->params0);
    free(r->grads), free(r->params), free(r->losses);
}

static struct bg_config reference_config(const struct reference *r)
{
    struct bg_config c = {.L = (size_t)r->L, .NH = (size_t)r->NH, .C = (size_t)r->C, .ctx = (size_t)r->ctx,
                          .V = 256, .norm = r->norm, .pos = r->pos, .qk_norm = r->qk_norm, .act = r->act,
                          .head = r->head, .bigram = r->bigram, .softcap = r->softcap};
    return c;
}

/* ---- Helpers ---- */

enum { T_LMHEAD = 16, T_BIGRAM = 17 };

static double max_abs(const float *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

/* What one step of the trainer needs beside the model (train.c's
 * trainer_step under --optim muon --bigram on): AdamW's view of the layout
 * (Muon's matrices at size 0), Muon's scratch, the bigram row set and the
 * table's packed gradient. */
struct stepper {
    struct bg_tensor t[BG_N_TENSORS], adamw_t[BG_N_TENSORS];
    struct bg_adamw opt;
    float *scratch, *packed;
    void *rows_mem;
    struct bg_bigram_rows rows;
};

static int stepper_init(struct stepper *s, const struct bg_config *c, const struct reference *r)
{
    model_tensors(c, s->t);
    trainer_adamw_view(r->optim, s->t, s->adamw_t);
    s->opt = (struct bg_adamw){r->beta1, r->beta2, r->eps, r->wd};
    s->scratch = malloc(muon_scratch_floats(s->t) * sizeof(float) + 1);
    s->packed = malloc((size_t)r->B * r->T * r->C * sizeof(float));
    s->rows_mem = calloc(1, bigram_rows_bytes());
    if (s->rows_mem)
        bigram_rows_init(&s->rows, s->rows_mem);
    return s->scratch && s->packed && s->rows_mem;
}

static void stepper_free(struct stepper *s)
{
    free(s->scratch), free(s->packed), free(s->rows_mem);
}

/* Zero grads, forward, backward on one batch; the loss. The bigram rows
 * the batch touches are listed, as the trainer lists them. */
static double forward_backward(struct bg_model *m, struct stepper *s, const uint8_t *in, const uint8_t *tg,
                               const struct reference *r)
{
    model_zero_grad(m);
    bigram_rows_clear(&s->rows);
    bigram_rows_mark(&s->rows, in, (size_t)r->B, (size_t)r->T);
    double loss = model_forward(m, in, tg, (size_t)r->B, (size_t)r->T);
    model_backward(m, 1.0f);
    return loss;
}

/* Clip and update, step number `step` (from 1), as the trainer does: the
 * table's gradient packed, the norm over both parts, AdamW for the dense
 * tensors but Muon's, Muon for each layer's matrix of its targets, and
 * sparse Adam for the listed bigram rows. Returns the norm before clipping. */
static double clip_and_update(struct bg_model *m, struct stepper *s, const struct reference *r, uint64_t step)
{
    size_t C = (size_t)r->C, dense = config_dense_params(&m->cfg), packed = s->rows.n * C;
    bigram_rows_gather(&s->rows, m->g.bigram, s->packed, C);
    double norm = adamw_clip_parts(m->grads, dense, s->packed, packed, r->max_norm);
    adamw_update(&s->opt, s->adamw_t, m->params, m->grads, m->m, m->v, r->lr, step);
    if (r->optim == BG_OPT_MUON) {
        struct bg_muon mu = {r->muon_lr, (float)muon_momentum(step - 1), r->wd};
        muon_step(&mu, s->t, m->params, m->grads, m->m, s->scratch);
    }
    adamw_update_rows(&s->opt, &s->t[T_BIGRAM], s->rows.list, s->rows.n, m->params, s->packed, m->m, m->v, r->lr,
                      step);
    return norm;
}

/* ---- Tests ---- */

static struct reference ref;
static int loaded;

/* The fixture's settings give the layout PyTorch's block has. */
static void test_layout(void)
{
    CHECK(loaded);
    if (!loaded)
        return;
    struct bg_config c = reference_config(&ref);
    struct bg_error err;
    CHECK(config_validate(&c, &err) == BG_OK);
    CHECK(!config_is_gpt2(&c));
    CHECK(config_num_params(&c) == ref.N);
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(&c, t);
    CHECK(t[T_BIGRAM].offset == ref.n_dense);
    CHECK(t[1].size == 0 && t[3].size == 0 && t[9].size == 0 && t[15].size == 0); /* wpe, ln1b, ln2b, lnfb */
    CHECK(t[T_LMHEAD].size == 256 * c.C && t[T_LMHEAD].decay == 1);
    CHECK(t[T_BIGRAM].decay == 0 && config_dense_params(&c) == ref.n_dense);
    CHECK(ref.optim == BG_OPT_MUON);
    struct bg_tensor view[BG_N_TENSORS]; /* AdamW's: no table, no Muon matrix */
    trainer_adamw_view(ref.optim, t, view);
    CHECK(view[T_BIGRAM].size == 0 && view[4].size == 0 && view[T_LMHEAD].size == t[T_LMHEAD].size);
}

/* Muon's momentum warms up from 0.85 to 0.95 over 300 steps; the fixture's
 * steps are inside the warmup. muon_momentum counts updates done (0 for
 * the first), the fixture numbers steps from 1. */
static void test_momentum(void)
{
    CHECK(loaded);
    for (int s = 0; loaded && s < ref.steps; s++)
        CHECK_NEAR(muon_momentum((uint64_t)(ref.first_step - 1 + s)), ref.mus[s], U_FP32);
    CHECK_NEAR(muon_momentum(0), 0.85, 1e-12);
    CHECK_NEAR(muon_momentum(300), 0.95, 1e-12);
    CHECK_NEAR(muon_momentum(100000), 0.95, 1e-12);
}

static void test_loss_and_grads(void)
{
    CHECK(loaded);
    if (!loaded)
        return;
    struct bg_config c = reference_config(&ref);
    struct bg_model m;
    struct bg_error err;
    CHECK(model_init(&m, &c, (size_t)ref.B, &err) == BG_OK);
    memcpy(m.params, ref.params0, ref.N * 4);
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(&c, t);

    double loss = model_forward(&m, ref.inputs, ref.targets, (size_t)ref.B, (size_t)ref.T);
    model_zero_grad(&m);
    model_backward(&m, 1.0f);
    printf("  loss %.9f, PyTorch (float64) %.9f\n", loss, ref.loss);
    CHECK_NEAR(loss, ref.loss, LOSS_REL * ref.loss);
    for (int i = 0; i < BG_N_TENSORS; i++) {
        if (t[i].size == 0)
            continue;
        double scale = max_abs(ref.grads + t[i].offset, t[i].size), worst = 0;
        for (size_t j = 0; j < t[i].size; j++)
            worst = fmax(worst, fabs(m.grads[t[i].offset + j] - ref.grads[t[i].offset + j]));
        printf("  grad %-9s max |ref| %.3e, max |diff| %.3e (%.2e relative)\n", t[i].name, scale, worst, worst / scale);
        CHECK(worst <= GRAD_TOL * scale);
    }
    /* A bigram row no position used has no gradient at all. */
    size_t stray = 0;
    for (size_t j = ref.n_dense; j < ref.N; j++)
        stray += ref.grads[j] == 0 && m.grads[j] != 0;
    CHECK(stray == 0);
    model_free(&m);
}

/* For the steps' comparison: flags[j] set when component j's gradient
 * was nonzero but below 1e-3 of its tensor's largest at some step, where
 * fp32 noise may flip the direction Adam takes (test_model.c says why). An
 * exact zero is a bigram row the step did not touch, not noise. */
static void mark_small(const struct bg_tensor t[BG_N_TENSORS], const float *g, uint8_t *flags)
{
    for (int i = 0; i < BG_N_TENSORS; i++) {
        double scale = max_abs(g + t[i].offset, t[i].size);
        for (size_t j = t[i].offset; j < t[i].offset + t[i].size; j++)
            flags[j] |= g[j] != 0 && fabs(g[j]) < 1e-3 * scale;
    }
}

/* The parameters after the steps: Muon's tensors within the Newton-Schulz
 * bound, the others as in test_model.c, and the bigram rows no batch
 * touched exactly where they were, moments too. */
static void check_params(const struct bg_model *m, const struct bg_tensor t[BG_N_TENSORS], const uint8_t *small)
{
    double worst_good = 0, worst_small = 0, worst_muon = 0, muon_bound = 0;
    for (int i = 0; i < BG_N_TENSORS; i++) {
        int muon = ref.optim == BG_OPT_MUON && muon_is_target(&t[i]);
        double bound = 0;
        if (muon) {
            double tall = t[i].rows > t[i].cols ? sqrt((double)t[i].rows / t[i].cols) : 1.0;
            bound = ref.muon_lr * tall * ref.steps * NS_GAIN * (GRAD_TOL + NS_ROUND);
        }
        for (size_t j = t[i].offset; j < t[i].offset + t[i].size; j++) {
            double d = fabs(m->params[j] - ref.params[j]);
            if (muon) {
                worst_muon = fmax(worst_muon, d / bound);
                muon_bound = fmax(muon_bound, bound);
            } else if (small[j]) {
                worst_small = fmax(worst_small, d);
            } else {
                worst_good = fmax(worst_good, d);
            }
        }
    }
    printf("  params after %d steps: Muon's %.2e of their bound (up to %.2e), AdamW's max |diff| %.3e, "
           "near-zero-gradient components %.3e\n",
           ref.steps, worst_muon, muon_bound, worst_good, worst_small);
    CHECK(worst_muon <= 1.0);
    CHECK(worst_good <= ref.lr * ref.steps * 1000 * GRAD_TOL);
    CHECK(worst_small <= 2 * ref.lr * ref.steps);
    size_t moved = 0;
    for (size_t j = ref.n_dense; j < ref.N; j++)
        moved += ref.params[j] == 0 && ref.params0[j] == 0 && (m->params[j] != 0 || m->m[j] != 0 || m->v[j] != 0);
    CHECK(moved == 0);
}

static void test_steps(void)
{
    CHECK(loaded);
    if (!loaded)
        return;
    struct bg_config c = reference_config(&ref);
    struct bg_model m;
    struct bg_error err;
    struct stepper st;
    int ok = model_init(&m, &c, (size_t)ref.B, &err) == BG_OK;
    CHECK(ok);
    if (!ok)
        return;
    memcpy(m.params, ref.params0, ref.N * 4);
    uint8_t *small = calloc(ref.N, 1);
    int ready = stepper_init(&st, &c, &ref) && small;
    CHECK(ready);
    size_t bt = (size_t)ref.B * ref.T;
    for (int s = 0; ready && s < ref.steps; s++) {
        const uint8_t *in = ref.inputs + s * bt, *tg = ref.targets + s * bt;
        double l = forward_backward(&m, &st, in, tg, &ref);
        mark_small(st.t, m.grads, small);
        double norm = clip_and_update(&m, &st, &ref, (uint64_t)(ref.first_step + s));
        printf("  step %d: loss %.7f (ref %.7f), norm %.7f (ref %.7f), %zu bigram rows\n", ref.first_step + s, l,
               ref.losses[s], norm, ref.norms[s], st.rows.n);
        CHECK_NEAR(l, ref.losses[s], LOSS_REL * ref.losses[s]);
        CHECK_NEAR(norm, ref.norms[s], GRAD_TOL * ref.norms[s]);
    }
    if (ready)
        check_params(&m, st.t, small);
    stepper_free(&st);
    free(small);
    model_free(&m);
}

int main(void)
{
    loaded = load_reference(&ref);
    RUN_TEST(test_layout);
    RUN_TEST(test_momentum);
    RUN_TEST(test_loss_and_grads);
    RUN_TEST(test_steps);
    free_reference(&ref);
    return TEST_EXIT();
}
