/* scaling_fit: the Chinchilla arithmetic on runs whose answer is known.
 * Exact data give back the quadratic, the power law, the FLOPs per token
 * and the law that made them; noisy data give them back within bounds
 * worked out from the noise (the linearised least-squares errors); the
 * spreads bracket the fit and vanish when the seeds agree; an optimum
 * outside the sizes is never a result; bad input is refused. */
#include <stdlib.h>
#include <string.h>

#include "bytegpt/scaling_fit.h"
#include "test.h"

/* Solves the k x k system M x = v (row-major M; both overwritten) by
 * Gaussian elimination with partial pivoting, for the error bounds. */
static void solve(int k, double *M, double *v, double *x)
{
    for (int c = 0; c < k; c++) {
        int p = c;
        for (int r = c + 1; r < k; r++)
            if (fabs(M[r * k + c]) > fabs(M[p * k + c]))
                p = r;
        for (int j = 0; j < k; j++) {
            double t = M[c * k + j];
            M[c * k + j] = M[p * k + j];
            M[p * k + j] = t;
        }
        double t = v[c];
        v[c] = v[p];
        v[p] = t;
        for (int r = c + 1; r < k; r++) {
            double f = M[r * k + c] / M[c * k + c];
            for (int j = c; j < k; j++)
                M[r * k + j] -= f * M[c * k + j];
            v[r] -= f * v[c];
        }
    }
    for (int r = k - 1; r >= 0; r--) {
        double s = v[r];
        for (int j = r + 1; j < k; j++)
            s -= M[r * k + j] * x[j];
        x[r] = s / M[r * k + r];
    }
}

/* Entry (i, i) of the inverse of the k x k matrix M (k <= 5). */
static double inverse_diag(int k, const double *M, int i)
{
    double A[25], v[5] = {0}, x[5];
    memcpy(A, M, (size_t)(k * k) * sizeof *A);
    v[i] = 1.0;
    solve(k, A, v, x);
    return x[i];
}

/* ---- Approach 2: the parabola ---- */

static void parabola_through(double q0, double q1, double q2, const double *x, size_t m, double *n, double *bpb)
{
    for (size_t i = 0; i < m; i++) {
        n[i] = exp(x[i]);
        bpb[i] = q0 + q1 * x[i] + q2 * x[i] * x[i];
    }
}

static void test_parabola_exact(void)
{
    /* bpb = 3 - 0.4 x + 0.02 x^2 has its vertex at x = 10 (n = e^10),
     * where bpb = 3 - 0.16 / 0.08 = 1. */
    const double inside[] = {8, 9, 10.5, 11, 12, 9.5}, below[] = {11, 12, 13, 14}, above[] = {6, 7, 8, 9};
    double n[6], bpb[6];
    struct bg_scaling_parabola p;
    struct bg_error err;
    parabola_through(3.0, -0.4, 0.02, inside, 6, n, bpb);
    CHECK(scaling_fit_parabola(n, bpb, 6, &p, &err) == BG_OK);
    CHECK_NEAR(p.q0, 3.0, 1e-9);
    CHECK_NEAR(p.q1, -0.4, 1e-9);
    CHECK_NEAR(p.q2, 0.02, 1e-9);
    CHECK(p.where == BG_SCALING_INSIDE);
    CHECK_NEAR(log(p.n_opt), 10.0, 1e-9);
    CHECK_NEAR(p.bpb_opt, 1.0, 1e-9);
    CHECK_NEAR(p.n_lo, exp(8.0), 1e-9 * exp(8.0));
    CHECK_NEAR(p.n_hi, exp(12.0), 1e-9 * exp(12.0));
    CHECK(isnan(p.d_opt) && isnan(p.c));

    /* The same curve seen only right or left of its vertex. */
    parabola_through(3.0, -0.4, 0.02, below, 4, n, bpb);
    CHECK(scaling_fit_parabola(n, bpb, 4, &p, &err) == BG_OK);
    CHECK(p.where == BG_SCALING_BELOW);
    CHECK_NEAR(log(p.n_opt), 10.0, 1e-9);
    parabola_through(3.0, -0.4, 0.02, above, 4, n, bpb);
    CHECK(scaling_fit_parabola(n, bpb, 4, &p, &err) == BG_OK);
    CHECK(p.where == BG_SCALING_ABOVE);
    CHECK_NEAR(log(p.n_opt), 10.0, 1e-9);

    /* Opening downwards, or a straight line: no minimum. */
    parabola_through(1.0, 0.4, -0.02, inside, 6, n, bpb);
    CHECK(scaling_fit_parabola(n, bpb, 6, &p, &err) == BG_OK);
    CHECK(p.where == BG_SCALING_FLAT && isnan(p.n_opt) && isnan(p.bpb_opt));
    parabola_through(3.0, -0.1, 0.0, inside, 6, n, bpb);
    CHECK(scaling_fit_parabola(n, bpb, 6, &p, &err) == BG_OK);
    CHECK(p.where == BG_SCALING_FLAT);
    CHECK_NEAR(p.q1, -0.1, 1e-9);
}

