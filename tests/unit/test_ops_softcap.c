/* Tests for ops_loss's logit soft-capping (a file of its own beside
 * test_ops_loss.c, which holds the cross-entropy's): the fast kernels
 * against their double-precision twins within derived bounds, by hand,
 * and the backward against finite differences. See gradcheck.h for how
 * tolerances are chosen. */
#include "bytegpt/ops_loss.h"

#include "test.h"
#include "gradcheck.h"

/* The fast kernels' tanh, in double, is within 3.4e-11 relatively plus a
 * few double roundings (its derivation is at cap_tanh in ops_loss.c);
 * glibc's tanh, in the twins, is within a few 1e-16. Both fit in: */
#define TANH_REL 4e-11

/* Values worth testing by name, in units of cap: both zeros, tiny ones
 * (where the naive (1 - e) / (1 + e) would cancel), the knee, deep
 * saturation, and values whose quotient by cap is beyond the clamp. */
static const float specials[] = {0.0f, -0.0f, 1e-30f, -1e-7f, 1e-3f, 1.0f, -1.0f, 20.0f, -25.0f, 1e30f, -1e30f};
#define N_SPECIALS (sizeof(specials) / sizeof(specials[0]))

static void fill_inputs(float *x, size_t n, float cap, struct bg_rng *r)
{
    fill_uniform(x, n, r, -3 * cap, 3 * cap);
    for (size_t i = 0; i < N_SPECIALS && i < n; i++)
        x[i] = specials[i] * cap;
    if (n > N_SPECIALS + 1) {
        x[N_SPECIALS] = INFINITY;
        x[N_SPECIALS + 1] = -INFINITY;
    }
}

/* ---- Fast against twin ----
 *
 * Forward: both compute tanh(z / cap) in double (within TANH_REL of each
 * other) and round it to float once, so th is within 2u + TANH_REL of
 * the twin's, relatively; out = cap * t is rounded once more in double
 * (2^-53, far inside TANH_REL's margin) and once to float: the same.
 *
 * Backward, with the same saved th, a = th^2 <= 1 and g = 1 - a: fl(a)
 * then fl(1 - fl(a)) is within gamma(2) (a + |g|) = gamma(2) of g, the
 * product with dout adds a rounding (gamma(3) |dout|), and the addition
 * to prior another: gamma(4) |dout| + u (|prior| + |dout g|). The set form
 * has no prior: gamma(3) |dout|. The twin adds u |ref|. */
static void backward_bounds(double *tol, const float *th, const float *dout, const float *prior,
                            const float *ref, double th_err, size_t N)
{
    for (size_t i = 0; i < N; i++) {
        double a = (double)th[i] * th[i], dy = fabs(dout[i]);
        double p = prior ? fabs(prior[i]) : 0.0;
        /* th itself within th_err |th| of what it stands for (finite
         * differences: the twin's rounded tanh) moves g by 2 a th_err. */
        tol[i] = (prior ? gam(4) : gam(3)) * dy + U32 * (p + dy * fabs(1 - a)) + dy * 2 * a * th_err +
                 U32 * fabs(ref[i]);
    }
}

