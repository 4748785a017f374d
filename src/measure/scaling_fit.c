/* scaling_fit: the pieces of scaling_fit.h that work on one budget or one
 * line: Approach 2's parabola, the frontier's power law, and the tokens a
 * size trains on for a budget. The law (Approach 3) is in scaling_law.c,
 * and the whole fit with its resampled spreads in scaling_fit_all.c. */
#include "bytegpt/scaling_fit.h"

#include <math.h>

static int is_positive(double v)
{
    return isfinite(v) && v > 0.0;
}

/* ---- Approach 2: the parabola ---- */

/* Solves M q = v for 3x3 M by Gaussian elimination with partial pivoting
 * (M and v are overwritten); returns 0 when M is singular. */
static int solve3(double M[3][3], double v[3], double q[3])
{
    for (int col = 0; col < 3; col++) {
        int piv = col;
        for (int r = col + 1; r < 3; r++)
            if (fabs(M[r][col]) > fabs(M[piv][col]))
                piv = r;
        if (M[piv][col] == 0.0)
            return 0;
        for (int k = 0; k < 3; k++) {
            double t = M[col][k];
            M[col][k] = M[piv][k];
            M[piv][k] = t;
        }
        double t = v[col];
        v[col] = v[piv];
        v[piv] = t;
        for (int r = col + 1; r < 3; r++) {
            double f = M[r][col] / M[col][col];
            for (int k = col; k < 3; k++)
                M[r][k] -= f * M[col][k];
            v[r] -= f * v[col];
        }
    }
    for (int r = 2; r >= 0; r--) {
        double s = v[r];
        for (int k = r + 1; k < 3; k++)
            s -= M[r][k] * q[k];
        q[r] = s / M[r][r];
    }
    return 1;
}

/* A curvature below this share of the scores is rounding, not a minimum:
 * the quadratic part of the fit rises by less than a billionth of a bit
 * across the sizes. */
#define PARABOLA_FLAT 1e-9

int scaling_fit_parabola(const double *n, const double *bpb, size_t m, struct bg_scaling_parabola *p,
                         struct bg_error *err)
{
    if (m < 3)
        return bg_fail(err, BG_ERR_INPUT, "a parabola needs at least 3 runs, got %zu", m);
    double x_lo = INFINITY, x_hi = -INFINITY, top = 0.0;
    for (size_t i = 0; i < m; i++) {
        if (!is_positive(n[i]) || !is_positive(bpb[i]))
            return bg_fail(err, BG_ERR_INPUT, "run %zu has n %g and bpb %g: both must be finite and positive", i,
                           n[i], bpb[i]);
        x_lo = fmin(x_lo, log(n[i]));
        x_hi = fmax(x_hi, log(n[i]));
        top = fmax(top, bpb[i]);
    }
    /* Three distinct sizes: a smallest, a largest, and one between. */
    size_t between = 0;
    for (size_t i = 0; i < m; i++)
        between += log(n[i]) > x_lo && log(n[i]) < x_hi;
    if (between == 0)
        return bg_fail(err, BG_ERR_INPUT, "a parabola needs at least 3 distinct sizes, got %d",
                       x_lo < x_hi ? 2 : 1);
    /* The fit is done in z = (x - mid) / half, which runs over [-1, 1]:
     * in x = ln n itself (around 13 for a million parameters) the normal
     * equations hold sums of x^4 next to sums of 1, and lose digits. */
    double mid = 0.5 * (x_lo + x_hi), half = 0.5 * (x_hi - x_lo);
    double M[3][3] = {{0}}, v[3] = {0}, r[3];
    for (size_t i = 0; i < m; i++) {
        double z = (log(n[i]) - mid) / half, zk[3] = {1.0, z, z * z};
        for (int j = 0; j < 3; j++) {
            for (int k = 0; k < 3; k++)
                M[j][k] += zk[j] * zk[k];
            v[j] += zk[j] * bpb[i];
        }
    }
    if (!solve3(M, v, r))
        return bg_fail(err, BG_ERR_INPUT, "the sizes do not determine a parabola");
    /* bpb = r0 + r1 z + r2 z^2 with z = (x - mid) / half, multiplied out
     * into powers of x. */
    p->q2 = r[2] / (half * half);
    p->q1 = r[1] / half - 2.0 * r[2] * mid / (half * half);
    p->q0 = r[0] - r[1] * mid / half + r[2] * mid * mid / (half * half);
    p->n_lo = exp(x_lo);
    p->n_hi = exp(x_hi);
    p->c = NAN;
    p->d_opt = NAN;
    if (!(r[2] > PARABOLA_FLAT * top)) {
        p->where = BG_SCALING_FLAT;
        p->n_opt = NAN;
        p->bpb_opt = NAN;
        return BG_OK;
    }
    /* The vertex, where the slope r1 + 2 r2 z is zero, found in z where
     * the numbers are small; it is x* = -q1 / (2 q2) in x. */
    double x_opt = mid + half * (-r[1] / (2.0 * r[2]));
    p->n_opt = exp(x_opt);
    p->bpb_opt = r[0] - r[1] * r[1] / (4.0 * r[2]);
    p->where = x_opt < x_lo ? BG_SCALING_BELOW : x_opt > x_hi ? BG_SCALING_ABOVE : BG_SCALING_INSIDE;
    return BG_OK;
}

