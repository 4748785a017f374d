/* plot_scaling_panels: the scaling SVG's two panels (plot_scaling_svg.h):
 * the IsoFLOP curves on the left, the frontier on the right. Each sets up
 * its axes over what it draws, then draws the fits' lines first and the
 * marks over them, the prediction last. */
#include <math.h>
#include <stdio.h>

#include "bytegpt/format.h"
#include "plot_scaling_parts.h"
#include "plot_scaling_svg.h"

/* ---- The IsoFLOP panel ---- */

static void iso_parabola(struct bg_strbuf *b, const struct scaling_panel *p, const struct bg_scaling_parabola *par,
                         const char *color)
{
    strbuf_printf(b, "<polyline class=\"parabola\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" points=\"",
                  color);
    for (int k = 0; k < PLOT_SCALING_SAMPLES; k++) {
        double n = par->n_lo * pow(par->n_hi / par->n_lo, k / (PLOT_SCALING_SAMPLES - 1.0));
        strbuf_printf(b, "%s%.1f,%.1f", k ? " " : "", scaling_x(p, n), scaling_y(p, plot_scaling_parabola_at(par, n)));
    }
    strbuf_puts(b, "\"/>\n");
}

/* A budget whose vertex is no result says so under the end of its curve
 * where the vertex lies (the curve's low end, with room below it), the
 * arrow pointing the way to add sizes. */
static void iso_outside(struct bg_strbuf *b, const struct scaling_panel *p, const struct bg_scaling_parabola *par,
                        const char *color)
{
    int below = par->where == BG_SCALING_BELOW;
    double n = below ? par->n_lo : par->n_hi;
    const char *text = below ? "\xe2\x86\x90 outside" : par->where == BG_SCALING_ABOVE ? "outside \xe2\x86\x92"
                                                                                        : "no minimum";
    strbuf_printf(b, "<text class=\"outside\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" fill=\"%s\" "
                     "font-weight=\"bold\">%s</text>\n",
                  scaling_x(p, n), scaling_y(p, plot_scaling_parabola_at(par, n)) + 24, below ? "start" : "end", color,
                  text);
}

/* One budget: its curve, every seed's run, and its vertex or its label. */
static void iso_budget(struct bg_strbuf *b, const struct scaling_panel *p, const struct bg_scaling_view *v, size_t k)
{
    const struct bg_scaling_parabola *par = &v->fit->par[k];
    char name[FORMAT_LEN], size[FORMAT_LEN], tip[160];
    plot_sci_label(name, sizeof name, par->c);
    if (plot_scaling_parabola_ok(par))
        iso_parabola(b, p, par, plot_color(k));
    for (size_t i = 0; i < v->n_pts; i++) {
        const struct bg_scaling_point *pt = &v->pts[i];
        if (pt->budget != k || !plot_scaling_point_ok(v, pt))
            continue;
        snprintf(tip, sizeof tip, "%s FLOPs, %s parameters, seed %zu: %.3f bpb", name,
                 format_count(size, sizeof size, pt->n), pt->seed, pt->bpb);
        scaling_dot(b, "run", scaling_x(p, pt->n), scaling_y(p, pt->bpb), plot_color(k), tip);
    }
    if (plot_scaling_vertex_ok(par)) {
        snprintf(tip, sizeof tip, "best size at %s FLOPs: %s parameters, %.3f bpb", name,
                 format_count(size, sizeof size, par->n_opt), par->bpb_opt);
        scaling_diamond(b, "vertex", scaling_x(p, par->n_opt), scaling_y(p, par->bpb_opt), plot_color(k), tip);
    } else if (plot_scaling_parabola_ok(par)) {
        iso_outside(b, p, par, plot_color(k));
    }
}

/* --check's three runs at the prediction's budget, joined by a dashed
 * line: an IsoFLOP curve of its own, which should bottom out in the middle. */