/* With scatter the parabola is the least-squares one: its residuals are
 * orthogonal to 1, x and x^2 (the normal equations). */
static void test_parabola_least_squares(void)
{
    const double x[] = {9, 9, 10, 10, 11, 11, 12, 12};
    const double scatter[] = {0.01, -0.02, 0.015, 0.0, -0.01, 0.02, -0.005, 0.01};
    double n[8], bpb[8];
    parabola_through(4.0, -0.5, 0.025, x, 8, n, bpb);
    for (int i = 0; i < 8; i++)
        bpb[i] += scatter[i];
    struct bg_scaling_parabola p;
    struct bg_error err;
    CHECK(scaling_fit_parabola(n, bpb, 8, &p, &err) == BG_OK);
    for (int k = 0; k < 3; k++) {
        double dot = 0.0, scale = 0.0;
        for (int i = 0; i < 8; i++) {
            double r = bpb[i] - (p.q0 + p.q1 * x[i] + p.q2 * x[i] * x[i]);
            dot += r * pow(x[i], k);
            scale += fabs(bpb[i] * pow(x[i], k));
        }
        CHECK_NEAR(dot, 0.0, 1e-12 * scale);
    }
}

/* ---- The frontier's power law ---- */

static void test_power_exact(void)
{
    double c[4], y[4];
    for (int i = 0; i < 4; i++) {
        c[i] = 1e13 * pow(10.0, i) * (1.0 + 0.3 * i);
        y[i] = 3.5 * pow(c[i], 0.45);
    }
    struct bg_scaling_power p;
    struct bg_error err;
    CHECK(scaling_fit_power(c, y, 4, &p, &err) == BG_OK);
    CHECK_NEAR(p.a, 0.45, 1e-12);
    CHECK_NEAR(p.k, 3.5, 1e-9 * 3.5);
    /* Two points are enough for a line. */
    CHECK(scaling_fit_power(c + 2, y + 2, 2, &p, &err) == BG_OK);
    CHECK_NEAR(p.a, 0.45, 1e-12);
}

/* ---- Tokens at a size ---- */

/* When a token costs 7 n^1.2 FLOPs at every size, interpolating and
 * extrapolating ln fpt in ln n is exact, inside the sizes and out. */
static void test_tokens_at(void)
{
    const double sizes[] = {1e5, 3e5, 1e6, 5e6};
    struct bg_scaling_point pts[13];
    size_t m = 0;
    for (int b = 0; b < 3; b++)
        for (int s = 0; s < 4; s++) {
            double c = 1e13 * pow(4.0, b);
            pts[m++] = (struct bg_scaling_point){.c = c, .n = sizes[s], .d = c / (7.0 * pow(sizes[s], 1.2)),
                                                 .bpb = 2.0, .budget = (size_t)b, .size = (size_t)s};
        }
    const double at[] = {5e4, 1e5, 2e5, 3e5, 7e5, 1e6, 2e6, 5e6, 3e7};
    for (int i = 0; i < 9; i++) {
        double want = 1e17 / (7.0 * pow(at[i], 1.2));
        CHECK_NEAR(scaling_tokens_at(pts, m, at[i], 1e17), want, 1e-12 * want);
    }
    /* A size's FLOPs per token is the mean over its runs: a run of 1e6
     * at 9 n^1.2 makes that size's mean (7 + 7 + 7 + 9) / 4 = 7.5 n^1.2. */
    double c = 2e15, fpt = 9.0 * pow(1e6, 1.2);
    struct bg_scaling_point odd = {.c = c, .n = 1e6, .d = c / fpt, .bpb = 2.0};
    pts[m++] = odd;
    double want = 1e17 / (7.5 * pow(1e6, 1.2));
    CHECK_NEAR(scaling_tokens_at(pts, m, 1e6, 1e17), want, 1e-12 * want);
}

/* ---- Runs made from a known law ---- */

/* L(n, d) = 1.2 + 80 / n^0.34 + 140 / d^0.28: Chinchilla's exponents, and
 * A, B chosen so that models of 1e5 to 1e7 parameters on 1e7 to 1e9 bytes
 * score 2 to 4 bits per byte, as bytegpt's do. With C = 6 n d its optimum
 * size is n* = G (C / 6)^(beta / (alpha + beta)), from dL/dn = 0:
 * alpha A n^-alpha = beta B d^-beta, G = (alpha A / (beta B))^(1 / (alpha + beta)). */
static const struct bg_scaling_law truth = {.E = 1.2, .A = 80.0, .alpha = 0.34, .B = 140.0, .beta = 0.28};

