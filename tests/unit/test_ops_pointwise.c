/* Tests for ops_pointwise: GELU against its double-precision twin within
 * derived fp32 bounds, the residual add and the embeddings exactly, every
 * backward against finite differences, and determinism. See gradcheck.h
 * for how tolerances are chosen. */
#include "bytegpt/ops_pointwise.h"

#include <omp.h>

#include "test.h"
#include "gradcheck.h"

/* ---- GELU ---- */

#define K_GELU 0.7978845608028654 /* sqrt(2/pi) */
#define C_GELU 0.044715

/* Values worth testing by name: zero, tiny, the region where 1 + tanh(u)
 * cancels (x around -5), and saturation on both sides. */
static const float gelu_specials[] = {0.0f, 1e-3f, -1e-3f, 1.0f, -1.0f, -3.0f, -5.0f, -7.5f,
                                      5.0f, 10.0f, -10.0f, 20.0f, -20.0f};
#define N_SPECIALS (sizeof(gelu_specials) / sizeof(gelu_specials[0]))

static void fill_gelu_inputs(float *x, size_t n, struct bg_rng *r)
{
    fill_uniform(x, n, r, -6, 6);
    for (size_t i = 0; i < N_SPECIALS && i < n; i++)
        x[i] = gelu_specials[i];
}

/* The kernels compute out = x s, s = 1 / (1 + e), e = gelu_exp(-2u),
 * u = k (x + c x^3), in fp32 (see ops_pointwise.c). Error bounds, to first
 * order, with U32 the unit roundoff:
 * - u has at most 7 roundings on terms of one sign: du = gamma(7) |u|; the
 *   exponent's argument -2u is then off by 2 gamma(7) |u|, which changes
 *   e by that much relatively.
 * - ops_expf itself is within EXP_REL relatively (gradcheck.h).
 * - s = 1 / (1 + e): ds = s^2 (de + U32 (1 + e)) + U32 s.
 * - Beyond |2u| > 80 the exponent is clamped; s is then off by at most
 *   e^-80 absolutely (the sigmoid is within e^-80 of 0 or 1 there), as
 *   computed: times 1 + EXP_REL + 4 U32 for the exponential, the add, the
 *   division and the multiply by x that follow it. */

struct gelu_err {
    double e, s, rel_e, ds;
};

static struct gelu_err gelu_errors(double x)
{
    struct gelu_err g;
    double u = K_GELU * (x + C_GELU * x * x * x);
    g.e = exp(-2 * u);
    g.s = 1 / (1 + g.e);
    g.rel_e = 2 * gam(7) * fabs(u) + EXP_REL;
    g.ds = g.s * g.s * (g.e * g.rel_e + U32 * (1 + g.e)) + U32 * g.s;
    double clamp = EXP_CLAMP * (1 + EXP_REL + 4 * U32);
    if (fabs(2 * u) > 80)
        g.ds += clamp;
    if (!isfinite(g.e)) { /* far left: s is 0 to within the clamp */
        g.s = 0;
        g.rel_e = 0;
        g.ds = clamp;
    }
    return g;
}

/* The forward: out = x s within |x| ds + U32 |out|; the twin adds U32 |ref|. */
static void gelu_forward_bounds(double *tol, const float *inp, const float *ref, size_t N)
{
    for (size_t i = 0; i < N; i++) {
        double x = inp[i];
        struct gelu_err g = gelu_errors(x);
        tol[i] = fabs(x) * g.ds + 2 * U32 * fabs(ref[i]);
    }
}

/* The backward, grad = s + T2 with T2 = 2 x e s s dudx, then
 * prior + grad * dout:
 * - dudx = k (1 + 3c x x) has 7 roundings on positive terms: gamma(7).
 * - T2 is within |T2| (rel_e + 2 ds / s + gamma(7) + 4 U32) (four
 *   multiplies); where the exponent was clamped, T2 itself is off by at
 *   most 2 |x| dudx e^-80 (it is that small or smaller there).
 * - The sum: ds + dT2 + U32 (s + |T2|); times dout and added to prior:
 *   |dout| dgrad + 2 U32 |grad dout| + U32 |prior|; the twin adds U32 |ref|. */
