/* sweep_results: results.tsv, one row per decided trial; a trial's row
 * from its runs; and time to target, read from the runs' logs.
 *
 * The file is rewritten whole through fsutil each time a trial is
 * decided, so a reader (pandas, a spreadsheet, the proposer, a resumed
 * sweep) never sees half a row. Every decision is made on the numbers
 * as the file shows them (sweep_row_canon), so that a sweep resumed from
 * the file decides exactly as one that never stopped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bytegpt/fsutil.h"
#include "bytegpt/page.h"
#include "bytegpt/strbuf.h"
#include "bytegpt/trainlog.h"
#include "sweep_results.h"

#define N_COLUMNS 13

const char *sweep_status_name(enum bg_sweep_status s)
{
    static const char *const names[] = {"baseline", "keep", "discard", "crash"};
    return names[s];
}

/* ---- A row as text ---- */

/* A number in a column, or nothing when there is none (pandas reads an
 * empty field as NaN). */
static void put_num(struct bg_strbuf *b, const char *fmt, double x)
{
    if (isfinite(x))
        strbuf_printf(b, fmt, x);
    strbuf_puts(b, "\t");
}

static void format_row(struct bg_strbuf *b, const struct bg_sweep_row *r)
{
    strbuf_printf(b, "%zu\t%s\t", r->trial, sweep_status_name(r->status));
    put_num(b, "%.4f", r->val_bpb);
    put_num(b, "%.4f", r->spread);
    put_num(b, "%.0f", r->steps);
    put_num(b, "%.0f", r->tokens);
    put_num(b, "%.1f", r->seconds);
    put_num(b, "%.0f", r->params);
    put_num(b, "%.4g", r->flops);
    strbuf_printf(b, "%s\t%s\t", r->seeds, r->flags);
    put_num(b, "%.2f", r->target_share);
    strbuf_printf(b, "%s\n", r->note);
}

static int parse_num(const char *t, double *x)
{
    char *end;
    if (!*t) {
        *x = NAN;
        return 1;
    }
    *x = strtod(t, &end);
    return *end == '\0';
}

/* Reads a row from line (cut in place); 0 when it is not one. */
static int parse_row(char *line, struct bg_sweep_row *r)
{
    char *f[N_COLUMNS];
    size_t n = 0;
    for (char *p = line; n < N_COLUMNS; p++) {
        f[n++] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p = '\0';
    }
    if (n != N_COLUMNS || strchr(f[N_COLUMNS - 1], '\t'))
        return 0;
    memset(r, 0, sizeof *r);
    char *end;
    r->trial = strtoul(f[0], &end, 10);
    int ok = *f[0] && !*end && r->trial > 0;
    int status = -1;
    for (int i = BG_SWEEP_BASELINE; i <= BG_SWEEP_CRASH; i++)
        if (strcmp(f[1], sweep_status_name(i)) == 0)
            status = i;
    r->status = status < 0 ? BG_SWEEP_CRASH : (enum bg_sweep_status)status;
    double *num[] = {&r->val_bpb, &r->spread, &r->steps, &r->tokens, &r->seconds, &r->params, &r->flops};
    for (int i = 0; i < 7; i++)
        ok &= parse_num(f[2 + i], num[i]);
    ok &= parse_num(f[11], &r->target_share);
    ok &= strlen(f[9]) < sizeof r->seeds && strlen(f[10]) < sizeof r->flags && strlen(f[12]) < sizeof r->note;
    snprintf(r->seeds, sizeof r->seeds, "%s", f[9]);
    snprintf(r->flags, sizeof r->flags, "%s", f[10]);
    snprintf(r->note, sizeof r->note, "%s", f[12]);
    return ok && status >= 0;
}

void sweep_row_canon(struct bg_sweep_row *row)
{
    struct bg_strbuf b = {0};
    format_row(&b, row);
    char *line = strbuf_take(&b);
    if (line) {
        line[strcspn(line, "\n")] = '\0';
        parse_row(line, row);
    }
    free(line);
}

