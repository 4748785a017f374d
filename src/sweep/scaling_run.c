/* scaling_run: the IsoFLOP experiment run (see bytegpt/scaling.h): every
 * pair trained by the sweep, the runs gathered into points, the fits, the
 * check, and what is left on disk. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/plot_scaling.h"
#include "bytegpt/strbuf.h"
#include "scaling_private.h"

/* ---- The runs as points ---- */

static size_t budget_index(const struct bg_scaling_def *d, double flop_budget)
{
    for (size_t b = 0; b < d->n_budgets; b++)
        if (d->budgets[b] == flop_budget)
            return b;
    return d->n_budgets;
}

static size_t size_index(const struct bg_scaling *sc, size_t L)
{
    for (size_t i = 0; i < sc->n_sizes; i++)
        if (sc->sizes[i].L == L)
            return i;
    return sc->n_sizes;
}

/* Every finished run of the pairs' sweep, one point per seed. A crashed
 * run is left out (the sweep's table says why). */
static int gather_points(struct bg_scaling *sc, struct bg_error *err)
{
    sc->n_points = 0;
    size_t trials = sweep_trial_count(sc->pairs);
    for (size_t t = 1; t <= trials; t++) {
        const struct bg_train_config *cfg = sweep_trial_config(sc->pairs, t);
        size_t b = budget_index(&sc->def, cfg->flop_budget), z = size_index(sc, cfg->model.L);
        if (b == sc->def.n_budgets || z == sc->n_sizes)
            return bg_fail(err, BG_ERR_RUNTIME, "scaling: trial %zu of the sweep is not one of its pairs", t);
        for (size_t k = 0; k < sc->def.seeds; k++) {
            struct bg_sweep_score r;
            int rc = sweep_run_score(sc->pairs, t, k, &r, err);
            if (rc)
                return rc;
            if (!r.finished || r.crashed || !isfinite(r.bpb))
                continue;
            if (sc->n_points == BG_SCALING_MAX_POINTS)
                return bg_fail(err, BG_ERR_INPUT, "scaling: more than %d runs", BG_SCALING_MAX_POINTS);
            sc->points[sc->n_points++] = (struct bg_scaling_point){
                .c = r.flops, .n = sc->sizes[z].n, .d = r.tokens, .bpb = r.bpb, .budget = b, .size = z, .seed = k};
        }
    }
    return BG_OK;
}

/* ---- The check ---- */

/* The predicted size and its neighbours x0.5 and x2 as rungs of the
 * ladder, three different ones even where the ladder is coarse. */
static void choose_check_sizes(struct bg_scaling *sc)
{
    double n = sc->fit.n_pred.value;
    const struct bg_config *m = &sc->base.model;
    size_t mid = scaling_nearest_depth(&sc->def, m, n), lo = scaling_nearest_depth(&sc->def, m, n / 2),
           hi = scaling_nearest_depth(&sc->def, m, n * 2);
    if (mid == 1)
        mid = 2;
    if (lo >= mid)
        lo = mid - 1;
    if (hi <= mid)
        hi = mid + 1;
    const size_t L[3] = {lo, mid, hi};
    for (size_t i = 0; i < 3; i++)
        scaling_rung(&sc->def, &sc->base.model, L[i], &sc->check_sizes[i]);
}

static int open_check(struct bg_scaling *sc, const char *budget, struct bg_error *err)
{
    char dir[BG_PATH_MAX + 8], lo[256], hi[256], list[600];
    snprintf(dir, sizeof dir, "%s/check", sc->opt.out);
    scaling_pair_flags(budget, &sc->check_sizes[0], lo, sizeof lo);
    scaling_pair_flags(budget, &sc->check_sizes[2], hi, sizeof hi);
    snprintf(list, sizeof list, "%s; %s", lo, hi);
    static struct bg_sweep_def sd; /* large: not on the stack */
    struct bg_sweep_options o = sc->opt;
    o.out = dir;
    int rc = scaling_sweep_def(sc, budget, &sc->check_sizes[1], list, &sd, err);
    if (!rc)
        rc = sweep_open(&sc->check_sweep, &sd, &o, err);
    return rc;
}

