/* plot_scaling: the charts of `bytegpt scaling`, drawn from the runs of
 * an IsoFLOP grid and the fits made of them (scaling_fit.h). The charts
 * fit nothing: they draw the numbers they are handed.
 *
 * The SVG (scaling.svg, and inline on the sweep's page) has two panels:
 *   - the IsoFLOP curves: bits per byte against parameters (log x), one
 *     colour per budget: every seed's run as a dot, the budget's fitted
 *     parabola over the sizes it tried, and its vertex as a diamond when
 *     the vertex lies inside them, or a label saying it is outside (an
 *     arrow pointing the way the sizes should grow). With --check, the
 *     three runs at the predicted budget as squares; with a frontier, the
 *     prediction as a star with its spreads as error bars.
 *   - the frontier: parameters at each budget's optimum against FLOPs
 *     (both log): each inside vertex as a dot, the fitted n = k c^a (solid
 *     over the budgets, dashed on to the prediction), the prediction as a
 *     star with its spread, and the best of the check's sizes as a square.
 * The terminal chart draws the IsoFLOP panel on the loss chart's braille
 * grid (a letter per budget: its runs lowercase, its vertex uppercase)
 * with a table of the budgets under it.
 *
 * As everywhere in the view, text is drawn into memory and never printed;
 * only plot_scaling_svg_write touches the disk, atomically. */
#ifndef BYTEGPT_PLOT_SCALING_H
#define BYTEGPT_PLOT_SCALING_H

#include <stddef.h>

#include "bytegpt/error.h"
#include "bytegpt/plot.h"
#include "bytegpt/scaling_fit.h"
#include "bytegpt/strbuf.h"

/* What the charts draw. */
struct bg_scaling_view {
    const struct bg_scaling_point *pts; /* every scored run */
    size_t n_pts;
    const struct bg_scaling_fit *fit;    /* the fits made of them */
    const struct bg_scaling_check *check; /* --check's runs, or NULL */
};

/* The SVG document (*out, caller frees). A view with no fit, no budget
 * (or more than BG_SCALING_MAX_BUDGETS), or no run that can be drawn (a
 * finite score at a positive size, of a budget the fit has) is
 * BG_ERR_INPUT; runs that cannot be drawn are otherwise left out. */
int plot_scaling_svg(const struct bg_scaling_view *v, char **out, struct bg_error *err);

/* plot_scaling_svg's document written to path atomically, with the
 * errors of plot_svg_write. */
int plot_scaling_svg_write(const char *path, const struct bg_scaling_view *v, struct bg_error *err);

/* The same picture as an <svg> element for a web page (appended to b): no
 * XML declaration and no namespace, which HTML does not need, and a width
 * that follows the page's. */
int plot_scaling_svg_inline(struct bg_strbuf *b, const struct bg_scaling_view *v, struct bg_error *err);

/* The terminal chart and the budgets' table (*out, caller frees), every
 * line at most opt->width columns; opt->height rows of plot area; colours
 * when opt->color. opt NULL: 72 columns, 14 rows, no colour. */
int plot_scaling_terminal(const struct bg_scaling_view *v, const struct bg_plot_options *opt, char **out,
                          struct bg_error *err);

/* ---- Pieces the page's scaling section shares ---- */

/* What a budget's vertex says: "inside", "outside: add smaller sizes",
 * "outside: add larger sizes", "no minimum". */
const char *plot_scaling_where(enum bg_scaling_where w);

/* The parabola's bits per byte at n parameters. */
double plot_scaling_parabola_at(const struct bg_scaling_parabola *p, double n);

/* The index (0..2) of the check's lowest score, or -1 when none has one. */
int plot_scaling_check_best(const struct bg_scaling_check *c);

#endif
