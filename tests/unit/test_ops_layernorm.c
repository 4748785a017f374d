/* Tests for ops_layernorm: the fast kernels against their double-precision
 * twins within derived fp32 bounds, the backward against finite
 * differences, and determinism. See gradcheck.h for how tolerances are
 * chosen. */
#include "bytegpt/ops_layernorm.h"

#include <omp.h>

#include "test.h"
#include "gradcheck.h"

struct shape {
    size_t BT, C;
};

/* A single row, a single channel (zero variance), C not a multiple of 8,
 * and a model-sized row; two random shapes follow. */
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

/* Three kinds of rows: centred; shifted far from zero (mean 3, spread 1),
 * where a careless variance formula loses its digits; and nearly constant
 * (spread 1e-4, variance below eps), where eps decides rstd. */
enum rows { CENTRED, SHIFTED, FLAT };
static const char *rows_name[] = {"centred", "shifted", "flat"};

static void fill_rows(float *x, size_t n, struct bg_rng *r, enum rows kind)
{
    if (kind == CENTRED)
        fill_uniform(x, n, r, -1, 1);
    else if (kind == SHIFTED)
        fill_uniform(x, n, r, 2, 4);
    else
        fill_uniform(x, n, r, 0.5f, 0.5001f);
}

/* ---- Bounds ----
 *
 * Forward, for one row, with exact m = mean(x), d_i = x_i - m,
 * var = sum d_i^2 / C, r = 1 / sqrt(var + eps):
 * - mean: C - 1 additions and a division,
 *   dm = gamma(C) sum |x_i| / C.
 * - var: each d^_i = fl(x_i - m^) is within dm + u |d_i| of d_i, so d^_i^2
 *   is within 2 |d_i| (dm + u |d_i|) of d_i^2 (plus dm^2); the square, the
 *   C - 1 additions and the division add gamma(C + 1):
 *   dvar = (2 dm sum |d_i| + gamma(C + 3) sum d_i^2 + C dm^2) / C.
 * - rstd: relative error dvar / (2 (var + eps)) from the variance, plus
 *   the addition of eps (u/2), sqrtf and the division: rho = that + gamma(3).
 * - out_i = ((x_i - m^) * rstd^) * w_i + b_i, with three more roundings:
 *   |w_i| r (dm + |d_i| (rho + 4u)) + u |b_i|.
 * The twin adds u |ref| to each. */
static void forward_bounds(double *tol_out, double *tol_mean, double *tol_rstd, const float *inp,
                           const float *weight, const float *bias, const float *ref_out,
                           struct shape s)
{
    size_t C = s.C;
    for (size_t r = 0; r < s.BT; r++) {
        const float *x = inp + r * C;
        double m = 0.0, abs_sum = 0.0;
        for (size_t i = 0; i < C; i++) {
            m += x[i];
            abs_sum += fabs(x[i]);
        }
        m /= (double)C;
        double sum_abs_d = 0.0, sum_d2 = 0.0;
        for (size_t i = 0; i < C; i++) {
            sum_abs_d += fabs(x[i] - m);
            sum_d2 += (x[i] - m) * (x[i] - m);
        }
        double var = sum_d2 / (double)C;
        double rs = 1.0 / sqrt(var + (double)BG_LN_EPS);
        double dm = gam((double)C) * abs_sum / (double)C;
        double dvar = (2 * dm * sum_abs_d + gam((double)C + 3) * sum_d2 + (double)C * dm * dm) /
                      (double)C;
        double rho = dvar / (2 * (var + (double)BG_LN_EPS)) + gam(3);
        tol_mean[r] = dm + U32 * fabs(m);
        tol_rstd[r] = rs * (rho + U32);
        for (size_t i = 0; i < C; i++) {
            double d = fabs(x[i] - m);
            tol_out[r * C + i] = fabs(weight[i]) * rs * (dm + d * (rho + 4 * U32)) +
                                 U32 * fabs(bias[i]) + U32 * fabs(ref_out[r * C + i]);
        }
    }
}

