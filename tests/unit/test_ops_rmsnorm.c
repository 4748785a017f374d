/* Tests for ops_layernorm's RMSNorm (a file of its own beside
 * test_ops_layernorm.c, which holds LayerNorm's): the fast kernels
 * against their double-precision twins within derived fp32 bounds, the
 * backward against finite differences, and determinism. See gradcheck.h
 * for how tolerances are chosen. */
#include "bytegpt/ops_layernorm.h"

#include <omp.h>

#include "test.h"
#include "gradcheck.h"

struct shape {
    size_t BT, C;
};

/* A single row, a single channel, C not a multiple of 16, and a
 * model-sized row; two random shapes follow. */
static const struct shape fixed_shapes[] = {
    {1, 1}, {1, 13}, {5, 20}, {7, 64}, {33, 96}, {128, 384},
};
#define N_FIXED (sizeof(fixed_shapes) / sizeof(fixed_shapes[0]))
#define N_SHAPES (N_FIXED + 2)

static struct shape get_shape(size_t i, struct bg_rng *r)
{
    if (i < N_FIXED)
        return fixed_shapes[i];
    struct shape s = {rand_size(r, 1, 64), rand_size(r, 1, 100)};
    return s;
}

/* Three kinds of rows: centred; shifted far from zero (RMSNorm does not
 * subtract the mean, so nothing should change there); and tiny (values
 * about 1e-3, mean square 1e-6, below eps), where eps decides rstd. */
enum rows { CENTRED, SHIFTED, TINY };
static const char *rows_name[] = {"centred", "shifted", "tiny"};

static void fill_rows(float *x, size_t n, struct bg_rng *r, enum rows kind)
{
    if (kind == CENTRED)
        fill_uniform(x, n, r, -1, 1);
    else if (kind == SHIFTED)
        fill_uniform(x, n, r, 2, 4);
    else
        fill_uniform(x, n, r, -2e-3f, 2e-3f);
}

/* ---- Bounds ----
 *
 * Forward, for one row, with exact q = sum x_i^2 / C + eps and
 * s = 1 / sqrt(q): q is a sum of C positive terms, each rounded once as a
 * product and at most C - 1 times in the sums (a dot product: gamma(C)),
 * then divided by C and added to eps: relative error gamma(C + 2). The
 * square root halves it; sqrtf and the division add two roundings, so
 * rstd is within rho = gamma(C + 2) / 2 + gamma(3) relatively (one u to
 * spare for the second-order terms). out_i = (x_i * rstd) * w_i adds two
 * roundings: |x_i w_i| s (rho + gamma(3)). The twin adds u |ref|. */
static void forward_bounds(double *tol_out, double *tol_rstd, const float *inp, const float *weight,
                           const float *ref_out, struct shape s)
{
    size_t C = s.C;
    double rho = gam((double)C + 2) / 2 + gam(3);
    for (size_t r = 0; r < s.BT; r++) {
        const float *x = inp + r * C;
        double q = 0.0;
        for (size_t i = 0; i < C; i++)
            q += (double)x[i] * x[i];
        double rs = 1.0 / sqrt(q / (double)C + (double)BG_LN_EPS);
        tol_rstd[r] = rs * (rho + U32);
        for (size_t i = 0; i < C; i++)
            tol_out[r * C + i] = fabs((double)x[i] * weight[i]) * rs * (rho + gam(3)) +
                                 U32 * fabs(ref_out[r * C + i]);
    }
}

/* Backward, given the same inputs (rstd included) to both kernels, with
 * exact xhat_i = x_i s and dnorm_i = w_i dout_i:
 * - M = mean(dnorm xhat): three roundings per term (two products and
 *   theirs), C - 1 additions and the division: gamma(C + 3) sum|dnorm xhat| / C.
 * - dinp_i = prior + s (dnorm_i - (x_i s) M): on the longest path M's
 *   gamma(C + 3), then two products, the subtraction, the product with s
 *   and the addition to prior: gamma(C + 8) (s A_i + |prior|), with
 *   A_i = |dnorm_i| + |xhat_i| sum |dnorm xhat| / C.
 * - dweight_i = prior + sum_r dout (x s): two roundings per term and BT
 *   additions: gamma(BT + 2) (sum_r |dout xhat| + |prior|).
 * - When rstd is itself a rounded value of the exact one (in_err = u, in
 *   the finite-difference test), each of the three factors of s in dinp
 *   and the one in dweight is off by in_err relatively: in_err (3 s A_i)
 *   and in_err sum_r |dout xhat|.
 * The twin adds u |ref| to each. */
