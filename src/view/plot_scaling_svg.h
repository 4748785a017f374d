/* plot_scaling_svg: what the scaling SVG's three files share, private to
 * the view module: the picture's geometry, a panel, the marks
 * (plot_scaling_marks.c), and the two panels (plot_scaling_panels.c);
 * plot_scaling_svg.c draws the legend and puts the picture together. */
#ifndef BYTEGPT_VIEW_PLOT_SCALING_SVG_H
#define BYTEGPT_VIEW_PLOT_SCALING_SVG_H

#include "bytegpt/plot_chart.h"
#include "bytegpt/plot_scaling.h"
#include "bytegpt/strbuf.h"

/* The picture's width and type, and the two panels' plot areas. The
 * type is large for its width because the sweep's page shrinks the
 * picture to the page's width, and the page is made for a projector. */
#define VIEW_W 1200
#define FONT 22
#define PANEL_TOP 104.0
#define PANEL_BOTTOM 470.0
#define ISO_LEFT 120.0
#define ISO_RIGHT 566.0
#define FRONT_LEFT 728.0
#define FRONT_RIGHT 1176.0

/* The prediction and the check are the fits', not a budget's: in ink. */
#define INK "#111111"
#define STAR_FILL "#ffb000"

/* A panel: its two axes and where its plot area lies. */
struct scaling_panel {
    struct plot_axis ax, ay;
    struct plot_frame f;
};

/* ---- Marks (plot_scaling_marks.c) ----
 *
 * Each at (x, y) in the picture; cls is the mark's class (NULL for the
 * legend's samples, so that counting a class counts the data's marks)
 * and tip its tooltip (NULL for none). */

/* A run: a dot of the budget's colour. */
void scaling_dot(struct bg_strbuf *b, const char *cls, double x, double y, const char *color, const char *tip);

/* A budget's best size: a diamond of its colour. */
void scaling_diamond(struct bg_strbuf *b, const char *cls, double x, double y, const char *color,
                     const char *tip);

/* A check's run: a small filled square. */
void scaling_square(struct bg_strbuf *b, const char *cls, double x, double y, const char *tip);

/* An open square of half-side r. */
void scaling_box(struct bg_strbuf *b, const char *cls, double x, double y, double r, const char *tip);

/* The prediction: a five-pointed star. */
void scaling_star(struct bg_strbuf *b, const char *cls, double x, double y, const char *tip);

/* An error bar from (x1, y1) to (x2, y2), level or upright, with a cap
 * across each end; left out when an end is not a number. */
void scaling_spread(struct bg_strbuf *b, double x1, double y1, double x2, double y2);

/* A value's place on a panel's x or y axis (NaN for one a log axis
 * cannot place). */
double scaling_x(const struct scaling_panel *p, double v);
double scaling_y(const struct scaling_panel *p, double v);

/* The panel's title, over its plot area. */
void scaling_panel_title(struct bg_strbuf *b, const struct scaling_panel *p, const char *title);

/* ---- The panels (plot_scaling_panels.c) ---- */

/* The IsoFLOP curves: bits per byte against parameters. */
void scaling_iso_panel(struct bg_strbuf *b, const struct bg_scaling_view *v);

/* The frontier: the best size against the compute. */
void scaling_front_panel(struct bg_strbuf *b, const struct bg_scaling_view *v);

#endif