static double optimum_n(double c)
{
    double s = truth.alpha + truth.beta;
    return pow(truth.alpha * truth.A / (truth.beta * truth.B), 1.0 / s) * pow(c / 6.0, truth.beta / s);
}

#define N_BUDGETS 4
#define N_SIZES 7
#define N_SEEDS 2
#define N_RUNS (N_BUDGETS * N_SIZES * N_SEEDS)

/* An IsoFLOP grid: budgets 1e13 to 1e16 FLOPs, 7 sizes a factor 2
 * apart, 2 seeds, and each score multiplied by (1 + noise * a normal
 * draw). A token costs 6 n + attention * sqrt(n) FLOPs: the second term
 * is 6 L ctx C for a family of fixed depth, whose width grows as sqrt(n).
 * centred: the sizes of each budget are n*(C) / 8 .. n*(C) * 8 (fair only
 * without attention, where n* is the formula above); else 1e5 * 2^k * shift. */
struct grid {
    double attention, noise, shift;
    int centred;
};

static void make_runs(const struct grid *g, struct bg_scaling_point *pts)
{
    struct bg_rng rng;
    rng_seed(&rng, 2022, 11);
    size_t i = 0;
    for (size_t b = 0; b < N_BUDGETS; b++)
        for (size_t s = 0; s < N_SIZES; s++)
            for (size_t seed = 0; seed < N_SEEDS; seed++) {
                double c = 1e13 * pow(10.0, (double)b);
                double n = (g->centred ? optimum_n(c) / 8.0 : 1e5 * g->shift) * pow(2.0, (double)s);
                double d = c / (6.0 * n + g->attention * sqrt(n));
                double bpb = scaling_law_eval(&truth, n, d) * (1.0 + g->noise * rng_normal(&rng, 0.0f, 1.0f));
                pts[i++] = (struct bg_scaling_point){.c = c, .n = n, .d = d, .bpb = bpb, .budget = b, .size = s,
                                                     .seed = seed};
            }
}

/* ---- Approach 3: the law ---- */

static void test_law_gradient(void)
{
    struct bg_scaling_point pts[N_RUNS];
    make_runs(&(struct grid){.attention = 443.0, .shift = 1.0}, pts);
    /* Near the truth every run is on the quadratic part of the Huber loss
     * (each residual is below 1e-4, delta is 1e-3); far from it every run
     * is on the linear part. Each is smooth there, so central differences
     * with step h err by h^2 f''' / 6: with ln n up to 16 and 56 runs,
     * f''' is at most ~1e5 here, 2e-10 at h = 1e-7, far below the 1e-6 of
     * the largest component allowed (a term missing its ln n, or a wrong
     * softmax weight, is off by tens of percent). Rounding adds about
     * 1e-16 f / h, less still. */
    double th0 = log(truth.A), th1 = log(truth.B), th2 = log(truth.E);
    const double at[2][5] = {{th0 + 2e-5, th1 - 1e-5, th2 + 1e-5, truth.alpha - 3e-6, truth.beta + 2e-6},
                             {10.0, 5.0, -0.5, 1.0, 0.5}};
    for (int k = 0; k < 2; k++) {
        double g[5], th[5], h = 1e-7, g_max = 0.0;
        double f = scaling_law_objective(pts, N_RUNS, at[k], g);
        /* The objective itself, computed the plain way. */
        double plain = 0.0;
        struct bg_scaling_law law = {exp(at[k][2]), exp(at[k][0]), at[k][3], exp(at[k][1]), at[k][4], 0};
        for (size_t i = 0; i < N_RUNS; i++) {
            double r = log(scaling_law_eval(&law, pts[i].n, pts[i].d)) - log(pts[i].bpb);
            plain += fabs(r) <= 1e-3 ? 0.5 * r * r : 1e-3 * (fabs(r) - 0.5e-3);
        }
        /* Each residual near the truth is ~1e-5, a difference of logs
         * near 1: rounding leaves it 1e-11 of itself, whichever way. */
        CHECK_NEAR(f, plain, 1e-9 * plain);
        for (int j = 0; j < 5; j++)
            g_max = fmax(g_max, fabs(g[j]));
        for (int j = 0; j < 5; j++) {
            memcpy(th, at[k], sizeof th);
            th[j] += h;
            double up = scaling_law_objective(pts, N_RUNS, th, NULL);
            th[j] -= 2 * h;
            double down = scaling_law_objective(pts, N_RUNS, th, NULL);
            double fd = (up - down) / (2 * h);
            CHECK_NEAR(g[j], fd, 1e-6 * g_max);
        }
    }
}


