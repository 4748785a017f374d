/* Tests for ops_rotary: the cos/sin table against the formula in long
 * double, rotary's pairing and sign on unit vectors, its two properties
 * (each pair keeps its length; a score depends only on the distance t - s),
 * the fast kernels against their double-precision twins within derived
 * fp32 bounds, the backwards against finite differences, v left alone,
 * and determinism. See gradcheck.h for how tolerances are chosen. */
#include "bytegpt/ops_pointwise.h"
#include "bytegpt/ops_rotary.h"

#include <omp.h>

#include "test.h"
#include "gradcheck.h"

/* The unit roundoff of double. */
#define U64 0x1p-53

struct shape {
    size_t B, T, C, NH;
};

/* One pair per head (HS 2), a half that is not a multiple of the vector
 * width (HS 6), and model-sized heads (HS 16, 64); two random shapes follow. */
static const struct shape fixed_shapes[] = {
    {1, 1, 2, 1}, {2, 5, 8, 2}, {1, 7, 12, 2}, {3, 17, 64, 4}, {2, 40, 128, 2},
};
#define N_FIXED (sizeof(fixed_shapes) / sizeof(fixed_shapes[0]))
#define N_SHAPES (N_FIXED + 2)

static struct shape get_shape(size_t i, struct bg_rng *r)
{
    if (i < N_FIXED)
        return fixed_shapes[i];
    size_t NH = rand_size(r, 1, 4), HS = 2 * rand_size(r, 1, 20);
    struct shape s = {rand_size(r, 1, 3), rand_size(r, 1, 40), NH * HS, NH};
    return s;
}

/* ---- Bounds ----
 *
 * The table. Each entry is computed in double and rounded to float.
 * theta = pow(10000, -2i/HS): the exponent is rounded once (relative
 * U64), which moves theta by ln(10000) U64 < 9.3 U64 relatively; pow adds
 * at most 2 U64 (glibc: under 1 ulp); the product t theta one more. So
 * the double angle is within 13 U64 t theta of exact, and cos and sin of
 * it within that plus 2 U64 (under 1 ulp) of the exact cos(t theta):
 * call that eta. Rounding to float adds u |exact| + (1 + u) eta; the long
 * double reference the test uses is itself within a few 2^-64 of exact,
 * which the factor 2 on eta covers:
 *     |entry - exact| <= u |exact| + 2 eta. */
static double table_eta(size_t t, size_t i, size_t HS)
{
    double theta = pow(BG_ROPE_BASE, -2.0 * (double)i / (double)HS);
    return 13 * U64 * (double)t * theta + 2 * U64;
}

/* One rotated element y = a c - b s (or a s + b c, or the backward's
 * d0 c + d1 s...) from the float products p1 = |a c|, p2 = |b s|: two
 * products and one subtraction, (1 + u)^2 - 1 + u (1 + u)^2 <= gamma(2)
 * relative to p1 + p2 (gradcheck.h's rule). */
static double rot_err(double p1, double p2)
{
    return gam(2) * (p1 + p2);
}

/* Per-element bounds for rotary, forward or backward alike (the backward
 * uses the same products with s negated): got is the input, tol is filled
 * for the output ref. The v part must not change at all: bound 0. */
static void rotary_bounds(double *tol, const float *in, const float *ref, const float *cos_t,
                          const float *sin_t, struct shape s)
{
    size_t C = s.C, HS = C / s.NH, half = HS / 2;
    for (size_t r = 0; r < s.B * s.T; r++) {
        const float *c = cos_t + (r % s.T) * half, *sn = sin_t + (r % s.T) * half;
        for (size_t g = 0; g < 2 * s.NH; g++) {
            size_t o = r * 3 * C + g * HS;
            for (size_t i = 0; i < half; i++) {
                double a = fabs(in[o + i]), b = fabs(in[o + i + half]);
                double cc = fabs(c[i]), ss = fabs(sn[i]);
                tol[o + i] = rot_err(a * cc, b * ss) + U32 * fabs(ref[o + i]);
                tol[o + i + half] = rot_err(a * ss, b * cc) + U32 * fabs(ref[o + i + half]);
            }
        }
        for (size_t j = 2 * C; j < 3 * C; j++)
            tol[r * 3 * C + j] = 0.0;
    }
}

