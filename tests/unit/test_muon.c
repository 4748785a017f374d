/* Tests for muon: the fast Newton-Schulz iteration against its double
 * twin within a bound derived by running-error analysis, the singular
 * values it produces, one whole update against the double twin of the
 * formula (a tall matrix among them, transposed and back), the scratch a
 * matrix needs, the FLOPs, and the momentum's warmup. See gradcheck.h for
 * how tolerances are chosen.
 *
 * The bound for Newton-Schulz, in the Frobenius norm. One iteration is
 * X' = p(X) = a X + B X, A = X X^T, B = b A + c A A: three sgemms. A term
 * of an sgemm passes through at most n + 2 roundings on its way into the
 * result (its product, the sum over the inner dimension n, sgemm's alpha,
 * the beta term's scaling), so element by element
 *   |fl(alpha P Q + beta R) - (alpha P Q + beta R)| <= gamma(n + 2) (|alpha| |P||Q| + |beta| |R|)
 * (Higham eq. 3.5, on the data actually used). If the computed X^ is
 * within e of the exact iterate X, the computed X'^ is within
 *   ||fl(p(X^)) - p(X^)|| + ||p(X^) - p(X)|| <= rho + L e
 * of X' = p(X). rho is the rounding of one iteration done on X^: that of
 * A, carried through B's two terms and the last product, plus that of B
 * carried through the last product, plus the last product's own; each
 * rounding term's |P||Q| is bounded by that of the exact matrices plus
 * what their errors add (||P^ - P|| ||Q|| and so on). L is a Lipschitz
 * constant of X -> p(X) in the Frobenius norm: for an odd polynomial
 * applied to the singular values, the Frechet derivative is bounded by
 * the largest |p'(s)| over the singular values' range (the divided
 * differences of p, Daleckii-Krein), and a perturbed X^ has them within
 * [0, ||X||_2 + e]. Writing t = s^2, p'(s) = a + 3 b t + 5 c t^2 is
 * convex in t, so its largest |value| on [0, s^2] is at t = 0, at s^2,
 * or at its minimum t* = -3b / (10c). The test runs this recursion in
 * double alongside the exact iterates, from e = 0 (or the update's
 * rounding before the iteration). The twin's own error, the same
 * recursion with u = 2^-53, is 2^-29 of this one: 2^-28 e is added for
 * it, and u |ref| for rounding the twin's result to float. */
#include "bytegpt/muon.h"

#include "test.h"
#include "gradcheck.h"

/* ---- Small dense linear algebra in double, for the bounds ---- */

/* out (n,m) = P (n,k) . Q (k,m), or with Q given as (m,k) when qt. */
static void mat_mul(double *out, const double *P, const double *Q, size_t n, size_t k, size_t m, int qt)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            double s = 0.0;
            for (size_t l = 0; l < k; l++)
                s += P[i * k + l] * (qt ? Q[j * k + l] : Q[l * m + j]);
            out[i * m + j] = s;
        }
}

/* The eigenvalues of the symmetric s (n,n), ascending, by cyclic Jacobi
 * rotations in double (s is destroyed). Each rotation is backward stable,
 * so the eigenvalues are within a few n u64 ||s||_F of the exact ones. */
static void eigenvalues(double *s, size_t n, double *lambda)
{
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0.0;
        for (size_t p = 0; p < n; p++)
            for (size_t q = p + 1; q < n; q++)
                off += s[p * n + q] * s[p * n + q];
        if (off < 1e-30)
            break;
        for (size_t p = 0; p < n; p++)
            for (size_t q = p + 1; q < n; q++) {
                if (s[p * n + q] == 0.0)
                    continue;
                double theta = (s[q * n + q] - s[p * n + p]) / (2 * s[p * n + q]);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
                double cs = 1 / sqrt(t * t + 1), sn = t * cs;
                for (size_t k = 0; k < n; k++) { /* columns p, q */
                    double kp = s[k * n + p], kq = s[k * n + q];
                    s[k * n + p] = cs * kp - sn * kq;
                    s[k * n + q] = sn * kp + cs * kq;
                }
                for (size_t k = 0; k < n; k++) { /* rows p, q */
                    double pk = s[p * n + k], qk = s[q * n + k];
                    s[p * n + k] = cs * pk - sn * qk;
                    s[q * n + k] = sn * pk + cs * qk;
                }
            }
    }
    for (size_t i = 0; i < n; i++)
        lambda[i] = s[i * n + i];
    for (size_t i = 1; i < n; i++) /* insertion sort: n is small */
        for (size_t j = i; j > 0 && lambda[j] < lambda[j - 1]; j--) {
            double t = lambda[j];
            lambda[j] = lambda[j - 1];
            lambda[j - 1] = t;
        }
}