/* The linearised standard errors of theta = (ln A, ln B, ln E, alpha,
 * beta) fitted to these runs with multiplicative noise sigma: the noise
 * moves each ln L by sigma, and least squares turns that into the
 * covariance sigma^2 (J^T J)^-1, J the derivatives of ln L(n_i, d_i) at the
 * truth. The fit minimises a Huber loss, between least squares and least
 * absolute deviations; the latter's variance is pi/2 times as large under
 * normal noise, so the bound takes that factor. */
static void law_errors(const struct bg_scaling_point *pts, size_t m, double sigma, double sd[5])
{
    double JtJ[25] = {0};
    for (size_t i = 0; i < m; i++) {
        double L = scaling_law_eval(&truth, pts[i].n, pts[i].d);
        double tA = truth.A * pow(pts[i].n, -truth.alpha) / L, tB = truth.B * pow(pts[i].d, -truth.beta) / L;
        double J[5] = {tA, tB, truth.E / L, -tA * log(pts[i].n), -tB * log(pts[i].d)};
        for (int j = 0; j < 5; j++)
            for (int k = 0; k < 5; k++)
                JtJ[j * 5 + k] += J[j] * J[k];
    }
    double half_pi = 2.0 * atan(1.0);
    for (int k = 0; k < 5; k++)
        sd[k] = sigma * sqrt(half_pi * inverse_diag(5, JtJ, k));
}

/* Exact runs: the fit from the paper's grid finds the law that made them
 * to the optimiser's precision (the objective falls to ~1e-30). */
static void test_law_exact(void)
{
    struct bg_scaling_point pts[N_RUNS];
    make_runs(&(struct grid){.attention = 443.0, .shift = 1.0}, pts);
    struct bg_scaling_law law;
    struct bg_error err;
    CHECK(scaling_fit_law(pts, N_RUNS, NULL, &law, &err) == BG_OK);
    CHECK_NEAR(law.E, truth.E, 1e-6 * truth.E);
    CHECK_NEAR(law.alpha, truth.alpha, 1e-6);
    CHECK_NEAR(law.beta, truth.beta, 1e-6);
    CHECK_NEAR(law.A, truth.A, 1e-5 * truth.A);
    CHECK_NEAR(law.B, truth.B, 1e-5 * truth.B);
    CHECK(law.objective < 1e-20);
    /* From a start near the answer, the same answer. */
    struct bg_scaling_law start = {1.0, 60.0, 0.3, 200.0, 0.3, 0}, again;
    CHECK(scaling_fit_law(pts, N_RUNS, &start, &again, &err) == BG_OK);
    CHECK_NEAR(again.alpha, truth.alpha, 1e-6);
    CHECK_NEAR(again.E, truth.E, 1e-6 * truth.E);
}

/* Noisy runs (0.1% per score, about the spread of bytegpt's seeds at a
 * fixed budget): E, alpha and beta within 4 linearised standard errors. */
static void test_law_noisy(void)
{
    const double sigma = 1e-3;
    struct bg_scaling_point pts[N_RUNS];
    make_runs(&(struct grid){.attention = 443.0, .noise = sigma, .shift = 1.0}, pts);
    double sd[5];
    law_errors(pts, N_RUNS, sigma, sd);
    struct bg_scaling_law law;
    struct bg_error err;
    CHECK(scaling_fit_law(pts, N_RUNS, NULL, &law, &err) == BG_OK);
    CHECK_NEAR(law.E, truth.E, 4.0 * truth.E * sd[2]);
    CHECK_NEAR(law.alpha, truth.alpha, 4.0 * sd[3]);
    CHECK_NEAR(law.beta, truth.beta, 4.0 * sd[4]);
}

/* ---- The whole fit ---- */

#define C_PRED 1e17

/* Exact runs on sizes centred on each budget's optimum, with C = 6 n d:
 * there L - E = G(C) (t^-alpha + (alpha / beta) t^beta) with t = n / n*(C),
 * the same curve in ln t at every budget up to the factor G(C). A
 * parabola fitted to it over the same t's puts its vertex at the same t
 * at every budget (a least-squares fit scales with its data), so its
 * n_opt is n*(C) times a constant, and the frontier's exponent is exactly
 * n*'s, beta / (alpha + beta); d_opt = C / (6 n_opt) makes b = 1 - a. The
 * seeds agree, so every resample is the same runs and the spreads vanish. */