/* QK-norm forward, per segment x of HS floats, ms = sum x^2 / HS exact,
 * r = 1 / sqrt(ms + eps):
 * - ms: HS products and HS - 1 additions in any order, and the division:
 *   within gamma(HS + 1) ms.
 * - r: that error, relative dms / (ms + eps), halves through the square
 *   root; adding eps, sqrtf and the division add a rounding each:
 *   rho = gamma(HS + 1) ms / (2 (ms + eps)) + gamma(3).
 * - y = x * r^: (1 + rho)(1 + u) - 1 <= rho + 2u, relative to |x| r.
 * The twin adds u |ref| to each. */
static void qknorm_forward_bounds(double *tol_y, double *tol_rstd, const float *x, const float *ref_y,
                                  const float *ref_rstd, struct shape s)
{
    size_t C = s.C, NH = s.NH, HS = C / NH;
    for (size_t r = 0; r < s.B * s.T; r++) {
        for (size_t g = 0; g < 2 * NH; g++) {
            size_t o = r * 3 * C + g * HS;
            double ms = 0.0;
            for (size_t i = 0; i < HS; i++)
                ms += (double)x[o + i] * x[o + i];
            ms /= (double)HS;
            double rs = 1.0 / sqrt(ms + (double)BG_QKNORM_EPS);
            double rho = gam((double)HS + 1) * ms / (2 * (ms + (double)BG_QKNORM_EPS)) + gam(3);
            tol_rstd[r * 2 * NH + g] = rs * rho + U32 * fabs(ref_rstd[r * 2 * NH + g]);
            for (size_t i = 0; i < HS; i++)
                tol_y[o + i] = fabs(x[o + i]) * rs * (rho + 2 * U32) + U32 * fabs(ref_y[o + i]);
        }
        for (size_t j = 2 * C; j < 3 * C; j++)
            tol_y[r * 3 * C + j] = 0.0;
    }
}

/* QK-norm backward given the same y, rstd s and dy to both kernels, with
 * S = sum |dy_i y_i| and A_j = |dy_j| + |y_j| S / HS:
 * - m = mean(dy y): HS products, HS - 1 additions, the division:
 *   within gamma(HS + 1) S / HS.
 * - y_j m: one more rounding; dy_j - y_j m: one more, relative to A_j;
 *   times s: one more. In all gamma(HS + 4) s A_j.
 * - When y and s are themselves rounded values of the exact ones (in_err
 *   = u, in the finite-difference test): s off by in_err s moves dx_j by
 *   in_err s A_j; each y_i off by in_err |y_i| moves y_j m by at most
 *   2 in_err |y_j| S / HS. In all 3 in_err s A_j.
 * The twin adds u |ref| to each. The v part is never touched: bound 0. */
static void qknorm_backward_bounds(double *tol, const float *dy, const float *y, const float *rstd,
                                   const float *ref, double in_err, struct shape s)
{
    size_t C = s.C, NH = s.NH, HS = C / NH;
    for (size_t r = 0; r < s.B * s.T; r++) {
        for (size_t g = 0; g < 2 * NH; g++) {
            size_t o = r * 3 * C + g * HS;
            double S = 0.0, sr = rstd[r * 2 * NH + g];
            for (size_t i = 0; i < HS; i++)
                S += fabs((double)dy[o + i] * y[o + i]);
            for (size_t i = 0; i < HS; i++) {
                double A = fabs(dy[o + i]) + fabs(y[o + i]) * S / (double)HS;
                tol[o + i] = (gam((double)HS + 4) + 3 * in_err) * sr * A + U32 * fabs(ref[o + i]);
            }
        }
        for (size_t j = 2 * C; j < 3 * C; j++)
            tol[r * 3 * C + j] = 0.0;
    }
}

