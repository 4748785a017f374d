/* page_run: the page of one run (page_run in page.h): where it stands,
 * its progress and its cost, the loss chart with the validation text's
 * baselines, the latest samples with their steps, and its configuration.
 * The caller (the run module's run_page.c) gathers what is shown; this
 * file only lays it out. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/format.h"
#include "bytegpt/plot_chart.h"
#include "bytegpt/page.h"
#include "page_chart.h"

/* The samples shown, newest first. */
#define SAMPLES_SHOWN 3

static const char *const state_class[] = {"live", "finished", "stopped", "ended"};
static const char *const state_label[] = {"live: training", "finished", "stopped", "ended early"};

/* ---- Progress ---- */

/* One number in the grid of numbers: big, with what it is under it. */
static void put_stat(struct bg_strbuf *b, const char *id, const char *value, const char *label)
{
    strbuf_printf(b, "<div class=\"stat\" id=\"stat-%s\"><b>", id);
    page_escape(b, value);
    strbuf_printf(b, "</b><span>%s</span></div>\n", label);
}

/* The latest validation loss and the best, from the log. */
struct val_summary {
    double last, best;
    uint64_t last_step, best_step;
};

static struct val_summary val_summary(const struct bg_plot_run *run)
{
    struct val_summary v = {NAN, NAN, 0, 0};
    for (size_t i = 0; i < run->n_rows; i++) {
        const struct bg_log_row *row = &run->rows[i];
        if (!isfinite(row->val_loss))
            continue;
        v.last = row->val_loss, v.last_step = row->step;
        if (!(row->val_loss >= v.best))
            v.best = row->val_loss, v.best_step = row->step;
    }
    return v;
}

/* The speed: the median of the last rows' tokens per second, which one
 * step slowed by the machine (another program, an evaluation) does not
 * move. */
#define SPEED_ROWS 25

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double recent_speed(const struct bg_plot_run *run)
{
    double v[SPEED_ROWS];
    size_t n = 0;
    for (size_t i = run->n_rows; i-- > 0 && n < SPEED_ROWS;)
        if (isfinite(run->rows[i].tokens_per_s))
            v[n++] = run->rows[i].tokens_per_s;
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void stats_position(struct bg_strbuf *b, const struct bg_plot_run *run, const struct bg_page_run *in)
{
    char v[FORMAT_LEN], label[2 * FORMAT_LEN], c[FORMAT_LEN];
    snprintf(label, sizeof label, "step, of %s", format_grouped(c, sizeof c, (double)in->steps));
    put_stat(b, "step", format_grouped(v, sizeof v, (double)in->step), in->steps > 0 ? label : "step");
    put_stat(b, "tokens", format_count(v, sizeof v, in->tokens), "tokens (bytes) seen");
    put_stat(b, "speed", format_count(v, sizeof v, recent_speed(run)), "tokens per second");
    snprintf(label, sizeof label, "elapsed, of %s", format_duration(c, sizeof c, in->time_budget));
    put_stat(b, "elapsed", format_duration(v, sizeof v, in->elapsed), in->time_budget > 0 ? label : "elapsed");
    double eta = in->progress > 0 ? in->elapsed * (1 - in->progress) / in->progress : NAN;
    const char *end = in->state == BG_PAGE_FINISHED ? "done" : "-";
    put_stat(b, "eta", in->state == BG_PAGE_LIVE ? format_duration(v, sizeof v, eta) : end, "to go (ETA)");
}

static void stats_loss(struct bg_strbuf *b, const struct bg_plot_run *run, const struct bg_page_run *in)
{
    char v[2 * FORMAT_LEN], label[96];
    struct val_summary s = val_summary(run);
    double ln2 = log(2.0);
    snprintf(v, sizeof v, isfinite(s.last) ? "%.3f" : "-", s.last / ln2);
    snprintf(label, sizeof label, "validation, bits per byte (step %llu)", (unsigned long long)s.last_step);
    put_stat(b, "val", v, isfinite(s.last) ? label : "validation, bits per byte");
    snprintf(v, sizeof v, isfinite(s.best) ? "%.3f" : "-", s.best / ln2);
    snprintf(label, sizeof label, "best validation (step %llu)", (unsigned long long)s.best_step);
    put_stat(b, "best", v, isfinite(s.best) ? label : "best validation");
    snprintf(v, sizeof v, isfinite(in->gzip_bpb) ? "%.3f" : "-", in->gzip_bpb);
    put_stat(b, "gzip", v, "gzip -9 of the validation text");
    snprintf(v, sizeof v, isfinite(in->order0_bpb) ? "%.3f" : "-", in->order0_bpb);
    put_stat(b, "order0", v, "order-0 entropy of the validation text");
    format_si(v, sizeof v, in->cost ? in->cost->flops : NAN, "FLOP");
    put_stat(b, "flops", v, "compute spent");
}

/* FLOPs spent, beside the pre-training of GPT-2 and GPT-3. */
static void compute_line(struct bg_strbuf *b, const struct bg_cost *cost)
{
    char a[FORMAT_LEN], r[FORMAT_LEN], f[FORMAT_LEN];
    strbuf_printf(b, "<p class=\"compute\" id=\"compute\">Compute: %s so far, at 6N + 6&middot;L&middot;ctx&middot;C "
                     "FLOPs per token.", format_si(a, sizeof a, cost->flops, "FLOP"));
    for (int i = 0; i < BG_COST_N_REFS; i++)
        strbuf_printf(b, " %s's pre-training took %s FLOP, %s times as much.", cost->refs[i].name,
                      format_sci(f, sizeof f, cost->refs[i].flops), format_round3(r, sizeof r, cost->refs[i].ratio));
    strbuf_puts(b, "</p>\n");
}

/* Under the heading, before the chart: the bar of the run done, the
 * numbers a class asks about, and the compute spent. */
static void progress_section(struct bg_strbuf *b, const struct bg_plot_run *run, const struct bg_page_run *in)
{
    double p = in->progress > 1 ? 1 : in->progress > 0 ? in->progress : 0;
    strbuf_printf(b, "<div class=\"bar\" title=\"%.0f%% done\"><span style=\"width:%.1f%%\"></span></div>\n",
                  100 * p, 100 * p);
    strbuf_puts(b, "<section id=\"progress\" class=\"stats\">\n");
    stats_position(b, run, in);
    stats_loss(b, run, in);
    strbuf_puts(b, "</section>\n");
    if (in->cost && in->cost->flops > 0)
        compute_line(b, in->cost);
}

/* ---- Samples ---- */

/* The start of each sample in samples.txt: a line "--- step N ...". */
static size_t sample_starts(const char *text, const char **starts, size_t max)
{
    size_t n = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, "--- step ", 9) == 0) {
            if (n == max) {
                memmove(starts, starts + 1, (max - 1) * sizeof *starts);
                n--;
            }
            starts[n++] = p;
        }
    return n;
}

