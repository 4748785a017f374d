/* Tests for ops_matmul: the sgemm kernels against their double-precision
 * twins within derived fp32 bounds, the backward against finite
 * differences, and determinism. See gradcheck.h for how tolerances are
 * chosen. */
#include "bytegpt/ops_matmul.h"

#include "test.h"
#include "gradcheck.h"

struct shape {
    size_t BT, C, OC;
};

/* Odd sizes on purpose: a single row, a single channel, sizes that are not
 * multiples of the SIMD width or of BLAS's blocks, and one large enough for
 * sgemm's blocked, multi-threaded path. Three random shapes follow. */
static const struct shape fixed_shapes[] = {
    {1, 1, 1}, {1, 13, 7}, {5, 13, 20}, {7, 20, 13}, {3, 1, 9}, {33, 96, 65}, {64, 128, 192},
};
#define N_FIXED (sizeof(fixed_shapes) / sizeof(fixed_shapes[0]))
#define N_SHAPES (N_FIXED + 3)

static struct shape get_shape(size_t i, struct bg_rng *r)
{
    if (i < N_FIXED)
        return fixed_shapes[i];
    struct shape s = {rand_size(r, 1, 48), rand_size(r, 1, 80), rand_size(r, 1, 80)};
    return s;
}

/* Bounds for the forward. out[r][o] is a dot product of length C plus the
 * bias, which sgemm adds as beta * out: C + 1 roundings at most, so
 *     |fast - exact| <= gamma(C + 1) (sum_c |inp[r][c] weight[o][c]| + |bias[o]|),
 * and the twin adds u |ref|. */
static void forward_bounds(double *tol, const float *inp, const float *weight, const float *bias,
                           const float *ref, struct shape s)
{
    for (size_t r = 0; r < s.BT; r++) {
        for (size_t o = 0; o < s.OC; o++) {
            double abs_sum = bias ? fabs(bias[o]) : 0.0;
            for (size_t c = 0; c < s.C; c++)
                abs_sum += fabs((double)inp[r * s.C + c] * weight[o * s.C + c]);
            tol[r * s.OC + o] = gam((double)s.C + 1) * abs_sum + U32 * fabs(ref[r * s.OC + o]);
        }
    }
}

/* Bounds for the backward, by the same rule: each gradient is a dot
 * product (length OC for dinp, BT for dweight and dbias) added to the value
 * the gradient held before (prior, NULL for zero), one more rounding:
 *     dinp:    gamma(OC + 1) (sum_o |dout[r][o] weight[o][c]| + |prior|)
 *     dweight: gamma(BT + 1) (sum_r |dout[r][o] inp[r][c]|   + |prior|)
 *     dbias:   gamma(BT + 1) (sum_r |dout[r][o]|             + |prior|)
 * plus u |ref| for the twin. */
static void backward_bounds(double *tol_dinp, double *tol_dw, double *tol_db, const float *dout,
                            const float *inp, const float *weight, const float *prior_dinp,
                            const float *prior_dw, const float *prior_db, const float *ref_dinp,
                            const float *ref_dw, const float *ref_db, struct shape s)
{
    size_t BT = s.BT, C = s.C, OC = s.OC;
    for (size_t r = 0; r < BT; r++) {
        for (size_t c = 0; c < C; c++) {
            double a = prior_dinp ? fabs(prior_dinp[r * C + c]) : 0.0;
            for (size_t o = 0; o < OC; o++)
                a += fabs((double)dout[r * OC + o] * weight[o * C + c]);
            tol_dinp[r * C + c] = gam((double)OC + 1) * a + U32 * fabs(ref_dinp[r * C + c]);
        }
    }
    for (size_t o = 0; o < OC; o++) {
        for (size_t c = 0; c < C; c++) {
            double a = prior_dw ? fabs(prior_dw[o * C + c]) : 0.0;
            for (size_t r = 0; r < BT; r++)
                a += fabs((double)dout[r * OC + o] * inp[r * C + c]);
            tol_dw[o * C + c] = gam((double)BT + 1) * a + U32 * fabs(ref_dw[o * C + c]);
        }
        double a = prior_db ? fabs(prior_db[o]) : 0.0;
        for (size_t r = 0; r < BT; r++)
            a += fabs(dout[r * OC + o]);
        tol_db[o] = gam((double)BT + 1) * a + U32 * fabs(ref_db[o]);
    }
}