/* ---- The table and the definition ---- */

static void test_table_matches_formula(void)
{
    static const size_t head_sizes[] = {2, 6, 64};
    size_t T = 3000;
    for (size_t n = 0; n < 3; n++) {
        size_t HS = head_sizes[n], half = HS / 2;
        float *c = fbuf(T * half), *s = fbuf(T * half);
        rotary_table(c, s, T, HS);
        double worst = 0.0;
        int ok = 1;
        for (size_t t = 0; t < T; t++)
            for (size_t i = 0; i < half; i++) {
                long double theta = powl(10000.0L, -2.0L * (long double)i / (long double)HS);
                long double ec = cosl((long double)t * theta), es = sinl((long double)t * theta);
                double eta = table_eta(t, i, HS);
                double dc = fabsl(c[t * half + i] - ec), bc = U32 * fabsl(ec) + 2 * eta;
                double ds = fabsl(s[t * half + i] - es), bs = U32 * fabsl(es) + 2 * eta;
                ok &= dc <= bc && ds <= bs;
                worst = fmax(worst, fmax(dc / bc, ds / bs));
            }
        printf("    table HS=%zu T=%zu vs long double             worst |diff|/bound %.3g\n", HS, T,
               worst);
        CHECK(ok);
        /* Position 0 is no rotation at all: exactly cos 1, sin 0. */
        int zero_ok = 1;
        for (size_t i = 0; i < half; i++)
            zero_ok &= c[i] == 1.0f && s[i] == 0.0f;
        CHECK(zero_ok);
        free(c), free(s);
    }
}

/* A unit vector e_k in every q and k segment, at every position: the
 * output shows the pairing and the sign directly. For k < HS/2 the pair
 * (k, k + HS/2) becomes (cos, sin) of the angle; for k = i + HS/2 it
 * becomes (-sin, cos). Products with 0 and 1 are exact, so the output
 * equals the table's entries exactly, and the table test above ties
 * those to t * 10000^(-2i/HS). v must come through bit for bit. */
static void test_rotary_pairs_and_signs(void)
{
    size_t B = 2, T = 5, C = 16, NH = 2, HS = 8, half = 4, BT = B * T;
    float *c = fbuf(T * half), *s = fbuf(T * half), *qkv = fbuf(BT * 3 * C), *before = fbuf(BT * 3 * C);
    struct bg_rng rng;
    rng_seed(&rng, 1, 7);
    rotary_table(c, s, T, HS);
    int ok = 1, v_ok = 1;
    for (size_t k = 0; k < HS; k++) {
        fill_uniform(qkv, BT * 3 * C, &rng, -1, 1);
        for (size_t r = 0; r < BT; r++)
            for (size_t j = 0; j < 2 * C; j++)
                qkv[r * 3 * C + j] = j % HS == k ? 1.0f : 0.0f;
        memcpy(before, qkv, BT * 3 * C * sizeof(float));
        rotary_forward(qkv, c, s, B, T, C, NH);
        for (size_t r = 0; r < BT; r++) {
            size_t t = r % T, i = k % half;
            for (size_t g = 0; g < 2 * NH; g++) {
                const float *x = qkv + r * 3 * C + g * HS;
                float lo = k < half ? c[t * half + i] : -s[t * half + i];
                float hi = k < half ? s[t * half + i] : c[t * half + i];
                for (size_t j = 0; j < HS; j++)
                    ok &= x[j] == (j == i ? lo : j == i + half ? hi : 0.0f);
            }
            v_ok &= memcmp(qkv + r * 3 * C + 2 * C, before + r * 3 * C + 2 * C, C * sizeof(float)) == 0;
        }
    }
    CHECK(ok);
    CHECK(v_ok);
    free(c), free(s), free(qkv), free(before);
}

/* ---- Properties ---- */

