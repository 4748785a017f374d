/* scaling_law: Approach 3 of scaling_fit.h, the law
 * L(n, d) = E + A / n^alpha + B / d^beta fitted to every run at once, as
 * Hoffmann et al. 2022 fit it: the Huber loss of the law's log against
 * each run's log loss, minimised by a quasi-Newton method from a grid of
 * starting points, the best end point kept.
 *
 * The optimiser is BFGS with the analytic gradient and a backtracking line
 * search (the paper used L-BFGS; with 5 parameters the full 5x5 inverse
 * Hessian costs nothing, and BFGS is the same method without the
 * memory-saving part). Nelder-Mead would need no gradient, but in five
 * dimensions it takes hundreds of evaluations to converge and can stall
 * on the long curved valley this objective has between E and the other
 * two terms; BFGS follows the valley with a few dozen steps. */
#include "measure/scaling_law.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The parameters, in the header's order: a = ln A, b = ln B, e = ln E,
 * alpha, beta. Fitting logs keeps A, B, E positive without constraints. */
enum { TH_A, TH_B, TH_E, TH_ALPHA, TH_BETA, TH_N };

/* ---- The objective ---- */

/* What the objective reads of the runs: ln n, ln d and ln L, taken once
 * per fit rather than at each of the thousands of evaluations. */
struct law_data {
    size_t m;
    const double *ln_n, *ln_d, *ln_L;
};

/* One run's term, Huber(LSE(a - alpha ln n, b - beta ln d, e) - ln L),
 * with its gradient added to g when g is not NULL. */
static double law_term(const double *th, double ln_n, double ln_d, double ln_L, double *g)
{
    /* ln L(n, d) is the log of a sum of three exponentials, one per term
     * of the law. Subtracting the largest exponent before exponentiating
     * keeps every exp in (0, 1], so no starting point of the grid (a = 25
     * is A = 7e10) overflows, and the log of the sum is at least 0. The
     * largest term's exp is 1 and is not computed: the exps are most of
     * the fit's time. */
    double u[3] = {th[TH_A] - th[TH_ALPHA] * ln_n, th[TH_B] - th[TH_BETA] * ln_d, th[TH_E]};
    double top = fmax(u[0], fmax(u[1], u[2]));
    double w[3], sum = 0.0;
    for (int k = 0; k < 3; k++) {
        w[k] = u[k] == top ? 1.0 : exp(u[k] - top);
        sum += w[k];
    }
    double r = top + log(sum) - ln_L;
    /* Huber: r^2 / 2 within delta of zero, linear beyond it, so that one
     * odd run pulls the fit with a bounded force. Its slope is r clipped
     * to [-delta, delta]. */
    const double delta = BG_SCALING_HUBER_DELTA;
    double h, slope;
    if (fabs(r) <= delta) {
        h = 0.5 * r * r;
        slope = r;
    } else {
        h = delta * (fabs(r) - 0.5 * delta);
        slope = copysign(delta, r);
    }
    if (g) {
        /* d LSE / d u_k is the softmax weight w_k / sum; u_0 moves with a
         * (1) and alpha (-ln n), u_1 with b (1) and beta (-ln d), u_2 is e. */
        double g0 = slope * w[0] / sum, g1 = slope * w[1] / sum;
        g[TH_A] += g0;
        g[TH_ALPHA] -= g0 * ln_n;
        g[TH_B] += g1;
        g[TH_BETA] -= g1 * ln_d;
        g[TH_E] += slope * w[2] / sum;
    }
    return h;
}

/* The objective over all runs, and its gradient into g (when not NULL). */
static double law_objective(const struct law_data *D, const double *th, double *g)
{
    if (g)
        memset(g, 0, TH_N * sizeof *g);
    double f = 0.0;
    for (size_t i = 0; i < D->m; i++)
        f += law_term(th, D->ln_n[i], D->ln_d[i], D->ln_L[i], g);
    return f;
}