/* ---- The frontier: a power law ---- */

int scaling_fit_power(const double *c, const double *y, size_t m, struct bg_scaling_power *p, struct bg_error *err)
{
    if (m < 2)
        return bg_fail(err, BG_ERR_INPUT, "a power law needs at least 2 points, got %zu", m);
    double mean_x = 0.0, mean_y = 0.0;
    for (size_t i = 0; i < m; i++) {
        if (!is_positive(c[i]) || !is_positive(y[i]))
            return bg_fail(err, BG_ERR_INPUT, "point %zu is (%g, %g): a power law needs finite, positive values",
                           i, c[i], y[i]);
        mean_x += log(c[i]) / (double)m;
        mean_y += log(y[i]) / (double)m;
    }
    /* The least-squares slope around the means, which is the slope of
     * the normal equations without their cancellation. */
    double sxy = 0.0, sxx = 0.0;
    for (size_t i = 0; i < m; i++) {
        double dx = log(c[i]) - mean_x;
        sxy += dx * (log(y[i]) - mean_y);
        sxx += dx * dx;
    }
    if (!(sxx > 0.0))
        return bg_fail(err, BG_ERR_INPUT, "a power law needs at least 2 distinct budgets");
    p->a = sxy / sxx;
    p->k = exp(mean_y - p->a * mean_x);
    return BG_OK;
}

/* ---- Tokens for a size and a budget ---- */

/* The FLOPs per token of the runs of size n, c / d averaged over them. */
static double size_fpt(const struct bg_scaling_point *pts, size_t m, double n)
{
    double sum = 0.0;
    size_t count = 0;
    for (size_t i = 0; i < m; i++)
        if (pts[i].n == n) {
            sum += pts[i].c / pts[i].d;
            count++;
        }
    return sum / (double)count;
}

/* The largest size below v (or at or below it, with at_v), or -INFINITY. */
static double size_below(const struct bg_scaling_point *pts, size_t m, double v, int at_v)
{
    double best = -INFINITY;
    for (size_t i = 0; i < m; i++)
        if ((pts[i].n < v || (at_v && pts[i].n == v)) && pts[i].n > best)
            best = pts[i].n;
    return best;
}

/* The smallest size above v, or INFINITY. */
static double size_above(const struct bg_scaling_point *pts, size_t m, double v)
{
    double best = INFINITY;
    for (size_t i = 0; i < m; i++)
        if (pts[i].n > v && pts[i].n < best)
            best = pts[i].n;
    return best;
}

double scaling_tokens_at(const struct bg_scaling_point *pts, size_t m, double n, double c)
{
    if (m == 0)
        return NAN;
    /* The two sizes around n; past either end, the two nearest that end. */
    double lo = size_below(pts, m, n, 1), hi = size_above(pts, m, n);
    if (isinf(lo)) {
        lo = hi;
        hi = size_above(pts, m, lo);
    } else if (isinf(hi)) {
        hi = lo;
        lo = size_below(pts, m, hi, 0);
    }
    if (isinf(lo) || isinf(hi)) /* one size alone: its FLOPs per token */
        return c / size_fpt(pts, m, isinf(lo) ? hi : lo);
    /* A token's FLOPs grow as a power of n for the weights' share (6n)
     * and as another for attention's (6 L ctx C, with C ~ sqrt(n) at a
     * fixed depth), so between neighbours ln fpt is close to a straight
     * line in ln n: exact when fpt is a single power of n. */
    double t = (log(n) - log(lo)) / (log(hi) - log(lo));
    double ln_fpt = (1.0 - t) * log(size_fpt(pts, m, lo)) + t * log(size_fpt(pts, m, hi));
    return c / exp(ln_fpt);
}
