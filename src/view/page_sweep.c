/* page_sweep: a sweep's page (page_sweep in page.h): the results table,
 * each trial linked to its own run page, and the chart of every trial's
 * curves, read from the trials' logs in the sweep folder; for `bytegpt
 * scaling`, the frontier's section (page_scaling.c) above them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/format.h"
#include "bytegpt/plot_chart.h"
#include "bytegpt/page.h"
#include "page_chart.h"
#include "page_scaling.h"

/* ---- The results table ---- */

/* The trial with the lowest score, or -1 when none has one. A crashed
 * trial's score (if it left one) does not count. */
static long best_trial(const struct bg_page_sweep *s)
{
    long best = -1;
    for (size_t i = 0; i < s->n_trials; i++) {
        const struct bg_page_trial *t = &s->trials[i];
        if (isfinite(t->val_bpb) && !(t->status && strcmp(t->status, "crash") == 0) &&
            (best < 0 || t->val_bpb < s->trials[best].val_bpb))
            best = (long)i;
    }
    return best;
}

/* A folder name as the path part of a link: bytes other than letters,
 * digits and - _ . ~ are percent-encoded, so that a '#' or a space in a
 * name cannot change what the link points to. */
static void url_path(struct bg_strbuf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~", *p))
            strbuf_put(b, (const char *)p, 1);
        else
            strbuf_printf(b, "%%%02X", *p);
    }
}

static void cell_text(struct bg_strbuf *b, const char *s)
{
    strbuf_puts(b, "<td class=\"text\">");
    page_escape(b, s ? s : "");
    strbuf_puts(b, "</td>");
}

static void trial_row(struct bg_strbuf *b, const struct bg_page_trial *t, int best)
{
    char a[FORMAT_LEN], c[FORMAT_LEN], d[FORMAT_LEN];
    strbuf_printf(b, "<tr%s><td class=\"text\"><a href=\"", best ? " class=\"best\"" : "");
    url_path(b, t->name);
    strbuf_puts(b, "/index.html\">");
    page_escape(b, t->name);
    strbuf_puts(b, "</a></td>");
    cell_text(b, t->status);
    snprintf(a, sizeof a, isfinite(t->val_bpb) ? "%.4f" : "-", t->val_bpb);
    snprintf(c, sizeof c, isfinite(t->spread) ? "%.4f" : "-", t->spread);
    strbuf_printf(b, "<td>%s</td><td>%s</td><td>%llu</td>", a, c, (unsigned long long)t->steps);
    strbuf_printf(b, "<td>%s</td><td>%s</td>", format_count(a, sizeof a, t->tokens),
                  format_duration(d, sizeof d, t->seconds));
    cell_text(b, t->flags);
    cell_text(b, t->note);
    strbuf_puts(b, "</tr>\n");
}

static void results_table(struct bg_strbuf *b, const struct bg_page_sweep *s)
{
    long best = best_trial(s);
    strbuf_puts(b, "<table id=\"results\">\n<thead><tr><th class=\"text\">trial</th><th class=\"text\">status</th>"
                   "<th>val bpb</th><th>spread</th><th>steps</th><th>tokens</th><th>time</th>"
                   "<th class=\"text\">flags</th><th class=\"text\">note</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < s->n_trials; i++)
        trial_row(b, &s->trials[i], (long)i == best);
    strbuf_puts(b, "</tbody>\n</table>\n");
    if (best >= 0) {
        strbuf_puts(b, "<p id=\"best\">Lowest validation bits per byte: <b>");
        page_escape(b, s->trials[best].name);
        strbuf_printf(b, "</b>, %.4f.</p>\n", s->trials[best].val_bpb);
    }
}

/* ---- The trials' logs ---- */

/* Loads the log of every trial that has one of at least 2 rows into
 * runs (room for n_trials); returns how many. A missing or unreadable log only leaves its trial out of the chart. */
static long load_trials(const char *dir, const struct bg_page_sweep *s, struct bg_plot_run *runs)
{
    long n = 0;
    for (size_t i = 0; i < s->n_trials; i++) {
        struct bg_plot_run *r = &runs[n];
        struct bg_error ignore;
        if ((size_t)snprintf(r->path, sizeof r->path, "%s/%s/log.csv", dir, s->trials[i].name) >= sizeof r->path)
            continue;
        if (trainlog_read(r->path, &r->rows, &r->n_rows, &ignore) != BG_OK)
            continue;
        if (r->n_rows < 2) {
            free(r->rows);
            r->rows = NULL;
            continue;
        }
        snprintf(r->name, sizeof r->name, "%s", s->trials[i].name);
        n++;
    }
    return n;
}

/* ---- The page ---- */

int page_sweep(const char *dir, const struct bg_page_sweep *s, char **out, struct bg_error *err)
{
    *out = NULL;
    struct bg_plot_run *runs = calloc(s->n_trials + 1, sizeof *runs);
    if (!runs)
        return bg_fail(err, BG_ERR_RUNTIME, "page: out of memory");
    long n = load_trials(dir, s, runs);
    struct bg_strbuf b = {0};
    struct page_head h = {s->title, "sweep", s->live, s->written_at, s->stale_after};
    char label[64];
    snprintf(label, sizeof label, "%s: %zu trial%s", s->live ? "live: running trials" : "finished", s->n_trials,
             s->n_trials == 1 ? "" : "s");
    page_begin(&b, &h, s->live ? "live" : "finished", label, NULL);
    if (s->scaling)
        page_scaling(&b, s->scaling);
    page_section(&b, "results", "Results");
    results_table(&b, s);
    page_section(&b, "loss", "Every trial's loss");
    /* Trials run for a fixed time, so time is the axis they share. */
    struct page_chart_opts co = {BG_PLOT_X_TIME, BG_PAGE_SMOOTH, 0, NAN, NAN};
    int rc = page_chart(&b, runs, (size_t)n, &co, err);
    for (long i = 0; i < n; i++)
        free(runs[i].rows);
    free(runs);
    return page_end(&b, rc, out, err);
}

int page_sweep_write(const char *dir, const struct bg_page_sweep *s, struct bg_error *err)
{
    char path[BG_PATH_MAX + 128];
    if ((size_t)snprintf(path, sizeof path, "%s/index.html", dir) >= sizeof path)
        return bg_fail(err, BG_ERR_INPUT, "page: sweep folder path is too long");
    char *doc = NULL;
    int rc = page_sweep(dir, s, &doc, err);
    return page_commit(path, rc, doc, err);
}