/* With the table's floats c and s, the exact product turns each pair and
 * scales it by sqrt(c^2 + s^2): |y| = sqrt(c^2 + s^2) |x| exactly. With
 * c = c*(1 + a) + e (|a| <= u, |e| <= 2 eta, likewise s), c^2 + s^2 - 1 is
 * within 2u + u^2 + 8 eta <= gamma(2) + 8 eta =: delta, and
 * |sqrt(1 + d) - 1| <= |d|. The kernel's rounding moves y by the vector
 * (e0, e1) of rot_err bounds, so |y| by at most |(e0, e1)|. The norms are
 * taken in double from the floats: 4 U64 of each. */
static void test_rotary_keeps_pair_norms(void)
{
    size_t B = 2, T = 300, C = 48, NH = 3, HS = 16, half = 8, BT = B * T;
    float *c = fbuf(T * half), *s = fbuf(T * half), *qkv = fbuf(BT * 3 * C), *x = fbuf(BT * 3 * C);
    struct bg_rng rng;
    rng_seed(&rng, 2, 7);
    rotary_table(c, s, T, HS);
    fill_uniform(x, BT * 3 * C, &rng, -1, 1);
    memcpy(qkv, x, BT * 3 * C * sizeof(float));
    rotary_forward(qkv, c, s, B, T, C, NH);
    double worst = 0.0;
    int ok = 1;
    for (size_t r = 0; r < BT; r++) {
        size_t t = r % T;
        for (size_t g = 0; g < 2 * NH; g++)
            for (size_t i = 0; i < half; i++) {
                size_t o = r * 3 * C + g * HS + i;
                double a = x[o], b = x[o + half], cc = fabs(c[t * half + i]), ss = fabs(s[t * half + i]);
                double n_in = hypot(a, b), n_out = hypot(qkv[o], qkv[o + half]);
                double e0 = rot_err(fabs(a) * cc, fabs(b) * ss), e1 = rot_err(fabs(a) * ss, fabs(b) * cc);
                double delta = gam(2) + 8 * table_eta(t, i, HS);
                double bound = n_in * delta + hypot(e0, e1) + 4 * U64 * (n_in + n_out);
                double d = fabs(n_out - n_in);
                ok &= d <= bound;
                worst = fmax(worst, d / bound);
            }
    }
    printf("    pair norms B=%zu T=%zu HS=%zu                    worst |diff|/bound %.3g\n", B, T, HS,
           worst);
    CHECK(ok);
    free(c), free(s), free(qkv), free(x);
}

/* The bound eps_j on |y^_j - y*_j|, y* the exact rotation (exact angle)
 * of the segment x at position t, y^ the kernel's: its rounding
 * (rot_err), and the table's error, |c - cos| <= u + 2 eta (likewise
 * sin), times |a| + |b|. */
static void rotated_error(double *eps, const float *x, const float *c, const float *s, size_t t,
                          size_t HS)
{
    size_t half = HS / 2;
    for (size_t i = 0; i < half; i++) {
        double a = fabs(x[i]), b = fabs(x[i + half]), cc = fabs(c[t * half + i]), ss = fabs(s[t * half + i]);
        double tab = (U32 + 2 * table_eta(t, i, HS)) * (a + b);
        eps[i] = rot_err(a * cc, b * ss) + tab;
        eps[i + half] = rot_err(a * ss, b * cc) + tab;
    }
}

/* q^ . k^ in double, and the bound on its distance from q* . k* (exact
 * rotations): with |q*_j| <= |q^_j| + eq_j,
 *     sum (|q^_j| + eq_j) ek_j + eq_j (|k^_j| + ek_j) + eq_j ek_j,
 * plus the double dot product's own HS U64 sum |q^_j k^_j|. */
static double score(const float *q, const float *k, const double *eq, const double *ek, size_t HS,
                    double *bound)
{
    double dot = 0.0, b = 0.0, abs_dot = 0.0;
    for (size_t j = 0; j < HS; j++) {
        dot += (double)q[j] * k[j];
        abs_dot += fabs((double)q[j] * k[j]);
        b += (fabs(q[j]) + eq[j]) * ek[j] + eq[j] * (fabs(k[j]) + ek[j]) + eq[j] * ek[j];
    }
    *bound = b + (double)HS * U64 * abs_dot;
    return dot;
}