static void test_forward_matches_ref(void)
{
    struct bg_rng rng;
    rng_seed(&rng, 1, 1);
    for (size_t i = 0; i < N_SHAPES; i++) {
        struct shape s = get_shape(i, &rng);
        float *inp = fbuf(s.BT * s.C), *w = fbuf(s.OC * s.C), *bias = fbuf(s.OC);
        float *out = fbuf(s.BT * s.OC), *ref = fbuf(s.BT * s.OC);
        double *tol = dbuf(s.BT * s.OC);
        fill_uniform(inp, s.BT * s.C, &rng, -1, 1);
        fill_uniform(w, s.OC * s.C, &rng, -1, 1);
        fill_uniform(bias, s.OC, &rng, -1, 1);
        char what[96];
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            const float *b = with_bias ? bias : NULL;
            /* NaN in out first: sgemm with beta = 0 must not read it. */
            for (size_t k = 0; k < s.BT * s.OC; k++)
                out[k] = NAN;
            matmul_forward(out, inp, w, b, s.BT, s.C, s.OC);
            matmul_forward_ref(ref, inp, w, b, s.BT, s.C, s.OC);
            forward_bounds(tol, inp, w, b, ref, s);
            snprintf(what, sizeof what, "out BT=%zu C=%zu OC=%zu%s", s.BT, s.C, s.OC,
                     with_bias ? "" : " no bias");
            check_close(what, out, ref, tol, s.BT * s.OC);
        }
        free(inp), free(w), free(bias), free(out), free(ref), free(tol);
    }
}

/* The projection that writes into the residual stream: out = residual +
 * inp . w^T + bias. The product's C terms, the bias and the residual are
 * C + 2 terms summed in some order: gamma(C + 2) times the sum of their
 * magnitudes, plus u |ref| for the twin. A kernel that dropped the
 * residual, or added it twice, misses by about |residual| ~ 1. */
static void test_forward_residual_matches_ref(void)
{
    struct bg_rng rng;
    rng_seed(&rng, 5, 1);
    for (size_t i = 0; i < N_SHAPES; i++) {
        struct shape s = get_shape(i, &rng);
        size_t n = s.BT * s.OC;
        float *inp = fbuf(s.BT * s.C), *w = fbuf(s.OC * s.C), *bias = fbuf(s.OC), *res = fbuf(n);
        float *out = fbuf(n), *ref = fbuf(n);
        double *tol = dbuf(n);
        fill_uniform(inp, s.BT * s.C, &rng, -1, 1);
        fill_uniform(w, s.OC * s.C, &rng, -1, 1);
        fill_uniform(bias, s.OC, &rng, -1, 1);
        fill_uniform(res, n, &rng, -1, 1);
        for (int with_bias = 0; with_bias < 2; with_bias++) {
            const float *b = with_bias ? bias : NULL;
            for (size_t k = 0; k < n; k++)
                out[k] = NAN; /* out is written, never read */
            matmul_forward_residual(out, inp, w, b, res, s.BT, s.C, s.OC);
            matmul_forward_residual_ref(ref, inp, w, b, res, s.BT, s.C, s.OC);
            for (size_t r = 0; r < s.BT; r++) {
                for (size_t o = 0; o < s.OC; o++) {
                    double a = fabs(res[r * s.OC + o]) + (b ? fabs(b[o]) : 0.0);
                    for (size_t c = 0; c < s.C; c++)
                        a += fabs((double)inp[r * s.C + c] * w[o * s.C + c]);
                    tol[r * s.OC + o] = gam((double)s.C + 2) * a + U32 * fabs(ref[r * s.OC + o]);
                }
            }
            char what[96];
            snprintf(what, sizeof what, "out + residual BT=%zu C=%zu OC=%zu%s", s.BT, s.C, s.OC,
                     with_bias ? "" : " no bias");
            check_close(what, out, ref, tol, n);
        }
        free(inp), free(w), free(bias), free(res), free(out), free(ref), free(tol);
    }
}