static void backward_bounds(double *tol_dinp, double *tol_dw, const float *dout, const float *inp,
                            const float *weight, const float *rstd, const float *prior_dinp,
                            const float *prior_dw, const float *ref_dinp, const float *ref_dw,
                            double in_err, struct shape s)
{
    size_t BT = s.BT, C = s.C;
    double *abs_dw = dbuf(C);
    for (size_t r = 0; r < BT; r++) {
        const float *x = inp + r * C, *dy = dout + r * C;
        double sr = rstd[r], abs_dnorm_xhat = 0.0;
        for (size_t i = 0; i < C; i++) {
            double xhat = x[i] * sr;
            abs_dnorm_xhat += fabs((double)weight[i] * dy[i] * xhat);
            abs_dw[i] += fabs(dy[i] * xhat);
        }
        for (size_t i = 0; i < C; i++) {
            double xhat = x[i] * sr, dnorm = (double)weight[i] * dy[i];
            double a = fabs(dnorm) + fabs(xhat) * abs_dnorm_xhat / (double)C;
            double prior = prior_dinp ? fabs(prior_dinp[r * C + i]) : 0.0;
            tol_dinp[r * C + i] = gam((double)C + 8) * (sr * a + prior) + in_err * 3 * sr * a +
                                  U32 * fabs(ref_dinp[r * C + i]);
        }
    }
    for (size_t i = 0; i < C; i++) {
        double pw = prior_dw ? fabs(prior_dw[i]) : 0.0;
        tol_dw[i] = gam((double)BT + 2) * (abs_dw[i] + pw) + in_err * abs_dw[i] + U32 * fabs(ref_dw[i]);
    }
    free(abs_dw);
}

/* ---- Fast against twin ---- */

static void test_forward_matches_ref(void)
{
    struct bg_rng rng;
    rng_seed(&rng, 1, 30);
    for (size_t n = 0; n < N_SHAPES; n++) {
        struct shape s = get_shape(n, &rng);
        size_t BT = s.BT, C = s.C;
        for (int kind = CENTRED; kind <= TINY; kind++) {
            float *inp = fbuf(BT * C), *w = fbuf(C), *out = fbuf(BT * C), *rstd = fbuf(BT);
            float *ref_out = fbuf(BT * C), *ref_rstd = fbuf(BT);
            double *tol_out = dbuf(BT * C), *tol_rstd = dbuf(BT);
            fill_rows(inp, BT * C, &rng, (enum rows)kind);
            fill_uniform(w, C, &rng, 0.5f, 1.5f);
            rmsnorm_forward(out, rstd, inp, w, BT, C);
            rmsnorm_forward_ref(ref_out, ref_rstd, inp, w, BT, C);
            forward_bounds(tol_out, tol_rstd, inp, w, ref_out, s);
            char what[96];
            snprintf(what, sizeof what, "rstd BT=%zu C=%zu %s", BT, C, rows_name[kind]);
            check_close(what, rstd, ref_rstd, tol_rstd, BT);
            snprintf(what, sizeof what, "out BT=%zu C=%zu %s", BT, C, rows_name[kind]);
            check_close(what, out, ref_out, tol_out, BT * C);
            free(inp), free(w), free(out), free(rstd), free(ref_out), free(ref_rstd);
            free(tol_out), free(tol_rstd);
        }
    }
}