/* The singular values of x (r,c), r <= c, ascending, and a bound on their
 * error from the eigen solver: sigma = sqrt(lambda(x x^T)), and an error d
 * in lambda moves sigma by at most d / sigma. */
static double singular_values(const float *x, size_t r, size_t c, double *sigma)
{
    double *xd = dbuf(r * c), *g = dbuf(r * r), fro2 = 0.0;
    for (size_t i = 0; i < r * c; i++)
        xd[i] = x[i];
    mat_mul(g, xd, xd, r, c, r, 1);
    for (size_t i = 0; i < r * r; i++)
        fro2 += g[i] * g[i];
    eigenvalues(g, r, sigma);
    for (size_t i = 0; i < r; i++)
        sigma[i] = sqrt(sigma[i] > 0 ? sigma[i] : 0);
    free(xd), free(g);
    return 8.0 * (double)r * 0x1p-53 * sqrt(fro2); /* an error in lambda */
}

/* Fills x (n) from normal(0,1) and scales it to Frobenius norm 1, as
 * muon_update does before iterating. */
static void fill_unit(float *x, size_t n, struct bg_rng *rng)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        x[i] = rng_normal(rng, 0.0f, 1.0f);
        s += (double)x[i] * x[i];
    }
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(x[i] / sqrt(s));
}

static double frob(const double *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i] * x[i];
    return sqrt(s);
}

/* The largest |p'(s)| for s in [0, smax] (see the top). */
static double p_lipschitz(double smax)
{
    const double a = MUON_NS_A, b = MUON_NS_B, c = MUON_NS_C;
    double t = smax * smax, tstar = -3 * b / (10 * c), l = fabs(a);
    l = fmax(l, fabs(a + 3 * b * t + 5 * c * t * t));
    if (tstar < t)
        l = fmax(l, fabs(a + 3 * b * tstar + 5 * c * tstar * tstar));
    return l;
}

/* || |P||Q| ||_F for P (n,k), Q (k,m) (Q given as (m,k) when qt). */
static double abs_product_norm(const double *P, const double *Q, size_t n, size_t k, size_t m, int qt, double *tmp)
{
    double *ap = dbuf(n * k), *aq = dbuf(k * m);
    for (size_t i = 0; i < n * k; i++)
        ap[i] = fabs(P[i]);
    for (size_t i = 0; i < k * m; i++)
        aq[i] = fabs(Q[i]);
    mat_mul(tmp, ap, aq, n, k, m, qt);
    free(ap), free(aq);
    return frob(tmp, n * m);
}

/* One iteration: x (r,c), the exact iterate, becomes the next; returns
 * the bound on the next computed iterate's error, given e for this one.
 * The letters: xs = ||X||_2, xf = ||X||_F, eA, eB the whole error of the
 * computed A and B (for their magnitudes), dA, dB their rounding at X^. */