static void test_matches_ref(void)
{
    static const size_t sizes[] = {1, 13, 1000, 100003};
    static const float caps[] = {30.0f, 1.0f};
    struct bg_rng rng;
    rng_seed(&rng, 1, 32);
    for (size_t c = 0; c < 2; c++) {
        for (size_t n = 0; n < sizeof sizes / sizeof sizes[0]; n++) {
            size_t N = sizes[n];
            float cap = caps[c];
            float *inp = fbuf(N), *out = fbuf(N), *th = fbuf(N), *ref = fbuf(N), *ref_th = fbuf(N);
            float *dout = fbuf(N), *prior = fbuf(N), *dinp = fbuf(N), *ref_dinp = fbuf(N);
            float *set = fbuf(N), *ref_set = fbuf(N);
            double *tol = dbuf(N), *tol_th = dbuf(N);
            fill_inputs(inp, N, cap, &rng);
            softcap_forward(out, th, inp, cap, N);
            softcap_forward_ref(ref, ref_th, inp, cap, N);
            for (size_t i = 0; i < N; i++) {
                tol_th[i] = (2 * U32 + TANH_REL) * fabs(ref_th[i]);
                tol[i] = (2 * U32 + TANH_REL) * fabs(ref[i]);
            }
            char what[96];
            snprintf(what, sizeof what, "softcap th cap=%g N=%zu", cap, N);
            check_close(what, th, ref_th, tol_th, N);
            snprintf(what, sizeof what, "softcap out cap=%g N=%zu", cap, N);
            check_close(what, out, ref, tol, N);

            fill_uniform(dout, N, &rng, -1, 1);
            fill_uniform(prior, N, &rng, -1, 1);
            memcpy(dinp, prior, N * sizeof(float));
            memcpy(ref_dinp, prior, N * sizeof(float));
            softcap_backward(dinp, th, dout, N);
            softcap_backward_ref(ref_dinp, th, dout, N);
            backward_bounds(tol, th, dout, prior, ref_dinp, 0.0, N);
            snprintf(what, sizeof what, "softcap dinp += cap=%g N=%zu", cap, N);
            check_close(what, dinp, ref_dinp, tol, N);
            for (size_t i = 0; i < N; i++)
                set[i] = NAN; /* must be overwritten, not read */
            softcap_backward_into(set, th, dout, N);
            softcap_backward_ref(ref_set, th, dout, N); /* ref_set starts at zero (calloc) */
            backward_bounds(tol, th, dout, NULL, ref_set, 0.0, N);
            snprintf(what, sizeof what, "softcap dinp = cap=%g N=%zu", cap, N);
            check_close(what, set, ref_set, tol, N);
            /* In place, the same arithmetic on the same numbers. */
            memcpy(ref_set, set, N * sizeof(float));
            memcpy(set, dout, N * sizeof(float));
            softcap_backward_into(set, th, set, N);
            snprintf(what, sizeof what, "softcap dinp = in place cap=%g N=%zu", cap, N);
            check_same(what, set, ref_set, N);
            memcpy(ref, out, N * sizeof(float));
            softcap_forward(inp, th, inp, cap, N);
            snprintf(what, sizeof what, "softcap out in place cap=%g N=%zu", cap, N);
            check_same(what, inp, ref, N);
            free(inp), free(out), free(th), free(ref), free(ref_th), free(dout), free(prior);
            free(dinp), free(ref_dinp), free(set), free(ref_set), free(tol), free(tol_th);
        }
    }
}

/* By hand, with cap 30: 0 stays 0 with slope 1; 30 becomes 30 tanh(1)
 * with slope 1 - tanh(1)^2; far out and at infinity the cap itself, with
 * slope 0; a NaN stays a NaN. Bounds as above. */
static void test_known_values(void)
{
    float z[6] = {0.0f, 30.0f, 1e6f, -1e6f, INFINITY, NAN}, out[6], th[6], d[6] = {0};
    float one[6] = {1, 1, 1, 1, 1, 1};
    softcap_forward(out, th, z, 30.0f, 6);
    softcap_backward(d, th, one, 6);
    double t1 = tanh(1.0);
    CHECK(out[0] == 0.0f && d[0] == 1.0f);
    CHECK_NEAR(out[1], 30 * t1, (U32 + TANH_REL) * 30 * t1);
    CHECK_NEAR(d[1], 1 - t1 * t1, gam(4) + 2 * t1 * t1 * (U32 + TANH_REL));
    CHECK(out[2] == 30.0f && out[3] == -30.0f && out[4] == 30.0f);
    CHECK(d[2] == 0.0f && d[3] == 0.0f && d[4] == 0.0f);
    CHECK(isnan(out[5]) && isnan(th[5]) && isnan(d[5]));
}

/* ---- Finite differences ---- */

struct cap_ctx {
    float *out, *th;
    const float *inp;
    float cap;
    size_t N;
};

static void cap_fd_forward(void *p)
{
    struct cap_ctx *c = p;
    softcap_forward_ref(c->out, c->th, c->inp, c->cap, c->N);
}

static void test_finite_differences(void)
{
    size_t N = 64;
    float cap = 2.0f;
    struct bg_rng rng;
    rng_seed(&rng, 2, 32);
    float *inp = fbuf(N), *R = fbuf(N), *out = fbuf(N), *th = fbuf(N), *fd_th = fbuf(N);
    double *tol = dbuf(N);
    fill_uniform(inp, N, &rng, -3 * cap, 3 * cap);
    fill_uniform(R, N, &rng, -1, 1);
    /* The analytic gradient reads the twin's th, within u of tanh. */
    softcap_forward_ref(out, th, inp, cap, N);
    struct cap_ctx ctx = {out, fd_th, inp, cap, N};
    struct fd_problem p = {cap_fd_forward, &ctx, out, N, R, 0.0};
    for (int twin = 0; twin < 2; twin++) {
        float *dinp = fbuf(N);
        (twin ? softcap_backward_ref : softcap_backward)(dinp, th, R, N);
        backward_bounds(tol, th, R, NULL, dinp, U32, N);
        fd_check(twin ? "fd_ref softcap dinp" : "fd softcap dinp", &p, inp, N, dinp, tol, 1e-2);
        free(dinp);
    }
    free(inp), free(R), free(out), free(th), free(fd_th), free(tol);
}

int main(void)
{
    RUN_TEST(test_matches_ref);
    RUN_TEST(test_known_values);
    RUN_TEST(test_finite_differences);
    return TEST_EXIT();
}