static void gelu_backward_bounds(double *tol, const float *inp, const float *dout,
                                 const float *prior, const float *ref, size_t N)
{
    for (size_t i = 0; i < N; i++) {
        double x = inp[i];
        struct gelu_err g = gelu_errors(x);
        double dudx = K_GELU * (1 + 3 * C_GELU * x * x);
        double t2 = isfinite(g.e) ? 2 * x * g.e * g.s * g.s * dudx : 0.0;
        double dt2 = fabs(t2) * (g.rel_e + (g.s > 0 ? 2 * g.ds / g.s : 0) + gam(7) + 4 * U32) +
                     2 * fabs(x) * dudx * EXP_CLAMP;
        double grad = g.s + t2, dgrad = g.ds + dt2 + U32 * (g.s + fabs(t2));
        double dy = fabs(dout[i]);
        tol[i] = dy * dgrad + 2 * U32 * fabs(grad * dy) + U32 * (prior ? fabs(prior[i]) : 0.0) +
                 U32 * fabs(ref[i]);
    }
}

static void test_gelu_matches_ref(void)
{
    static const size_t sizes[] = {1, 13, 1000, 100003};
    struct bg_rng rng;
    rng_seed(&rng, 1, 4);
    for (size_t n = 0; n < sizeof sizes / sizeof sizes[0]; n++) {
        size_t N = sizes[n];
        float *inp = fbuf(N), *out = fbuf(N), *ref = fbuf(N), *dout = fbuf(N), *prior = fbuf(N);
        float *dinp = fbuf(N), *ref_dinp = fbuf(N);
        double *tol = dbuf(N);
        fill_gelu_inputs(inp, N, &rng);
        fill_uniform(dout, N, &rng, -1, 1);
        fill_uniform(prior, N, &rng, -1, 1);
        gelu_forward(out, inp, N);
        gelu_forward_ref(ref, inp, N);
        gelu_forward_bounds(tol, inp, ref, N);
        char what[96];
        snprintf(what, sizeof what, "gelu out N=%zu", N);
        check_close(what, out, ref, tol, N);
        memcpy(dinp, prior, N * sizeof(float));
        memcpy(ref_dinp, prior, N * sizeof(float));
        gelu_backward(dinp, inp, dout, N);
        gelu_backward_ref(ref_dinp, inp, dout, N);
        gelu_backward_bounds(tol, inp, dout, prior, ref_dinp, N);
        snprintf(what, sizeof what, "gelu dinp N=%zu", N);
        check_close(what, dinp, ref_dinp, tol, N);
        free(inp), free(out), free(ref), free(dout), free(prior), free(dinp), free(ref_dinp),
            free(tol);
    }
}

/* The forward, and the backward's slope at 0 (GELU'(0) = 1/2), by hand. */
static void test_gelu_known_values(void)
{
    float x[3] = {0.0f, 1.0f, -1.0f}, out[3], dinp[3] = {0}, dout[3] = {1, 1, 1};
    gelu_forward(out, x, 3);
    gelu_backward(dinp, x, dout, 3);
    /* 0.5 (1 + tanh(sqrt(2/pi) 1.044715)) = 0.841192, and GELU(-1) =
     * GELU(1) - 1 by the symmetry tanh(-u) = -tanh(u). */
    CHECK(out[0] == 0.0f);
    CHECK_NEAR(out[1], 0.8411919906, 1e-6);
    CHECK_NEAR(out[2], 0.8411919906 - 1.0, 1e-6);
    CHECK(dinp[0] == 0.5f);
}

struct gelu_ctx {
    float *out;
    const float *inp;
    size_t N;
};

static void gelu_fd_forward(void *p)
{
    struct gelu_ctx *c = p;
    gelu_forward_ref(c->out, c->inp, c->N);
}

static void test_gelu_finite_differences(void)
{
    size_t N = 64;
    struct bg_rng rng;
    rng_seed(&rng, 2, 4);
    float *inp = fbuf(N), *R = fbuf(N), *out = fbuf(N);
    double *tol = dbuf(N);
    fill_gelu_inputs(inp, N, &rng);
    fill_uniform(R, N, &rng, -1, 1);
    struct gelu_ctx ctx = {out, inp, N};
    struct fd_problem p = {gelu_fd_forward, &ctx, out, N, R, 0.0};
    for (int twin = 0; twin < 2; twin++) {
        float *dinp = fbuf(N);
        (twin ? gelu_backward_ref : gelu_backward)(dinp, inp, R, N);
        gelu_backward_bounds(tol, inp, R, NULL, dinp, N);
        fd_check(twin ? "fd_ref gelu dinp" : "fd gelu dinp", &p, inp, N, dinp, tol, 1e-2);
        free(dinp);
    }
    free(inp), free(R), free(out), free(tol);
}