static double ns_step_bound(double *x, double e, size_t r, size_t c)
{
    const double a = fabs((double)MUON_NS_A), b = fabs((double)MUON_NS_B), cc = fabs((double)MUON_NS_C);
    size_t rr = r * r, rc = r * c;
    double *A = dbuf(rr), *B = dbuf(rr), *lam = dbuf(r), *tmp = dbuf(rc > rr ? rc : rr), *xn = dbuf(rc);
    mat_mul(A, x, x, r, c, r, 1);
    memcpy(B, A, rr * sizeof(double));
    eigenvalues(B, r, lam);
    double xs = sqrt(fmax(lam[r - 1], 0.0)) * (1 + 1e-12), xf = frob(x, rc), af = frob(A, rr), as = xs * xs;
    double xse = xs + e, xfe = xf + e;
    /* A = X X^T */
    double dA = gam((double)c + 2) * (abs_product_norm(x, x, r, c, r, 1, tmp) + 2 * xf * e + e * e);
    double eA = e * (2 * xs + e) + dA, afe = af + eA;
    /* B = c A A + b A */
    mat_mul(B, A, A, r, r, r, 0);
    for (size_t i = 0; i < rr; i++)
        B[i] = (double)MUON_NS_B * A[i] + (double)MUON_NS_C * B[i];
    double nB = cc * (abs_product_norm(A, A, r, r, r, 0, tmp) + 2 * af * eA + eA * eA) + b * afe;
    double dB = gam((double)r + 2) * nB + (cc * (2 * xse * xse + dA) + b) * dA;
    double eB = dB + b * e * (2 * xs + e) + cc * e * (2 * xs + e) * (2 * as + e * (2 * xs + e));
    double bf = frob(B, rr);
    /* X' = B X + a X */
    double nX = abs_product_norm(B, x, r, r, c, 0, tmp) + eB * xf + bf * e + eB * e + a * xfe;
    double rho = gam((double)r + 2) * nX + dB * xse;
    mat_mul(xn, B, x, r, r, c, 0);
    for (size_t i = 0; i < rc; i++)
        x[i] = xn[i] + (double)MUON_NS_A * x[i];
    double next = p_lipschitz(xse) * e + rho;
    free(A), free(B), free(lam), free(tmp), free(xn);
    return next;
}

/* Runs the recursion from x0 (exact) with error e0 over the five
 * iterations, leaving the exact result in x0; returns the final bound. */
static double ns_bound(double *x0, double e0, size_t r, size_t c)
{
    for (int k = 0; k < MUON_NS_STEPS; k++)
        e0 = ns_step_bound(x0, e0, r, c);
    return e0;
}

/* One CHECK: ||got - want||_F <= bound (in double), with the ratio. */
static void check_frobenius(const char *what, const float *got, const double *want, size_t n, double bound)
{
    double d = 0.0;
    for (size_t i = 0; i < n; i++)
        d += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
    d = sqrt(d);
    printf("    %-46s ||diff||_F %.3g, bound %.3g, ratio %.3g\n", what, d, bound, d / bound);
    CHECK(d <= bound);
}

/* ---- Newton-Schulz ---- */

struct shape {
    size_t r, c;
};

static const struct shape ns_shapes[] = {{1, 1}, {1, 7}, {5, 13}, {16, 48}, {33, 65}, {64, 64}, {40, 160}};
#define N_NS_SHAPES (sizeof ns_shapes / sizeof ns_shapes[0])

static void test_ns_matches_ref(void)
{
    struct bg_rng rng;
    rng_seed(&rng, 11, 1);
    for (size_t s = 0; s < N_NS_SHAPES; s++) {
        size_t r = ns_shapes[s].r, c = ns_shapes[s].c, n = r * c;
        float *x = fbuf(n), *scratch = fbuf(n + 2 * r * r);
        double *xd = dbuf(n), *dscratch = dbuf(n + 2 * r * r), *exact = dbuf(n);
        fill_unit(x, n, &rng);
        for (size_t i = 0; i < n; i++)
            exact[i] = xd[i] = x[i];
        muon_newton_schulz(x, r, c, scratch);
        muon_newton_schulz_ref(xd, r, c, dscratch);
        double e = ns_bound(exact, 0.0, r, c); /* the input is exact */
        char what[96];
        snprintf(what, sizeof what, "Newton-Schulz r=%zu c=%zu", r, c);
        check_frobenius(what, x, xd, n, e * (1 + 0x1p-28));
        free(x), free(scratch), free(xd), free(dscratch), free(exact);
    }
}

/* ---- What the iteration does to singular values ---- */

/* The odd polynomial p(s) = a s + b s^3 + c s^5 acts on each singular
 * value alone: NS5 maps x = U diag(s) V^T to U diag(phi(s)) V^T, phi = p
 * five times over. */
static double phi(double s)
{
    const double a = MUON_NS_A, b = MUON_NS_B, c = MUON_NS_C;
    for (int k = 0; k < MUON_NS_STEPS; k++)
        s = a * s + b * s * s * s + c * s * s * s * s * s;
    return s;
}