static void test_fit_all_exact(void)
{
    struct bg_scaling_point pts[N_RUNS];
    make_runs(&(struct grid){.centred = 1}, pts);
    struct bg_rng rng;
    rng_seed(&rng, 1, 12);
    struct bg_scaling_fit fit;
    struct bg_error err;
    CHECK(scaling_fit_all(pts, N_RUNS, N_BUDGETS, N_SEEDS, C_PRED, 20, &rng, &fit, &err) == BG_OK);
    CHECK(fit.n_budgets == N_BUDGETS && fit.n_inside == N_BUDGETS && fit.has_frontier);
    for (int j = 0; j < N_BUDGETS; j++) {
        const struct bg_scaling_parabola *p = &fit.par[j];
        CHECK(p->where == BG_SCALING_INSIDE);
        CHECK_NEAR(p->c, 1e13 * pow(10.0, j), 1e-12 * p->c);
        CHECK_NEAR(p->d_opt, p->c / (6.0 * p->n_opt), 1e-12 * p->d_opt);
        /* The vertex's offset from n* is the same at every budget. */
        CHECK_NEAR(p->n_opt / optimum_n(p->c), fit.par[0].n_opt / optimum_n(fit.par[0].c), 1e-9);
    }
    double a = truth.beta / (truth.alpha + truth.beta);
    CHECK_NEAR(fit.a.value, a, 1e-9);
    CHECK_NEAR(fit.b.value, 1.0 - a, 1e-9);
    CHECK_NEAR(fit.tokens_per_param.value, fit.par[3].d_opt / fit.par[3].n_opt, 1e-12 * fit.tokens_per_param.value);
    CHECK_NEAR(fit.E.value, truth.E, 1e-6 * truth.E);
    CHECK_NEAR(fit.alpha.value, truth.alpha, 1e-6);
    CHECK_NEAR(fit.beta.value, truth.beta, 1e-6);
    /* The prediction: the frontier's size, 6 n d = C, the law's loss. */
    CHECK(fit.c_pred == C_PRED);
    CHECK_NEAR(fit.n_pred.value / optimum_n(C_PRED), fit.par[0].n_opt / optimum_n(fit.par[0].c), 1e-9);
    CHECK_NEAR(fit.d_pred.value, C_PRED / (6.0 * fit.n_pred.value), 1e-9 * fit.d_pred.value);
    double L = scaling_law_eval(&truth, fit.n_pred.value, fit.d_pred.value);
    CHECK_NEAR(fit.bpb_pred.value, L, 1e-6 * L);
    CHECK(fit.resamples == 20);
    const struct bg_scaling_value *v[] = {&fit.a, &fit.b, &fit.tokens_per_param, &fit.E, &fit.alpha, &fit.beta,
                                          &fit.A, &fit.B, &fit.n_pred, &fit.d_pred, &fit.bpb_pred};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        CHECK_NEAR(v[i]->lo, v[i]->value, 1e-5 * fabs(v[i]->value));
        CHECK_NEAR(v[i]->hi, v[i]->value, 1e-5 * fabs(v[i]->value));
    }
}

/* The standard error of the frontier's exponent a from scores with
 * multiplicative noise sigma, on the centred sizes, propagated by
 * linearising: each budget's parabola is least squares in z = (s - 3) / 3
 * (size s of 7, a factor 2 apart), its coefficients r get the covariance
 * s_b^2 (Z^T Z)^-1, s_b the noise of the budget's largest score; the
 * vertex z* = -r1 / (2 r2) moves by (dr1 - (r1 / r2) dr2) / (2 r2), the
 * covariance of r1 and r2 being 0 for z's symmetric about 0; x* = ln n_opt
 * is 3 ln 2 times z*; a is the least-squares slope of x* over ln C, the
 * sum over budgets of w_b x*_b with w_b = (ln C_b - mean) / Sxx. */
static double frontier_sd(double sigma)
{
    struct bg_scaling_point pts[N_RUNS];
    make_runs(&(struct grid){.centred = 1}, pts);
    double var_x[N_BUDGETS], lc[N_BUDGETS], mean = 0.0;
    for (int b = 0; b < N_BUDGETS; b++) {
        double ZtZ[9] = {0}, Zty[3] = {0}, r[3], top = 0.0;
        for (int i = 0; i < N_RUNS; i++) {
            if (pts[i].budget != (size_t)b)
                continue;
            double z = ((double)pts[i].size - 3.0) / 3.0, zk[3] = {1.0, z, z * z};
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 3; k++)
                    ZtZ[j * 3 + k] += zk[j] * zk[k];
                Zty[j] += zk[j] * pts[i].bpb;
            }
            top = fmax(top, pts[i].bpb);
        }
        double V11 = inverse_diag(3, ZtZ, 1), V22 = inverse_diag(3, ZtZ, 2), s_b = sigma * top;
        solve(3, ZtZ, Zty, r);
        double var_z = s_b * s_b * (V11 + (r[1] / r[2]) * (r[1] / r[2]) * V22) / (4.0 * r[2] * r[2]);
        var_x[b] = 9.0 * log(2.0) * log(2.0) * var_z;
        lc[b] = log(1e13 * pow(10.0, b));
        mean += lc[b] / N_BUDGETS;
    }
    double sxx = 0.0, var_a = 0.0;
    for (int b = 0; b < N_BUDGETS; b++)
        sxx += (lc[b] - mean) * (lc[b] - mean);
    for (int b = 0; b < N_BUDGETS; b++)
        var_a += (lc[b] - mean) * (lc[b] - mean) / (sxx * sxx) * var_x[b];
    return sqrt(var_a);
}