static void test_backward_matches_ref(void)
{
    struct bg_rng rng;
    rng_seed(&rng, 2, 30);
    for (size_t n = 0; n < N_SHAPES; n++) {
        struct shape s = get_shape(n, &rng);
        size_t BT = s.BT, C = s.C;
        for (int kind = CENTRED; kind <= TINY; kind++) {
            float *inp = fbuf(BT * C), *w = fbuf(C), *dout = fbuf(BT * C), *out = fbuf(BT * C);
            float *rstd = fbuf(BT), *prior_dinp = fbuf(BT * C), *prior_dw = fbuf(C);
            float *dinp = fbuf(BT * C), *dw = fbuf(C), *ref_dinp = fbuf(BT * C), *ref_dw = fbuf(C);
            double *tol_dinp = dbuf(BT * C), *tol_dw = dbuf(C);
            fill_rows(inp, BT * C, &rng, (enum rows)kind);
            fill_uniform(w, C, &rng, 0.5f, 1.5f);
            fill_uniform(dout, BT * C, &rng, -1, 1);
            fill_uniform(prior_dinp, BT * C, &rng, -1, 1);
            fill_uniform(prior_dw, C, &rng, -1, 1);
            rmsnorm_forward(out, rstd, inp, w, BT, C);
            memcpy(dinp, prior_dinp, BT * C * sizeof(float));
            memcpy(dw, prior_dw, C * sizeof(float));
            memcpy(ref_dinp, prior_dinp, BT * C * sizeof(float));
            memcpy(ref_dw, prior_dw, C * sizeof(float));
            rmsnorm_backward(dinp, dw, dout, inp, w, rstd, BT, C);
            rmsnorm_backward_ref(ref_dinp, ref_dw, dout, inp, w, rstd, BT, C);
            backward_bounds(tol_dinp, tol_dw, dout, inp, w, rstd, prior_dinp, prior_dw, ref_dinp, ref_dw,
                            0.0, s);
            char what[96];
            snprintf(what, sizeof what, "dinp BT=%zu C=%zu %s", BT, C, rows_name[kind]);
            check_close(what, dinp, ref_dinp, tol_dinp, BT * C);
            snprintf(what, sizeof what, "dweight BT=%zu C=%zu %s", BT, C, rows_name[kind]);
            check_close(what, dw, ref_dw, tol_dw, C);
            free(inp), free(w), free(dout), free(out), free(rstd), free(prior_dinp), free(prior_dw);
            free(dinp), free(dw), free(ref_dinp), free(ref_dw), free(tol_dinp), free(tol_dw);
        }
    }
}

/* By hand, on x = (3, 4), w = (1, 2): mean square 12.5, so rstd =
 * 1 / sqrt(12.5 + 1e-5) and out = (3 rstd, 8 rstd), within the forward's
 * bounds (rho, above, with C = 2). */
static void test_known_values(void)
{
    float x[2] = {3, 4}, w[2] = {1, 2}, out[2], rstd[1];
    rmsnorm_forward(out, rstd, x, w, 1, 2);
    double s = 1.0 / sqrt(12.5 + 1e-5), rho = gam(4) / 2 + gam(3);
    CHECK_NEAR(rstd[0], s, rho * s);
    CHECK_NEAR(out[0], 3 * s, (rho + gam(3)) * 3 * s);
    CHECK_NEAR(out[1], 8 * s, (rho + gam(3)) * 8 * s);
}

/* ---- Finite differences ---- */

struct rms_ctx {
    float *out, *rstd;
    const float *inp, *weight;
    struct shape s;
};

static void rms_forward(void *p)
{
    struct rms_ctx *c = p;
    rmsnorm_forward_ref(c->out, c->rstd, c->inp, c->weight, c->s.BT, c->s.C);
}