/* Evaluated on a fine grid, phi maps [0.002, 1] into [0.6818, 1.2024]:
 * the band "about 0.68 to 1.2" Muon's iteration is known for. p maps
 * [0, 1.21] into itself and |p'| <= 4.2448 there (its largest, at 1.21),
 * so phi is Lipschitz with PHI_LIP = 4.2448^5 on it. */
#define BAND_LO 0.6818
#define BAND_HI 1.2024
#define PHI_LIP 1372.0

/* q (n,k): k orthonormal columns, by Gram-Schmidt twice over normal(0,1). */
static void orthonormal(double *q, size_t n, size_t k, struct bg_rng *rng)
{
    for (size_t i = 0; i < n * k; i++)
        q[i] = rng_normal(rng, 0.0f, 1.0f);
    for (size_t j = 0; j < k; j++)
        for (int pass = 0; pass < 2; pass++) {
            for (size_t l = 0; l < j; l++) {
                double d = 0.0;
                for (size_t i = 0; i < n; i++)
                    d += q[i * k + l] * q[i * k + j];
                for (size_t i = 0; i < n; i++)
                    q[i * k + j] -= d * q[i * k + l];
            }
            double norm = 0.0;
            for (size_t i = 0; i < n; i++)
                norm += q[i * k + j] * q[i * k + j];
            for (size_t i = 0; i < n; i++)
                q[i * k + j] /= sqrt(norm);
        }
}

/* x (r,c) = U diag(s) V^T with random U, V and singular values spread
 * evenly in log from 0.01 to 1, then scaled to Frobenius norm 1 (as in
 * muon_update): the smallest stays above 0.002 for these sizes. */
static void designed(float *x, size_t r, size_t c, struct bg_rng *rng)
{
    double *u = dbuf(r * r), *v = dbuf(c * r), *s = dbuf(r), norm = 0.0;
    orthonormal(u, r, r, rng);
    orthonormal(v, c, r, rng);
    for (size_t i = 0; i < r; i++) {
        s[i] = r > 1 ? exp(log(0.01) * (double)i / (double)(r - 1)) : 1.0;
        norm += s[i] * s[i];
    }
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < c; j++) {
            double sum = 0.0;
            for (size_t l = 0; l < r; l++)
                sum += u[i * r + l] * s[l] / sqrt(norm) * v[j * r + l];
            x[i * c + j] = (float)sum;
        }
    free(u), free(v), free(s);
}

static void test_ns_singular_values(void)
{
    static const struct shape shapes[] = {{8, 8}, {16, 48}, {32, 32}, {24, 100}};
    struct bg_rng rng;
    rng_seed(&rng, 12, 1);
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        size_t r = shapes[k].r, c = shapes[k].c, n = r * c;
        float *x = fbuf(n), *scratch = fbuf(n + 2 * r * r);
        double *exact = dbuf(n), *s_in = dbuf(r), *s_out = dbuf(r);
        designed(x, r, c, &rng);
        double d_in = singular_values(x, r, c, s_in);
        for (size_t i = 0; i < n; i++)
            exact[i] = x[i];
        double fro = ns_bound(exact, 0.0, r, c);
        muon_newton_schulz(x, r, c, scratch);
        double d_out = singular_values(x, r, c, s_out);
        /* Weyl: the singular values of the computed result, in order,
         * are each within ||computed - exact||_2 <= ||E||_F of the exact
         * result's, which are phi of the input's (phi is not monotonic, so
         * those are sorted too); the eigen solver's errors come on top,
         * an input's multiplied by PHI_LIP. */
        double *want = dbuf(r), worst = 0.0;
        for (size_t i = 0; i < r; i++)
            want[i] = phi(s_in[i]);
        for (size_t i = 1; i < r; i++) /* insertion sort: r is small */
            for (size_t j = i; j > 0 && want[j] < want[j - 1]; j--) {
                double t = want[j];
                want[j] = want[j - 1];
                want[j - 1] = t;
            }
        /* Sorting may pair any input with a place: the largest slack,
         * that of the smallest input, for all. */
        double slack = PHI_LIP * d_in / s_in[0];
        int in_band = 1, near_phi = 1;
        CHECK(s_in[0] > 0.002 + d_in / s_in[0]);
        for (size_t i = 0; i < r; i++) {
            double tol = fro + d_out / s_out[i] + slack;
            in_band &= want[i] >= BAND_LO && want[i] <= BAND_HI;
            near_phi &= fabs(s_out[i] - want[i]) <= tol;
            worst = fmax(worst, fabs(s_out[i] - want[i]) / tol);
        }
        double lo = s_out[0], hi = s_out[r - 1];
        printf("    r=%-3zu c=%-3zu input sigma %.4f..%.4f -> %.4f..%.4f, worst |sigma-phi|/bound %.3g\n", r, c,
               s_in[0], s_in[r - 1], lo, hi, worst);
        CHECK(in_band);
        CHECK(near_phi);
        free(x), free(scratch), free(exact), free(s_in), free(s_out), free(want);
    }
}