static void test_backward_matches_ref(void)
{
    struct bg_rng rng;
    rng_seed(&rng, 2, 1);
    for (size_t i = 0; i < N_SHAPES; i++) {
        struct shape s = get_shape(i, &rng);
        size_t BT = s.BT, C = s.C, OC = s.OC;
        float *inp = fbuf(BT * C), *w = fbuf(OC * C), *dout = fbuf(BT * OC);
        float *prior_dinp = fbuf(BT * C), *prior_dw = fbuf(OC * C), *prior_db = fbuf(OC);
        float *dinp = fbuf(BT * C), *dw = fbuf(OC * C), *db = fbuf(OC);
        float *ref_dinp = fbuf(BT * C), *ref_dw = fbuf(OC * C), *ref_db = fbuf(OC);
        double *tol_dinp = dbuf(BT * C), *tol_dw = dbuf(OC * C), *tol_db = dbuf(OC);
        fill_uniform(inp, BT * C, &rng, -1, 1);
        fill_uniform(w, OC * C, &rng, -1, 1);
        fill_uniform(dout, BT * OC, &rng, -1, 1);
        /* Gradients that already hold something, to test that the
         * backward adds to them. */
        fill_uniform(prior_dinp, BT * C, &rng, -1, 1);
        fill_uniform(prior_dw, OC * C, &rng, -1, 1);
        fill_uniform(prior_db, OC, &rng, -1, 1);
        memcpy(dinp, prior_dinp, BT * C * sizeof(float));
        memcpy(dw, prior_dw, OC * C * sizeof(float));
        memcpy(db, prior_db, OC * sizeof(float));
        memcpy(ref_dinp, prior_dinp, BT * C * sizeof(float));
        memcpy(ref_dw, prior_dw, OC * C * sizeof(float));
        memcpy(ref_db, prior_db, OC * sizeof(float));
        matmul_backward(dinp, dw, db, dout, inp, w, BT, C, OC);
        matmul_backward_ref(ref_dinp, ref_dw, ref_db, dout, inp, w, BT, C, OC);
        backward_bounds(tol_dinp, tol_dw, tol_db, dout, inp, w, prior_dinp, prior_dw, prior_db,
                        ref_dinp, ref_dw, ref_db, s);
        char what[96];
        snprintf(what, sizeof what, "dinp BT=%zu C=%zu OC=%zu", BT, C, OC);
        check_close(what, dinp, ref_dinp, tol_dinp, BT * C);
        snprintf(what, sizeof what, "dweight BT=%zu C=%zu OC=%zu", BT, C, OC);
        check_close(what, dw, ref_dw, tol_dw, OC * C);
        snprintf(what, sizeof what, "dbias BT=%zu C=%zu OC=%zu", BT, C, OC);
        check_close(what, db, ref_db, tol_db, OC);

        /* Without a bias, dbias is NULL and the rest is unchanged. */
        memcpy(dinp, prior_dinp, BT * C * sizeof(float));
        memcpy(dw, prior_dw, OC * C * sizeof(float));
        memcpy(ref_dinp, prior_dinp, BT * C * sizeof(float));
        memcpy(ref_dw, prior_dw, OC * C * sizeof(float));
        matmul_backward(dinp, dw, NULL, dout, inp, w, BT, C, OC);
        matmul_backward_ref(ref_dinp, ref_dw, NULL, dout, inp, w, BT, C, OC);
        snprintf(what, sizeof what, "dinp, dbias NULL, BT=%zu C=%zu OC=%zu", BT, C, OC);
        check_close(what, dinp, ref_dinp, tol_dinp, BT * C);

        /* matmul_backward_into overwrites dinp, NaN included, and adds to
         * dweight and dbias as matmul_backward does: against the twin from
         * a zero dinp, with the bounds for no prior. */
        for (size_t k = 0; k < BT * C; k++)
            dinp[k] = NAN;
        memset(ref_dinp, 0, BT * C * sizeof(float));
        memcpy(dw, prior_dw, OC * C * sizeof(float));
        memcpy(db, prior_db, OC * sizeof(float));
        memcpy(ref_dw, prior_dw, OC * C * sizeof(float));
        memcpy(ref_db, prior_db, OC * sizeof(float));
        matmul_backward_into(dinp, dw, db, dout, inp, w, BT, C, OC);
        matmul_backward_ref(ref_dinp, ref_dw, ref_db, dout, inp, w, BT, C, OC);
        backward_bounds(tol_dinp, tol_dw, tol_db, dout, inp, w, NULL, prior_dw, prior_db, ref_dinp, ref_dw,
                        ref_db, s);
        snprintf(what, sizeof what, "into: dinp BT=%zu C=%zu OC=%zu", BT, C, OC);
        check_close(what, dinp, ref_dinp, tol_dinp, BT * C);
        snprintf(what, sizeof what, "into: dweight BT=%zu C=%zu OC=%zu", BT, C, OC);
        check_close(what, dw, ref_dw, tol_dw, OC * C);
        snprintf(what, sizeof what, "into: dbias BT=%zu C=%zu OC=%zu", BT, C, OC);
        check_close(what, db, ref_db, tol_db, OC);
        snprintf(what, sizeof what, "dweight, dbias NULL, BT=%zu C=%zu OC=%zu", BT, C, OC);
        check_close(what, dw, ref_dw, tol_dw, OC * C);

        free(inp), free(w), free(dout), free(prior_dinp), free(prior_dw), free(prior_db);
        free(dinp), free(dw), free(db), free(ref_dinp), free(ref_dw), free(ref_db);
        free(tol_dinp), free(tol_dw), free(tol_db);
    }
}

/* The finite-difference objective: L = sum out * R with out from the twin. */
struct mm_ctx {
    float *out;
    const float *inp, *weight, *bias;
    struct shape s;
};

