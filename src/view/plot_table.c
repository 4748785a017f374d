/* plot_table: the table that compares runs (plot_table in plot.h): per
 * run its steps, tokens, time, final train loss, best validation loss in
 * nats and bits per byte and the step where it was reached, the best run
 * marked, so that plotting every run's log answers "which run was best". */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bytegpt/format.h"
#include "bytegpt/plot.h"
#include "bytegpt/plot_chart.h"
#include "bytegpt/strbuf.h"

/* What the table says about one run. */
struct run_summary {
    uint64_t steps, best_step;
    double tokens, elapsed, last_train, best_val, best_bpb;
};

static void run_summarize(const struct bg_plot_run *r, double smooth, struct run_summary *s)
{
    const struct bg_log_row *last = &r->rows[r->n_rows - 1];
    struct plot_ema e = {0.0, 0.0};
    *s = (struct run_summary){last->step, 0, (double)last->tokens, last->elapsed_s, NAN, NAN, NAN};
    for (size_t i = 0; i < r->n_rows; i++) {
        const struct bg_log_row *row = &r->rows[i];
        if (isfinite(row->train_loss))
            s->last_train = plot_ema_push(&e, smooth, row->train_loss);
        if (isfinite(row->val_loss) && !(row->val_loss >= s->best_val)) {
            s->best_val = row->val_loss;
            s->best_bpb = isfinite(row->val_bpb) ? row->val_bpb : row->val_loss / log(2.0);
            s->best_step = row->step;
        }
    }
}

/* The table's columns, right-aligned numbers after the run's name. When
 * the width is short, the columns of lowest priority are left out. The
 * time column holds format_duration's longest common form, "730.5 days",
 * with a space before it. */
enum { COL_STEPS, COL_TOKENS, COL_TIME, COL_TRAIN, COL_VAL, COL_BPB, COL_AT, N_COLS };
static const char *const col_heads[N_COLS] = {"steps", "tokens", "time", "train", "best val", "bpb", "at step"};
static const size_t col_widths[N_COLS] = {8, 8, 11, 8, 10, 7, 9};
static const int col_priority[N_COLS] = {3, 5, 4, 2, 0, 1, 2}; /* 0 is kept first */

static void summary_cells(const struct run_summary *s, char cells[N_COLS][FORMAT_LEN])
{
    snprintf(cells[COL_STEPS], FORMAT_LEN, "%llu", (unsigned long long)s->steps);
    format_count(cells[COL_TOKENS], FORMAT_LEN, s->tokens);
    format_duration(cells[COL_TIME], FORMAT_LEN, s->elapsed);
    snprintf(cells[COL_TRAIN], FORMAT_LEN, isfinite(s->last_train) ? "%.4f" : "-", s->last_train);
    snprintf(cells[COL_VAL], FORMAT_LEN, isfinite(s->best_val) ? "%.4f" : "-", s->best_val);
    snprintf(cells[COL_BPB], FORMAT_LEN, isfinite(s->best_bpb) ? "%.3f" : "-", s->best_bpb);
    snprintf(cells[COL_AT], FORMAT_LEN, isfinite(s->best_val) ? "%llu" : "-", (unsigned long long)s->best_step);
}

/* Chooses the columns and the name's width so that a row fits: the name
 * gets what it needs (at least 8 columns), numbers of lowest priority go
 * first when there is not room for all. */
static size_t table_layout(const struct bg_plot *p, size_t width, int shown[N_COLS])
{
    size_t name_w = 3;
    for (size_t r = 0; r < p->n_runs; r++)
        name_w = strbuf_columns(p->runs[r].name) > name_w ? strbuf_columns(p->runs[r].name) : name_w;
    size_t avail = width - 1 - 2; /* the free last column, and the "*" marking the best */
    size_t used = name_w < 8 ? name_w : 8;
    for (int prio = 0; prio <= 5; prio++)
        for (int c = 0; c < N_COLS; c++)
            if (col_priority[c] == prio && (shown[c] = used + col_widths[c] <= avail))
                used += col_widths[c];
    size_t spare = avail - used + (name_w < 8 ? name_w : 8);
    return name_w < spare ? name_w : spare;
}

static void table_row(struct bg_strbuf *b, const char *name, size_t name_w, char cells[N_COLS][FORMAT_LEN],
                      const int shown[N_COLS], const char *mark)
{
    char fitted[160];
    strbuf_fit(fitted, sizeof fitted, name, name_w);
    strbuf_pad(b, fitted, name_w, 0);
    for (int c = 0; c < N_COLS; c++)
        if (shown[c])
            strbuf_pad(b, cells[c], col_widths[c], 1);
    strbuf_printf(b, "%s\n", mark);
}

/* The run with the lowest validation loss, or -1 when no run has one. */
static long best_run(const struct run_summary *s, size_t n)
{
    long best = -1;
    for (size_t r = 0; r < n; r++)
        if (isfinite(s[r].best_val) && (best < 0 || s[r].best_val < s[best].best_val))
            best = (long)r;
    return best;
}

static void table_footnote(struct bg_strbuf *b, const struct bg_plot *p, const struct run_summary *s, size_t width)
{
    char line[512], fitted[512];
    long best = best_run(s, p->n_runs);
    if (best < 0)
        snprintf(line, sizeof line, "no validation loss in %s yet", p->n_runs > 1 ? "these logs" : "this log");
    else
        snprintf(line, sizeof line, "%slowest validation loss: %s, %.4f (%.3f bpb) at step %llu",
                 p->n_runs > 1 ? "* " : "", p->runs[best].name, s[best].best_val, s[best].best_bpb,
                 (unsigned long long)s[best].best_step);
    strbuf_fit(fitted, sizeof fitted, line, width - 1);
    strbuf_printf(b, "%s\n", fitted);
}

int plot_table(const struct bg_plot *p, const struct bg_plot_options *opt, char **out, struct bg_error *err)
{
    struct bg_plot_options o = plot_options_resolve(opt);
    *out = NULL;
    int rc = plot_check_options(&o, err);
    if (rc)
        return rc;
    if (p->n_runs == 0)
        return bg_fail(err, BG_ERR_INPUT, "plot: no logs to compare");
    struct run_summary *s = malloc(p->n_runs * sizeof *s);
    if (!s)
        return bg_fail(err, BG_ERR_RUNTIME, "plot: out of memory");
    for (size_t r = 0; r < p->n_runs; r++)
        run_summarize(&p->runs[r], o.smooth, &s[r]);
    int shown[N_COLS];
    size_t name_w = table_layout(p, o.width, shown);
    char cells[N_COLS][FORMAT_LEN];
    for (int c = 0; c < N_COLS; c++)
        snprintf(cells[c], FORMAT_LEN, "%s", col_heads[c]);
    struct bg_strbuf b = {0};
    table_row(&b, "run", name_w, cells, shown, "");
    long best = best_run(s, p->n_runs);
    for (size_t r = 0; r < p->n_runs; r++) {
        summary_cells(&s[r], cells);
        table_row(&b, p->runs[r].name, name_w, cells, shown, (long)r == best && p->n_runs > 1 ? " *" : "");
    }
    table_footnote(&b, p, s, o.width);
    free(s);
    return plot_finish(&b, out, err);
}