/* ---- One whole update ---- */

/* The bounds for muon_update, element by element, from the inputs (before
 * the update) and the formula's steps in fp32 (each + - * one rounding;
 * the norm, 1/(norm + 1e-7), the decay 1 - lr wd and the step
 * lr sqrt(rows/cols) are computed in double and rounded to float once):
 *   buf' = mu buf + g          e_b = gamma(2) (|mu buf| + |g|)
 *   u    = g + mu buf'         e_u = gamma(2) (|g| + |mu| M_b) + |mu| e_b
 *   s    = 1 / (||u|| + 1e-7)  relative error theta <= dn / (||u|| + 1e-7 - dn) + u + 4 u64,
 *                              dn = ||e_u||_F + gamma64(n + 2) (||u|| + ||e_u||_F)
 *   x0   = u s                 e_0 = s (1 + theta)(1 + u) e_u + s |u| ((1 + theta)(1 + u) - 1)
 *   x5   = NS5(x0)             e_5 by the recursion at the top, from ||e_0||_F
 *   p'   = p d - k x5          (gamma(3) + 4 u64) (|p d| + |k| (|x5| + e_5)) + |k| e_5
 * where d and k, rounded from double, are within u + 2 u64 relatively.
 * Fills the exact p' and buf' too (in double), for the transpose test. */
struct update_bounds {
    double *p, *tol_p, *buf, *tol_buf;
};

static void update_bounds(struct update_bounds *ub, const struct bg_muon *s, const float *p, const float *g,
                          const float *buf, size_t rows, size_t cols)
{
    const double u64 = 0x1p-53, mu = s->momentum;
    size_t n = rows * cols, r = rows < cols ? rows : cols, c = rows < cols ? cols : rows;
    int tall = rows > cols;
    double *x = dbuf(n), *e = dbuf(n), un2 = 0.0, eu2 = 0.0;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            size_t at = i * cols + j, t = tall ? j * rows + i : at;
            double b = mu * buf[at] + g[at], eb = gam(2) * (fabs(mu * buf[at]) + fabs(g[at]));
            ub->buf[at] = b;
            ub->tol_buf[at] = eb;
            x[t] = g[at] + mu * b;
            e[t] = gam(2) * (fabs(g[at]) + fabs(mu) * (fabs(b) + eb)) + fabs(mu) * eb;
            un2 += x[t] * x[t];
            eu2 += e[t] * e[t];
        }
    double un = sqrt(un2), eu = sqrt(eu2), dn = eu + (double)(n + 2) * u64 / (1 - (n + 2) * u64) * (un + eu);
    double sc = 1.0 / (un + 1e-7), theta = dn / (un + 1e-7 - dn) + U32 + 4 * u64;
    double grow = (1 + theta) * (1 + U32);
    double e0 = 0.0;
    for (size_t i = 0; i < n; i++) {
        e[i] = sc * grow * e[i] + sc * fabs(x[i]) * (grow - 1);
        e0 += e[i] * e[i];
        x[i] *= sc;
    }
    double e5 = ns_bound(x, sqrt(e0), r, c); /* every element is within the Frobenius norm */
    double lr = s->lr, d = 1.0 - lr * s->weight_decay, k = lr * sqrt(tall ? (double)rows / (double)cols : 1.0);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            size_t at = i * cols + j, t = tall ? j * rows + i : at;
            ub->p[at] = p[at] * d - k * x[t];
            ub->tol_p[at] = (gam(3) + 4 * u64) * (fabs(p[at] * d) + fabs(k) * (fabs(x[t]) + e5)) +
                            fabs(k) * e5 * (1 + 0x1p-28);
        }
    free(x), free(e);
}