/* Noisy runs: the exponent within 4 standard errors of beta / (alpha +
 * beta), and every spread brackets its value with some width. */
static void test_fit_all_noisy(void)
{
    const double sigma = 1e-3;
    struct bg_scaling_point pts[N_RUNS];
    make_runs(&(struct grid){.centred = 1, .noise = sigma}, pts);
    struct bg_rng rng;
    rng_seed(&rng, 2, 12);
    struct bg_scaling_fit fit;
    struct bg_error err;
    CHECK(scaling_fit_all(pts, N_RUNS, N_BUDGETS, N_SEEDS, C_PRED, 100, &rng, &fit, &err) == BG_OK);
    CHECK(fit.has_frontier);
    double sd = frontier_sd(sigma), a = truth.beta / (truth.alpha + truth.beta);
    CHECK_NEAR(fit.a.value, a, 4.0 * sd);
    /* d_opt is still C / (6 n_opt) exactly, whatever the noise did to n_opt. */
    CHECK_NEAR(fit.b.value, 1.0 - fit.a.value, 1e-9);
    const struct bg_scaling_value *v[] = {&fit.a, &fit.b, &fit.tokens_per_param, &fit.E, &fit.alpha, &fit.beta,
                                          &fit.A, &fit.B, &fit.n_pred, &fit.d_pred, &fit.bpb_pred};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        CHECK(v[i]->lo <= v[i]->value && v[i]->value <= v[i]->hi && v[i]->lo < v[i]->hi);
}

/* Sizes too small for the larger budgets (optima a factor 2.6 to 20
 * above the largest size) or too large for the smaller ones: those
 * budgets are ABOVE or BELOW, at most one is inside, and so there is no
 * frontier, no exponent and no prediction, spreads included; the law,
 * fitted to all runs, is still there. */
static void test_fit_all_outside(void)
{
    struct bg_scaling_point pts[N_RUNS];
    struct bg_rng rng;
    rng_seed(&rng, 3, 12);
    struct bg_scaling_fit fit;
    struct bg_error err;
    /* Sizes 3.1e3 .. 2e5; n* is 1.8e5, 5.2e5, 1.5e6, 4.2e6 (6 n d = C). */
    make_runs(&(struct grid){.attention = 443.0, .noise = 1e-3, .shift = 1.0 / 32}, pts);
    CHECK(scaling_fit_all(pts, N_RUNS, N_BUDGETS, N_SEEDS, C_PRED, 10, &rng, &fit, &err) == BG_OK);
    for (int j = 1; j < N_BUDGETS; j++)
        CHECK(fit.par[j].where == BG_SCALING_ABOVE && fit.par[j].n_opt > fit.par[j].n_hi && isnan(fit.par[j].d_opt));
    CHECK(fit.n_inside <= 1 && !fit.has_frontier);
    CHECK(isnan(fit.a.value) && isnan(fit.a.lo) && isnan(fit.b.hi) && isnan(fit.tokens_per_param.value));
    CHECK(isnan(fit.n_pred.value) && isnan(fit.d_pred.value) && isnan(fit.bpb_pred.value) && isnan(fit.bpb_pred.lo));
    CHECK(isfinite(fit.E.value) && fit.E.lo <= fit.E.hi);
    /* Sizes 6.4e6 .. 4.1e8. */
    make_runs(&(struct grid){.attention = 443.0, .noise = 1e-3, .shift = 64.0}, pts);
    CHECK(scaling_fit_all(pts, N_RUNS, N_BUDGETS, N_SEEDS, C_PRED, 10, &rng, &fit, &err) == BG_OK);
    for (int j = 0; j < N_BUDGETS - 1; j++)
        CHECK(fit.par[j].where == BG_SCALING_BELOW && fit.par[j].n_opt < fit.par[j].n_lo);
    CHECK(fit.n_inside <= 1 && !fit.has_frontier && isnan(fit.a.value));
}

/* Each budget's parabola is fitted over the three sizes around its lowest
 * score, not over every size: a profile that rises steeply far from its
 * minimum (here the largest size) bends a parabola over all five away from
 * the sizes that bracket the minimum. Budget 0 is lowest at its second
 * size, budget 1 at its third, a size whose neighbours a fit over every
 * size would not centre on. */