/* One sample: its header line as a heading ("step 400 (temperature 0.8,
 * top-k 40)"), and its text up to the next sample. */
static void sample_block(struct bg_strbuf *b, const char *start, const char *end)
{
    const char *eol = strchr(start, '\n');
    eol = eol && eol < end ? eol : end;
    const char *head = start + 4, *head_end = eol;
    while (head_end > head && (head_end[-1] == '-' || head_end[-1] == ' '))
        head_end--;
    strbuf_puts(b, "<h3>");
    page_escape_n(b, head, (size_t)(head_end - head));
    strbuf_puts(b, "</h3>\n<pre class=\"sample\">");
    const char *text = eol < end ? eol + 1 : end;
    while (end > text && end[-1] == '\n')
        end--;
    page_escape_n(b, text, (size_t)(end - text));
    strbuf_puts(b, "</pre>\n");
}

static void samples_section(struct bg_strbuf *b, const char *samples)
{
    const char *starts[SAMPLES_SHOWN];
    size_t n = samples ? sample_starts(samples, starts, SAMPLES_SHOWN) : 0;
    page_section(b, "samples", "Latest samples");
    if (n == 0)
        strbuf_puts(b, "<p class=\"empty\">No sample yet.</p>\n");
    for (size_t i = n; i-- > 0;)
        sample_block(b, starts[i], i + 1 < n ? starts[i + 1] : samples + strlen(samples));
}

/* ---- The page ---- */

int page_run(const struct bg_plot_run *run, const struct bg_page_run *in, char **out, struct bg_error *err)
{
    *out = NULL;
    if ((unsigned)in->state > BG_PAGE_ENDED)
        return bg_fail(err, BG_ERR_INPUT, "page: unknown run state %d", (int)in->state);
    struct bg_strbuf b = {0};
    struct page_head h = {in->title, "run", in->state == BG_PAGE_LIVE, in->written_at, in->stale_after};
    page_begin(&b, &h, state_class[in->state], state_label[in->state], in->note);
    progress_section(&b, run, in);
    page_section(&b, "loss", "Loss");
    struct page_chart_opts co = {BG_PLOT_X_STEP, BG_PAGE_SMOOTH, 1, in->order0_bpb, in->gzip_bpb};
    int rc = page_chart(&b, run, 1, &co, err);
    samples_section(&b, in->samples);
    page_section(&b, "config", "Configuration");
    if (in->config) {
        strbuf_puts(&b, "<pre class=\"config\">");
        page_escape(&b, in->config);
        strbuf_puts(&b, "</pre>\n");
    } else {
        strbuf_puts(&b, "<p class=\"empty\">No config.txt.</p>\n");
    }
    return page_end(&b, rc, out, err);
}

int page_run_write(const char *path, const struct bg_plot_run *run, const struct bg_page_run *info,
                   struct bg_error *err)
{
    char *doc = NULL;
    int rc = page_run(run, info, &doc, err);
    return page_commit(path, rc, doc, err);
}