/* The same q at every position and the same k at every position: after
 * rotary, q_t . k_s = q . R((s - t) theta) k exactly, a function of s - t
 * alone. Shifting both positions by the same amount must keep the score
 * within the two scores' bounds, while different distances give scores
 * that differ by far more than that (else the test would prove nothing). */
static void test_rotary_scores_depend_on_distance(void)
{
    size_t T = 1024, C = 32, NH = 1, HS = 32;
    float *c = fbuf(T * (HS / 2)), *s = fbuf(T * (HS / 2)), *qkv = fbuf(T * 3 * C);
    float *q0 = fbuf(HS), *k0 = fbuf(HS);
    double *eq = dbuf(HS), *ek = dbuf(HS), *eq2 = dbuf(HS), *ek2 = dbuf(HS);
    struct bg_rng rng;
    rng_seed(&rng, 3, 7);
    rotary_table(c, s, T, HS);
    fill_uniform(q0, HS, &rng, -1, 1);
    fill_uniform(k0, HS, &rng, -1, 1);
    for (size_t t = 0; t < T; t++) {
        memcpy(qkv + t * 3 * C, q0, HS * sizeof(float));
        memcpy(qkv + t * 3 * C + C, k0, HS * sizeof(float));
    }
    rotary_forward(qkv, c, s, 1, T, C, NH);
    double worst = 0.0, max_bound = 0.0, lo = INFINITY, hi = -INFINITY;
    int ok = 1;
    for (int n = 0; n < 400; n++) {
        size_t shift = rand_size(&rng, 1, T - 1);
        size_t t = rand_size(&rng, 0, T - 1 - shift), u = rand_size(&rng, 0, T - 1 - shift);
        double b1, b2;
        rotated_error(eq, q0, c, s, t, HS);
        rotated_error(ek, k0, c, s, u, HS);
        rotated_error(eq2, q0, c, s, t + shift, HS);
        rotated_error(ek2, k0, c, s, u + shift, HS);
        double s1 = score(qkv + t * 3 * C, qkv + u * 3 * C + C, eq, ek, HS, &b1);
        double s2 = score(qkv + (t + shift) * 3 * C, qkv + (u + shift) * 3 * C + C, eq2, ek2, HS, &b2);
        ok &= fabs(s1 - s2) <= b1 + b2;
        worst = fmax(worst, fabs(s1 - s2) / (b1 + b2));
        max_bound = fmax(max_bound, b1 + b2);
        lo = fmin(lo, s1);
        hi = fmax(hi, s1);
    }
    printf("    shifted scores T=%zu HS=%zu                       worst |diff|/bound %.3g\n", T, HS, worst);
    printf("    scores over distances span %.3g, largest bound %.3g\n", hi - lo, max_bound);
    CHECK(ok);
    CHECK(hi - lo > 1000 * max_bound);
    free(c), free(s), free(qkv), free(q0), free(k0), free(eq), free(ek), free(eq2), free(ek2);
}

/* ---- Fast against twin ---- */

static void test_rotary_matches_ref(void)
{
    struct bg_rng rng;
    rng_seed(&rng, 4, 7);
    for (size_t n = 0; n < N_SHAPES; n++) {
        struct shape sh = get_shape(n, &rng);
        size_t HS = sh.C / sh.NH, N = sh.B * sh.T * 3 * sh.C;
        float *c = fbuf(sh.T * HS / 2), *s = fbuf(sh.T * HS / 2);
        float *in = fbuf(N), *got = fbuf(N), *ref = fbuf(N);
        double *tol = dbuf(N);
        rotary_table(c, s, sh.T, HS);
        fill_uniform(in, N, &rng, -2, 2);
        for (int back = 0; back < 2; back++) {
            memcpy(got, in, N * sizeof(float));
            memcpy(ref, in, N * sizeof(float));
            (back ? rotary_backward : rotary_forward)(got, c, s, sh.B, sh.T, sh.C, sh.NH);
            (back ? rotary_backward_ref : rotary_forward_ref)(ref, c, s, sh.B, sh.T, sh.C, sh.NH);
            rotary_bounds(tol, in, ref, c, s, sh);
            char what[96];
            snprintf(what, sizeof what, "rotary %s B=%zu T=%zu C=%zu NH=%zu", back ? "backward" : "forward",
                     sh.B, sh.T, sh.C, sh.NH);
            check_close(what, got, ref, tol, N);
        }
        free(c), free(s), free(in), free(got), free(ref), free(tol);
    }
}