/* ---- The file ---- */

/* DIR/index.html: the results so far as the sweep's web page (page.h),
 * each trial linked to its first run's page. A page that cannot be
 * written costs the page only: results.tsv is what a sweep promises. */
static void write_page(const struct bg_sweep *s)
{
    struct bg_page_trial *rows = calloc(s->n_rows ? s->n_rows : 1, sizeof *rows);
    char (*names)[32] = calloc(s->n_rows ? s->n_rows : 1, sizeof *names);
    if (rows && names) {
        for (size_t i = 0; i < s->n_rows; i++) {
            const struct bg_sweep_row *r = &s->rows[i];
            snprintf(names[i], sizeof names[i], "trial-%03zu", r->trial);
            rows[i] = (struct bg_page_trial){names[i], sweep_status_name(r->status), r->val_bpb, r->spread,
                                             (uint64_t)r->steps, r->tokens, r->seconds, r->flags, r->note};
        }
        struct bg_page_sweep page = {s->dir, s->n_rows < s->n_trials || s->n_trials == 0, rows, s->n_rows,
                                     (double)time(NULL), 0, s->scaling};
        struct bg_error ignore;
        page_sweep_write(s->dir, &page, &ignore);
    }
    free(rows);
    free(names);
}

int sweep_page_scaling(struct bg_sweep *s, const struct bg_scaling_view *v, struct bg_error *err)
{
    s->scaling = v;
    (void)err;
    write_page(s);
    return BG_OK;
}

int sweep_results_write(const struct bg_sweep *s, struct bg_error *err)
{
    write_page(s);
    struct bg_strbuf b = {0};
    strbuf_puts(&b, BG_SWEEP_HEADER "\n");
    for (size_t i = 0; i < s->n_rows; i++)
        format_row(&b, &s->rows[i]);
    char *text = strbuf_take(&b), path[BG_PATH_MAX + 128];
    if (!text)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    snprintf(path, sizeof path, "%s/results.tsv", s->dir);
    int rc = fsutil_write_file(path, text, strlen(text), "results", err);
    free(text);
    return rc;
}

