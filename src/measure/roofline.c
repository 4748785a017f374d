/* roofline: see roofline.h.
 *
 * The counts below are per micro-batch of B*T positions (the step runs
 * --accum of them) and follow the kernels model.c calls, as profile.c's
 * phases do. Bytes are 4 per float, each tensor counted once for every
 * time it must cross memory: read once, written once, both for one that
 * is updated in place (+=). Operations count each multiply, add,
 * subtraction, division, square root, comparison and bit operation on a
 * float as one; ROOFLINE_EXP_OPS is ops_expf's count (the clamp, the
 * split of x, Horner's rule, the exponent bits). */
#include "bytegpt/roofline.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/arena.h"
#include "bytegpt/clock.h"
#include "bytegpt/muon.h"
#include "bytegpt/ops_attention.h"
#include "bytegpt/ops_matmul.h"
#include "core/ops_vec.h"

#define ROOFLINE_EXP_OPS 28.0
#define F 4.0 /* bytes per float */

/* ---- Bandwidth ---- */

/* reps sweeps y += x over n floats each: 12 bytes per element cross
 * memory (x read, y read and written). Each thread sweeps its own share
 * reps times over, with no barrier between sweeps, so that a share small
 * enough for a core's cache stays there, as a kernel's data would. */
static void sweeps(float *y, const float *x, size_t n, size_t reps)
{
#pragma omp parallel
    {
        size_t id = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
        size_t i0 = n * id / nt, i1 = n * (id + 1) / nt;
        for (size_t k = 0; k < reps; k++)
            for (size_t i = i0; i < i1; i++)
                y[i] += x[i];
    }
}

/* The best bytes per second of sweeps over two buffers of bytes/2 each,
 * repeated to move at least 256 MB per timing, so that each takes a few
 * milliseconds or more. */
static double bandwidth_at(float *buf, size_t bytes)
{
    size_t n = bytes / 2 / sizeof(float), reps = 1 + ((size_t)256 << 20) / (12 * n);
    float *x = buf, *y = buf + n;
    sweeps(y, x, n, 1); /* first touch, and the threads woken */
    double best = 0.0;
    for (int r = 0; r < ROOFLINE_REPS; r++) {
        double t0 = clock_now();
        sweeps(y, x, n, reps);
        double bw = 12.0 * (double)n * (double)reps / (clock_now() - t0);
        best = bw > best ? bw : best;
    }
    return best;
}

static int measure_bandwidth(struct bg_roofline *r, struct bg_error *err)
{
    struct bg_arena a;
    size_t largest = (size_t)256 << 20; /* far above any L3 of today */
    int rc = arena_init(&a, largest, err);
    if (rc)
        return rc;
    float *buf = arena_carve(&a, largest);
    memset(buf, 0, largest);
    for (int i = 0; i < ROOFLINE_N_SIZES; i++) {
        r->bw_size[i] = largest >> (2 * (ROOFLINE_N_SIZES - 1 - i)); /* 256 KB, 1 MB, ... 256 MB */
        r->bw[i] = bandwidth_at(buf, r->bw_size[i]);
    }
    arena_free(&a);
    return BG_OK;
}

double roofline_bandwidth(const struct bg_roofline *r, double bytes)
{
    for (int i = 0; i < ROOFLINE_N_SIZES; i++)
        if ((double)r->bw_size[i] >= bytes)
            return r->bw[i];
    return r->bw[ROOFLINE_N_SIZES - 1];
}

/* ---- Vector arithmetic ---- */

/* VEC_CHAINS independent vectors of multiply-then-add, iters times: enough
 * chains in flight to cover the latency of each operation, so the loop
 * runs at the units' throughput. Returns a sum so nothing is optimised
 * away. 2 operations per element per iteration. */
#define VEC_CHAINS 16

VECTOR_CLONES
static float vector_loop(size_t iters, float seed)
{
    float acc[VEC_CHAINS * VEC_LANES];
    for (size_t j = 0; j < VEC_CHAINS * VEC_LANES; j++)
        acc[j] = seed + (float)j * 1e-3f;
    for (size_t it = 0; it < iters; it++)
        for (size_t j = 0; j < VEC_CHAINS * VEC_LANES; j++)
            acc[j] = acc[j] * 0.999f + 1e-3f;
    return vec_sum(acc, VEC_CHAINS * VEC_LANES);
}