/* ---- Residual ---- */

/* A single IEEE addition per element, so the kernels must give exactly
 * a + b and prior + dout. */
/* gelu_backward_into writes GELU'(x) dout, which is exactly what
 * gelu_backward adds to a zero gradient (0 + y = y): the same floats, with
 * NaN in dinp beforehand (it must not be read), and in place (dinp = dout)
 * too. gelu_backward itself is checked against its twin and by finite
 * differences above. */
static void test_gelu_backward_into(void)
{
    size_t N = 10000 + 7;
    struct bg_rng rng;
    rng_seed(&rng, 9, 4);
    float *x = fbuf(N), *dout = fbuf(N), *want = fbuf(N), *got = fbuf(N), *inplace = fbuf(N);
    double *zero = dbuf(N);
    fill_uniform(x, N, &rng, -6, 6);
    fill_uniform(dout, N, &rng, -1, 1);
    gelu_backward(want, x, dout, N); /* want starts at zero (calloc) */
    for (size_t i = 0; i < N; i++)
        got[i] = NAN;
    gelu_backward_into(got, x, dout, N);
    check_close("gelu_backward_into = gelu_backward from 0", got, want, zero, N);
    memcpy(inplace, dout, N * sizeof(float));
    gelu_backward_into(inplace, x, inplace, N);
    check_close("gelu_backward_into in place", inplace, want, zero, N);
    free(x), free(dout), free(want), free(got), free(inplace), free(zero);
}

static void test_residual_exact(void)
{
    size_t N = 10007;
    struct bg_rng rng;
    rng_seed(&rng, 3, 4);
    float *a = fbuf(N), *b = fbuf(N), *out = fbuf(N), *want = fbuf(N), *dout = fbuf(N);
    float *da = fbuf(N), *db = fbuf(N), *want_da = fbuf(N), *want_db = fbuf(N);
    fill_uniform(a, N, &rng, -1, 1);
    fill_uniform(b, N, &rng, -1, 1);
    fill_uniform(dout, N, &rng, -1, 1);
    fill_uniform(da, N, &rng, -1, 1);
    fill_uniform(db, N, &rng, -1, 1);
    for (size_t i = 0; i < N; i++) {
        want[i] = a[i] + b[i];
        want_da[i] = da[i] + dout[i];
        want_db[i] = db[i] + dout[i];
    }
    residual_forward(out, a, b, N);
    residual_backward(da, db, dout, N);
    check_same("residual out = a + b", out, want, N);
    check_same("residual da += dout", da, want_da, N);
    check_same("residual db += dout", db, want_db, N);
    free(a), free(b), free(out), free(want), free(dout), free(da), free(db), free(want_da),
        free(want_db);
}

struct res_ctx {
    float *out;
    const float *a, *b;
    size_t N;
};

static void res_fd_forward(void *p)
{
    struct res_ctx *c = p;
    residual_forward(c->out, c->a, c->b, c->N);
}

static void test_residual_finite_differences(void)
{
    size_t N = 17;
    struct bg_rng rng;
    rng_seed(&rng, 4, 4);
    float *a = fbuf(N), *b = fbuf(N), *R = fbuf(N), *out = fbuf(N), *da = fbuf(N), *db = fbuf(N);
    fill_uniform(a, N, &rng, -1, 1);
    fill_uniform(b, N, &rng, -1, 1);
    fill_uniform(R, N, &rng, -1, 1);
    residual_backward(da, db, R, N);
    /* residual_forward has no twin: one correctly rounded addition is
     * within u |out| of exact, which is all the driver assumes. */
    struct res_ctx ctx = {out, a, b, N};
    struct fd_problem p = {res_fd_forward, &ctx, out, N, R, 0.0};
    fd_check("fd residual da", &p, a, N, da, NULL, 1e-2);
    fd_check("fd residual db", &p, b, N, db, NULL, 1e-2);
    free(a), free(b), free(R), free(out), free(da), free(db);
}

/* ---- Encoder ---- */

struct enc_shape {
    size_t B, T, C, V;
};

/* A single token; few distinct tokens (V = 5 or 7), so that many positions
 * add into the same row of dwte; C of 130, which is two full column blocks
 * and a part. wpe has maxT = T + 3 rows: the rows past T must stay as they
 * were. */
