/* page: a run's web page (RUN/index.html), the page that compares runs
 * (`bytegpt plot --html`) and a sweep's page (DIR/index.html), made for a
 * projector in a classroom: large type, strong contrast, and nothing
 * fetched from anywhere. Each page is one self-contained HTML file, its
 * style and its few lines of script inline, that any browser opens
 * straight from disk, offline.
 *
 * What a page shows:
 *   - the loss chart, inline SVG: the train loss (raw, faint, and smoothed
 *     by an EMA), the validation loss, a left axis in nats per byte and a
 *     right one in bits per byte, and on a run's page the validation
 *     text's baselines (order-0 entropy, gzip -9) as reference lines, so
 *     that the class sees the model pass gzip. Hovering the chart shows
 *     the step and the values under the cursor. However long the log, the
 *     points drawn are thinned to a few per pixel column (page_thin), so
 *     that the page of a 100,000-step run stays small; the log is not
 *     touched.
 *   - a run page also: the progress (step, tokens, tokens/s, elapsed, ETA,
 *     FLOPs spent beside GPT-2's and GPT-3's pre-training), the latest
 *     samples with their steps, and the configuration (config.txt);
 *   - the comparison page: the table of runs (plot_table's);
 *   - the sweep page: the trials' results, each linked to its run page,
 *     and for `bytegpt scaling` the compute-optimal frontier first: the
 *     scaling SVG (plot_scaling.h) and the table of what was fitted.
 *
 * While a run (or a sweep) is live its page reloads itself every few
 * seconds and keeps the reader's scroll position; once it ends the page
 * says how, and stops reloading. Every file is written through fsutil's
 * atomic write, so a browser reloading mid-write sees the old page or
 * the new one, never half of one. The module prints nothing. */
#ifndef BYTEGPT_PAGE_H
#define BYTEGPT_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/cost.h"
#include "bytegpt/error.h"
#include "bytegpt/plot.h"
#include "bytegpt/plot_scaling.h"
#include "bytegpt/strbuf.h"

/* Seconds between reloads of a live page. */
#define BG_PAGE_RELOAD_S 5

/* The EMA coefficient of the smoothed train curve when none is asked for. */
#define BG_PAGE_SMOOTH 0.9

/* Pixel columns of the chart's thinning: a series keeps at most two
 * points (its lowest and highest) per column, plus its two ends. */
#define BG_PAGE_COLUMNS 400

/* Where the run stands when its page is written. */
enum bg_page_state {
    BG_PAGE_LIVE,     /* training: the page reloads itself */
    BG_PAGE_FINISHED, /* its steps or its time budget are spent */
    BG_PAGE_STOPPED,  /* stopped by a signal (Ctrl-C); --resume continues it */
    BG_PAGE_ENDED,    /* ended early: an error, or --steps 0 (note says which) */
};

/* What a run page shows besides its log. */
struct bg_page_run {
    const char *title;          /* the heading: the run folder */
    enum bg_page_state state;
    const char *note;           /* a sentence under the state, or NULL */
    uint64_t step, steps;       /* the step reached; the run's total (0: timed run) */
    double time_budget;         /* seconds (0: a step-counted run) */
    double progress;            /* the fraction of the run done, in [0, 1] */
    double tokens, elapsed;     /* tokens seen, seconds trained */
    const struct bg_cost *cost; /* this run's FLOPs and the references' (NULL: none shown) */
    double order0_bpb, gzip_bpb;/* the validation text's baselines in bits per byte; NaN: unknown */
    const char *config;         /* config.txt's text, or NULL */
    const char *samples;        /* samples.txt's text, or NULL: the latest few are shown */
    double written_at;          /* Unix time of writing: the page shows its age */
    double stale_after;         /* seconds after which a live page that was not
                                   written again says the run may have stopped */
};

/* The run page of one log (run->rows may be empty: the page at step 0),
 * as a malloc'd string (*out, caller frees). */
int page_run(const struct bg_plot_run *run, const struct bg_page_run *info, char **out, struct bg_error *err);

/* page_run's document written to path atomically. A path that cannot be
 * written is BG_ERR_INPUT; a failing disk BG_ERR_RUNTIME. */
int page_run_write(const char *path, const struct bg_plot_run *run, const struct bg_page_run *info,
                   struct bg_error *err);

/* The comparison page of loaded logs (`bytegpt plot --html`): the chart
 * of every run against opt->x (smoothed by opt->smooth, or BG_PAGE_SMOOTH
 * when it is 0) and the table of runs. opt may be NULL. */