/* Backward, given the same inputs (mean and rstd included) to both
 * kernels, with exact xhat_i = (x_i - m) s and dnorm_i = w_i dout_i:
 * - dinp_i = prior + s (dnorm_i - mean(dnorm) - xhat_i mean(dnorm xhat)).
 *   Counting roundings along the longest path: mean(dnorm) has C + 1 (the
 *   products, C - 1 additions, the division), mean(dnorm xhat) has C + 4
 *   (xhat's two, the two products, the sum, the division), its product
 *   with xhat_i C + 7, then two subtractions, the multiply by s and the add
 *   to prior: gamma(C + 10) (s A_i + |prior|), with
 *   A_i = |dnorm_i| + sum |dnorm| / C + |xhat_i| sum |dnorm xhat| / C.
 * - dweight_i = prior + sum_r dout xhat: three roundings per term and BT
 *   additions: gamma(BT + 3) (sum_r |dout xhat| + |prior|).
 * - dbias_i = prior + sum_r dout: gamma(BT) (sum_r |dout| + |prior|).
 * - When mean and rstd are themselves rounded values of the exact ones
 *   (in_err = u, in the finite-difference test), xhat is off by up to
 *   in_err (s |m| + |xhat|) and s by in_err s; their effect is added.
 * The twin adds u |ref| to each. */
static void backward_bounds(double *tol_dinp, double *tol_dw, double *tol_db, const float *dout,
                            const float *inp, const float *weight, const float *mean,
                            const float *rstd, const float *prior_dinp, const float *prior_dw,
                            const float *prior_db, const float *ref_dinp, const float *ref_dw,
                            const float *ref_db, double in_err, struct shape s)
{
    size_t BT = s.BT, C = s.C;
    /* Per column: sum_r |dout xhat|, the input-error part, sum_r |dout|. */
    double *abs_dw = dbuf(C), *in_dw = dbuf(C), *abs_db = dbuf(C);
    for (size_t r = 0; r < BT; r++) {
        const float *x = inp + r * C, *dy = dout + r * C;
        double m = mean[r], sr = rstd[r];
        double abs_dnorm = 0.0, abs_dnorm_xhat = 0.0, dnorm_xhat = 0.0, dnorm_xerr = 0.0;
        for (size_t i = 0; i < C; i++) {
            double xhat = (x[i] - m) * sr, dnorm = (double)weight[i] * dy[i];
            double xerr = in_err * (sr * fabs(m) + fabs(xhat));
            abs_dnorm += fabs(dnorm);
            abs_dnorm_xhat += fabs(dnorm * xhat);
            dnorm_xhat += dnorm * xhat;
            dnorm_xerr += fabs(dnorm) * xerr;
            abs_dw[i] += fabs(dy[i] * xhat);
            in_dw[i] += fabs(dy[i]) * xerr;
            abs_db[i] += fabs(dy[i]);
        }
        for (size_t i = 0; i < C; i++) {
            double xhat = (x[i] - m) * sr, dnorm = (double)weight[i] * dy[i];
            double xerr = in_err * (sr * fabs(m) + fabs(xhat));
            double a = fabs(dnorm) + abs_dnorm / (double)C + fabs(xhat) * abs_dnorm_xhat / (double)C;
            double from_inputs = in_err * sr * a + sr * xerr * fabs(dnorm_xhat) / (double)C +
                                 sr * fabs(xhat) * dnorm_xerr / (double)C;
            double prior = prior_dinp ? fabs(prior_dinp[r * C + i]) : 0.0;
            tol_dinp[r * C + i] = gam((double)C + 10) * (sr * a + prior) + from_inputs +
                                  U32 * fabs(ref_dinp[r * C + i]);
        }
    }
    for (size_t i = 0; i < C; i++) {
        double pw = prior_dw ? fabs(prior_dw[i]) : 0.0, pb = prior_db ? fabs(prior_db[i]) : 0.0;
        tol_dw[i] = gam((double)BT + 3) * (abs_dw[i] + pw) + in_dw[i] + U32 * fabs(ref_dw[i]);
        tol_db[i] = gam((double)BT) * (abs_db[i] + pb) + U32 * fabs(ref_db[i]);
    }
    free(abs_dw), free(in_dw), free(abs_db);
}

