/* page_parts: what the page module's files share (page.h is the public
 * entry). page.c writes the document around a page's sections and
 * escapes text; page_style.c holds the page's style sheet and script;
 * page_chart.c draws the chart; page_run.c the run page's sections;
 * page_sweep.c the sweep page; page_compare.c the page that compares
 * runs. */
#ifndef BYTEGPT_PAGE_PARTS_H
#define BYTEGPT_PAGE_PARTS_H

#include <stddef.h>

#include "bytegpt/error.h"
#include "bytegpt/page.h"
#include "bytegpt/plot.h"
#include "bytegpt/strbuf.h"

/* ---- The document (page.c) ---- */

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

/* ---- Style and script (page_style.c) ---- */

extern const char page_css[];
extern const char page_js[];

/* ---- The chart (page_chart.c) ---- */

struct page_chart_opts {
    enum bg_plot_x x;
    double smooth;               /* the smoothed train curve's EMA coefficient, in (0, 1) */
    int raw;                     /* draw the raw train loss too (a page of one run) */
    double order0_bpb, gzip_bpb; /* reference lines in bits per byte; NaN: none */
};

/* The chart section of the runs' logs: an inline SVG, the legend, the
 * hover readout and the chart's data for the script. Runs with no finite
 * point are left out; with none at all the section says there is nothing
 * to draw yet. Fails only when memory runs out. */
int page_chart(struct bg_strbuf *b, const struct bg_plot_run *runs, size_t n_runs, const struct page_chart_opts *o,
               struct bg_error *err);

#endif