int page_compare(const struct bg_plot *p, const struct bg_plot_options *opt, char **out, struct bg_error *err);
int page_compare_write(const char *path, const struct bg_plot *p, const struct bg_plot_options *opt,
                       struct bg_error *err);

/* ---- A sweep's page ---- */

/* One row of a sweep's results: a trial, trained in the run folder
 * DIR/name (which holds its log.csv and its own index.html). */
struct bg_page_trial {
    const char *name;   /* the trial's folder inside DIR: "trial-003" */
    const char *status; /* "baseline", "keep", "discard", "crash", "running", ... */
    double val_bpb;     /* its score in bits per byte; NaN when it has none */
    double spread;      /* max - min of the score over its seeds; NaN when one seed */
    uint64_t steps;
    double tokens, seconds;
    const char *flags;  /* what it changed: "--lr 3e-3 --dim 128" (may be NULL) */
    const char *note;   /* why it crashed, or anything else to say (may be NULL) */
};

struct bg_page_sweep {
    const char *title;                  /* the heading: the sweep folder or its command */
    int live;                           /* trials still to run: the page reloads */
    const struct bg_page_trial *trials; /* in the order to show them */
    size_t n_trials;
    double written_at;                  /* Unix time of writing */
    double stale_after;                 /* as in struct bg_page_run */
    const struct bg_scaling_view *scaling; /* `bytegpt scaling`'s runs and fits; NULL for a plain sweep */
};

/* The sweep page: with s->scaling, the frontier's section first (the
 * scaling SVG inline, the fit's numbers with their spreads, the check
 * beside the prediction); then the results table (the lowest val_bpb
 * marked, each trial linked to DIR/name/index.html) and the chart of
 * every trial whose DIR/name/log.csv has at least 2 rows (the others are
 * left out of the chart: a trial that crashed at once has no curve).
 * Written to DIR/index.html atomically. */
int page_sweep(const char *dir, const struct bg_page_sweep *s, char **out, struct bg_error *err);
int page_sweep_write(const char *dir, const struct bg_page_sweep *s, struct bg_error *err);

/* ---- The document every page is built in (page.c) ----
 *
 * What the page module's files build each page from: its head and foot,
 * its sections, escaped text and the atomic write. Used inside the
 * module; declared here so that page.c implements its own header. */

/* Where a page stands: while live it reloads itself. */
struct page_head {
    const char *title;   /* <title> and the heading */
    const char *kind;    /* the heading's prefix: "run", "runs", "sweep" */
    int live;
    double written_at;   /* Unix time */
    double stale_after;  /* seconds without an update after which a live page says so */
};

/* Everything up to and including the page's heading and its state line
 * (state: "live", "finished", "stopped", "ended"; label: what it says). */
void page_begin(struct bg_strbuf *b, const struct page_head *h, const char *state, const char *label,
                const char *note);

/* The footer, the script and the end of the document; then hands the
 * text to *out (caller frees), or, when rc (a section's status) is not
 * BG_OK or memory ran out, frees it and fails. */
int page_end(struct bg_strbuf *b, int rc, char **out, struct bg_error *err);

/* Appends s as HTML text or an attribute value: & < > " ' escaped, and
 * bytes that are not UTF-8 or are control characters (other than
 * newline and tab) replaced by U+FFFD, so that no text (a sample of
 * model output, a folder's name) can break the document. */
void page_escape(struct bg_strbuf *b, const char *s);

/* The same for the n bytes at s. */
void page_escape_n(struct bg_strbuf *b, const char *s, size_t n);

/* Appends s as a JSON string, quoted, safe inside <script>: "<" is
 * written \u003c so that no "</script>" can end the script early. */
void page_json_string(struct bg_strbuf *b, const char *s);

/* A heading <h2> with an id, for the page's sections. */
void page_section(struct bg_strbuf *b, const char *id, const char *title);

/* Writes a drawn document (a page_* function's *out) to path atomically,
 * and frees it. */
int page_commit(const char *path, int rc, char *doc, struct bg_error *err);

/* ---- Helpers, exposed for the tests ---- */

/* Thins the series (x[i], y[i]), i < n, x ascending, to at most 2 *
 * columns + 2 points: [x[0], x[n-1]] is cut into `columns` equal columns
 * and each keeps its lowest and highest point, in order, and the series
 * keeps its first and last point. So the drawn line still reaches every
 * peak and every trough a column holds, which is all a screen can show.
 * Writes the kept indices, ascending, to keep (room for n) and returns
 * how many. */
size_t page_thin(const double *x, const double *y, size_t n, size_t columns, size_t *keep);

#endif