/* ---- Fast against twin ---- */

static void test_forward_matches_ref(void)
{
    struct bg_rng rng;
    rng_seed(&rng, 1, 3);
    for (size_t n = 0; n < N_SHAPES; n++) {
        struct shape s = get_shape(n, &rng);
        size_t BT = s.BT, C = s.C;
        for (int kind = CENTRED; kind <= FLAT; kind++) {
            float *inp = fbuf(BT * C), *w = fbuf(C), *b = fbuf(C);
            float *out = fbuf(BT * C), *mean = fbuf(BT), *rstd = fbuf(BT);
            float *ref_out = fbuf(BT * C), *ref_mean = fbuf(BT), *ref_rstd = fbuf(BT);
            double *tol_out = dbuf(BT * C), *tol_mean = dbuf(BT), *tol_rstd = dbuf(BT);
            fill_rows(inp, BT * C, &rng, (enum rows)kind);
            fill_uniform(w, C, &rng, 0.5f, 1.5f);
            fill_uniform(b, C, &rng, -1, 1);
            layernorm_forward(out, mean, rstd, inp, w, b, BT, C);
            layernorm_forward_ref(ref_out, ref_mean, ref_rstd, inp, w, b, BT, C);
            forward_bounds(tol_out, tol_mean, tol_rstd, inp, w, b, ref_out, s);
            char what[96];
            snprintf(what, sizeof what, "mean BT=%zu C=%zu %s", BT, C, rows_name[kind]);
            check_close(what, mean, ref_mean, tol_mean, BT);
            snprintf(what, sizeof what, "rstd BT=%zu C=%zu %s", BT, C, rows_name[kind]);
            check_close(what, rstd, ref_rstd, tol_rstd, BT);
            snprintf(what, sizeof what, "out BT=%zu C=%zu %s", BT, C, rows_name[kind]);
            check_close(what, out, ref_out, tol_out, BT * C);
            free(inp), free(w), free(b), free(out), free(mean), free(rstd);
            free(ref_out), free(ref_mean), free(ref_rstd), free(tol_out), free(tol_mean),
                free(tol_rstd);
        }
    }
}