static const struct enc_shape enc_shapes[] = {
    {1, 1, 1, 256}, {2, 5, 13, 7}, {3, 17, 70, 256}, {4, 64, 130, 5},
};
#define N_ENC (sizeof(enc_shapes) / sizeof(enc_shapes[0]))

static void fill_tokens(uint8_t *tokens, size_t n, size_t V, struct bg_rng *r)
{
    for (size_t i = 0; i < n; i++)
        tokens[i] = (uint8_t)rng_range(r, V);
}

/* Each output is one addition, and each gradient element receives its
 * additions in the order of the serial loop (see encoder_backward), so the
 * fast kernels must equal their twins exactly. */
static void test_encoder_matches_ref_exactly(void)
{
    struct bg_rng rng;
    rng_seed(&rng, 5, 4);
    for (size_t n = 0; n < N_ENC; n++) {
        struct enc_shape s = enc_shapes[n];
        size_t BT = s.B * s.T, maxT = s.T + 3;
        uint8_t *tokens = malloc(BT);
        float *wte = fbuf(s.V * s.C), *wpe = fbuf(maxT * s.C), *dout = fbuf(BT * s.C);
        float *out = fbuf(BT * s.C), *ref = fbuf(BT * s.C);
        float *dwte = fbuf(s.V * s.C), *dwpe = fbuf(maxT * s.C);
        float *ref_dwte = fbuf(s.V * s.C), *ref_dwpe = fbuf(maxT * s.C);
        CHECK(tokens != NULL);
        fill_tokens(tokens, BT, s.V, &rng);
        fill_uniform(wte, s.V * s.C, &rng, -1, 1);
        fill_uniform(wpe, maxT * s.C, &rng, -1, 1);
        fill_uniform(dout, BT * s.C, &rng, -1, 1);
        fill_uniform(dwte, s.V * s.C, &rng, -1, 1);
        fill_uniform(dwpe, maxT * s.C, &rng, -1, 1);
        memcpy(ref_dwte, dwte, s.V * s.C * sizeof(float));
        memcpy(ref_dwpe, dwpe, maxT * s.C * sizeof(float));
        encoder_forward(out, tokens, wte, wpe, s.B, s.T, s.C);
        encoder_forward_ref(ref, tokens, wte, wpe, s.B, s.T, s.C);
        encoder_backward(dwte, dwpe, dout, tokens, s.B, s.T, s.C);
        encoder_backward_ref(ref_dwte, ref_dwpe, dout, tokens, s.B, s.T, s.C);
        char what[96];
        snprintf(what, sizeof what, "encoder out B=%zu T=%zu C=%zu V=%zu", s.B, s.T, s.C, s.V);
        check_same(what, out, ref, BT * s.C);
        snprintf(what, sizeof what, "encoder dwte B=%zu T=%zu C=%zu V=%zu", s.B, s.T, s.C, s.V);
        check_same(what, dwte, ref_dwte, s.V * s.C);
        snprintf(what, sizeof what, "encoder dwpe B=%zu T=%zu C=%zu V=%zu", s.B, s.T, s.C, s.V);
        check_same(what, dwpe, ref_dwpe, maxT * s.C);
        free(tokens), free(wte), free(wpe), free(dout), free(out), free(ref), free(dwte),
            free(dwpe), free(ref_dwte), free(ref_dwpe);
    }
}

struct enc_ctx {
    float *out;
    const uint8_t *tokens;
    const float *wte, *wpe;
    struct enc_shape s;
};

static void enc_fd_forward(void *p)
{
    struct enc_ctx *c = p;
    encoder_forward_ref(c->out, c->tokens, c->wte, c->wpe, c->s.B, c->s.T, c->s.C);
}