double scaling_law_objective(const struct bg_scaling_point *pts, size_t m, const double theta[BG_SCALING_LAW_PARAMS],
                             double grad[BG_SCALING_LAW_PARAMS])
{
    if (grad)
        memset(grad, 0, TH_N * sizeof *grad);
    double f = 0.0;
    for (size_t i = 0; i < m; i++)
        f += law_term(theta, log(pts[i].n), log(pts[i].d), log(pts[i].bpb), grad);
    return f;
}

/* ---- BFGS ---- */

#define LAW_ARMIJO 1e-4       /* the decrease a step must achieve, as a share of the slope's promise */
#define LAW_MAX_HALVINGS 60   /* 2^-60: a step below any parameter's rounding */
#define LAW_MAX_DOUBLINGS 30  /* 2^30: far beyond any sensible parameter */
#define LAW_FTOL 1e-13        /* stop when a step lowers the objective by less than this share */
#define LAW_XTOL 1e-11        /* or moves no parameter by more than this */
#define LAW_MAX_ITERS 1000    /* a backstop: fits converge in tens to hundreds */

/* A point of the search: the parameters, the objective and its gradient. */
struct law_state {
    double th[TH_N], g[TH_N], f;
};

static double law_dot(const double *x, const double *y)
{
    double s = 0.0;
    for (int k = 0; k < TH_N; k++)
        s += x[k] * y[k];
    return s;
}

/* Evaluates x + t p into y; says whether it lowers the objective enough
 * (Armijo's rule). A step into overflow gives NaN, which is never enough. */
static int law_try(const struct law_data *D, const struct law_state *x, const double *p, double t,
                   struct law_state *y)
{
    for (int k = 0; k < TH_N; k++)
        y->th[k] = x->th[k] + t * p[k];
    y->f = law_objective(D, y->th, y->g);
    return y->f <= x->f + LAW_ARMIJO * t * law_dot(x->g, p);
}

/* Moves from x along the descent direction p into y: halves the step
 * from 1 until it lowers the objective enough, or, when the full step
 * already does, doubles it while the objective keeps falling. The
 * doubling is for the starts far from the fit, where every run is on the
 * linear part of the Huber loss: there the gradient does not change from
 * step to step, BFGS learns no curvature, and steps of 1 would crawl.
 * Returns 0 when no step lowers the objective. */
static int law_line_search(const struct law_data *D, const struct law_state *x, const double *p,
                           struct law_state *y)
{
    double t = 1.0;
    int halvings = 0;
    while (!law_try(D, x, p, t, y)) {
        if (++halvings > LAW_MAX_HALVINGS)
            return 0;
        t *= 0.5;
    }
    struct law_state longer;
    for (int i = 0; halvings == 0 && i < LAW_MAX_DOUBLINGS; i++) {
        t *= 2.0;
        if (!law_try(D, x, p, t, &longer) || !(longer.f < y->f))
            break;
        *y = longer;
    }
    return 1;
}

/* H = scale * I. */
static void law_identity(double H[TH_N][TH_N], double scale)
{
    for (int i = 0; i < TH_N; i++)
        for (int j = 0; j < TH_N; j++)
            H[i][j] = i == j ? scale : 0.0;
}

/* The BFGS update of the inverse Hessian H after a step s that changed
 * the gradient by y (Nocedal and Wright, Numerical Optimization, 6.17):
 * H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T, rho = 1 / (y^T s),
 * here multiplied out. *fresh says H is still the identity it started as;
 * the first update first rescales it to the curvature the step saw
 * (their 6.20), which sets the length of the next steps. */