static void test_fit_all_window(void)
{
    static const double score[2][5] = {{2.95, 2.9, 3.3, 4.5, 7.0}, {3.6, 3.3, 3.2, 3.25, 6.5}};
    struct bg_scaling_point pts[10];
    double n[5], all[5];
    for (size_t b = 0; b < 2; b++)
        for (size_t z = 0; z < 5; z++) {
            n[z] = 1e4 * pow(2.0, (double)z);
            double c = 1e12 * (double)(b + 1);
            pts[b * 5 + z] = (struct bg_scaling_point){.c = c, .n = n[z], .d = c / (6.0 * n[z]), .bpb = score[b][z],
                                                       .budget = b, .size = z, .seed = 0};
        }
    struct bg_scaling_fit fit;
    struct bg_error err;
    CHECK(scaling_fit_all(pts, 10, 2, 1, 1e13, 0, NULL, &fit, &err) == BG_OK);
    const size_t first[2] = {0, 1}; /* the window's first size at each budget */
    for (size_t b = 0; b < 2; b++) {
        struct bg_scaling_parabola want, every;
        CHECK(scaling_fit_parabola(n + first[b], score[b] + first[b], 3, &want, &err) == BG_OK);
        memcpy(all, score[b], sizeof all);
        CHECK(scaling_fit_parabola(n, all, 5, &every, &err) == BG_OK);
        const struct bg_scaling_parabola *got = &fit.par[b];
        CHECK(got->where == BG_SCALING_INSIDE);
        CHECK_NEAR(got->n_opt, want.n_opt, 1e-9 * want.n_opt);
        CHECK_NEAR(got->bpb_opt, want.bpb_opt, 1e-9);
        CHECK_NEAR(got->n_lo, n[first[b]], 1e-9 * n[first[b]]);
        CHECK_NEAR(got->n_hi, n[first[b] + 2], 1e-9 * n[first[b] + 2]);
        CHECK(fabs(log(every.n_opt / want.n_opt)) > 0.1); /* the test tells the two apart */
        CHECK_NEAR(got->c, 1e12 * (double)(b + 1), 1e-3);
    }
    CHECK(fit.has_frontier);
}

/* A budget whose three lowest sizes make no minimum (the parabola opens
 * downwards) but whose lowest score is its smallest size says "below"; the
 * mirror image says "above". The first profile is the library corpus' at
 * 5e11 FLOPs. */
static void test_fit_all_flat_edge(void)
{
    static const double score[2][5] = {{3.15, 3.42, 3.55, 3.61, 3.73}, {3.73, 3.61, 3.55, 3.42, 3.15}};
    struct bg_scaling_point pts[10];
    for (size_t b = 0; b < 2; b++)
        for (size_t z = 0; z < 5; z++) {
            double n = 1e4 * pow(2.0, (double)z), c = 1e12 * (double)(b + 1);
            pts[b * 5 + z] = (struct bg_scaling_point){.c = c, .n = n, .d = c / (6.0 * n), .bpb = score[b][z],
                                                       .budget = b, .size = z, .seed = 0};
        }
    struct bg_scaling_fit fit;
    struct bg_error err;
    CHECK(scaling_fit_all(pts, 10, 2, 1, 1e13, 0, NULL, &fit, &err) == BG_OK);
    CHECK(fit.par[0].where == BG_SCALING_BELOW && isnan(fit.par[0].d_opt));
    CHECK(fit.par[1].where == BG_SCALING_ABOVE && isnan(fit.par[1].d_opt));
    CHECK(fit.n_inside == 0 && !fit.has_frontier);
}

/* Runs of one budget, for the error cases; returns how many. */
static size_t without(const struct bg_scaling_point *pts, size_t budget, size_t min_size, struct bg_scaling_point *out)
{
    size_t k = 0;
    for (size_t i = 0; i < N_RUNS; i++)
        if (pts[i].budget != budget || pts[i].size < min_size)
            out[k++] = pts[i];
    return k;
}

static int refused(int rc, const struct bg_error *err, const char *word)
{
    return rc == BG_ERR_INPUT && err->code == BG_ERR_INPUT && strstr(err->msg, word) != NULL;
}