static void update_bounds_alloc(struct update_bounds *ub, size_t n)
{
    ub->p = dbuf(n), ub->tol_p = dbuf(n), ub->buf = dbuf(n), ub->tol_buf = dbuf(n);
}

static void update_bounds_free(struct update_bounds *ub)
{
    free(ub->p), free(ub->tol_p), free(ub->buf), free(ub->tol_buf);
}

/* Random p, g and a momentum buffer that already holds something. */
static void fill_update(float *p, float *g, float *buf, size_t n, struct bg_rng *rng)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = rng_normal(rng, 0.0f, 0.02f);
        g[i] = rng_normal(rng, 0.0f, 1e-3f);
        buf[i] = rng_normal(rng, 0.0f, 1e-3f);
    }
}

static void test_update_matches_ref(void)
{
    static const struct shape shapes[] = {{16, 48}, {32, 32}, {96, 24}, {1, 5}, {7, 1}, {48, 16}};
    const struct bg_muon s = {0.02f, 0.9f, 0.1f};
    struct bg_rng rng;
    rng_seed(&rng, 13, 1);
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        size_t rows = shapes[k].r, cols = shapes[k].c, n = rows * cols, ns = muon_matrix_scratch(rows, cols);
        float *p = fbuf(n), *g = fbuf(n), *buf = fbuf(n), *p_ref = fbuf(n), *buf_ref = fbuf(n), *scratch = fbuf(ns);
        double *dscratch = dbuf(ns), *tol_p = dbuf(n), *tol_b = dbuf(n);
        struct update_bounds ub;
        update_bounds_alloc(&ub, n);
        fill_update(p, g, buf, n, &rng);
        update_bounds(&ub, &s, p, g, buf, rows, cols);
        memcpy(p_ref, p, n * sizeof(float));
        memcpy(buf_ref, buf, n * sizeof(float));
        muon_update(&s, p, g, buf, rows, cols, scratch);
        muon_update_ref(&s, p_ref, g, buf_ref, rows, cols, dscratch);
        for (size_t i = 0; i < n; i++) {
            tol_p[i] = ub.tol_p[i] + U32 * fabs(p_ref[i]);
            tol_b[i] = ub.tol_buf[i] + U32 * fabs(buf_ref[i]);
        }
        char what[96];
        snprintf(what, sizeof what, "update: p %zux%zu", rows, cols);
        check_close(what, p, p_ref, tol_p, n);
        snprintf(what, sizeof what, "update: momentum buffer %zux%zu", rows, cols);
        check_close(what, buf, buf_ref, tol_b, n);
        update_bounds_free(&ub);
        free(p), free(g), free(buf), free(p_ref), free(buf_ref), free(scratch), free(dscratch), free(tol_p),
            free(tol_b);
    }
}

/* A tall matrix (rows > cols) iterates on its transpose, whose Gram
 * matrix is the smaller (cols, cols), and transposes back. In exact
 * arithmetic that is the same map as iterating on the tall matrix itself
 * (p(X X^T) X = X p(X^T X)), so the update must match the double twin run
 * on the untransposed matrix; the scratch must be muon_matrix_scratch's,
 * no more (the floats after it are left alone); the step is scaled by
 * sqrt(rows/cols) = 2; and the update's singular values are in the band. */