/* Best of ROOFLINE_REPS timings of a few milliseconds each (2 million
 * iterations of 512 operations per thread): long enough that waking the
 * threads and the odd interruption by other programs do not count. */
static double measure_vector_ops(void)
{
    size_t iters = 2000000;
    double best = 0.0;
    volatile float sink = 0.0f;
    for (int r = 0; r < ROOFLINE_REPS + 1; r++) {
        int threads = 1;
        double t0 = clock_now();
#pragma omp parallel reduction(+ : sink)
        {
            threads = omp_get_num_threads();
            sink += vector_loop(iters, (float)omp_get_thread_num());
        }
        double ops = 2.0 * VEC_CHAINS * VEC_LANES * (double)iters * threads / (clock_now() - t0);
        best = r > 0 && ops > best ? ops : best;
    }
    return best;
}

/* ---- Matrix products alone ---- */

enum product { MM_FORWARD, MM_BACKWARD, ATT_FORWARD, ATT_BACKWARD };

/* One product (or one attention's products) of kind k, shape i of p->mm,
 * on the profile's scratch, with no bias and no softmax. */
static void run_product(struct bg_profile *p, enum product k, int i)
{
    size_t BT = p->B * p->T, C = p->cfg.C, NH = p->cfg.NH;
    const struct bg_matmul_shape *s = &p->mm[i];
    if (k == MM_FORWARD)
        matmul_forward(p->y, p->x, p->w, NULL, BT, s->C, s->OC);
    else if (k == MM_BACKWARD)
        matmul_backward_into(p->dx, p->dw, NULL, p->y, p->x, p->w, BT, s->C, s->OC);
    else if (k == ATT_FORWARD)
        attention_forward_products(p->y, p->att, p->x, p->B, p->T, C, NH);
    else
        attention_backward_products(p->dx, p->datt, p->y, p->x, p->att, p->B, p->T, C, NH);
}

static double best_product(struct bg_profile *p, enum product k, int i)
{
    run_product(p, k, i); /* warm the caches and the threads */
    double best = 1e30;
    for (int r = 0; r < ROOFLINE_REPS; r++) {
        double t0 = clock_now();
        run_product(p, k, i);
        double dt = clock_now() - t0;
        best = dt < best ? dt : best;
    }
    return best;
}

/* Under --optim muon, each layer's Newton-Schulz iteration of each Muon
 * matrix, best of ROOFLINE_REPS per shape (after an untimed one), on the
 * profile's scratch. The iteration's copies (of A and of x, for sgemm's
 * beta term) are timed with it: they are a few percent of its bytes. */
static double best_newton_schulz(struct bg_profile *p, size_t rows, size_t cols)
{
    size_t r = rows < cols ? rows : cols, c = rows < cols ? cols : rows;
    double best = 1e30;
    for (int rep = 0; rep < ROOFLINE_REPS + 1; rep++) {
        double t0 = clock_now();
        muon_newton_schulz(p->ns, r, c, p->ns + r * c);
        double dt = clock_now() - t0;
        best = rep > 0 && dt < best ? dt : best;
    }
    return best;
}

static void time_muon(struct bg_roofline *r, struct bg_profile *p)
{
    for (int i = 0; i < BG_N_TENSORS && p->muon; i++)
        if (muon_is_target(&p->tensors[i]))
            r->products[BG_PH_MUON] +=
                (double)p->tensors[i].layers * best_newton_schulz(p, p->tensors[i].rows, p->tensors[i].cols);
}