/* The check's scores by rung: mean and spread over the seeds. */
static int read_check(struct bg_scaling *sc, struct bg_error *err)
{
    struct bg_scaling_check *ck = &sc->check;
    ck->c = sc->fit.c_pred;
    for (size_t i = 0; i < 3; i++) {
        ck->n[i] = sc->check_sizes[i].n;
        ck->bpb[i] = ck->spread[i] = NAN;
    }
    size_t trials = sweep_trial_count(sc->check_sweep);
    for (size_t t = 1; t <= trials; t++) {
        const struct bg_train_config *cfg = sweep_trial_config(sc->check_sweep, t);
        for (size_t i = 0; i < 3; i++) {
            if (cfg->model.L != sc->check_sizes[i].L)
                continue;
            double sum = 0, lo = INFINITY, hi = -INFINITY;
            size_t n = 0;
            for (size_t k = 0; k < sc->def.seeds; k++) {
                struct bg_sweep_score r;
                if (sweep_run_score(sc->check_sweep, t, k, &r, err))
                    return err->code;
                if (!r.finished || r.crashed || !isfinite(r.bpb))
                    continue;
                sum += r.bpb;
                lo = fmin(lo, r.bpb);
                hi = fmax(hi, r.bpb);
                n++;
            }
            if (n) {
                ck->bpb[i] = sum / (double)n;
                ck->spread[i] = hi - lo;
            }
        }
    }
    ck->predicted_is_best = ck->bpb[1] < ck->bpb[0] && ck->bpb[1] < ck->bpb[2];
    ck->error = ck->bpb[1] - sc->fit.bpb_pred.value;
    sc->checked = isfinite(ck->bpb[0]) && isfinite(ck->bpb[1]) && isfinite(ck->bpb[2]);
    return BG_OK;
}

static int run_check(struct bg_scaling *sc, struct bg_error *err)
{
    char budget[BG_SWEEP_VALUE_LEN];
    snprintf(budget, sizeof budget, "%.6g", sc->fit.c_pred);
    choose_check_sizes(sc);
    int rc = open_check(sc, budget, err);
    if (!rc)
        rc = sweep_run(sc->check_sweep, err);
    if (!rc && sweep_stopped(sc->check_sweep))
        sc->stopped = sweep_stopped(sc->check_sweep);
    if (!rc && !sc->stopped)
        rc = read_check(sc, err);
    return rc;
}

/* ---- What is left on disk ---- */

static void put_value(struct bg_strbuf *b, const char *name, const struct bg_scaling_value *v, const char *what)
{
    strbuf_printf(b, "%s\t%.6g\t%.6g\t%.6g\t# %s\n", name, v->value, v->lo, v->hi, what);
}

static void put_budgets(struct bg_strbuf *b, const struct bg_scaling_fit *f)
{
    static const char *const where[] = {"inside", "below: add smaller sizes", "above: add larger sizes",
                                        "flat: no minimum"};
    strbuf_puts(b, "# Approach 2, each budget: a parabola of bpb against ln N\n"
                   "# budget\tN_opt\tbpb_opt\tD_opt\twhere\n");
    for (size_t i = 0; i < f->n_budgets; i++) {
        const struct bg_scaling_parabola *p = &f->par[i];
        strbuf_printf(b, "budget\t%.6g\t%.6g\t%.6g\t%.6g\t%s\n", p->c, p->n_opt, p->bpb_opt, p->d_opt,
                      where[p->where]);
    }
}