int sweep_results_read(const char *dir, struct bg_sweep_row **rows, size_t *n, struct bg_error *err)
{
    char path[BG_PATH_MAX + 128], line[2048];
    snprintf(path, sizeof path, "%s/results.tsv", dir);
    *rows = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return BG_OK; /* no trial decided yet */
    int rc = BG_OK;
    size_t cap = 0;
    for (int no = 1; !rc && fgets(line, sizeof line, f); no++) {
        line[strcspn(line, "\n")] = '\0';
        if (no == 1) {
            if (strcmp(line, BG_SWEEP_HEADER) != 0)
                rc = bg_fail(err, BG_ERR_INPUT, "%s does not start with results.tsv's header", path);
            continue;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            struct bg_sweep_row *more = realloc(*rows, cap * sizeof *more);
            if (!more) {
                rc = bg_fail(err, BG_ERR_RUNTIME, "out of memory");
                break;
            }
            *rows = more;
        }
        if (!parse_row(line, &(*rows)[*n]) || (*rows)[*n].trial != *n + 1)
            rc = bg_fail(err, BG_ERR_INPUT, "%s line %d is not trial %zu's row (was the file edited?)", path, no,
                         *n + 1);
        (*n)++;
    }
    fclose(f);
    if (rc) {
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- A trial's row ---- */

/* Tabs and newlines would break the row: a note is one field. */
static void one_field(char *s)
{
    for (; *s; s++)
        if (*s == '\t' || *s == '\n' || *s == '\r')
            *s = ' ';
}

void sweep_row_fill(const struct sweep_trial *t, struct bg_sweep_row *row)
{
    size_t n = t->wanted, len = 0;
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    memset(row, 0, sizeof *row);
    row->trial = t->id;
    row->params = t->runs[0].res.params;
    for (size_t k = 0; k < n; k++) {
        const struct sweep_result *r = &t->runs[k].res;
        if (r->crashed && !row->note[0])
            snprintf(row->note, sizeof row->note, "%s", r->note);
        sum += r->bpb;
        lo = fmin(lo, r->bpb);
        hi = fmax(hi, r->bpb);
        row->steps += r->steps / (double)n;
        row->tokens += r->tokens / (double)n;
        row->seconds += r->seconds / (double)n;
        row->flops += r->flops / (double)n;
        int w = snprintf(row->seeds + len, sizeof row->seeds - len, "%s%llu", k ? "," : "",
                         (unsigned long long)sweep_run_seed(t, k));
        len += w > 0 && (size_t)w < sizeof row->seeds - len ? (size_t)w : 0;
    }
    /* A crash leaves NaN in the sum: no score for the trial. */
    row->val_bpb = sum / (double)n;
    row->spread = n > 1 ? hi - lo : NAN;
    snprintf(row->flags, sizeof row->flags, "%s", t->flags_text);
    row->target_share = NAN;
    one_field(row->note);
}

/* ---- Time to target ---- */

/* From a run's log: the final validation point (target 0), or when the
 * curve first reached target, interpolated linearly in seconds and
 * tokens between the evaluation before and the one that reached it (the
 * first evaluation itself when that one did). 0 when there is no such
 * point. */
static int curve_point(const struct bg_sweep *s, const struct sweep_trial *t, size_t k, double target, double *bpb,
                       double *sec, double *tok)
{
    char folder[BG_PATH_MAX + 128], log[BG_PATH_MAX + 256];
    sweep_run_folder(s, t, k, folder, sizeof folder);
    snprintf(log, sizeof log, "%s/log.csv", folder);
    struct bg_log_row *rows = NULL, *prev = NULL;
    size_t n = 0;
    struct bg_error ignore;
    int found = 0;
    if (trainlog_read(log, &rows, &n, &ignore) != BG_OK)
        return 0;
    for (size_t i = 0; i < n && !(found && target > 0); i++) {
        const struct bg_log_row *r = &rows[i];
        if (!isfinite(r->val_bpb))
            continue;
        double f = 1.0; /* the share of the way from prev to r */
        if (target > 0 && r->val_bpb > target) {
            prev = &rows[i];
            continue;
        }
        if (target > 0 && prev)
            f = (prev->val_bpb - target) / (prev->val_bpb - r->val_bpb);
        *bpb = r->val_bpb;
        *sec = prev && target > 0 ? prev->elapsed_s + f * (r->elapsed_s - prev->elapsed_s) : r->elapsed_s;
        *tok = prev && target > 0 ? (double)prev->tokens + f * (double)(r->tokens - prev->tokens) : (double)r->tokens;
        found = 1;
    }
    free(rows);
    return found;
}

void sweep_row_target(const struct bg_sweep *s, const struct sweep_trial *t, struct bg_sweep_row *row)
{
    const struct sweep_trial *base = &s->trials[0];
    double target = 0, base_sec = 0, base_tok = 0, sec = 0, tok = 0, b, x, y;
    for (size_t k = 0; k < base->wanted; k++) {
        if (!curve_point(s, base, k, 0, &b, &x, &y))
            return;
        target += b / (double)base->wanted;
        base_sec += x / (double)base->wanted;
        base_tok += y / (double)base->wanted;
    }
    for (size_t k = 0; k < t->wanted; k++) {
        if (!curve_point(s, t, k, target, &b, &x, &y))
            return; /* a seed that never got there: no share */
        sec += x / (double)t->wanted;
        tok += y / (double)t->wanted;
    }
    if (base_sec <= 0 || base_tok <= 0)
        return;
    row->target_share = sec / base_sec;
    snprintf(row->note, sizeof row->note, "reached the baseline's final val_bpb %.3f at %.2f of its tokens", target,
             tok / base_tok);
}