static void law_update(double H[TH_N][TH_N], const double *s, const double *y, int *fresh)
{
    double sy = law_dot(s, y);
    /* Without positive curvature along s the update would make H
     * indefinite, and -H g might point uphill: keep H as it is. */
    if (!(sy > 1e-12 * sqrt(law_dot(s, s) * law_dot(y, y))))
        return;
    if (*fresh) {
        law_identity(H, sy / law_dot(y, y));
        *fresh = 0;
    }
    double Hy[TH_N];
    for (int i = 0; i < TH_N; i++)
        Hy[i] = law_dot(H[i], y);
    double rho = 1.0 / sy, ss = rho * rho * law_dot(y, Hy) + rho;
    for (int i = 0; i < TH_N; i++)
        for (int j = 0; j < TH_N; j++)
            H[i][j] += ss * s[i] * s[j] - rho * (s[i] * Hy[j] + Hy[i] * s[j]);
}

/* Minimises the objective from th for at most max_iters steps; th becomes
 * the end point, and the objective there is returned. */
static double law_bfgs(const struct law_data *D, double *th, int max_iters)
{
    struct law_state x, y;
    double H[TH_N][TH_N], p[TH_N];
    memcpy(x.th, th, sizeof x.th);
    x.f = law_objective(D, x.th, x.g);
    law_identity(H, 1.0);
    int fresh = 1;
    for (int it = 0; it < max_iters; it++) {
        for (int k = 0; k < TH_N; k++)
            p[k] = -law_dot(H[k], x.g);
        /* When the learnt H leads nowhere, forget it and try the plain
         * gradient; when even that fails, x is a minimum to rounding. */
        if (!(law_dot(p, x.g) < 0.0) || !law_line_search(D, &x, p, &y)) {
            if (fresh)
                break;
            law_identity(H, 1.0);
            fresh = 1;
            continue;
        }
        double s[TH_N], dg[TH_N], moved = 0.0;
        for (int k = 0; k < TH_N; k++) {
            s[k] = y.th[k] - x.th[k];
            dg[k] = y.g[k] - x.g[k];
            moved = fmax(moved, fabs(s[k]));
        }
        law_update(H, s, dg, &fresh);
        double decrease = x.f - y.f;
        x = y;
        if (decrease <= LAW_FTOL * x.f || moved <= LAW_XTOL)
            break;
    }
    memcpy(th, x.th, sizeof x.th);
    return x.f;
}

/* ---- The grid of starting points ---- */

/* The paper's grid: 6 x 6 x 5 x 5 x 5 = 4500 starts. */
static const double grid_ab[] = {0, 5, 10, 15, 20, 25};
static const double grid_e[] = {-1, -0.5, 0, 0.5, 1};
static const double grid_exponent[] = {0, 0.5, 1, 1.5, 2};
#define N_AB (sizeof grid_ab / sizeof *grid_ab)
#define N_E (sizeof grid_e / sizeof *grid_e)
#define N_EXP (sizeof grid_exponent / sizeof *grid_exponent)

/* Running BFGS to the end from all 4500 starts takes seconds, and most
 * of them end in the same few minima. So every start gets a short
 * scouting run, and the few that got lowest are run to convergence. A
 * start that would have won after a slow beginning could be missed, but
 * with thousands of starts funnelling into a handful of basins, each
 * basin's best scouts stand for it. (On 60 noisy runs this found the
 * same fit, to 8 digits, as running every start to the end, in a tenth
 * of the time: about 0.3 s on one core.) */
#define LAW_SCOUT_ITERS 6
#define LAW_FINALISTS 8

struct law_finalist {
    double th[TH_N], f;
};

/* Keeps the LAW_FINALISTS lowest (th, f) in best[], sorted, *n of them. */
static void law_keep(struct law_finalist *best, int *n, const double *th, double f)
{
    if (isnan(f) || (*n == LAW_FINALISTS && !(f < best[*n - 1].f)))
        return;
    int i = *n < LAW_FINALISTS ? (*n)++ : *n - 1;
    for (; i > 0 && f < best[i - 1].f; i--)
        best[i] = best[i - 1];
    memcpy(best[i].th, th, sizeof best[i].th);
    best[i].f = f;
}