static void iso_check(struct bg_strbuf *b, const struct scaling_panel *p, const struct bg_scaling_check *c)
{
    char size[FORMAT_LEN], budget[FORMAT_LEN], tip[160];
    strbuf_printf(b, "<polyline class=\"check-line\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
                     "stroke-dasharray=\"5 4\" points=\"", INK);
    for (int i = 0, first = 1; i < 3; i++)
        if (c->n[i] > 0 && isfinite(c->bpb[i])) {
            strbuf_printf(b, "%s%.1f,%.1f", first ? "" : " ", scaling_x(p, c->n[i]), scaling_y(p, c->bpb[i]));
            first = 0;
        }
    strbuf_puts(b, "\"/>\n");
    for (int i = 0; i < 3; i++) {
        if (!(c->n[i] > 0) || !isfinite(c->bpb[i]))
            continue;
        snprintf(tip, sizeof tip, "check at %s FLOPs: %s parameters, %.3f bpb",
                 plot_sci_label(budget, sizeof budget, c->c), format_count(size, sizeof size, c->n[i]), c->bpb[i]);
        scaling_square(b, "check", scaling_x(p, c->n[i]), scaling_y(p, c->bpb[i]), tip);
    }
}

/* The prediction's tooltip: where it is, and what. */
static void prediction_tip(char *tip, size_t n, const struct bg_scaling_fit *f)
{
    char budget[FORMAT_LEN], size[FORMAT_LEN];
    snprintf(tip, n, "prediction at %s FLOPs: %s parameters, %.3f bpb",
             plot_sci_label(budget, sizeof budget, f->c_pred), format_count(size, sizeof size, f->n_pred.value),
             f->bpb_pred.value);
}

/* The star at (n_pred, bpb_pred), a bar across it for each spread. */
static void iso_prediction(struct bg_strbuf *b, const struct scaling_panel *p, const struct bg_scaling_fit *f)
{
    char tip[160];
    double x = scaling_x(p, f->n_pred.value), y = scaling_y(p, f->bpb_pred.value);
    scaling_spread(b, scaling_x(p, f->n_pred.lo), y, scaling_x(p, f->n_pred.hi), y);
    scaling_spread(b, x, scaling_y(p, f->bpb_pred.lo), x, scaling_y(p, f->bpb_pred.hi));
    prediction_tip(tip, sizeof tip, f);
    scaling_star(b, "prediction", x, y, tip);
}

void scaling_iso_panel(struct bg_strbuf *b, const struct bg_scaling_view *v)
{
    struct scaling_panel p;
    struct plot_scaling_extent e;
    plot_scaling_extent(v, 1, &e);
    plot_axis_init_log(&p.ax, PLOT_AXIS_COUNT, e.nlo, e.nhi, 0.06);
    plot_axis_init(&p.ay, PLOT_AXIS_LOSS, e.blo, e.bhi, 6, 1);
    p.f = (struct plot_frame){ISO_LEFT, ISO_RIGHT, PANEL_TOP, PANEL_BOTTOM, &p.ax, &p.ay, FONT};
    scaling_panel_title(b, &p, "IsoFLOP curves: loss against size");
    plot_svg_axes(b, &p.f, "parameters", "validation bits per byte");
    for (size_t k = 0; k < v->fit->n_budgets; k++)
        iso_budget(b, &p, v, k);
    if (v->check)
        iso_check(b, &p, v->check);
    if (plot_scaling_has_prediction(v->fit))
        iso_prediction(b, &p, v->fit);
}

/* ---- The frontier panel ---- */

/* The fitted n = k c^a at budget c. */
static double frontier_at(const struct bg_scaling_fit *f, double c)
{
    return f->n_power.k * pow(c, f->n_power.a);
}

/* The budgets with their vertex inside, from cmin to cmax (0 when none). */
static void inside_budgets(const struct bg_scaling_fit *f, double *cmin, double *cmax)
{
    *cmin = INFINITY;
    *cmax = 0;
    for (size_t k = 0; k < f->n_budgets; k++)
        if (plot_scaling_vertex_ok(&f->par[k]) && f->par[k].c > 0) {
            *cmin = fmin(*cmin, f->par[k].c);
            *cmax = fmax(*cmax, f->par[k].c);
        }
}