static void test_backward_matches_ref(void)
{
    struct bg_rng rng;
    rng_seed(&rng, 2, 3);
    for (size_t n = 0; n < N_SHAPES; n++) {
        struct shape s = get_shape(n, &rng);
        size_t BT = s.BT, C = s.C;
        for (int kind = CENTRED; kind <= FLAT; kind++) {
            float *inp = fbuf(BT * C), *w = fbuf(C), *b = fbuf(C), *dout = fbuf(BT * C);
            float *out = fbuf(BT * C), *mean = fbuf(BT), *rstd = fbuf(BT);
            float *prior_dinp = fbuf(BT * C), *prior_dw = fbuf(C), *prior_db = fbuf(C);
            float *dinp = fbuf(BT * C), *dw = fbuf(C), *db = fbuf(C);
            float *ref_dinp = fbuf(BT * C), *ref_dw = fbuf(C), *ref_db = fbuf(C);
            double *tol_dinp = dbuf(BT * C), *tol_dw = dbuf(C), *tol_db = dbuf(C);
            fill_rows(inp, BT * C, &rng, (enum rows)kind);
            fill_uniform(w, C, &rng, 0.5f, 1.5f);
            fill_uniform(b, C, &rng, -1, 1);
            fill_uniform(dout, BT * C, &rng, -1, 1);
            fill_uniform(prior_dinp, BT * C, &rng, -1, 1);
            fill_uniform(prior_dw, C, &rng, -1, 1);
            fill_uniform(prior_db, C, &rng, -1, 1);
            layernorm_forward(out, mean, rstd, inp, w, b, BT, C);
            memcpy(dinp, prior_dinp, BT * C * sizeof(float));
            memcpy(dw, prior_dw, C * sizeof(float));
            memcpy(db, prior_db, C * sizeof(float));
            memcpy(ref_dinp, prior_dinp, BT * C * sizeof(float));
            memcpy(ref_dw, prior_dw, C * sizeof(float));
            memcpy(ref_db, prior_db, C * sizeof(float));
            layernorm_backward(dinp, dw, db, dout, inp, w, mean, rstd, BT, C);
            layernorm_backward_ref(ref_dinp, ref_dw, ref_db, dout, inp, w, mean, rstd, BT, C);
            backward_bounds(tol_dinp, tol_dw, tol_db, dout, inp, w, mean, rstd, prior_dinp,
                            prior_dw, prior_db, ref_dinp, ref_dw, ref_db, 0.0, s);
            char what[96];
            snprintf(what, sizeof what, "dinp BT=%zu C=%zu %s", BT, C, rows_name[kind]);
            check_close(what, dinp, ref_dinp, tol_dinp, BT * C);
            snprintf(what, sizeof what, "dweight BT=%zu C=%zu %s", BT, C, rows_name[kind]);
            check_close(what, dw, ref_dw, tol_dw, C);
            snprintf(what, sizeof what, "dbias BT=%zu C=%zu %s", BT, C, rows_name[kind]);
            check_close(what, db, ref_db, tol_db, C);
            free(inp), free(w), free(b), free(dout), free(out), free(mean), free(rstd);
            free(prior_dinp), free(prior_dw), free(prior_db), free(dinp), free(dw), free(db);
            free(ref_dinp), free(ref_dw), free(ref_db), free(tol_dinp), free(tol_dw),
                free(tol_db);
        }
    }
}

/* ---- Finite differences ---- */

struct ln_ctx {
    float *out, *mean, *rstd;
    const float *inp, *weight, *bias;
    struct shape s;
};

static void ln_forward(void *p)
{
    struct ln_ctx *c = p;
    layernorm_forward_ref(c->out, c->mean, c->rstd, c->inp, c->weight, c->bias, c->s.BT, c->s.C);
}