static void time_products(struct bg_roofline *r, struct bg_profile *p)
{
    time_muon(r, p);
    double micro = (double)p->accum;
    for (int i = 0; i < BG_PROFILE_N_MATMULS; i++) {
        double n = micro * (double)p->mm[i].count;
        r->products[BG_PH_MATMUL_FWD] += n * best_product(p, MM_FORWARD, i);
        r->products[BG_PH_MATMUL_BWD] += n * best_product(p, MM_BACKWARD, i);
    }
    double layers = micro * (double)p->cfg.L;
    r->products[BG_PH_ATTN_FWD] = layers * best_product(p, ATT_FORWARD, 0);
    r->products[BG_PH_ATTN_BWD] = layers * best_product(p, ATT_BACKWARD, 0);
}

/* ---- Bytes and operations ---- */

/* Adds calls calls of one kernel to phase ph, each moving bytes and doing
 * ops (per call), times the micro-batches of a step. */
static void add(struct bg_roofline *r, int ph, double calls, double bytes, double ops)
{
    r->bytes[ph] += calls * bytes;
    r->ops[ph] += calls * ops;
    r->call_bytes[ph] = bytes > r->call_bytes[ph] ? bytes : r->call_bytes[ph];
}

/* What the matmuls do besides their products: the forward fills each
 * output row with the bias before the product adds to it (BT x OC
 * written), adding the residual stream's row where there is one (BT x OC
 * read, one add each); the backward sums dout's columns for dbias (BT x OC
 * read, one add each). */
static void matmul_costs(struct bg_roofline *r, const struct bg_profile *p, double BT)
{
    for (int i = 0; i < BG_PROFILE_N_MATMULS; i++) {
        const struct bg_matmul_shape *s = &p->mm[i];
        double n = (double)s->count, out = BT * (double)s->OC;
        if (s->bias || s->residual)
            add(r, BG_PH_MATMUL_FWD, n, F * out * (s->residual ? 2 : 1), s->residual ? out : 0.0);
        if (s->bias)
            add(r, BG_PH_MATMUL_BWD, n, F * out, out);
    }
}

/* The softmax of attention: per head, T (T + 1) / 2 scores that take part.
 * Forward: att (B,NH,T,T) written once, whole rows (the future as zeros);
 * per score a max, a subtraction, an exp, a sum and a multiply. Backward:
 * att read and datt written; per score a multiply-add for the dot, a
 * subtraction and a multiply. */
static void attention_costs(struct bg_roofline *r, const struct bg_profile *p)
{
    double heads = (double)(p->B * p->cfg.NH), T = (double)p->T, L = (double)p->cfg.L;
    double att = heads * T * T, causal = heads * T * (T + 1) / 2;
    add(r, BG_PH_ATTN_FWD, L, F * att, causal * (4 + ROOFLINE_EXP_OPS));
    add(r, BG_PH_ATTN_BWD, L, 2 * F * att, causal * 4);
}

/* The per-element kernels. LayerNorm (2L + 1 of them): forward reads x,
 * writes out (8 operations an element: mean, deviation, square, sum,
 * normalise, scale, shift); backward reads x and dout and updates dinp
 * (17: xhat, dnorm, two sums, the formula). RMSNorm instead: forward 4
 * (square, sum, scale, gain), backward 10 (the same reads and writes, one
 * sum fewer and no mean). GELU (L): forward reads x, writes out (10 + exp);
 * backward reads x and dout and writes dinp over dout (20 + exp); ReLU^2:
 * 3 and 4 (an add and a halving for relu, a square; its derivative).
 * Softmax and loss over V logits: forward reads and writes them in place
 * (5 + exp: max, subtraction, sum, scale), backward reads probs and updates
 * dlogits (3); the soft cap before it writes the logits and its tanh (6 +
 * exp) and its backward reads tanh and dout (3). Embedding: forward reads a
 * row of wte and of wpe and writes one (1 add); backward reads dout and
 * updates a row of each (2 adds); under rotary one table fewer; a bigram
 * row is one more read and add each way. */