/* Grows [lo, hi] to take v in, when v is a positive number. */
static void span_add(double *lo, double *hi, double v)
{
    if (v > 0 && isfinite(v)) {
        *lo = fmin(*lo, v);
        *hi = fmax(*hi, v);
    }
}

/* The axes over every budget, the prediction and the check (x), and
 * every size the panel draws (y); with no vertex inside, the sizes tried. */
static void front_axes(struct scaling_panel *p, const struct bg_scaling_view *v)
{
    const struct bg_scaling_fit *f = v->fit;
    double clo = INFINITY, chi = 0, nlo = INFINITY, nhi = 0, cmin, cmax;
    int best = v->check ? plot_scaling_check_best(v->check) : -1;
    for (size_t k = 0; k < f->n_budgets; k++) {
        span_add(&clo, &chi, f->par[k].c);
        if (plot_scaling_vertex_ok(&f->par[k]))
            span_add(&nlo, &nhi, f->par[k].n_opt);
    }
    if (plot_scaling_has_prediction(f)) {
        inside_budgets(f, &cmin, &cmax);
        span_add(&clo, &chi, f->c_pred);
        span_add(&nlo, &nhi, f->n_pred.lo);
        span_add(&nlo, &nhi, f->n_pred.hi);
        span_add(&nlo, &nhi, frontier_at(f, cmin));
        span_add(&nlo, &nhi, frontier_at(f, f->c_pred));
    }
    if (best >= 0) {
        span_add(&clo, &chi, v->check->c);
        span_add(&nlo, &nhi, v->check->n[best]);
    }
    for (size_t k = 0; k < f->n_budgets && !(nhi > 0); k++) {
        span_add(&nlo, &nhi, f->par[k].n_lo);
        span_add(&nlo, &nhi, f->par[k].n_hi);
    }
    /* Budgets that are not numbers leave only the runs to go by. */
    for (size_t i = 0; i < v->n_pts && !(chi > 0); i++)
        span_add(&clo, &chi, v->pts[i].c);
    for (size_t i = 0; i < v->n_pts && !(nhi > 0); i++)
        span_add(&nlo, &nhi, v->pts[i].n);
    plot_axis_init_log(&p->ax, PLOT_AXIS_FLOPS, chi > 0 ? clo : 1, chi > 0 ? chi : 10, 0.06);
    plot_axis_init_log(&p->ay, PLOT_AXIS_COUNT, nhi > 0 ? nlo : 1, nhi > 0 ? nhi : 10, 0.08);
    p->f = (struct plot_frame){FRONT_LEFT, FRONT_RIGHT, PANEL_TOP, PANEL_BOTTOM, &p->ax, &p->ay, FONT};
}

/* The fitted line from budget c1 to budget c2 (dash: its dashes, or NULL). */
static void fit_segment(struct bg_strbuf *b, const struct scaling_panel *p, const struct bg_scaling_fit *f,
                        const char *cls, double c1, double c2, const char *dash)
{
    strbuf_printf(b, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                     "stroke-width=\"2\"", cls, scaling_x(p, c1), scaling_y(p, frontier_at(f, c1)), scaling_x(p, c2),
                  scaling_y(p, frontier_at(f, c2)), INK);
    if (dash)
        strbuf_printf(b, " stroke-dasharray=\"%s\"", dash);
    strbuf_puts(b, "/>\n");
}

/* The fitted line, straight on log-log axes: solid over the budgets it
 * was fitted to, dashed where it is extrapolated to the prediction. */
static void front_line(struct bg_strbuf *b, const struct scaling_panel *p, const struct bg_scaling_fit *f)
{
    double cmin, cmax;
    inside_budgets(f, &cmin, &cmax);
    if (!(f->n_power.k > 0) || !isfinite(f->n_power.a) || !(cmax > 0))
        return;
    fit_segment(b, p, f, "fitline", cmin, cmax, NULL);
    fit_segment(b, p, f, "fitline-ext", cmax, f->c_pred, "7 5");
}