static void test_backward_finite_differences(void)
{
    static const struct shape shapes[] = {{1, 13}, {3, 5}, {4, 20}, {2, 2}};
    struct bg_rng rng;
    rng_seed(&rng, 3, 3);
    for (size_t n = 0; n < sizeof shapes / sizeof shapes[0]; n++) {
        struct shape s = shapes[n];
        size_t BT = s.BT, C = s.C;
        for (int kind = CENTRED; kind <= SHIFTED; kind++) {
            float *inp = fbuf(BT * C), *w = fbuf(C), *b = fbuf(C), *R = fbuf(BT * C);
            float *out = fbuf(BT * C), *mean = fbuf(BT), *rstd = fbuf(BT);
            float *fd_out = fbuf(BT * C), *fd_mean = fbuf(BT), *fd_rstd = fbuf(BT);
            double *tol_dinp = dbuf(BT * C), *tol_dw = dbuf(C), *tol_db = dbuf(C);
            fill_rows(inp, BT * C, &rng, (enum rows)kind);
            fill_uniform(w, C, &rng, 0.5f, 1.5f);
            fill_uniform(b, C, &rng, -1, 1);
            fill_uniform(R, BT * C, &rng, -1, 1);
            /* Flat rows are left out: a step of h = 1e-2 is a hundred
             * times their spread. The analytic gradients use the twin's
             * mean and rstd, each within u of exact: in_err = u in the
             * bounds. */
            layernorm_forward_ref(out, mean, rstd, inp, w, b, BT, C);
            struct ln_ctx ctx = {fd_out, fd_mean, fd_rstd, inp, w, b, s};
            struct fd_problem p = {ln_forward, &ctx, fd_out, BT * C, R, 0.0};
            for (int twin = 0; twin < 2; twin++) {
                float *dinp = fbuf(BT * C), *dw = fbuf(C), *db = fbuf(C);
                (twin ? layernorm_backward_ref : layernorm_backward)(dinp, dw, db, R, inp, w, mean,
                                                                     rstd, BT, C);
                backward_bounds(tol_dinp, tol_dw, tol_db, R, inp, w, mean, rstd, NULL, NULL, NULL,
                                dinp, dw, db, U32, s);
                char what[96];
                const char *name = twin ? "_ref" : "";
                snprintf(what, sizeof what, "fd%s dinp BT=%zu C=%zu %s", name, BT, C,
                         rows_name[kind]);
                fd_check(what, &p, inp, BT * C, dinp, tol_dinp, 1e-2);
                snprintf(what, sizeof what, "fd%s dweight BT=%zu C=%zu %s", name, BT, C,
                         rows_name[kind]);
                fd_check(what, &p, w, C, dw, tol_dw, 1e-2);
                snprintf(what, sizeof what, "fd%s dbias BT=%zu C=%zu %s", name, BT, C,
                         rows_name[kind]);
                fd_check(what, &p, b, C, db, tol_db, 1e-2);
                free(dinp), free(dw), free(db);
            }
            free(inp), free(w), free(b), free(R), free(out), free(mean), free(rstd);
            free(fd_out), free(fd_mean), free(fd_rstd), free(tol_dinp), free(tol_dw),
                free(tol_db);
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
    rng_seed(&rng, 4, 3);
    float *inp = fbuf(BT * C), *w = fbuf(C), *b = fbuf(C), *dout = fbuf(BT * C);
    float *out[2], *mean[2], *rstd[2], *dinp[2], *dw[2], *db[2];
    fill_uniform(inp, BT * C, &rng, -1, 1);
    fill_uniform(w, C, &rng, 0.5f, 1.5f);
    fill_uniform(b, C, &rng, -1, 1);
    fill_uniform(dout, BT * C, &rng, -1, 1);
    int threads = omp_get_max_threads();
    for (int k = 0; k < 2; k++) {
        omp_set_num_threads(k == 0 ? 1 : (threads > 1 ? threads : 2));
        out[k] = fbuf(BT * C), mean[k] = fbuf(BT), rstd[k] = fbuf(BT);
        dinp[k] = fbuf(BT * C), dw[k] = fbuf(C), db[k] = fbuf(C);
        layernorm_forward(out[k], mean[k], rstd[k], inp, w, b, BT, C);
        layernorm_backward(dinp[k], dw[k], db[k], dout, inp, w, mean[k], rstd[k], BT, C);
    }
    omp_set_num_threads(threads);
    check_same("out, 1 thread and several", out[0], out[1], BT * C);
    check_same("mean, 1 thread and several", mean[0], mean[1], BT);
    check_same("rstd, 1 thread and several", rstd[0], rstd[1], BT);
    check_same("dinp, 1 thread and several", dinp[0], dinp[1], BT * C);
    check_same("dweight, 1 thread and several", dw[0], dw[1], C);
    check_same("dbias, 1 thread and several", db[0], db[1], C);
    for (int k = 0; k < 2; k++)
        free(out[k]), free(mean[k]), free(rstd[k]), free(dinp[k]), free(dw[k]), free(db[k]);
    free(inp), free(w), free(b), free(dout);
}

int main(void)
{
    RUN_TEST(test_forward_matches_ref);
    RUN_TEST(test_backward_matches_ref);
    RUN_TEST(test_backward_finite_differences);
    RUN_TEST(test_same_bits_any_thread_count);
    return TEST_EXIT();
}
