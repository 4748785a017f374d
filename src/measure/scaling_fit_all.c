/* scaling_fit_all: every fit of scaling_fit.h on one set of runs, and
 * again on resampled seeds for the spreads. The pieces it puts together
 * are in scaling_fit.c (parabola, power law, tokens) and scaling_law.c
 * (Approach 3). */
#include "bytegpt/scaling_fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "measure/scaling_law.h"

/* The numbers that get a spread, as columns of one row per resample. */
enum { V_A, V_B, V_TPP, V_E, V_ALPHA, V_BETA, V_BIG_A, V_BIG_B, V_N_PRED, V_D_PRED, V_BPB_PRED, V_N };

static void fit_values(struct bg_scaling_fit *f, struct bg_scaling_value *v[V_N])
{
    v[V_A] = &f->a;
    v[V_B] = &f->b;
    v[V_TPP] = &f->tokens_per_param;
    v[V_E] = &f->E;
    v[V_ALPHA] = &f->alpha;
    v[V_BETA] = &f->beta;
    v[V_BIG_A] = &f->A;
    v[V_BIG_B] = &f->B;
    v[V_N_PRED] = &f->n_pred;
    v[V_D_PRED] = &f->d_pred;
    v[V_BPB_PRED] = &f->bpb_pred;
}

/* The one allocation of a call, carved up. */
struct fit_scratch {
    struct bg_scaling_point *sorted; /* (m) the runs by budget, size, seed */
    struct bg_scaling_point *sample; /* (m) one resample's runs */
    double *n, *bpb;                 /* (m each) one budget's sizes and scores */
    double *logs;                    /* (3m) the law's scratch */
    double *rows;                    /* (resamples * V_N) each resample's numbers */
    double *column;                  /* (resamples) one number over the resamples */
};

/* ---- One set of runs ---- */

/* The frontier across the budgets whose vertex is inside, and the
 * prediction at c_pred; NaN throughout when fewer than 2 are inside. */
static int fit_frontier(const struct bg_scaling_point *pts, size_t k, double c_pred, struct bg_scaling_fit *fit,
                        struct bg_error *err)
{
    double c[BG_SCALING_MAX_BUDGETS], n[BG_SCALING_MAX_BUDGETS], d[BG_SCALING_MAX_BUDGETS];
    size_t in = 0, last = 0;
    for (size_t j = 0; j < fit->n_budgets; j++) {
        const struct bg_scaling_parabola *p = &fit->par[j];
        if (p->where != BG_SCALING_INSIDE)
            continue;
        c[in] = p->c;
        n[in] = p->n_opt;
        d[in] = p->d_opt;
        if (in == 0 || c[in] > c[last])
            last = in;
        in++;
    }
    fit->n_inside = in;
    fit->has_frontier = in >= 2;
    fit->c_pred = c_pred;
    struct bg_scaling_value *v[V_N];
    fit_values(fit, v);
    for (int i = 0; i < V_N; i++)
        v[i]->value = NAN;
    if (!fit->has_frontier)
        return BG_OK;
    int rc = scaling_fit_power(c, n, in, &fit->n_power, err);
    if (rc == BG_OK)
        rc = scaling_fit_power(c, d, in, &fit->d_power, err);
    if (rc != BG_OK)
        return rc;
    fit->a.value = fit->n_power.a;
    fit->b.value = fit->d_power.a;
    fit->tokens_per_param.value = d[last] / n[last];
    fit->n_pred.value = fit->n_power.k * pow(c_pred, fit->n_power.a);
    fit->d_pred.value = scaling_tokens_at(pts, k, fit->n_pred.value, c_pred);
    return BG_OK;
}

/* The sizes budget j's parabola is fitted over: the size with the lowest
 * mean score and its neighbours on either side, or at an edge the three
 * sizes nearest it. An IsoFLOP profile is a parabola only near its
 * minimum: far from it, on a log axis, the loss of a model many times too
 * large (a few dozen steps at these budgets) or too small bends the
 * parabola and moves its vertex, so that a fit over every size can put the
 * vertex outside sizes whose own scores bracket the minimum. Size indices
 * are the family's, shared by every budget. Returns where the lowest
 * score is: 0 at the smallest size, 2 at the largest, else 1. */
