/* scaling_fit: the compute-optimal frontier fitted to scored runs, the
 * arithmetic of Hoffmann et al. 2022 ("Chinchilla"), with no file and no
 * run in it: `bytegpt scaling` (sweep/scaling.c) trains the runs and
 * hands their numbers here; the charts (view/) draw what comes back.
 *
 * Every run is a point: a model of n parameters trained for c FLOPs on d
 * tokens, scored in bits per byte (lower is better). The runs form an
 * IsoFLOP grid: several budgets, several sizes at each, one run per seed.
 *
 *   - Approach 2, per budget: a parabola of bpb against x = ln n (least
 *     squares, over every seed's run of the three sizes around the
 *     budget's lowest mean score: a profile is a parabola only near its
 *     minimum). Its vertex is that budget's best size and loss, but only
 *     when it lies inside those sizes and the parabola opens upwards;
 *     otherwise the budget is `outside` (which way says which sizes to
 *     add), never a result.
 *   - The frontier, across the budgets whose vertex is inside:
 *     n_opt = k * c^a and d_opt = k' * c^b, straight lines in log-log by
 *     least squares. d_opt at a budget is the tokens a model of n_opt
 *     trains on for c FLOPs, c / fpt(n_opt), where fpt, the FLOPs per token
 *     of a size, is read off the runs themselves (c / d, interpolated in
 *     ln n): at these widths attention's 6*L*ctx*C is a large share of a
 *     token's FLOPs, so c / (6 n) would overcount the tokens.
 *   - Approach 3, all runs at once: L(n, d) = E + A / n^alpha + B / d^beta,
 *     fitted as in the paper: minimise the Huber loss (delta 1e-3) of
 *     LSE(a - alpha ln n, b - beta ln d, e) - ln L over every run, with
 *     A = e^a, B = e^b, E = e^e, from a grid of starting points. E is the
 *     floor this family of models reaches on this text.
 *   - The spread of every fitted number: the fits again on resampled
 *     seeds (each (budget, size) pair takes one of its seeds' runs at
 *     random, with an explicit RNG), reported as the 5th and 95th
 *     percentiles of the resampled fits.
 *   - The prediction at a budget larger than any tried: n from the
 *     frontier, d = c / fpt(n), and the loss from Approach 3 at (n, d). */
#ifndef BYTEGPT_SCALING_FIT_H
#define BYTEGPT_SCALING_FIT_H

#include <stddef.h>

#include "bytegpt/error.h"
#include "bytegpt/rng.h"

#define BG_SCALING_MAX_BUDGETS 16
#define BG_SCALING_MAX_POINTS 4096
#define BG_SCALING_MAX_RESAMPLES 100000

/* Approach 3's Huber loss is quadratic within this of zero, linear beyond. */
#define BG_SCALING_HUBER_DELTA 1e-3
/* Approach 3's parameters, in this order: a = ln A, b = ln B, e = ln E, alpha, beta. */
#define BG_SCALING_LAW_PARAMS 5

/* One scored run. */
struct bg_scaling_point {
    double c;      /* training FLOPs spent (the run's own count) */
    double n;      /* parameters, as the caller counts them */
    double d;      /* training tokens */
    double bpb;    /* the score, bits per byte */
    size_t budget; /* index of its budget, 0 .. n_budgets-1 (increasing c) */
    size_t size;   /* index of its size in the family, 0 .. (increasing n) */
    size_t seed;   /* index of its seed, 0 .. seeds-1 */
};

/* Where a budget's parabola has its vertex. */
enum bg_scaling_where {
    BG_SCALING_INSIDE = 0, /* within the sizes tried: a result */
    BG_SCALING_BELOW,      /* left of the smallest size: add smaller sizes */
    BG_SCALING_ABOVE,      /* right of the largest size: add larger sizes */
    BG_SCALING_FLAT,       /* the parabola opens downwards or is flat: no minimum (scaling_fit_all
                            * says BELOW or ABOVE instead when the lowest score is at an end) */
};

/* Approach 2 at one budget: bpb = q0 + q1 x + q2 x^2 with x = ln n. */
struct bg_scaling_parabola {
    double c;                  /* the budget (mean FLOPs of its runs) */
    double q0, q1, q2;
    double n_lo, n_hi;         /* the smallest and largest size tried */
    enum bg_scaling_where where;
    double n_opt, bpb_opt;     /* the vertex (NaN when FLAT) */
    double d_opt;              /* c / fpt(n_opt) (NaN unless INSIDE) */
};

/* y = k * c^a (fitted as ln y = ln k + a ln c). */
struct bg_scaling_power {
    double k, a;
};

/* L(n, d) = E + A / n^alpha + B / d^beta. */
struct bg_scaling_law {
    double E, A, alpha, B, beta;
    double objective;          /* the Huber loss at the fit */
};

