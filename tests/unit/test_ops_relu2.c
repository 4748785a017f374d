/* Tests for ops_pointwise's ReLU^2 (a file of its own beside
 * test_ops_pointwise.c, which holds GELU, the residual and the
 * embeddings): the fast kernels against their double-precision twins, by
 * hand, and the backward against finite differences. See gradcheck.h for
 * how tolerances are chosen. */
#include "bytegpt/ops_pointwise.h"

#include "test.h"
#include "gradcheck.h"

/* Values worth testing by name: both zeros, tiny values either side (whose
 * square underflows), the kink's neighbours, and large ones. */
static const float specials[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-3f, -1e-3f, 1.0f, -1.0f, 1e3f, -1e3f, 1e15f};
#define N_SPECIALS (sizeof(specials) / sizeof(specials[0]))

static void fill_inputs(float *x, size_t n, struct bg_rng *r)
{
    fill_uniform(x, n, r, -4, 4);
    for (size_t i = 0; i < N_SPECIALS && i < n; i++)
        x[i] = specials[i];
}

/* ---- Fast against twin ----
 *
 * relu(x) = 0.5 (x + |x|) is exact (x or 0), so the forward's one rounding
 * is that of r * r, and the twin's r * r in double is exact (24-bit
 * significands give a 48-bit product) and rounded to float once: both are
 * the correctly rounded r^2, the same float. Likewise 2 r dout: 2 r is
 * exact, so the set form is one correctly rounded product, as the twin's
 * from zero. The add form rounds that product and then the sum:
 * gamma(2) (|2 r dout| + |prior|) from exact, plus u |ref| for the twin. */
static void test_matches_ref(void)
{
    static const size_t sizes[] = {1, 13, 1000, 100003};
    struct bg_rng rng;
    rng_seed(&rng, 1, 31);
    for (size_t n = 0; n < sizeof sizes / sizeof sizes[0]; n++) {
        size_t N = sizes[n];
        float *inp = fbuf(N), *out = fbuf(N), *ref = fbuf(N), *dout = fbuf(N), *prior = fbuf(N);
        float *dinp = fbuf(N), *ref_dinp = fbuf(N), *set = fbuf(N), *ref_set = fbuf(N);
        double *tol = dbuf(N), *zero = dbuf(N);
        fill_inputs(inp, N, &rng);
        fill_uniform(dout, N, &rng, -1, 1);
        fill_uniform(prior, N, &rng, -1, 1);
        relu2_forward(out, inp, N);
        relu2_forward_ref(ref, inp, N);
        char what[96];
        snprintf(what, sizeof what, "relu2 out N=%zu", N);
        check_same(what, out, ref, N);

        memcpy(dinp, prior, N * sizeof(float));
        memcpy(ref_dinp, prior, N * sizeof(float));
        relu2_backward(dinp, inp, dout, N);
        relu2_backward_ref(ref_dinp, inp, dout, N);
        for (size_t i = 0; i < N; i++) {
            double r = inp[i] > 0 ? inp[i] : 0;
            tol[i] = gam(2) * (fabs(2 * r * dout[i]) + fabs(prior[i])) + U32 * fabs(ref_dinp[i]);
        }
        snprintf(what, sizeof what, "relu2 dinp += N=%zu", N);
        check_close(what, dinp, ref_dinp, tol, N);

        for (size_t i = 0; i < N; i++)
            set[i] = NAN; /* must be overwritten, not read */
        relu2_backward_into(set, inp, dout, N);
        relu2_backward_ref(ref_set, inp, dout, N); /* ref_set starts at zero (calloc) */
        snprintf(what, sizeof what, "relu2 dinp = N=%zu", N);
        check_close(what, set, ref_set, zero, N);
        memcpy(set, dout, N * sizeof(float));
        relu2_backward_into(set, inp, set, N);
        snprintf(what, sizeof what, "relu2 dinp = in place N=%zu", N);
        check_close(what, set, ref_set, zero, N);
        free(inp), free(out), free(ref), free(dout), free(prior), free(dinp), free(ref_dinp);
        free(set), free(ref_set), free(tol), free(zero);
    }
}

/* By hand: relu(x)^2 and its slope 2 relu(x), zero at and left of the
 * kink; a NaN stays a NaN, so a broken activation cannot hide as 0. */
static void test_known_values(void)
{
    float x[5] = {-2.0f, 0.0f, 3.0f, 0.5f, NAN}, out[5], d[5] = {0}, one[5] = {1, 1, 1, 1, 1};
    relu2_forward(out, x, 5);
    relu2_backward(d, x, one, 5);
    CHECK(out[0] == 0.0f && out[1] == 0.0f && out[2] == 9.0f && out[3] == 0.25f);
    CHECK(d[0] == 0.0f && d[1] == 0.0f && d[2] == 6.0f && d[3] == 1.0f);
    CHECK(isnan(out[4]) && isnan(d[4]));
}

/* ---- Finite differences ---- */

struct relu2_ctx {
    float *out;
    const float *inp;
    size_t N;
};

static void relu2_fd_forward(void *p)
{
    struct relu2_ctx *c = p;
    relu2_forward_ref(c->out, c->inp, c->N);
}

/* relu^2 is a quadratic on each side of 0, so central differences are
 * exact in exact arithmetic (no x^3 term) wherever x -+ 2h stays on one
 * side; within 2h of the kink they are not, and Richardson's estimate of
 * the error does not hold there, so inputs keep |x| >= 3h. */
static void test_finite_differences(void)
{
    size_t N = 64;
    double h = 1e-2;
    struct bg_rng rng;
    rng_seed(&rng, 2, 31);
    float *inp = fbuf(N), *R = fbuf(N), *out = fbuf(N);
    double *tol = dbuf(N);
    fill_uniform(inp, N, &rng, -3, 3);
    for (size_t i = 0; i < N; i++)
        if (fabsf(inp[i]) < 3 * h)
            inp[i] = inp[i] < 0 ? -0.5f : 0.5f;
    fill_uniform(R, N, &rng, -1, 1);
    struct relu2_ctx ctx = {out, inp, N};
    struct fd_problem p = {relu2_fd_forward, &ctx, out, N, R, 0.0};
    for (int twin = 0; twin < 2; twin++) {
        float *dinp = fbuf(N);
        (twin ? relu2_backward_ref : relu2_backward)(dinp, inp, R, N);
        /* Both are the correctly rounded 2 r R (see above): u of it. */
        for (size_t i = 0; i < N; i++)
            tol[i] = U32 * fabs(dinp[i]);
        fd_check(twin ? "fd_ref relu2 dinp" : "fd relu2 dinp", &p, inp, N, dinp, tol, h);
        free(dinp);
    }
    free(inp), free(R), free(out), free(tol);
}

int main(void)
{
    RUN_TEST(test_matches_ref);
    RUN_TEST(test_known_values);
    RUN_TEST(test_finite_differences);
    return TEST_EXIT();
}