static size_t fit_window(const struct bg_scaling_point *pts, size_t k, size_t j, size_t *lo, size_t *hi)
{
    size_t top = 0;
    for (size_t i = 0; i < k; i++)
        if (pts[i].budget == j && pts[i].size > top)
            top = pts[i].size;
    size_t best = 0;
    double best_mean = INFINITY;
    for (size_t z = 0; z <= top; z++) {
        double sum = 0.0;
        size_t cnt = 0;
        for (size_t i = 0; i < k; i++)
            if (pts[i].budget == j && pts[i].size == z) {
                sum += pts[i].bpb;
                cnt++;
            }
        if (cnt && sum / (double)cnt < best_mean) {
            best_mean = sum / (double)cnt;
            best = z;
        }
    }
    *lo = best > 0 ? best - 1 : 0;
    if (*lo + 2 > top)
        *lo = top >= 2 ? top - 2 : 0;
    *hi = *lo + 2;
    return best == 0 ? 0 : best == top ? 2 : 1;
}

/* Every fit on the k runs pts, into fit (the values; the spreads are
 * scaling_fit_all's). The law starts from law_start, or from the grid. */
static int fit_sample(const struct bg_scaling_point *pts, size_t k, size_t n_budgets, double c_pred,
                      const struct bg_scaling_law *law_start, struct fit_scratch *w, struct bg_scaling_fit *fit,
                      struct bg_error *err)
{
    fit->n_budgets = n_budgets;
    for (size_t j = 0; j < n_budgets; j++) {
        /* Approach 2 at budget j, over every run of the sizes around
         * its minimum (every seed's), and its FLOPs over all its runs. */
        size_t cnt = 0, runs = 0, lo, hi;
        double c_sum = 0.0;
        size_t edge = fit_window(pts, k, j, &lo, &hi);
        for (size_t i = 0; i < k; i++)
            if (pts[i].budget == j) {
                c_sum += pts[i].c;
                runs++;
                if (pts[i].size >= lo && pts[i].size <= hi) {
                    w->n[cnt] = pts[i].n;
                    w->bpb[cnt++] = pts[i].bpb;
                }
            }
        struct bg_scaling_parabola *p = &fit->par[j];
        int rc = scaling_fit_parabola(w->n, w->bpb, cnt, p, err);
        if (rc != BG_OK)
            return rc;
        /* A window with no minimum whose lowest score is the smallest or
         * the largest size tried still says which way to add sizes. */
        if (p->where == BG_SCALING_FLAT && edge != 1)
            p->where = edge == 0 ? BG_SCALING_BELOW : BG_SCALING_ABOVE;
        p->c = c_sum / (double)runs;
        if (p->where == BG_SCALING_INSIDE)
            p->d_opt = scaling_tokens_at(pts, k, p->n_opt, p->c);
    }
    int rc = fit_frontier(pts, k, c_pred, fit, err);
    if (rc == BG_OK)
        rc = scaling_fit_law_with(pts, k, law_start, &fit->law, w->logs, err);
    if (rc != BG_OK)
        return rc;
    fit->E.value = fit->law.E;
    fit->alpha.value = fit->law.alpha;
    fit->beta.value = fit->law.beta;
    fit->A.value = fit->law.A;
    fit->B.value = fit->law.B;
    if (fit->has_frontier)
        fit->bpb_pred.value = scaling_law_eval(&fit->law, fit->n_pred.value, fit->d_pred.value);
    return BG_OK;
}

/* ---- Checking the runs ---- */

static int is_positive(double v)
{
    return isfinite(v) && v > 0.0;
}

/* What each run must be on its own. */
static int check_points(const struct bg_scaling_point *pts, size_t m, size_t n_budgets, size_t seeds,
                        struct bg_error *err)
{
    for (size_t i = 0; i < m; i++) {
        const struct bg_scaling_point *p = &pts[i];
        if (!is_positive(p->c) || !is_positive(p->n) || !is_positive(p->d) || !is_positive(p->bpb))
            return bg_fail(err, BG_ERR_INPUT, "run %zu has c %g, n %g, d %g, bpb %g: each must be finite and positive",
                           i, p->c, p->n, p->d, p->bpb);
        if (p->budget >= n_budgets || p->seed >= seeds)
            return bg_fail(err, BG_ERR_INPUT,
                           "run %zu is at budget %zu and seed %zu, beyond the %zu budgets and %zu seeds", i,
                           p->budget, p->seed, n_budgets, seeds);
    }
    return BG_OK;
}