static void test_backward_finite_differences(void)
{
    static const struct shape shapes[] = {{1, 13}, {3, 5}, {4, 20}, {2, 2}, {2, 1}};
    struct bg_rng rng;
    rng_seed(&rng, 3, 30);
    for (size_t n = 0; n < sizeof shapes / sizeof shapes[0]; n++) {
        struct shape s = shapes[n];
        size_t BT = s.BT, C = s.C;
        for (int kind = CENTRED; kind <= SHIFTED; kind++) {
            float *inp = fbuf(BT * C), *w = fbuf(C), *R = fbuf(BT * C), *out = fbuf(BT * C);
            float *rstd = fbuf(BT), *fd_out = fbuf(BT * C), *fd_rstd = fbuf(BT);
            double *tol_dinp = dbuf(BT * C), *tol_dw = dbuf(C);
            fill_rows(inp, BT * C, &rng, (enum rows)kind);
            fill_uniform(w, C, &rng, 0.5f, 1.5f);
            fill_uniform(R, BT * C, &rng, -1, 1);
            /* Tiny rows are left out: a step of h = 1e-2 is ten times
             * their values. The analytic gradients use the twin's rstd,
             * within u of exact: in_err = u in the bounds. */
            rmsnorm_forward_ref(out, rstd, inp, w, BT, C);
            struct rms_ctx ctx = {fd_out, fd_rstd, inp, w, s};
            struct fd_problem p = {rms_forward, &ctx, fd_out, BT * C, R, 0.0};
            for (int twin = 0; twin < 2; twin++) {
                float *dinp = fbuf(BT * C), *dw = fbuf(C);
                (twin ? rmsnorm_backward_ref : rmsnorm_backward)(dinp, dw, R, inp, w, rstd, BT, C);
                backward_bounds(tol_dinp, tol_dw, R, inp, w, rstd, NULL, NULL, dinp, dw, U32, s);
                char what[96];
                const char *name = twin ? "_ref" : "";
                snprintf(what, sizeof what, "fd%s dinp BT=%zu C=%zu %s", name, BT, C, rows_name[kind]);
                fd_check(what, &p, inp, BT * C, dinp, tol_dinp, 1e-2);
                snprintf(what, sizeof what, "fd%s dweight BT=%zu C=%zu %s", name, BT, C, rows_name[kind]);
                fd_check(what, &p, w, C, dw, tol_dw, 1e-2);
                free(dinp), free(dw);
            }
            free(inp), free(w), free(R), free(out), free(rstd), free(fd_out), free(fd_rstd);
            free(tol_dinp), free(tol_dw);
        }
    }
}

/* ---- Determinism ---- */

/* Every sum runs in an order fixed by the shapes alone (rows whole, columns
 * in fixed blocks), so the bits do not depend on the number of threads. */
static void test_same_bits_any_thread_count(void)
{
    size_t BT = 200, C = 150;
    struct bg_rng rng;
    rng_seed(&rng, 4, 30);
    float *inp = fbuf(BT * C), *w = fbuf(C), *dout = fbuf(BT * C);
    float *out[2], *rstd[2], *dinp[2], *dw[2];
    fill_uniform(inp, BT * C, &rng, -1, 1);
    fill_uniform(w, C, &rng, 0.5f, 1.5f);
    fill_uniform(dout, BT * C, &rng, -1, 1);
    int threads = omp_get_max_threads();
    for (int k = 0; k < 2; k++) {
        omp_set_num_threads(k == 0 ? 1 : (threads > 1 ? threads : 2));
        out[k] = fbuf(BT * C), rstd[k] = fbuf(BT), dinp[k] = fbuf(BT * C), dw[k] = fbuf(C);
        rmsnorm_forward(out[k], rstd[k], inp, w, BT, C);
        rmsnorm_backward(dinp[k], dw[k], dout, inp, w, rstd[k], BT, C);
    }
    omp_set_num_threads(threads);
    check_same("out, 1 thread and several", out[0], out[1], BT * C);
    check_same("rstd, 1 thread and several", rstd[0], rstd[1], BT);
    check_same("dinp, 1 thread and several", dinp[0], dinp[1], BT * C);
    check_same("dweight, 1 thread and several", dw[0], dw[1], C);
    for (int k = 0; k < 2; k++)
        free(out[k]), free(rstd[k]), free(dinp[k]), free(dw[k]);
    free(inp), free(w), free(dout);
}

int main(void)
{
    RUN_TEST(test_forward_matches_ref);
    RUN_TEST(test_backward_matches_ref);
    RUN_TEST(test_known_values);
    RUN_TEST(test_backward_finite_differences);
    RUN_TEST(test_same_bits_any_thread_count);
    return TEST_EXIT();
}
