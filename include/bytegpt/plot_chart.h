/* plot_chart: what the plot's three renderers (plot_term.c, plot_table.c,
 * plot_svg.c) share: the options with their defaults filled in, the
 * series each curve goes through (train smoothed by an EMA, val as
 * logged) with the extent of all their points, and the axes over that
 * extent, with "nice" ticks and their labels. The public entry is
 * plot.h; this header is for the renderers (and tests). */
#ifndef BYTEGPT_PLOT_CHART_H
#define BYTEGPT_PLOT_CHART_H

#include <stddef.h>

#include "bytegpt/error.h"
#include "bytegpt/plot.h"
#include "bytegpt/strbuf.h"

/* The options with defaults filled in and sizes brought into range. */
struct bg_plot_options plot_options_resolve(const struct bg_plot_options *in);

/* Hands a renderer's text to the caller, or reports the lost memory. */
int plot_finish(struct bg_strbuf *b, char **out, struct bg_error *err);

struct plot_chart;

/* What plot_terminal and plot_svg do: checks the options, builds the
 * chart, has draw append the output to b, and hands the text to *out
 * (caller frees). */
int plot_draw(const struct bg_plot *p, const struct bg_plot_options *opt,
              void (*draw)(struct bg_strbuf *b, const struct bg_plot *p, const struct plot_chart *ch,
                           const struct bg_plot_options *o),
              char **out, struct bg_error *err);

/* The colour of run number `run` ("#1f77b4"), the same in every chart
 * drawn for a browser (the SVG, the web page), cycling through ten. */
const char *plot_color(size_t run);

/* ---- Smoothing ---- */

/* A bias-corrected EMA: w is the total weight given so far, 1 - a^t, so
 * that s / w averages the values seen rather than leaning toward the
 * zero s starts from. Start from {0, 0}. */
struct plot_ema {
    double s, w;
};

/* Adds v with coefficient a and returns the smoothed value. */
double plot_ema_push(struct plot_ema *e, double a, double v);

/* ---- Series ---- */

/* A log row's value on the x axis: its step, tokens, FLOPs or seconds. */
double plot_row_x(const struct bg_log_row *r, enum bg_plot_x x);

/* One curve: points (x[i], y[i]) of a run's train or val loss. */
struct plot_series {
    double *x, *y; /* one allocation: y = x + cap */
    size_t n;
    size_t run;
    int val;
};

/* Every curve of a chart, two per run (train, then val), and the extent
 * of their points. */
struct plot_chart {
    struct plot_series *s;
    size_t n;
    double xlo, xhi, ylo, yhi;
};

/* Builds the series of every run against opt->x. Rows whose x or loss is
 * not finite are left out; a chart with no point at all is an error. */
int plot_chart_build(struct plot_chart *ch, const struct bg_plot *p, const struct bg_plot_options *opt,
                     struct bg_error *err);
void plot_chart_free(struct plot_chart *ch);

/* Whether any run has validation points. */
int plot_chart_has_val(const struct plot_chart *ch);

/* ---- Axes ---- */

enum plot_axis_kind {
    PLOT_AXIS_LOSS,  /* nats per byte, fixed decimals so the labels line up */
    PLOT_AXIS_COUNT, /* steps, tokens: whole numbers, 1.5k, 2M, 3B (format_count's suffixes) */
    PLOT_AXIS_FLOPS, /* FLOPs: whole numbers, 1.5k, 2M, 3G (format_si's prefixes, as in GFLOP) */
    PLOT_AXIS_TIME,  /* seconds, shown in s, m or h */
};

#define PLOT_AXIS_MAX_TICKS 32

struct plot_axis {
    enum plot_axis_kind kind;
    int log;            /* logarithmic: equal ratios take equal lengths */
    double lo, hi;      /* the values at the chart's two edges */
    double step;        /* between ticks, in label units */
    double unit;        /* seconds per label unit on a time axis, else 1 */
    const char *suffix; /* "s", "m" or "h" on a time axis, else "" */
    double ticks[PLOT_AXIS_MAX_TICKS];
    size_t n_ticks;
};

/* Sets up an axis over [lo, hi] with about target ticks. extend widens
 * the range out to whole ticks (the SVG, where ends on ticks look tidy);
 * without it the data fill the range exactly (the terminal, where every
 * row counts, and the top row holds the highest value). */
void plot_axis_init(struct plot_axis *a, enum plot_axis_kind kind, double lo, double hi, size_t target, int extend);

/* Sets up a logarithmic axis over [lo, hi] (both > 0), for numbers that
 * span decades (parameters, FLOPs). pad widens the range on each side by
 * that fraction of its decades (0: the data fill it exactly). The ticks
 * are the powers of ten inside; where fewer than three fall inside, 2 and
 * 5 times the powers too, so that a short range still has a scale. */
void plot_axis_init_log(struct plot_axis *a, enum plot_axis_kind kind, double lo, double hi, double pad);

/* A tick's label: "2.0" on a loss axis, "15k" on a count axis, "30" on a
 * time axis (in the axis' unit). On a log axis each label stands alone:
 * "100k", "1M" on a count axis, "1e12", "2e12" on a FLOPs axis. */
void plot_axis_label(const struct plot_axis *a, double v, char *buf, size_t n);

/* Where v lies between the axis' two edges: 0 at lo, 1 at hi (beyond
 * them outside [0, 1]; NaN for a value a log axis cannot place). */
double plot_axis_frac(const struct plot_axis *a, double v);

/* Maps v on the axis to 0 .. n-1 (left to right, or bottom to top). */
long plot_axis_map(const struct plot_axis *a, double v, long n);

/* A number in short scientific notation, three significant figures at
 * most and no trailing zeros: "1e12", "3e13", "1.5e12". */
const char *plot_sci_label(char *buf, size_t n, double v);

/* ---- SVG pieces (plot_svg.c) ---- */

/* A plot area of an SVG picture, in its user units, its two axes, and
 * the size of the picture's type, which the labels' distances from the
 * axes follow. */
struct plot_frame {
    double left, right, top, bottom;
    const struct plot_axis *ax, *ay;
    double font;
};

/* Where v on the x axis, or on the y axis, lies in the picture. */
double plot_frame_x(const struct plot_frame *f, double v);
double plot_frame_y(const struct plot_frame *f, double v);

/* The frame's light grid lines at every tick, its two axes with their
 * ticks, the tick labels, and the axes' names: xname under the x labels,
 * yname turned upright left of the y labels. Both names are plain text
 * (no character XML treats specially). */
void plot_svg_axes(struct bg_strbuf *b, const struct plot_frame *f, const char *xname, const char *yname);

/* Appends text with XML's five special characters escaped. */
void plot_svg_escape(struct bg_strbuf *b, const char *s);

/* The kind of axis an x choice needs. */
enum plot_axis_kind plot_x_kind(enum bg_plot_x x);

/* The x axis' name, with its unit: "step", "time (m)". */
void plot_x_title(enum bg_plot_x x, const struct plot_axis *a, char *buf, size_t n);

/* The chart's title: what is drawn, in which units. */
void plot_chart_title(const struct bg_plot_options *o, const char *xname, char *buf, size_t n);

#endif
