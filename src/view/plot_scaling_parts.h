/* plot_scaling_parts: what the scaling charts' files share
 * (plot_scaling.c), private to the view module: the check of what they
 * are handed, which runs can be drawn, and the extent of the IsoFLOP
 * panel, so that the SVG, the terminal chart and the page agree. */
#ifndef BYTEGPT_VIEW_PLOT_SCALING_PARTS_H
#define BYTEGPT_VIEW_PLOT_SCALING_PARTS_H

#include <stddef.h>

#include "bytegpt/plot_scaling.h"

/* Points along each parabola: enough for a smooth curve at any width. */
#define PLOT_SCALING_SAMPLES 48

/* Refuses a view no chart can be drawn from (see plot_scaling_svg). */
int plot_scaling_check_view(const struct bg_scaling_view *v, struct bg_error *err);

/* Whether a run can be drawn: a finite score at a positive size, of a
 * budget the fit has. */
int plot_scaling_point_ok(const struct bg_scaling_view *v, const struct bg_scaling_point *p);

/* Whether the prediction is there to draw: a frontier, and a size and a
 * score that are numbers. */
int plot_scaling_has_prediction(const struct bg_scaling_fit *f);

/* Whether the parabola can be drawn over its sizes. */
int plot_scaling_parabola_ok(const struct bg_scaling_parabola *p);

/* Whether the vertex is a result to mark. */
int plot_scaling_vertex_ok(const struct bg_scaling_parabola *p);

/* How many budgets have a vertex to mark: the charts explain the mark
 * only when there is one. */
size_t plot_scaling_vertices(const struct bg_scaling_fit *f);

/* The IsoFLOP panel's extent: sizes from nlo to nhi, scores from blo to
 * bhi, over every run, every parabola over its sizes, the inside
 * vertices, the check's runs and the prediction (with its spreads when
 * `spreads` is set, which only the SVG draws). */
struct plot_scaling_extent {
    double nlo, nhi, blo, bhi;
};
void plot_scaling_extent(const struct bg_scaling_view *v, int spreads, struct plot_scaling_extent *e);

#endif
