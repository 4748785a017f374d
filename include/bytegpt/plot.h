/* plot: loss curves from one or more log.csv files, drawn as a terminal
 * chart (Unicode braille for the lines, one symbol per run for the
 * validation points, optional ANSI colour) or as a standalone SVG, and a
 * table that compares the runs: steps, tokens, time, final train loss,
 * best validation loss and bits per byte and the step where it was
 * reached, so that plotting every run's log answers "which run was best".
 *
 * The library draws into memory (a malloc'd string) and never prints;
 * the CLI decides where the text goes. Only plot_svg_write and
 * plot_svg_file touch the disk, and they write through fsutil's atomic
 * write, so a reader never sees half an SVG.
 *
 * This header is the whole public entry; the work is split by job:
 * plot.c checks options and loads the logs, plot_chart.c builds the
 * series and axes the outputs share (plot_chart.h), and plot_term.c,
 * plot_table.c and plot_svg.c draw the three outputs.
 *
 * Series: each run has a train series (train_loss, one point per row,
 * optionally smoothed by an EMA) and a val series (val_loss, one point
 * per row that has one). All runs share one x axis (step, tokens, FLOPs
 * or time) spanning every run, and one linear y axis in nats per byte. */
#ifndef BYTEGPT_PLOT_H
#define BYTEGPT_PLOT_H

#include <stddef.h>

#include "bytegpt/error.h"
#include "bytegpt/fsutil.h"
#include "bytegpt/trainlog.h"

/* The horizontal axis: which log column the curves are drawn against. */
enum bg_plot_x {
    BG_PLOT_X_STEP,   /* step */
    BG_PLOT_X_TOKENS, /* tokens seen */
    BG_PLOT_X_FLOPS,  /* training FLOPs spent */
    BG_PLOT_X_TIME,   /* elapsed_s, wall-clock seconds */
};

struct bg_plot_options {
    enum bg_plot_x x;
    double smooth; /* EMA coefficient for the train loss in [0, 1); 0 draws it raw */
    size_t width;  /* terminal: columns for every line of output (0: 80; at least 40 used) */
    size_t height; /* terminal: rows of the plot area (0: 16) */
    int color;     /* terminal: ANSI colours, one per run */
};

/* The defaults: x = step, raw train loss, 80 columns, 16 rows, no colour. */
#define BG_PLOT_OPTIONS_DEFAULT ((struct bg_plot_options){BG_PLOT_X_STEP, 0.0, 80, 16, 0})

/* One loaded log. */
struct bg_plot_run {
    char name[128];  /* the log's folder (runs/a/log.csv -> "a"), for the legend and table */
    char path[BG_PATH_MAX]; /* the log's path as given */
    struct bg_log_row *rows;
    size_t n_rows;   /* at least 2 */
};

struct bg_plot {
    struct bg_plot_run *runs;
    size_t n_runs;
};

/* Parses an --x value: "step", "tokens", "flops" or "time". */
int plot_parse_x(const char *name, enum bg_plot_x *x, struct bg_error *err);

/* Refuses options no chart can be drawn with: smooth outside [0, 1),
 * an unknown x. */
int plot_check_options(const struct bg_plot_options *opt, struct bg_error *err);

/* Reads every log (trainlog_read: header checked, malformed rows named
 * by line, a partly written last line ignored). A log needs at least 2
 * rows; fewer is an error naming the file. Free with plot_free. */
int plot_load(struct bg_plot *p, const char *const *log_paths, size_t n_logs, struct bg_error *err);
void plot_free(struct bg_plot *p);

/* The terminal chart with its title, axes, ticks, labels and legend, as
 * a malloc'd UTF-8 string (*out, caller frees) of lines at most
 * opt->width columns wide. opt may be NULL for the defaults. */
int plot_terminal(const struct bg_plot *p, const struct bg_plot_options *opt, char **out, struct bg_error *err);

/* The comparison table (one row per run, the best validation loss
 * marked), as a malloc'd string fitting opt->width columns. */
int plot_table(const struct bg_plot *p, const struct bg_plot_options *opt, char **out, struct bg_error *err);

/* The same chart as a standalone SVG document (*out, caller frees): one
 * <polyline> per series, train solid, val dashed with a dot per point. */
int plot_svg(const struct bg_plot *p, const struct bg_plot_options *opt, char **out, struct bg_error *err);

/* Writes plot_svg's document to svg_path atomically. A path that cannot
 * be written (missing folder, a file where a folder should be, no
 * permission) is BG_ERR_INPUT; a failing disk is BG_ERR_RUNTIME. */
int plot_svg_write(const char *svg_path, const struct bg_plot *p, const struct bg_plot_options *opt,
                   struct bg_error *err);

/* Loads the logs and writes their SVG: what the training loop calls at
 * the end of a run to leave loss.svg beside log.csv. A log of fewer than
 * 2 rows is an error; a caller making a courtesy plot may ignore it. */
int plot_svg_file(const char *svg_path, const char *const *log_paths, size_t n_logs,
                  const struct bg_plot_options *opt, struct bg_error *err);

/* ---- Helpers, exposed for the tests ---- */

/* Smooths v[0..n) in place with a bias-corrected exponential moving
 * average of coefficient a (TensorBoard's rule: s_t = a s_{t-1} +
 * (1 - a) v_t, divided by 1 - a^t). Non-finite values are left as they
 * are and skipped. a = 0 leaves v unchanged. */
void plot_smooth(double *v, size_t n, double a);

/* Fills ticks with "nice" values (1, 2 or 5 times a power of ten apart)
 * inside [lo, hi], about `target` of them, at most max_ticks; returns
 * how many. */
size_t plot_nice_ticks(double lo, double hi, size_t target, double *ticks, size_t max_ticks);

#endif