/* Rows of three kinds: spread around zero, all far from zero (a large
 * mean square), and tiny (mean square 1e-8, below eps, where eps decides
 * rstd). */
static void fill_kind(float *x, size_t n, struct bg_rng *r, int kind)
{
    if (kind == 0)
        fill_uniform(x, n, r, -1, 1);
    else if (kind == 1)
        fill_uniform(x, n, r, 2, 4);
    else
        fill_uniform(x, n, r, -1e-4f, 1e-4f);
}

static void test_qknorm_matches_ref(void)
{
    static const char *kinds[] = {"centred", "large", "tiny"};
    struct bg_rng rng;
    rng_seed(&rng, 5, 7);
    for (size_t n = 0; n < N_SHAPES; n++) {
        struct shape sh = get_shape(n, &rng);
        size_t BT = sh.B * sh.T, N = BT * 3 * sh.C, NR = BT * 2 * sh.NH;
        for (int kind = 0; kind < 3; kind++) {
            float *x = fbuf(N), *y = fbuf(N), *ref_y = fbuf(N), *rs = fbuf(NR), *ref_rs = fbuf(NR);
            float *dy = fbuf(N), *dx = fbuf(N), *ref_dx = fbuf(N);
            double *tol = dbuf(N), *tol_rs = dbuf(NR);
            fill_kind(x, N, &rng, kind);
            fill_uniform(dy, N, &rng, -1, 1);
            memcpy(y, x, N * sizeof(float));
            memcpy(ref_y, x, N * sizeof(float));
            qknorm_forward(y, rs, BT, sh.C, sh.NH);
            qknorm_forward_ref(ref_y, ref_rs, BT, sh.C, sh.NH);
            qknorm_forward_bounds(tol, tol_rs, x, ref_y, ref_rs, sh);
            char what[96];
            snprintf(what, sizeof what, "qknorm y B=%zu T=%zu C=%zu NH=%zu %s", sh.B, sh.T, sh.C, sh.NH,
                     kinds[kind]);
            check_close(what, y, ref_y, tol, N);
            snprintf(what, sizeof what, "qknorm rstd B=%zu T=%zu C=%zu NH=%zu %s", sh.B, sh.T, sh.C, sh.NH,
                     kinds[kind]);
            check_close(what, rs, ref_rs, tol_rs, NR);
            /* Backward, both given the fast forward's y and rstd. */
            memcpy(dx, dy, N * sizeof(float));
            memcpy(ref_dx, dy, N * sizeof(float));
            qknorm_backward(dx, y, rs, BT, sh.C, sh.NH);
            qknorm_backward_ref(ref_dx, y, rs, BT, sh.C, sh.NH);
            qknorm_backward_bounds(tol, dy, y, rs, ref_dx, 0.0, sh);
            snprintf(what, sizeof what, "qknorm dx B=%zu T=%zu C=%zu NH=%zu %s", sh.B, sh.T, sh.C, sh.NH,
                     kinds[kind]);
            check_close(what, dx, ref_dx, tol, N);
            free(x), free(y), free(ref_y), free(rs), free(ref_rs), free(dy), free(dx), free(ref_dx);
            free(tol), free(tol_rs);
        }
    }
}

/* ---- Finite differences ---- */

/* out = the op's _ref forward applied to a copy of inp, so that the
 * in-place kernels fit gradcheck.h's driver. */
struct op_ctx {
    float *out, *rstd;
    const float *inp, *cos_t, *sin_t;
    struct shape s;
};