/* Orders runs by budget, then size, then seed. */
static int by_budget_size_seed(const void *x, const void *y)
{
    const struct bg_scaling_point *a = x, *b = y;
    if (a->budget != b->budget)
        return a->budget < b->budget ? -1 : 1;
    if (a->size != b->size)
        return a->size < b->size ? -1 : 1;
    return (a->seed > b->seed) - (a->seed < b->seed);
}

/* What the budgets must be, with the runs sorted: each has 3 distinct
 * sizes (one n per size, so that every resample keeps all three), and
 * each budget's runs spent less than the next budget's, so that budgets
 * stay apart in every resample; c_pred lies beyond them all. */
static int check_budgets(const struct bg_scaling_point *s, size_t m, size_t n_budgets, double c_pred,
                         struct bg_error *err)
{
    size_t i = 0;
    double c_prev = 0.0;
    for (size_t j = 0; j < n_budgets; j++) {
        double n_lo = INFINITY, n_hi = 0.0, c_lo = INFINITY, c_hi = 0.0;
        size_t first = i;
        for (; i < m && s[i].budget == j; i++) {
            if (i > first && s[i].size == s[i - 1].size && s[i].n != s[i - 1].n)
                return bg_fail(err, BG_ERR_INPUT, "budget %zu, size %zu has runs of %g and %g parameters", j,
                               s[i].size, s[i - 1].n, s[i].n);
            n_lo = fmin(n_lo, s[i].n);
            n_hi = fmax(n_hi, s[i].n);
            c_lo = fmin(c_lo, s[i].c);
            c_hi = fmax(c_hi, s[i].c);
        }
        size_t between = 0;
        for (size_t r = first; r < i; r++)
            between += s[r].n > n_lo && s[r].n < n_hi;
        if (between == 0)
            return bg_fail(err, BG_ERR_INPUT, "budget %zu has %d distinct sizes; a parabola needs at least 3", j,
                           i == first ? 0 : n_lo < n_hi ? 2 : 1);
        if (j > 0 && !(c_lo > c_prev))
            return bg_fail(err, BG_ERR_INPUT, "budget %zu has a run of %g FLOPs, not above budget %zu's %g", j, c_lo,
                           j - 1, c_prev);
        c_prev = c_hi;
    }
    if (!(isfinite(c_pred) && c_pred > c_prev))
        return bg_fail(err, BG_ERR_INPUT, "the prediction's budget %g FLOPs must be above every run's (%g)", c_pred,
                       c_prev);
    return BG_OK;
}

static int check_sizes(size_t m, size_t n_budgets, size_t seeds, size_t resamples, const struct bg_rng *rng,
                       struct bg_error *err)
{
    if (m > BG_SCALING_MAX_POINTS)
        return bg_fail(err, BG_ERR_INPUT, "%zu runs are more than the fit takes (%d)", m, BG_SCALING_MAX_POINTS);
    if (n_budgets == 0 || n_budgets > BG_SCALING_MAX_BUDGETS)
        return bg_fail(err, BG_ERR_INPUT, "%zu budgets: the fit takes 1 to %d", n_budgets, BG_SCALING_MAX_BUDGETS);
    if (seeds == 0)
        return bg_fail(err, BG_ERR_INPUT, "the runs need at least 1 seed");
    if (resamples > BG_SCALING_MAX_RESAMPLES)
        return bg_fail(err, BG_ERR_INPUT, "%zu resamples are more than the fit takes (%d)", resamples,
                       BG_SCALING_MAX_RESAMPLES);
    if (resamples > 0 && !rng)
        return bg_fail(err, BG_ERR_INPUT, "resampling needs a random number generator");
    return BG_OK;
}

/* ---- The spreads ---- */

/* One run of each (budget, size) pair of the sorted runs, its seed drawn
 * uniformly from those the pair has; returns how many runs were taken. */
