/* plot_scaling: what the scaling charts share (plot_scaling_parts.h and
 * the pieces of plot_scaling.h): the check of the view, which marks can
 * be drawn, the extent of the IsoFLOP panel, and the writing of the SVG.
 * The SVG is drawn in plot_scaling_svg.c and plot_scaling_panels.c, the
 * terminal chart in plot_scaling_term.c, the page's section in
 * page_scaling.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot_scaling_parts.h"

/* ---- What can be drawn ---- */

int plot_scaling_point_ok(const struct bg_scaling_view *v, const struct bg_scaling_point *p)
{
    return p->budget < v->fit->n_budgets && p->n > 0 && isfinite(p->n) && isfinite(p->bpb);
}

int plot_scaling_check_view(const struct bg_scaling_view *v, struct bg_error *err)
{
    if (!v || !v->fit)
        return bg_fail(err, BG_ERR_INPUT, "scaling chart: no fit to draw");
    if (v->fit->n_budgets == 0 || v->fit->n_budgets > BG_SCALING_MAX_BUDGETS)
        return bg_fail(err, BG_ERR_INPUT, "scaling chart: %zu budgets (1 to %d can be drawn)", v->fit->n_budgets,
                       BG_SCALING_MAX_BUDGETS);
    for (size_t i = 0; v->pts && i < v->n_pts; i++)
        if (plot_scaling_point_ok(v, &v->pts[i]))
            return BG_OK;
    return bg_fail(err, BG_ERR_INPUT, "scaling chart: no run with a score to draw");
}

int plot_scaling_has_prediction(const struct bg_scaling_fit *f)
{
    return f->has_frontier && f->c_pred > 0 && f->n_pred.value > 0 && isfinite(f->n_pred.value) &&
           isfinite(f->bpb_pred.value);
}

int plot_scaling_parabola_ok(const struct bg_scaling_parabola *p)
{
    return isfinite(p->q0) && isfinite(p->q1) && isfinite(p->q2) && p->n_lo > 0 && p->n_hi >= p->n_lo &&
           isfinite(p->n_hi);
}

int plot_scaling_vertex_ok(const struct bg_scaling_parabola *p)
{
    return p->where == BG_SCALING_INSIDE && p->n_opt > 0 && isfinite(p->n_opt) && isfinite(p->bpb_opt);
}

size_t plot_scaling_vertices(const struct bg_scaling_fit *f)
{
    size_t n = 0;
    for (size_t k = 0; k < f->n_budgets; k++)
        n += plot_scaling_vertex_ok(&f->par[k]);
    return n;
}

double plot_scaling_parabola_at(const struct bg_scaling_parabola *p, double n)
{
    double x = log(n);
    return p->q0 + (p->q1 + p->q2 * x) * x;
}

const char *plot_scaling_where(enum bg_scaling_where w)
{
    switch (w) {
    case BG_SCALING_INSIDE: return "inside";
    case BG_SCALING_BELOW: return "outside: add smaller sizes";
    case BG_SCALING_ABOVE: return "outside: add larger sizes";
    default: return "no minimum";
    }
}

int plot_scaling_check_best(const struct bg_scaling_check *c)
{
    int best = -1;
    for (int i = 0; i < 3; i++)
        if (isfinite(c->bpb[i]) && (best < 0 || c->bpb[i] < c->bpb[best]))
            best = i;
    return best;
}

/* ---- The IsoFLOP panel's extent ---- */

static void extent_add(struct plot_scaling_extent *e, double n, double bpb)
{
    if (!(n > 0) || !isfinite(n) || !isfinite(bpb))
        return;
    e->nlo = fmin(e->nlo, n);
    e->nhi = fmax(e->nhi, n);
    e->blo = fmin(e->blo, bpb);
    e->bhi = fmax(e->bhi, bpb);
}

/* A parabola can dip below its runs between them: its samples count. */
static void extent_parabola(struct plot_scaling_extent *e, const struct bg_scaling_parabola *p)
{
    if (!plot_scaling_parabola_ok(p))
        return;
    for (int k = 0; k < PLOT_SCALING_SAMPLES; k++) {
        double n = p->n_lo * pow(p->n_hi / p->n_lo, k / (PLOT_SCALING_SAMPLES - 1.0));
        extent_add(e, n, plot_scaling_parabola_at(p, n));
    }
    if (plot_scaling_vertex_ok(p))
        extent_add(e, p->n_opt, p->bpb_opt);
}

/* The prediction, and the ends of its error bars when they are drawn. */
static void extent_prediction(struct plot_scaling_extent *e, const struct bg_scaling_fit *f, int spreads)
{
    double n = f->n_pred.value, bpb = f->bpb_pred.value;
    extent_add(e, n, bpb);
    if (!spreads)
        return;
    extent_add(e, f->n_pred.lo, bpb);
    extent_add(e, f->n_pred.hi, bpb);
    extent_add(e, n, f->bpb_pred.lo);
    extent_add(e, n, f->bpb_pred.hi);
}

void plot_scaling_extent(const struct bg_scaling_view *v, int spreads, struct plot_scaling_extent *e)
{
    *e = (struct plot_scaling_extent){INFINITY, -INFINITY, INFINITY, -INFINITY};
    for (size_t i = 0; i < v->n_pts; i++)
        if (plot_scaling_point_ok(v, &v->pts[i]))
            extent_add(e, v->pts[i].n, v->pts[i].bpb);
    for (size_t b = 0; b < v->fit->n_budgets; b++)
        extent_parabola(e, &v->fit->par[b]);
    for (int i = 0; v->check && i < 3; i++)
        extent_add(e, v->check->n[i], v->check->bpb[i]);
    if (plot_scaling_has_prediction(v->fit))
        extent_prediction(e, v->fit, spreads);
}