static void rotary_fd_forward(void *p)
{
    struct op_ctx *c = p;
    memcpy(c->out, c->inp, c->s.B * c->s.T * 3 * c->s.C * sizeof(float));
    rotary_forward_ref(c->out, c->cos_t, c->sin_t, c->s.B, c->s.T, c->s.C, c->s.NH);
}

static void qknorm_fd_forward(void *p)
{
    struct op_ctx *c = p;
    memcpy(c->out, c->inp, c->s.B * c->s.T * 3 * c->s.C * sizeof(float));
    qknorm_forward_ref(c->out, c->rstd, c->s.B * c->s.T, c->s.C, c->s.NH);
}

static void test_finite_differences(void)
{
    static const struct shape shapes[] = {{1, 3, 4, 1}, {2, 3, 8, 2}, {1, 4, 12, 2}};
    struct bg_rng rng;
    rng_seed(&rng, 6, 7);
    for (size_t n = 0; n < sizeof shapes / sizeof shapes[0]; n++) {
        struct shape sh = shapes[n];
        size_t HS = sh.C / sh.NH, BT = sh.B * sh.T, N = BT * 3 * sh.C;
        float *c = fbuf(sh.T * HS / 2), *s = fbuf(sh.T * HS / 2);
        float *x = fbuf(N), *R = fbuf(N), *out = fbuf(N), *rs = fbuf(BT * 2 * sh.NH);
        float *y = fbuf(N), *y_rs = fbuf(BT * 2 * sh.NH), *grad = fbuf(N);
        double *tol = dbuf(N);
        /* Positions 0..T-1 turn pair 0 by up to T - 1 radians: enough
         * to make every product of the rotation matter. */
        rotary_table(c, s, sh.T, HS);
        fill_uniform(x, N, &rng, -1, 1);
        fill_uniform(R, N, &rng, -1, 1);
        struct op_ctx ctx = {out, rs, x, c, s, sh};
        for (int twin = 0; twin < 2; twin++) {
            const char *name = twin ? "_ref" : "";
            char what[96];
            struct fd_problem pr = {rotary_fd_forward, &ctx, out, N, R, 0.0};
            memcpy(grad, R, N * sizeof(float));
            (twin ? rotary_backward_ref : rotary_backward)(grad, c, s, sh.B, sh.T, sh.C, sh.NH);
            rotary_bounds(tol, R, grad, c, s, sh);
            snprintf(what, sizeof what, "fd%s rotary B=%zu T=%zu C=%zu NH=%zu", name, sh.B, sh.T, sh.C, sh.NH);
            fd_check(what, &pr, x, N, grad, tol, 1e-2);

            /* The analytic gradient uses the twin's y and rstd, each within
             * u of exact: in_err = u in the bounds. */
            struct fd_problem pq = {qknorm_fd_forward, &ctx, out, N, R, 0.0};
            memcpy(y, x, N * sizeof(float));
            qknorm_forward_ref(y, y_rs, BT, sh.C, sh.NH);
            memcpy(grad, R, N * sizeof(float));
            (twin ? qknorm_backward_ref : qknorm_backward)(grad, y, y_rs, BT, sh.C, sh.NH);
            qknorm_backward_bounds(tol, R, y, y_rs, grad, U32, sh);
            snprintf(what, sizeof what, "fd%s qknorm B=%zu T=%zu C=%zu NH=%zu", name, sh.B, sh.T, sh.C, sh.NH);
            fd_check(what, &pq, x, N, grad, tol, 1e-2);
        }
        free(c), free(s), free(x), free(R), free(out), free(rs), free(y), free(y_rs), free(grad), free(tol);
    }
}

/* ---- The encoder ---- */

/* A rotary model's encoder is encoder_forward with no position table.
 * Each output is a copy, and each gradient element receives its additions
 * in the serial loop's order, so the fast kernels equal their twins
 * exactly. */