static void mm_forward(void *p)
{
    struct mm_ctx *c = p;
    matmul_forward_ref(c->out, c->inp, c->weight, c->bias, c->s.BT, c->s.C, c->s.OC);
}

static void test_backward_finite_differences(void)
{
    /* The matmul is linear in each input, so D(h) has no truncation error
     * and the check is as tight as the rounding allows. */
    static const struct shape shapes[] = {{1, 13, 7}, {4, 5, 3}, {3, 20, 9}};
    struct bg_rng rng;
    rng_seed(&rng, 3, 1);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        struct shape s = shapes[i];
        size_t BT = s.BT, C = s.C, OC = s.OC;
        float *inp = fbuf(BT * C), *w = fbuf(OC * C), *bias = fbuf(OC), *out = fbuf(BT * OC);
        float *R = fbuf(BT * OC);
        fill_uniform(inp, BT * C, &rng, -1, 1);
        fill_uniform(w, OC * C, &rng, -1, 1);
        fill_uniform(bias, OC, &rng, -1, 1);
        fill_uniform(R, BT * OC, &rng, -1, 1);
        for (int twin = 0; twin < 2; twin++) {
            float *dinp = fbuf(BT * C), *dw = fbuf(OC * C), *db = fbuf(OC);
            double *tol_dinp = dbuf(BT * C), *tol_dw = dbuf(OC * C), *tol_db = dbuf(OC);
            (twin ? matmul_backward_ref : matmul_backward)(dinp, dw, db, R, inp, w, BT, C, OC);
            backward_bounds(tol_dinp, tol_dw, tol_db, R, inp, w, NULL, NULL, NULL, dinp, dw, db,
                            s);
            struct mm_ctx ctx = {out, inp, w, bias, s};
            struct fd_problem p = {mm_forward, &ctx, out, BT * OC, R, 0.0};
            char what[96];
            const char *name = twin ? "_ref" : "";
            snprintf(what, sizeof what, "fd%s dinp BT=%zu C=%zu OC=%zu", name, BT, C, OC);
            fd_check(what, &p, inp, BT * C, dinp, tol_dinp, 1e-2);
            snprintf(what, sizeof what, "fd%s dweight BT=%zu C=%zu OC=%zu", name, BT, C, OC);
            fd_check(what, &p, w, OC * C, dw, tol_dw, 1e-2);
            snprintf(what, sizeof what, "fd%s dbias BT=%zu C=%zu OC=%zu", name, BT, C, OC);
            fd_check(what, &p, bias, OC, db, tol_db, 1e-2);
            free(dinp), free(dw), free(db), free(tol_dinp), free(tol_dw), free(tol_db);
        }
        free(inp), free(w), free(bias), free(out), free(R);
    }
}

/* The same call twice gives the same bits: nothing depends on timing. */
static void test_deterministic(void)
{
    struct shape s = {96, 80, 130};
    size_t BT = s.BT, C = s.C, OC = s.OC;
    struct bg_rng rng;
    rng_seed(&rng, 4, 1);
    float *inp = fbuf(BT * C), *w = fbuf(OC * C), *bias = fbuf(OC), *dout = fbuf(BT * OC);
    float *out[2], *dinp[2], *dw[2], *db[2];
    fill_uniform(inp, BT * C, &rng, -1, 1);
    fill_uniform(w, OC * C, &rng, -1, 1);
    fill_uniform(bias, OC, &rng, -1, 1);
    fill_uniform(dout, BT * OC, &rng, -1, 1);
    for (int k = 0; k < 2; k++) {
        out[k] = fbuf(BT * OC), dinp[k] = fbuf(BT * C), dw[k] = fbuf(OC * C), db[k] = fbuf(OC);
        matmul_forward(out[k], inp, w, bias, BT, C, OC);
        matmul_backward(dinp[k], dw[k], db[k], dout, inp, w, BT, C, OC);
    }
    check_same("out, run twice", out[0], out[1], BT * OC);
    check_same("dinp, run twice", dinp[0], dinp[1], BT * C);
    check_same("dweight, run twice", dw[0], dw[1], OC * C);
    check_same("dbias, run twice", db[0], db[1], OC);
    for (int k = 0; k < 2; k++)
        free(out[k]), free(dinp[k]), free(dw[k]), free(db[k]);
    free(inp), free(w), free(bias), free(dout);
}

int main(void)
{
    RUN_TEST(test_forward_matches_ref);
    RUN_TEST(test_forward_residual_matches_ref);
    RUN_TEST(test_backward_matches_ref);
    RUN_TEST(test_backward_finite_differences);
    RUN_TEST(test_deterministic);
    return TEST_EXIT();
}