/* A fitted number and its spread over the resampled seeds. Each
 * percentile is over the resamples where the number exists: a resample
 * with fewer than 2 budgets inside has no frontier, and adds nothing to
 * a, b, tokens_per_param and the prediction. A number the fit to all runs
 * lacks (value NaN) gets no spread either. */
struct bg_scaling_value {
    double value;              /* from all the runs */
    double lo, hi;             /* 5th and 95th percentiles of the resamples (NaN: none) */
};

struct bg_scaling_fit {
    size_t n_budgets;
    struct bg_scaling_parabola par[BG_SCALING_MAX_BUDGETS];
    size_t n_inside;           /* budgets with their vertex inside */
    int has_frontier;          /* at least 2 budgets inside: a, b and the prediction exist (else NaN) */
    struct bg_scaling_power n_power, d_power;
    struct bg_scaling_value a, b;
    struct bg_scaling_value tokens_per_param; /* d_opt / n_opt at the largest budget inside */
    struct bg_scaling_law law;
    struct bg_scaling_value E, alpha, beta, A, B;
    /* The prediction at c_pred (NaN when has_frontier is false). */
    double c_pred;
    struct bg_scaling_value n_pred, d_pred, bpb_pred;
    size_t resamples;          /* resampled fits behind the spreads */
};

/* --check: the predicted size and its two neighbours (x0.5 and x2, as
 * the family's nearest sizes) trained at the prediction's budget. */
struct bg_scaling_check {
    double c;                  /* the budget they trained at */
    double n[3];               /* parameters: the smaller neighbour, the prediction, the larger */
    double bpb[3], spread[3];  /* mean and max - min over the seeds (NaN: not run) */
    int predicted_is_best;     /* the middle one scored lowest */
    double error;              /* bpb[1] - the predicted bpb */
};

/* ---- The pieces (each usable and tested alone) ---- */

/* Least-squares parabola through (ln n[i], bpb[i]), i < m (m >= 3, at
 * least 3 distinct n), its vertex and where it lies; c and d_opt are left
 * NaN (scaling_fit_all fills them). A curvature q2 too small to tell from
 * rounding (the fit rising by under 1e-9 of the largest score across the
 * sizes) is FLAT. */
int scaling_fit_parabola(const double *n, const double *bpb, size_t m, struct bg_scaling_parabola *p,
                         struct bg_error *err);

/* Least-squares line through (ln c[i], ln y[i]), i < m (m >= 2, at least 2
 * distinct c, every value > 0). */
int scaling_fit_power(const double *c, const double *y, size_t m, struct bg_scaling_power *p, struct bg_error *err);

/* Approach 3 over pts (5 <= m <= BG_SCALING_MAX_POINTS; n, d and bpb
 * finite and > 0; c is not used). start NULL: from the paper's grid of
 * starting points; else from start alone (the resamples start from the
 * fit to all runs). */
int scaling_fit_law(const struct bg_scaling_point *pts, size_t m, const struct bg_scaling_law *start,
                    struct bg_scaling_law *law, struct bg_error *err);

/* L(n, d) under law. */
double scaling_law_eval(const struct bg_scaling_law *law, double n, double d);

/* Approach 3's objective at theta = (a, b, e, alpha, beta) over pts: the
 * sum of Huber(LSE(a - alpha ln n, b - beta ln d, e) - ln bpb), and its
 * gradient into grad when grad is not NULL. What scaling_fit_law
 * minimises, exposed so that its gradient can be checked. */
double scaling_law_objective(const struct bg_scaling_point *pts, size_t m, const double theta[BG_SCALING_LAW_PARAMS],
                             double grad[BG_SCALING_LAW_PARAMS]);

/* The tokens a model of n parameters trains on for c FLOPs, by the FLOPs
 * per token the runs show for their sizes (interpolated in ln n, and
 * extrapolated from the two nearest sizes outside them). */
double scaling_tokens_at(const struct bg_scaling_point *pts, size_t m, double n, double c);

/* ---- The whole fit ---- */

/* Fits everything above to pts (m runs over n_budgets budgets and `seeds`
 * seeds), predicts at c_pred (> every budget), and resamples the seeds
 * `resamples` times with rng for the spreads (0: no spreads; lo and hi
 * NaN). BG_ERR_INPUT, naming what: fewer than 3 sizes at a budget; runs
 * of one (budget, size) with different n; values that are not finite and
 * positive; a budget, seed or count beyond its bound (the MAX_ defines);
 * a budget whose runs spent no more FLOPs than the previous budget's;
 * c_pred not above every run's c. Budgets outside are not an error:
 * has_frontier says whether enough were inside. */
int scaling_fit_all(const struct bg_scaling_point *pts, size_t m, size_t n_budgets, size_t seeds, double c_pred,
                    size_t resamples, struct bg_rng *rng, struct bg_scaling_fit *fit, struct bg_error *err);

#endif