static void test_encoder_matches_ref_exactly(void)
{
    size_t B = 3, T = 33, C = 150, V = 256, BT = B * T;
    struct bg_rng rng;
    rng_seed(&rng, 7, 7);
    uint8_t tokens[99];
    for (size_t i = 0; i < BT; i++)
        tokens[i] = (uint8_t)rng_range(&rng, 8); /* few distinct bytes: many additions per row */
    float *wte = fbuf(V * C), *dout = fbuf(BT * C), *out = fbuf(BT * C), *ref = fbuf(BT * C);
    float *dwte = fbuf(V * C), *ref_dwte = fbuf(V * C);
    fill_uniform(wte, V * C, &rng, -1, 1);
    fill_uniform(dout, BT * C, &rng, -1, 1);
    fill_uniform(dwte, V * C, &rng, -1, 1);
    memcpy(ref_dwte, dwte, V * C * sizeof(float));
    encoder_forward(out, tokens, wte, NULL, B, T, C);
    encoder_forward_ref(ref, tokens, wte, NULL, B, T, C);
    encoder_backward(dwte, NULL, dout, tokens, B, T, C);
    encoder_backward_ref(ref_dwte, NULL, dout, tokens, B, T, C);
    check_same("encoder without wpe: out", out, ref, BT * C);
    check_same("encoder without wpe: dwte", dwte, ref_dwte, V * C);
    /* The token rows themselves, exactly. */
    CHECK(memcmp(out + 5 * C, wte + tokens[5] * C, C * sizeof(float)) == 0);
    free(wte), free(dout), free(out), free(ref), free(dwte), free(ref_dwte);
}

/* ---- Determinism ---- */

/* Every row is computed on its own, its sums in an order fixed by HS, so
 * the bits do not depend on the number of threads. */
static void test_same_bits_any_thread_count(void)
{
    size_t B = 4, T = 50, C = 96, NH = 3, HS = 32, BT = B * T, N = BT * 3 * C;
    struct bg_rng rng;
    rng_seed(&rng, 8, 7);
    float *c = fbuf(T * HS / 2), *s = fbuf(T * HS / 2), *x = fbuf(N), *dy = fbuf(N);
    float *y[2], *rs[2], *dx[2];
    rotary_table(c, s, T, HS);
    fill_uniform(x, N, &rng, -1, 1);
    fill_uniform(dy, N, &rng, -1, 1);
    int threads = omp_get_max_threads();
    for (int k = 0; k < 2; k++) {
        omp_set_num_threads(k == 0 ? 1 : (threads > 1 ? threads : 2));
        y[k] = fbuf(N), rs[k] = fbuf(BT * 2 * NH), dx[k] = fbuf(N);
        memcpy(y[k], x, N * sizeof(float));
        memcpy(dx[k], dy, N * sizeof(float));
        qknorm_forward(y[k], rs[k], BT, C, NH);
        rotary_forward(y[k], c, s, B, T, C, NH);
        rotary_backward(dx[k], c, s, B, T, C, NH);
        qknorm_backward(dx[k], y[k], rs[k], BT, C, NH);
    }
    omp_set_num_threads(threads);
    check_same("qknorm + rotary, 1 thread and several", y[0], y[1], N);
    check_same("rstd, 1 thread and several", rs[0], rs[1], BT * 2 * NH);
    check_same("backward, 1 thread and several", dx[0], dx[1], N);
    for (int k = 0; k < 2; k++)
        free(y[k]), free(rs[k]), free(dx[k]);
    free(c), free(s), free(x), free(dy);
}

int main(void)
{
    RUN_TEST(test_table_matches_formula);
    RUN_TEST(test_rotary_pairs_and_signs);
    RUN_TEST(test_rotary_keeps_pair_norms);
    RUN_TEST(test_rotary_scores_depend_on_distance);
    RUN_TEST(test_rotary_matches_ref);
    RUN_TEST(test_qknorm_matches_ref);
    RUN_TEST(test_finite_differences);
    RUN_TEST(test_encoder_matches_ref_exactly);
    RUN_TEST(test_same_bits_any_thread_count);
    return TEST_EXIT();
}