static size_t resample(const struct bg_scaling_point *sorted, size_t m, struct bg_rng *rng,
                       struct bg_scaling_point *out)
{
    size_t k = 0;
    for (size_t i = 0; i < m;) {
        size_t end = i + 1;
        while (end < m && sorted[end].budget == sorted[i].budget && sorted[end].size == sorted[i].size)
            end++;
        out[k++] = sorted[i + rng_range(rng, end - i)];
        i = end;
    }
    return k;
}

static int by_value(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The p-th quantile of v[0..k-1], sorted, interpolated linearly between
 * neighbouring values (the rule of numpy's and R's default). */
static double quantile(const double *v, size_t k, double p)
{
    double h = p * (double)(k - 1);
    size_t i = (size_t)h;
    return i + 1 < k ? v[i] + (h - (double)i) * (v[i + 1] - v[i]) : v[k - 1];
}

/* lo and hi of each number from the rows, over the resamples where it
 * exists; NaN where it exists in none, or not in the fit to all runs. */
static void spreads(struct bg_scaling_fit *fit, const double *rows, size_t resamples, double *column)
{
    struct bg_scaling_value *v[V_N];
    fit_values(fit, v);
    for (int c = 0; c < V_N; c++) {
        size_t k = 0;
        for (size_t r = 0; r < resamples; r++)
            if (!isnan(rows[r * V_N + c]))
                column[k++] = rows[r * V_N + c];
        v[c]->lo = v[c]->hi = NAN;
        if (k == 0 || isnan(v[c]->value))
            continue;
        qsort(column, k, sizeof *column, by_value);
        v[c]->lo = quantile(column, k, 0.05);
        v[c]->hi = quantile(column, k, 0.95);
    }
}

/* ---- The whole fit ---- */

/* Carves the one allocation; returns it (NULL when out of memory). */
static void *scratch_alloc(size_t m, size_t resamples, struct fit_scratch *w)
{
    size_t n_points = 2 * m, n_doubles = 5 * m + resamples * (V_N + 1);
    char *mem = malloc(n_points * sizeof(struct bg_scaling_point) + n_doubles * sizeof(double) + 1);
    if (!mem)
        return NULL;
    w->sorted = (struct bg_scaling_point *)mem;
    w->sample = w->sorted + m;
    w->n = (double *)(void *)(w->sample + m);
    w->bpb = w->n + m;
    w->logs = w->bpb + m;
    w->rows = w->logs + 3 * m;
    w->column = w->rows + resamples * V_N;
    return mem;
}

int scaling_fit_all(const struct bg_scaling_point *pts, size_t m, size_t n_budgets, size_t seeds, double c_pred,
                    size_t resamples, struct bg_rng *rng, struct bg_scaling_fit *fit, struct bg_error *err)
{
    int rc = check_sizes(m, n_budgets, seeds, resamples, rng, err);
    if (rc == BG_OK)
        rc = check_points(pts, m, n_budgets, seeds, err);
    if (rc != BG_OK)
        return rc;
    struct fit_scratch w;
    void *mem = scratch_alloc(m, resamples, &w);
    if (!mem)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory fitting %zu runs", m);
    memcpy(w.sorted, pts, m * sizeof *pts);
    qsort(w.sorted, m, sizeof *w.sorted, by_budget_size_seed);
    rc = check_budgets(w.sorted, m, n_budgets, c_pred, err);
    if (rc != BG_OK)
        goto out;
    memset(fit, 0, sizeof *fit);
    rc = fit_sample(w.sorted, m, n_budgets, c_pred, NULL, &w, fit, err);
    if (rc != BG_OK)
        goto out;
    /* The resamples: each refits everything, the law from the fit to all
     * runs (it lies close to each resample's own minimum). */
    for (size_t r = 0; r < resamples; r++) {
        struct bg_scaling_fit one;
        size_t k = resample(w.sorted, m, rng, w.sample);
        rc = fit_sample(w.sample, k, n_budgets, c_pred, &fit->law, &w, &one, err);
        if (rc != BG_OK)
            goto out;
        struct bg_scaling_value *v[V_N];
        fit_values(&one, v);
        for (int c = 0; c < V_N; c++)
            w.rows[r * V_N + c] = v[c]->value;
    }
    spreads(fit, w.rows, resamples, w.column);
    fit->resamples = resamples;
out:
    free(mem);
    return rc;
}