char *scaling_fit_text(const struct bg_scaling *sc)
{
    const struct bg_scaling_fit *f = &sc->fit;
    struct bg_strbuf b = {0};
    strbuf_printf(&b, "# bytegpt scaling: the compute-optimal frontier of %s\n"
                      "# N: the parameters a token is multiplied by (all but the position and bigram tables)\n"
                      "# spreads: 5th and 95th percentiles of %zu fits on resampled seeds\n"
                      "# name\tvalue\tp5\tp95\n", sc->def.corpus, f->resamples);
    put_budgets(&b, f);
    strbuf_puts(&b, "# The frontier across the budgets inside: N_opt = k C^a, D_opt = k' C^b\n");
    if (f->has_frontier) {
        put_value(&b, "a", &f->a, "N_opt grows as C^a");
        put_value(&b, "b", &f->b, "D_opt grows as C^b");
        put_value(&b, "tokens_per_param", &f->tokens_per_param, "D_opt / N_opt at the largest budget inside");
    } else {
        strbuf_printf(&b, "# no frontier: %zu budget%s inside, 2 needed; add the sizes each budget names\n",
                      f->n_inside, f->n_inside == 1 ? "" : "s");
    }
    strbuf_puts(&b, "# Approach 3, every run: L(N, D) = E + A / N^alpha + B / D^beta (bits per byte)\n");
    put_value(&b, "E", &f->E, "the floor of this family on this text");
    put_value(&b, "A", &f->A, "");
    put_value(&b, "alpha", &f->alpha, "");
    put_value(&b, "B", &f->B, "");
    put_value(&b, "beta", &f->beta, "");
    if (f->has_frontier) {
        strbuf_printf(&b, "# The prediction at %.6g FLOPs\n", f->c_pred);
        put_value(&b, "predicted_n", &f->n_pred, "N_opt from the frontier");
        put_value(&b, "predicted_d", &f->d_pred, "the tokens that size trains on");
        put_value(&b, "predicted_bpb", &f->bpb_pred, "Approach 3 at that N and D");
    }
    if (sc->checked) {
        const struct bg_scaling_check *c = &sc->check;
        strbuf_puts(&b, "# The check: the prediction and its neighbours trained at that budget\n");
        for (size_t i = 0; i < 3; i++)
            strbuf_printf(&b, "check\t%.6g\t%.6g\t%.6g\t# N, bpb, spread%s\n", c->n[i], c->bpb[i], c->spread[i],
                          i == 1 ? " (the predicted size)" : "");
        strbuf_printf(&b, "check_best\t%s\n", c->predicted_is_best ? "the predicted size" : "a neighbour");
        strbuf_printf(&b, "check_error\t%.6g\t# measured - predicted bpb of the predicted size\n", c->error);
    }
    return strbuf_take(&b);
}

static int write_outputs(struct bg_scaling *sc, struct bg_error *err)
{
    char path[BG_PATH_MAX + 16];
    char *text = scaling_fit_text(sc);
    if (!text)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    snprintf(path, sizeof path, "%s/fit.txt", sc->opt.out);
    int rc = fsutil_write_file(path, text, strlen(text), "fit.txt", err);
    free(text);
    if (rc)
        return rc;
    /* The page keeps a pointer to the view: it lives as long as sc. */
    sc->view = (struct bg_scaling_view){sc->points, sc->n_points, &sc->fit, sc->checked ? &sc->check : NULL};
    snprintf(path, sizeof path, "%s/scaling.svg", sc->opt.out);
    rc = plot_scaling_svg_write(path, &sc->view, err);
    if (!rc)
        rc = sweep_page_scaling(sc->pairs, &sc->view, err);
    return rc;
}

/* ---- The whole run ---- */

int scaling_run(struct bg_scaling *sc, struct bg_error *err)
{
    int rc = sweep_run(sc->pairs, err);
    if (rc)
        return rc;
    if (sweep_stopped(sc->pairs)) {
        sc->stopped = sweep_stopped(sc->pairs);
        return BG_OK;
    }
    struct bg_rng rng;
    rng_seed(&rng, BG_SCALING_SEED_FIT, 0);
    double c_pred = sc->def.budgets[sc->def.n_budgets - 1] * sc->def.check_factor;
    rc = gather_points(sc, err);
    if (!rc)
        rc = scaling_fit_all(sc->points, sc->n_points, sc->def.n_budgets, sc->def.seeds, c_pred, sc->def.resamples,
                             &rng, &sc->fit, err);
    if (rc)
        return rc;
    sc->fitted = 1;
    rc = write_outputs(sc, err);
    if (!rc && sc->def.check && sc->fit.has_frontier) {
        rc = run_check(sc, err);
        if (!rc && sc->checked)
            rc = write_outputs(sc, err);
    }
    return rc;
}

const struct bg_scaling_point *scaling_points(const struct bg_scaling *sc, size_t *n)
{
    *n = sc->n_points;
    return sc->points;
}

const struct bg_scaling_fit *scaling_result(const struct bg_scaling *sc)
{
    return sc->fitted ? &sc->fit : NULL;
}

const struct bg_scaling_check *scaling_check_result(const struct bg_scaling *sc)
{
    return sc->checked ? &sc->check : NULL;
}