/* The best end point over the grid, into th. */
static double law_fit_grid(const struct law_data *D, double *th)
{
    struct law_finalist best[LAW_FINALISTS];
    int n_best = 0;
    for (size_t ia = 0; ia < N_AB; ia++)
        for (size_t ib = 0; ib < N_AB; ib++)
            for (size_t ie = 0; ie < N_E; ie++)
                for (size_t ialpha = 0; ialpha < N_EXP; ialpha++)
                    for (size_t ibeta = 0; ibeta < N_EXP; ibeta++) {
                        double t[TH_N] = {grid_ab[ia], grid_ab[ib], grid_e[ie], grid_exponent[ialpha],
                                          grid_exponent[ibeta]};
                        double f = law_bfgs(D, t, LAW_SCOUT_ITERS);
                        law_keep(best, &n_best, t, f);
                    }
    double f_best = INFINITY;
    for (int i = 0; i < n_best; i++) {
        double f = law_bfgs(D, best[i].th, LAW_MAX_ITERS);
        if (f < f_best) {
            f_best = f;
            memcpy(th, best[i].th, TH_N * sizeof *th);
        }
    }
    return f_best;
}

/* ---- The fit ---- */

static int law_is_positive(double v)
{
    return isfinite(v) && v > 0.0;
}

int scaling_fit_law_with(const struct bg_scaling_point *pts, size_t m, const struct bg_scaling_law *start,
                         struct bg_scaling_law *law, double *logs, struct bg_error *err)
{
    if (m < TH_N)
        return bg_fail(err, BG_ERR_INPUT, "the law L(n, d) has 5 parameters and needs at least 5 runs, got %zu", m);
    if (m > BG_SCALING_MAX_POINTS)
        return bg_fail(err, BG_ERR_INPUT, "%zu runs are more than the law's fit takes (%d)", m,
                       BG_SCALING_MAX_POINTS);
    for (size_t i = 0; i < m; i++)
        if (!law_is_positive(pts[i].n) || !law_is_positive(pts[i].d) || !law_is_positive(pts[i].bpb))
            return bg_fail(err, BG_ERR_INPUT,
                           "run %zu has n %g, d %g, bpb %g: the law needs finite, positive values", i, pts[i].n,
                           pts[i].d, pts[i].bpb);
    if (start && (!law_is_positive(start->E) || !law_is_positive(start->A) || !law_is_positive(start->B) ||
                  !isfinite(start->alpha) || !isfinite(start->beta)))
        return bg_fail(err, BG_ERR_INPUT, "the law's starting point needs finite E, A, B > 0 and finite exponents");
    struct law_data D = {m, logs, logs + m, logs + 2 * m};
    for (size_t i = 0; i < m; i++) {
        logs[i] = log(pts[i].n);
        logs[m + i] = log(pts[i].d);
        logs[2 * m + i] = log(pts[i].bpb);
    }
    double th[TH_N];
    if (start) {
        th[TH_A] = log(start->A);
        th[TH_B] = log(start->B);
        th[TH_E] = log(start->E);
        th[TH_ALPHA] = start->alpha;
        th[TH_BETA] = start->beta;
        law->objective = law_bfgs(&D, th, LAW_MAX_ITERS);
    } else {
        law->objective = law_fit_grid(&D, th);
    }
    law->A = exp(th[TH_A]);
    law->B = exp(th[TH_B]);
    law->E = exp(th[TH_E]);
    law->alpha = th[TH_ALPHA];
    law->beta = th[TH_BETA];
    return BG_OK;
}

int scaling_fit_law(const struct bg_scaling_point *pts, size_t m, const struct bg_scaling_law *start,
                    struct bg_scaling_law *law, struct bg_error *err)
{
    double *logs = malloc((m > 0 ? 3 * m : 1) * sizeof *logs);
    if (!logs)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory fitting the law to %zu runs", m);
    int rc = scaling_fit_law_with(pts, m, start, law, logs, err);
    free(logs);
    return rc;
}

double scaling_law_eval(const struct bg_scaling_law *law, double n, double d)
{
    return law->E + law->A * pow(n, -law->alpha) + law->B * pow(d, -law->beta);
}
