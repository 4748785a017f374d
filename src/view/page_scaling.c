/* page_scaling: the scaling section of a sweep's page (page_scaling.h):
 * the scaling SVG inline, the table of what was fitted, and, after
 * --check, the three runs at the predicted budget beside the prediction.
 *
 * The picture is the one scaling.svg holds, drawn into the page (a page
 * loads nothing beside itself). The tables give its numbers with their
 * spreads and say in a few words what each one is, for a reader who has
 * not read the paper. */
#include <math.h>
#include <stdio.h>

#include "bytegpt/format.h"
#include "bytegpt/plot_chart.h"
#include "page_scaling.h"
#include "plot_scaling_parts.h"

/* ---- Numbers ---- */

static const char *fixed3(char *buf, size_t n, double v)
{
    snprintf(buf, n, isfinite(v) ? "%.3f" : "-", v);
    return buf;
}

static const char *sig3(char *buf, size_t n, double v)
{
    snprintf(buf, n, isfinite(v) ? "%.3g" : "-", v);
    return buf;
}

/* One row of the fit's table: its name, its value, the 5th to the 95th
 * percentile of the resampled fits ("-" without resamples), and what it is. */
static void fit_row(struct bg_strbuf *b, const char *name, const struct bg_scaling_value *v,
                    const char *(*fmt)(char *, size_t, double), const char *what)
{
    char value[FORMAT_LEN], lo[FORMAT_LEN], hi[FORMAT_LEN];
    strbuf_printf(b, "<tr><td class=\"text\">%s</td><td>%s</td>", name, fmt(value, sizeof value, v->value));
    if (isfinite(v->lo) && isfinite(v->hi))
        strbuf_printf(b, "<td>%s \xe2\x80\x93 %s</td>", fmt(lo, sizeof lo, v->lo), fmt(hi, sizeof hi, v->hi));
    else
        strbuf_puts(b, "<td>-</td>");
    strbuf_printf(b, "<td class=\"text\">%s</td></tr>\n", what);
}

/* ---- The fit ---- */

/* The frontier's rows and the prediction's: only when there is one. */
static void frontier_rows(struct bg_strbuf *b, const struct bg_scaling_fit *f)
{
    char budget[FORMAT_LEN], name[3][96];
    fit_row(b, "a", &f->a, fixed3, "the best size grows as C<sup>a</sup> with the compute C");
    fit_row(b, "b", &f->b, fixed3, "the best number of tokens grows as C<sup>b</sup>");
    fit_row(b, "tokens per parameter", &f->tokens_per_param, sig3,
            "at the largest budget inside: the data the best size wants");
    plot_sci_label(budget, sizeof budget, f->c_pred);
    snprintf(name[0], sizeof name[0], "predicted size at %s FLOPs", budget);
    snprintf(name[1], sizeof name[1], "predicted tokens at %s FLOPs", budget);
    snprintf(name[2], sizeof name[2], "predicted bits per byte at %s FLOPs", budget);
    fit_row(b, name[0], &f->n_pred, format_count, "parameters, from the frontier");
    fit_row(b, name[1], &f->d_pred, format_count, "what that size trains on for the budget");
    fit_row(b, name[2], &f->bpb_pred, fixed3, "the score L(n, d) gives that size and those tokens");
}

/* The law's rows: fitted to every run, so there whether or not the
 * budgets' vertices gave a frontier. */
static void law_rows(struct bg_strbuf *b, const struct bg_scaling_fit *f)
{
    fit_row(b, "E", &f->E, fixed3, "the floor of L(n, d) = E + A / n<sup>&alpha;</sup> + B / d<sup>&beta;</sup>: "
                                   "no size or data goes below it");
    fit_row(b, "&alpha;", &f->alpha, fixed3, "how fast the loss falls with more parameters");
    fit_row(b, "&beta;", &f->beta, fixed3, "how fast the loss falls with more tokens");
}

static void fit_table(struct bg_strbuf *b, const struct bg_scaling_fit *f)
{
    strbuf_puts(b, "<table id=\"scaling-fit\">\n<thead><tr><th class=\"text\">fitted</th><th>value</th>"
                   "<th>5th \xe2\x80\x93 95th percentile</th><th class=\"text\">what it is</th></tr></thead>\n"
                   "<tbody>\n");
    if (f->has_frontier)
        frontier_rows(b, f);
    law_rows(b, f);
    strbuf_puts(b, "</tbody>\n</table>\n");
    strbuf_printf(b, "<p>%zu of %zu budgets have their best size inside the sizes tried", f->n_inside, f->n_budgets);
    if (f->resamples > 0)
        strbuf_printf(b, "; the percentiles are those of %zu fits to resampled seeds", f->resamples);
    strbuf_puts(b, ".</p>\n");
    if (!f->has_frontier)
        strbuf_puts(b, "<p id=\"no-frontier\">No frontier yet: it takes two budgets with their best size inside. "
                       "Add the sizes the chart's labels point to.</p>\n");
}

/* ---- The check ---- */

static const char *const check_names[3] = {"half the predicted size", "the predicted size",
                                           "twice the predicted size"};

static void check_table(struct bg_strbuf *b, const struct bg_scaling_check *c, double predicted)
{
    char budget[FORMAT_LEN], n[FORMAT_LEN], bpb[FORMAT_LEN], spread[FORMAT_LEN];
    int best = plot_scaling_check_best(c);
    strbuf_printf(b, "<h3>The check: three sizes trained at %s FLOPs</h3>\n",
                  plot_sci_label(budget, sizeof budget, c->c));
    strbuf_puts(b, "<table id=\"scaling-check\">\n<thead><tr><th class=\"text\">size</th><th>parameters</th>"
                   "<th>val bpb</th><th>spread</th></tr></thead>\n<tbody>\n");
    for (int i = 0; i < 3; i++)
        strbuf_printf(b, "<tr%s><td class=\"text\">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                      i == best ? " class=\"best\"" : "", check_names[i], format_count(n, sizeof n, c->n[i]),
                      fixed3(bpb, sizeof bpb, c->bpb[i]), fixed3(spread, sizeof spread, c->spread[i]));
    strbuf_puts(b, "</tbody>\n</table>\n");
    strbuf_printf(b, "<p id=\"check-verdict\">Predicted %s bits per byte, measured %s (%+.3f): ",
                  fixed3(bpb, sizeof bpb, predicted), fixed3(spread, sizeof spread, c->bpb[1]), c->error);
    strbuf_puts(b, c->predicted_is_best ? "the predicted size scored best of the three.</p>\n"
                                        : "a neighbour scored better than the predicted size.</p>\n");
}

/* ---- The section ---- */

void page_scaling(struct bg_strbuf *b, const struct bg_scaling_view *v)
{
    struct bg_error err;
    page_section(b, "scaling", "Compute-optimal frontier");
    if (plot_scaling_check_view(v, &err) != BG_OK) {
        strbuf_puts(b, "<p class=\"empty\">Nothing to draw yet (");
        page_escape(b, err.msg);
        strbuf_puts(b, ").</p>\n");
        return;
    }
    strbuf_puts(b, "<p>Each colour is one compute budget: its runs (one dot per seed), the parabola fitted to them, "
                   "and its lowest point, the best size for that budget. On the right, those best sizes against the "
                   "compute, and the line through them carried on to a budget not tried.</p>\n"
                   "<figure class=\"scaling\">\n");
    plot_scaling_svg_inline(b, v, &err);
    strbuf_puts(b, "</figure>\n<h3>What was fitted</h3>\n");
    fit_table(b, v->fit);
    if (v->check)
        check_table(b, v->check, v->fit->bpb_pred.value);
}