/* What the line says, inside the panel's top left corner, which a
 * frontier rising to the right leaves free: the exponent with its
 * spread, and the tokens per parameter at the largest budget inside. */
static void front_summary(struct bg_strbuf *b, const struct bg_scaling_fit *f)
{
    char spread[64] = "";
    if (isfinite(f->a.lo) && isfinite(f->a.hi))
        snprintf(spread, sizeof spread, " (%.2f\xe2\x80\x93%.2f)", f->a.lo, f->a.hi);
    strbuf_printf(b, "<g fill=\"#222222\">\n<text x=\"%.1f\" y=\"%.1f\">n = k C^a, a = %.2f%s</text>\n",
                  FRONT_LEFT + 12, PANEL_TOP + FONT + 6, f->a.value, spread);
    if (isfinite(f->tokens_per_param.value))
        strbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">%.3g tokens per parameter</text>\n", FRONT_LEFT + 12,
                      PANEL_TOP + 2 * FONT + 12, f->tokens_per_param.value);
    strbuf_puts(b, "</g>\n");
}

static void front_marks(struct bg_strbuf *b, const struct scaling_panel *p, const struct bg_scaling_view *v)
{
    const struct bg_scaling_fit *f = v->fit;
    char budget[FORMAT_LEN], size[FORMAT_LEN], tip[160];
    for (size_t k = 0; k < f->n_budgets; k++) {
        const struct bg_scaling_parabola *par = &f->par[k];
        if (!plot_scaling_vertex_ok(par) || !(par->c > 0))
            continue;
        snprintf(tip, sizeof tip, "best size at %s FLOPs: %s parameters",
                 plot_sci_label(budget, sizeof budget, par->c), format_count(size, sizeof size, par->n_opt));
        scaling_dot(b, "frontier", scaling_x(p, par->c), scaling_y(p, par->n_opt), plot_color(k), tip);
    }
    if (plot_scaling_has_prediction(f)) {
        double x = scaling_x(p, f->c_pred);
        scaling_spread(b, x, scaling_y(p, f->n_pred.lo), x, scaling_y(p, f->n_pred.hi));
        prediction_tip(tip, sizeof tip, f);
        scaling_star(b, "prediction", x, scaling_y(p, f->n_pred.value), tip);
    }
    int best = v->check ? plot_scaling_check_best(v->check) : -1;
    if (best >= 0) {
        snprintf(tip, sizeof tip, "best of the check at %s FLOPs: %s parameters",
                 plot_sci_label(budget, sizeof budget, v->check->c),
                 format_count(size, sizeof size, v->check->n[best]));
        scaling_box(b, "check-best", scaling_x(p, v->check->c), scaling_y(p, v->check->n[best]), 15, tip);
    }
}

void scaling_front_panel(struct bg_strbuf *b, const struct bg_scaling_view *v)
{
    struct scaling_panel p;
    front_axes(&p, v);
    scaling_panel_title(b, &p, "Frontier: best size against compute");
    plot_svg_axes(b, &p.f, "training FLOPs", "parameters at the best size");
    if (plot_scaling_has_prediction(v->fit)) {
        front_line(b, &p, v->fit);
        front_summary(b, v->fit);
    } else {
        strbuf_printf(b, "<g text-anchor=\"middle\" fill=\"#555555\">\n<text x=\"%.1f\" y=\"%.1f\">No frontier "
                         "yet: too few budgets</text>\n<text x=\"%.1f\" y=\"%.1f\">have their best size inside</text>\n"
                         "</g>\n",
                      (FRONT_LEFT + FRONT_RIGHT) / 2, (PANEL_TOP + PANEL_BOTTOM) / 2, (FRONT_LEFT + FRONT_RIGHT) / 2,
                      (PANEL_TOP + PANEL_BOTTOM) / 2 + FONT + 6);
    }
    front_marks(b, &p, v);
}