static void test_encoder_finite_differences(void)
{
    struct enc_shape s = {2, 5, 6, 4};
    size_t BT = s.B * s.T, maxT = s.T + 2;
    struct bg_rng rng;
    rng_seed(&rng, 6, 4);
    uint8_t tokens[10];
    float *wte = fbuf(s.V * s.C), *wpe = fbuf(maxT * s.C), *R = fbuf(BT * s.C);
    float *out = fbuf(BT * s.C);
    fill_tokens(tokens, BT, s.V, &rng);
    fill_uniform(wte, s.V * s.C, &rng, -1, 1);
    fill_uniform(wpe, maxT * s.C, &rng, -1, 1);
    fill_uniform(R, BT * s.C, &rng, -1, 1);
    struct enc_ctx ctx = {out, tokens, wte, wpe, s};
    struct fd_problem p = {enc_fd_forward, &ctx, out, BT * s.C, R, 0.0};
    for (int twin = 0; twin < 2; twin++) {
        float *dwte = fbuf(s.V * s.C), *dwpe = fbuf(maxT * s.C);
        (twin ? encoder_backward_ref : encoder_backward)(dwte, dwpe, R, tokens, s.B, s.T, s.C);
        /* The gradients are sums of up to BT values of R, rounded once
         * per addition: gamma(BT) sum |R|, at most gamma(BT) BT. */
        double *tol_te = dbuf(s.V * s.C), *tol_pe = dbuf(maxT * s.C);
        for (size_t i = 0; i < s.V * s.C; i++)
            tol_te[i] = gam((double)BT) * (double)BT;
        for (size_t i = 0; i < maxT * s.C; i++)
            tol_pe[i] = gam((double)BT) * (double)BT;
        fd_check(twin ? "fd_ref encoder dwte" : "fd encoder dwte", &p, wte, s.V * s.C, dwte,
                 tol_te, 1e-2);
        fd_check(twin ? "fd_ref encoder dwpe" : "fd encoder dwpe", &p, wpe, maxT * s.C, dwpe,
                 tol_pe, 1e-2);
        free(dwte), free(dwpe), free(tol_te), free(tol_pe);
    }
    free(wte), free(wpe), free(R), free(out);
}

/* ---- Determinism ---- */

/* No sum in these kernels depends on how the work is split, so the bits
 * are the same with one thread and with several. */
static void test_same_bits_any_thread_count(void)
{
    size_t N = 50000, B = 4, T = 64, C = 130, V = 5, BT = B * T;
    struct bg_rng rng;
    rng_seed(&rng, 7, 4);
    uint8_t *tokens = malloc(BT);
    float *x = fbuf(N), *dy = fbuf(N), *wte = fbuf(V * C), *wpe = fbuf(T * C),
          *dout = fbuf(BT * C);
    float *g_out[2], *g_din[2], *e_out[2], *e_dwte[2], *e_dwpe[2];
    CHECK(tokens != NULL);
    fill_tokens(tokens, BT, V, &rng);
    fill_gelu_inputs(x, N, &rng);
    fill_uniform(dy, N, &rng, -1, 1);
    fill_uniform(wte, V * C, &rng, -1, 1);
    fill_uniform(wpe, T * C, &rng, -1, 1);
    fill_uniform(dout, BT * C, &rng, -1, 1);
    int threads = omp_get_max_threads();
    for (int k = 0; k < 2; k++) {
        omp_set_num_threads(k == 0 ? 1 : (threads > 1 ? threads : 2));
        g_out[k] = fbuf(N), g_din[k] = fbuf(N);
        e_out[k] = fbuf(BT * C), e_dwte[k] = fbuf(V * C), e_dwpe[k] = fbuf(T * C);
        gelu_forward(g_out[k], x, N);
        gelu_backward(g_din[k], x, dy, N);
        encoder_forward(e_out[k], tokens, wte, wpe, B, T, C);
        encoder_backward(e_dwte[k], e_dwpe[k], dout, tokens, B, T, C);
    }
    omp_set_num_threads(threads);
    check_same("gelu out, 1 thread and several", g_out[0], g_out[1], N);
    check_same("gelu dinp, 1 thread and several", g_din[0], g_din[1], N);
    check_same("encoder out, 1 thread and several", e_out[0], e_out[1], BT * C);
    check_same("encoder dwte, 1 thread and several", e_dwte[0], e_dwte[1], V * C);
    check_same("encoder dwpe, 1 thread and several", e_dwpe[0], e_dwpe[1], T * C);
    for (int k = 0; k < 2; k++)
        free(g_out[k]), free(g_din[k]), free(e_out[k]), free(e_dwte[k]), free(e_dwpe[k]);
    free(tokens), free(x), free(dy), free(wte), free(wpe), free(dout);
}

int main(void)
{
    RUN_TEST(test_gelu_matches_ref);
    RUN_TEST(test_gelu_known_values);
    RUN_TEST(test_gelu_finite_differences);
    RUN_TEST(test_gelu_backward_into);
    RUN_TEST(test_residual_exact);
    RUN_TEST(test_residual_finite_differences);
    RUN_TEST(test_encoder_matches_ref_exactly);
    RUN_TEST(test_encoder_finite_differences);
    RUN_TEST(test_same_bits_any_thread_count);
    return TEST_EXIT();
}