static void pointwise_costs(struct bg_roofline *r, const struct bg_profile *p, double BT)
{
    const struct bg_config *m = &p->cfg;
    double C = (double)m->C, V = (double)m->V, L = (double)m->L;
    double act = BT * C, hidden = 4 * act, logits = BT * V, rms = m->norm == BG_NORM_RMS;
    double tables = (m->pos == BG_POS_ROTARY ? 1 : 2) + (m->bigram ? 1 : 0);
    add(r, BG_PH_LAYERNORM, 2 * L + 1, F * (2 * act + (rms ? 1 : 2) * BT), (rms ? 4 : 8) * act);
    add(r, BG_PH_LAYERNORM, 2 * L + 1, F * (4 * act + (rms ? 1 : 2) * BT), (rms ? 10 : 17) * act);
    if (m->act == BG_ACT_RELU2) {
        add(r, BG_PH_GELU, L, F * 2 * hidden, 3 * hidden);
        add(r, BG_PH_GELU, L, F * 3 * hidden, 4 * hidden);
    } else {
        add(r, BG_PH_GELU, L, F * 2 * hidden, (10 + ROOFLINE_EXP_OPS) * hidden);
        add(r, BG_PH_GELU, L, F * 3 * hidden, (20 + ROOFLINE_EXP_OPS) * hidden);
    }
    if (m->softcap > 0) {
        add(r, BG_PH_LOSS, 1, F * 3 * logits, (6 + ROOFLINE_EXP_OPS) * logits);
        add(r, BG_PH_LOSS, 1, F * 3 * logits, 3 * logits);
    }
    add(r, BG_PH_LOSS, 1, F * (2 * logits + BT), (5 + ROOFLINE_EXP_OPS) * logits);
    add(r, BG_PH_LOSS, 1, F * 3 * logits, 3 * logits);
    add(r, BG_PH_EMBED, 1, F * (tables + 1) * act, (tables - 1) * act);
    add(r, BG_PH_EMBED, 1, F * (2 * tables + 1) * act, tables * act);
}

/* QK-norm and rotary, in place on q and k (2 of qkv's 3 parts) before each
 * block's attention. QK-norm: forward reads and writes them (4 operations
 * an element: square, sum, scale, and the rstd per head); backward reads
 * them and updates their gradient (8). Rotary: forward reads and writes
 * them with the table's cos and sin (3 an element: two multiplies, an add);
 * backward the same, rotating the gradient back. */
static void attention_recipe_costs(struct bg_roofline *r, const struct bg_profile *p, double BT)
{
    double qk = 2 * BT * (double)p->cfg.C, L = (double)p->cfg.L;
    if (p->cfg.qk_norm) {
        add(r, BG_PH_ATTN_FWD, L, F * 2 * qk, 4 * qk);
        add(r, BG_PH_ATTN_BWD, L, F * 3 * qk, 8 * qk);
    }
    if (p->cfg.pos == BG_POS_ROTARY) {
        add(r, BG_PH_ATTN_FWD, L, F * 2 * qk, 3 * qk);
        add(r, BG_PH_ATTN_BWD, L, F * 2 * qk, 3 * qk);
    }
}

/* Under --optim muon, Muon's work besides its products, per parameter of
 * its matrices: the momentum reads g and buf and writes buf and the
 * iterate (4 operations: two multiplies, two adds); the norm reads the
 * iterate (a square and an add) and the scaling reads and writes it (1);
 * the update reads the parameter and the result and writes the parameter
 * (3: decay, step, subtraction). Returns the parameters Muon updates. */
static double muon_costs(struct bg_roofline *r, const struct bg_profile *p)
{
    double n = 0.0;
    for (int i = 0; i < BG_N_TENSORS && p->muon; i++)
        n += muon_is_target(&p->tensors[i]) ? (double)p->tensors[i].size : 0.0;
    if (n > 0)
        add(r, BG_PH_MUON, 1, F * (4 + 1 + 2 + 3) * n, (4 + 2 + 1 + 3) * n);
    return n;
}

/* Once per step: the clip reads every gradient once (a square and an add
 * each); AdamW reads parameter, gradient and both moments and writes
 * parameter and moments (about 16 operations: decay, two moments, their
 * corrections, the square root and the step), for every parameter Muon
 * does not update. Data: B (T + 1) bytes of text read, inputs and targets
 * written. */