static void test_fit_all_errors(void)
{
    static struct bg_scaling_point big[BG_SCALING_MAX_POINTS + 1];
    struct bg_scaling_point pts[N_RUNS], bad[N_RUNS];
    make_runs(&(struct grid){.centred = 1}, pts);
    struct bg_rng rng;
    rng_seed(&rng, 4, 12);
    struct bg_scaling_fit fit;
    struct bg_error err;
#define FIT(p, m, budgets, seeds, c_pred, rs, r) scaling_fit_all(p, m, budgets, seeds, c_pred, rs, r, &fit, &err)
    /* Budget 2 with only its two smallest sizes. */
    size_t k = without(pts, 2, 2, bad);
    CHECK(refused(FIT(bad, k, N_BUDGETS, N_SEEDS, C_PRED, 0, NULL), &err, "budget 2 has 2 distinct sizes"));
    memcpy(bad, pts, sizeof pts);
    bad[5].bpb = 0.0;
    CHECK(refused(FIT(bad, N_RUNS, N_BUDGETS, N_SEEDS, C_PRED, 0, NULL), &err, "run 5"));
    memcpy(bad, pts, sizeof pts);
    bad[7].n = NAN;
    CHECK(refused(FIT(bad, N_RUNS, N_BUDGETS, N_SEEDS, C_PRED, 0, NULL), &err, "run 7"));
    memcpy(bad, pts, sizeof pts);
    bad[9].d = INFINITY;
    CHECK(refused(FIT(bad, N_RUNS, N_BUDGETS, N_SEEDS, C_PRED, 0, NULL), &err, "run 9"));
    CHECK(refused(FIT(pts, N_RUNS, N_BUDGETS - 1, N_SEEDS, C_PRED, 0, NULL), &err, "budget 3"));
    CHECK(refused(FIT(pts, N_RUNS, N_BUDGETS, 1, C_PRED, 0, NULL), &err, "seed 1"));
    CHECK(refused(FIT(pts, N_RUNS, BG_SCALING_MAX_BUDGETS + 1, N_SEEDS, C_PRED, 0, NULL), &err, "budgets"));
    CHECK(refused(FIT(big, BG_SCALING_MAX_POINTS + 1, N_BUDGETS, N_SEEDS, C_PRED, 0, NULL), &err, "runs"));
    CHECK(refused(FIT(pts, N_RUNS, N_BUDGETS, N_SEEDS, C_PRED, BG_SCALING_MAX_RESAMPLES + 1, &rng), &err, "resamples"));
    CHECK(refused(FIT(pts, N_RUNS, N_BUDGETS, N_SEEDS, C_PRED, 10, NULL), &err, "random"));
    /* The prediction must be beyond the largest budget (1e16). */
    CHECK(refused(FIT(pts, N_RUNS, N_BUDGETS, N_SEEDS, 1e16, 0, NULL), &err, "prediction"));
    CHECK(refused(FIT(pts, N_RUNS, N_BUDGETS, N_SEEDS, NAN, 0, NULL), &err, "prediction"));
    /* A budget-1 run that spent less than budget 0's. */
    memcpy(bad, pts, sizeof pts);
    bad[N_SIZES * N_SEEDS].c = 5e12;
    CHECK(refused(FIT(bad, N_RUNS, N_BUDGETS, N_SEEDS, C_PRED, 0, NULL), &err, "budget 1"));
    /* Two seeds of one size that disagree on its parameters. */
    memcpy(bad, pts, sizeof pts);
    bad[1].n *= 1.5;
    CHECK(refused(FIT(bad, N_RUNS, N_BUDGETS, N_SEEDS, C_PRED, 0, NULL), &err, "parameters"));
#undef FIT

    /* The pieces, alone. */
    double n[3] = {1e5, 2e5, 2e5}, y[3] = {3.0, 2.9, 2.95};
    struct bg_scaling_parabola p;
    struct bg_scaling_power pw;
    struct bg_scaling_law law;
    CHECK(refused(scaling_fit_parabola(n, y, 2, &p, &err), &err, "3 runs"));
    CHECK(refused(scaling_fit_parabola(n, y, 3, &p, &err), &err, "3 distinct sizes"));
    n[2] = -1.0;
    CHECK(refused(scaling_fit_parabola(n, y, 3, &p, &err), &err, "run 2"));
    CHECK(refused(scaling_fit_power(n, y, 1, &pw, &err), &err, "2 points"));
    CHECK(refused(scaling_fit_power(n + 1, y + 1, 2, &pw, &err), &err, "point 1"));
    n[2] = 2e5;
    CHECK(refused(scaling_fit_power(n + 1, y + 1, 2, &pw, &err), &err, "distinct"));
    CHECK(refused(scaling_fit_law(pts, 4, NULL, &law, &err), &err, "5 runs"));
    memcpy(bad, pts, sizeof pts);
    bad[3].bpb = -2.0;
    CHECK(refused(scaling_fit_law(bad, N_RUNS, NULL, &law, &err), &err, "run 3"));
    struct bg_scaling_law no_start = {0.0, 80.0, 0.3, 140.0, 0.3, 0};
    CHECK(refused(scaling_fit_law(pts, N_RUNS, &no_start, &law, &err), &err, "starting point"));
}

int main(void)
{
    RUN_TEST(test_parabola_exact);
    RUN_TEST(test_parabola_least_squares);
    RUN_TEST(test_power_exact);
    RUN_TEST(test_tokens_at);
    RUN_TEST(test_law_gradient);
    RUN_TEST(test_law_exact);
    RUN_TEST(test_law_noisy);
    RUN_TEST(test_fit_all_exact);
    RUN_TEST(test_fit_all_noisy);
    RUN_TEST(test_fit_all_outside);
    RUN_TEST(test_fit_all_window);
    RUN_TEST(test_fit_all_flat_edge);
    RUN_TEST(test_fit_all_errors);
    return TEST_EXIT();
}