static void test_tall_transpose_rule(void)
{
    const size_t rows = 96, cols = 24, n = rows * cols, ns = muon_matrix_scratch(rows, cols), guard = 64;
    const struct bg_muon s = {0.02f, 0.9f, 0.0f};
    CHECK(ns == 2 * cols * rows + 2 * cols * cols);
    struct bg_rng rng;
    rng_seed(&rng, 14, 1);
    float *p = fbuf(n), *g = fbuf(n), *buf = fbuf(n), *scratch = fbuf(ns + guard), *want = fbuf(n), *xt = fbuf(n);
    double *x = dbuf(n), *dscratch = dbuf(n + 2 * rows * rows), *tol = dbuf(n), *sigma = dbuf(cols), norm = 0.0;
    struct update_bounds ub;
    update_bounds_alloc(&ub, n);
    fill_update(p, g, buf, n, &rng);
    memset(p, 0, n * sizeof(float)); /* p' = -k x5: the update alone */
    update_bounds(&ub, &s, p, g, buf, rows, cols);
    for (size_t i = 0; i < n; i++) {
        double b = (double)s.momentum * buf[i] + g[i];
        x[i] = g[i] + (double)s.momentum * b;
        norm += x[i] * x[i];
    }
    for (size_t i = 0; i < n; i++)
        x[i] /= sqrt(norm) + 1e-7;
    muon_newton_schulz_ref(x, rows, cols, dscratch); /* (96,24) as it is: a (96,96) Gram */
    for (size_t i = 0; i < ns + guard; i++)
        scratch[i] = i < ns ? NAN : 12345.0f;
    muon_update(&s, p, g, buf, rows, cols, scratch);
    double fro = 0.0;
    for (size_t i = 0; i < n; i++) {
        want[i] = (float)(-2.0 * (double)s.lr * x[i]);
        tol[i] = ub.tol_p[i] + U32 * fabs(want[i]);
        fro += ub.tol_p[i] * ub.tol_p[i];
    }
    check_close("tall 96x24 against the untransposed twin", p, want, tol, n);
    int kept = 1;
    for (size_t i = ns; i < ns + guard; i++)
        kept &= scratch[i] == 12345.0f;
    CHECK(kept);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            xt[j * rows + i] = p[i * cols + j] / (-2.0f * s.lr);
    double d = singular_values(xt, cols, rows, sigma), delta = sqrt(fro) / (2.0 * s.lr) + d / sigma[0];
    printf("    tall 96x24: update / (2 lr) has singular values %.4f..%.4f\n", sigma[0], sigma[cols - 1]);
    CHECK(sigma[0] >= BAND_LO - delta && sigma[cols - 1] <= BAND_HI + delta);
    update_bounds_free(&ub);
    free(p), free(g), free(buf), free(scratch), free(want), free(xt), free(x), free(dscratch), free(tol), free(sigma);
}

/* ---- Layout, FLOPs, momentum ---- */

static void test_targets_scratch_flops(void)
{
    struct bg_config cfg = {.L = 2, .NH = 4, .C = 32, .ctx = 16, .V = 256};
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(&cfg, t);
    int n = 0, right = 1;
    for (int i = 0; i < BG_N_TENSORS; i++) {
        int want = strcmp(t[i].name, "qkvw") == 0 || strcmp(t[i].name, "attprojw") == 0 ||
                   strcmp(t[i].name, "fcw") == 0 || strcmp(t[i].name, "fcprojw") == 0;
        right &= muon_is_target(&t[i]) == want;
        n += want;
    }
    CHECK(n == 4 && right);
    /* fcw (4C,C) and fcprojw (C,4C) need the most: 2 C 4C + 2 C C. */
    double C = 32;
    CHECK(muon_scratch_floats(t) == (size_t)(10 * C * C));
    /* Per layer, 5 x (4 r r c + 2 r r r): qkv (C,3C) 14 C^3, attproj 6 C^3,
     * fc and fcproj 18 C^3 each: 5 x 56 C^3, two layers. */
    CHECK_NEAR(muon_flops_per_step(t), 2 * 5 * 56 * C * C * C, 0);
}

static void test_momentum_warmup(void)
{
    /* A few ulps of double arithmetic. */
    const double tol = 4 * 0x1p-53;
    CHECK_NEAR(muon_momentum(0), 0.85, tol);
    CHECK_NEAR(muon_momentum(150), 0.90, tol);
    CHECK_NEAR(muon_momentum(299), 0.85 + 0.1 * 299.0 / 300.0, tol);
    CHECK_NEAR(muon_momentum(300), 0.95, tol);
    CHECK_NEAR(muon_momentum(100000), 0.95, tol);
}

int main(void)
{
    RUN_TEST(test_ns_matches_ref);
    RUN_TEST(test_ns_singular_values);
    RUN_TEST(test_update_matches_ref);
    RUN_TEST(test_tall_transpose_rule);
    RUN_TEST(test_targets_scratch_flops);
    RUN_TEST(test_momentum_warmup);
    return TEST_EXIT();
}
