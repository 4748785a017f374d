/* plot: see plot.h.
 *
 * This file checks the options and loads the logs, naming each run after
 * its folder. What is drawn from them lives beside it: plot_chart.c (the
 * series and axes every output shares), plot_term.c (the terminal chart),
 * plot_table.c (the comparison table) and plot_svg.c (the SVG). */
#include "bytegpt/plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytegpt/strbuf.h"

/* ---- Run names that are safe to show ---- */

/* Makes a run name safe to print and to put in XML: control characters
 * (which could drive the terminal) and bytes that are not UTF-8 (which
 * would make the SVG invalid) become '?'. */
static void text_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        int n = strbuf_utf8_length(p);
        int control = n == 1 ? (*p < 0x20 || *p == 0x7F) : n == 2 && p[0] == 0xC2 && p[1] < 0xA0;
        if (n == 0 || control) {
            for (int i = 0; i < (n ? n : 1); i++)
                p[i] = '?';
            n = n ? n : 1;
        }
        p += n;
    }
}

/* ---- Options ---- */

static const char *const x_names[] = {"step", "tokens", "flops", "time"};

int plot_parse_x(const char *name, enum bg_plot_x *x, struct bg_error *err)
{
    for (int i = 0; i <= BG_PLOT_X_TIME; i++)
        if (strcmp(name, x_names[i]) == 0) {
            *x = (enum bg_plot_x)i;
            return BG_OK;
        }
    return bg_fail(err, BG_ERR_INPUT, "plot: --x must be step, tokens, flops or time, got '%s'", name);
}

int plot_check_options(const struct bg_plot_options *opt, struct bg_error *err)
{
    if ((unsigned)opt->x > BG_PLOT_X_TIME)
        return bg_fail(err, BG_ERR_INPUT, "plot: unknown x axis %d (step, tokens, flops or time)", (int)opt->x);
    /* Written so that NaN fails too. A coefficient of 1 would never move
     * from the first value, so the interval is open at 1. */
    if (!(opt->smooth >= 0.0 && opt->smooth < 1.0))
        return bg_fail(err, BG_ERR_INPUT, "plot: --smooth must be in [0, 1) (e.g. 0.9; 0 for no smoothing), got %g",
                       opt->smooth);
    return BG_OK;
}

/* ---- Loading the logs ---- */

/* The folder that holds path, as written: "runs/a/log.csv" -> "runs/a". */
static void parent_of(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, n, ".");
    else if (slash == path)
        snprintf(out, n, "/");
    else
        snprintf(out, n, "%.*s", (int)(slash - path), path);
}

/* The last component of a folder path, trailing slashes dropped. */
static void last_component(const char *dir, char *out, size_t n)
{
    size_t end = strlen(dir);
    while (end > 1 && dir[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && dir[start - 1] != '/')
        start--;
    snprintf(out, n, "%.*s", (int)(end - start), dir + start);
}

/* Names a run by its folder: "runs/a/log.csv" is "a". A log in the
 * current folder ("log.csv", "./log.csv") or the one above it is named
 * after that folder's real name, which getcwd knows. */
static void run_name(const char *path, char *out, size_t n)
{
    char parent[BG_PATH_MAX], cwd[BG_PATH_MAX];
    parent_of(path, parent, sizeof parent);
    last_component(parent, out, n);
    int here = strcmp(parent, ".") == 0, up = strcmp(parent, "..") == 0;
    if ((here || up) && getcwd(cwd, sizeof cwd)) {
        char *slash = strrchr(cwd, '/');
        if (up && slash && slash != cwd)
            *slash = '\0';
        last_component(cwd, out, n);
    }
    if (out[0] == '\0' || strcmp(out, "/") == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
        /* The whole folder path, cut to fit (names are for display). */
        size_t len = strlen(parent) < n ? strlen(parent) : n - 1;
        memcpy(out, parent, len);
        out[len] = '\0';
    }
    text_sanitize(out);
}

/* Two runs with the same folder name (a/run/log.csv, b/run/log.csv) are
 * told apart by their whole folder path. */
static void name_runs(struct bg_plot *p)
{
    for (size_t i = 0; i < p->n_runs; i++)
        run_name(p->runs[i].path, p->runs[i].name, sizeof p->runs[i].name);
    for (size_t i = 0; i < p->n_runs; i++) {
        int dup = 0;
        for (size_t j = 0; j < p->n_runs; j++)
            dup |= j != i && strcmp(p->runs[i].name, p->runs[j].name) == 0;
        if (!dup)
            continue;
        for (size_t j = i + 1; j < p->n_runs; j++)
            if (strcmp(p->runs[i].name, p->runs[j].name) == 0) {
                parent_of(p->runs[j].path, p->runs[j].name, sizeof p->runs[j].name);
                text_sanitize(p->runs[j].name);
            }
        parent_of(p->runs[i].path, p->runs[i].name, sizeof p->runs[i].name);
        text_sanitize(p->runs[i].name);
    }
}

static int load_run(struct bg_plot_run *r, const char *path, struct bg_error *err)
{
    snprintf(r->path, sizeof r->path, "%s", path);
    int rc = trainlog_read(path, &r->rows, &r->n_rows, err);
    if (rc)
        return rc;
    /* One point is no curve, and the table would have nothing to compare. */
    if (r->n_rows == 0)
        return bg_fail(err, BG_ERR_INPUT, "%s: no rows after the header (line 1); a plot needs at least 2 rows",
                       path);
    if (r->n_rows == 1)
        return bg_fail(err, BG_ERR_INPUT,
                       "%s: only 1 row (line 2); a plot needs at least 2 rows, so train a step more", path);
    return BG_OK;
}

int plot_load(struct bg_plot *p, const char *const *log_paths, size_t n_logs, struct bg_error *err)
{
    p->runs = NULL;
    p->n_runs = 0;
    if (n_logs == 0)
        return bg_fail(err, BG_ERR_INPUT, "plot: give at least one log.csv to plot");
    p->runs = calloc(n_logs, sizeof *p->runs);
    if (!p->runs)
        return bg_fail(err, BG_ERR_RUNTIME, "plot: out of memory");
    int rc = BG_OK;
    for (size_t i = 0; i < n_logs && !rc; i++) {
        p->n_runs = i + 1; /* so that plot_free frees a failed run's rows */
        rc = load_run(&p->runs[i], log_paths[i], err);
    }
    if (rc) {
        plot_free(p);
        return rc;
    }
    name_runs(p);
    return BG_OK;
}

void plot_free(struct bg_plot *p)
{
    for (size_t i = 0; i < p->n_runs; i++)
        free(p->runs[i].rows);
    free(p->runs);
    p->runs = NULL;
    p->n_runs = 0;
}