static void step_costs(struct bg_roofline *r, const struct bg_profile *p)
{
    /* A bigram table is updated by the rows a step touched, which depend on
     * the text: they are left out (the dense parameters alone), so the
     * bound stays a lower bound. */
    double n = (double)config_dense_params(&p->cfg), text = (double)(p->B * (p->T + 1)), adamw = n - muon_costs(r, p);
    add(r, BG_PH_OPTIM, 1, F * n, 2 * n);
    add(r, BG_PH_OPTIM, 1, F * 7 * adamw, 16 * adamw);
    add(r, BG_PH_DATA, (double)p->accum, 3 * text, 0.0);
}

static void count_costs(struct bg_roofline *r, const struct bg_profile *p)
{
    double BT = (double)(p->B * p->T);
    matmul_costs(r, p, BT);
    attention_costs(r, p);
    attention_recipe_costs(r, p, BT);
    pointwise_costs(r, p, BT);
    for (int ph = 0; ph < BG_PH_OPTIM; ph++) {
        r->bytes[ph] *= (double)p->accum;
        r->ops[ph] *= (double)p->accum;
    }
    step_costs(r, p);
}

/* ---- The limits ---- */

/* Keeps in r the best of r and pass: the highest bandwidths and vector
 * rate, the shortest products. */
static void keep_best(struct bg_roofline *r, const struct bg_roofline *pass)
{
    for (int i = 0; i < ROOFLINE_N_SIZES; i++) {
        r->bw_size[i] = pass->bw_size[i];
        r->bw[i] = pass->bw[i] > r->bw[i] ? pass->bw[i] : r->bw[i];
    }
    r->vector_ops = pass->vector_ops > r->vector_ops ? pass->vector_ops : r->vector_ops;
    for (int ph = 0; ph < BG_N_PHASES; ph++)
        if (r->products[ph] == 0 || pass->products[ph] < r->products[ph])
            r->products[ph] = pass->products[ph];
}

/* The measurements, ROOFLINE_PASSES times over, keeping the best of each:
 * a program that takes a core for a second (on a shared machine) spoils
 * every try of one pass, but seldom those of all. */
static int measure_machine(struct bg_roofline *r, struct bg_profile *p, struct bg_error *err)
{
    for (int i = 0; i < ROOFLINE_PASSES; i++) {
        struct bg_roofline pass;
        memset(&pass, 0, sizeof pass);
        int rc = measure_bandwidth(&pass, err);
        if (rc)
            return rc;
        pass.vector_ops = measure_vector_ops();
        time_products(&pass, p);
        keep_best(r, &pass);
    }
    return BG_OK;
}

int roofline_measure(struct bg_roofline *r, struct bg_profile *p, struct bg_error *err)
{
    memset(r, 0, sizeof *r);
    int rc = measure_machine(r, p, err);
    if (rc)
        return rc;
    count_costs(r, p);
    for (int ph = 0; ph < BG_N_PHASES; ph++) {
        r->bandwidth[ph] = roofline_bandwidth(r, r->call_bytes[ph]);
        double memory = r->bytes[ph] / r->bandwidth[ph], arithmetic = r->ops[ph] / r->vector_ops;
        r->memory_bound[ph] = memory >= arithmetic;
        r->limit[ph] = r->products[ph] + (r->memory_bound[ph] ? memory : arithmetic);
        r->step_limit += r->limit[ph];
    }
    return BG_OK;
}

/* ---- The sgemm rate ---- */

double roofline_sgemm_gflops(int n, int reps)
{
    size_t nn = (size_t)n * (size_t)n;
    float *a = malloc(nn * sizeof(float)), *b = malloc(nn * sizeof(float)), *c = malloc(nn * sizeof(float));
    double best = 0;
    for (size_t i = 0; a && b && c && i < nn; i++) {
        a[i] = (float)(i % 7) * 0.1f;
        b[i] = (float)(i % 5) * 0.1f;
    }
    for (int r = 0; a && b && c && r < reps + 1; r++) {
        double t0 = clock_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double dt = clock_now() - t0, g = 2.0 * (double)nn * n / dt / 1e9;
        if (r > 0 && g > best) /* the first call warms caches and threads */
            best = g;
    }
    free(a);
    free(b);
    free(c);
    return best;
}
