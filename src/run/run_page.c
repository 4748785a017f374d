/* run_page: index.html in the run folder (run_page.h). This file gathers
 * what the page shows, from the run (where it stands, what it cost) and
 * from the files beside it (log.csv, samples.txt, config.txt, read back
 * as any reader would), and has the page module lay it out. */
#include "run_page.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bytegpt/cost.h"
#include "bytegpt/evaluate.h"
#include "bytegpt/fsutil.h"
#include "bytegpt/trainlog.h"

/* The end of samples.txt read for the page: more than the few latest
 * samples it shows (each is a header line and 300 bytes of text). */
#define SAMPLES_TAIL 16384
#define CONFIG_MAX 65536

/* ---- What the page says ---- */

/* A live page that is not written again within this many seconds says
 * that the run may have stopped (killed, say, with no chance to write
 * its last page): three times the expected gap between evaluations,
 * plus a minute. */
static double stale_after(const struct bg_run *r, double elapsed)
{
    const struct bg_train_config *c = &r->trainer.cfg;
    double per_step = r->trainer.step > 0 ? elapsed / (double)r->trainer.step : 1.0;
    double gap = per_step * (double)(c->eval_every > 0 ? c->eval_every : c->steps);
    if (c->time_budget > 0 && (c->eval_every == 0 || gap > c->time_budget))
        gap = c->time_budget;
    return 60.0 + 3.0 * gap;
}

/* The sentence under the page's state. */
static void state_note(const struct bg_run *r, enum bg_page_state state, char *buf, size_t n)
{
    unsigned long long step = (unsigned long long)r->trainer.step;
    if (state == BG_PAGE_FINISHED)
        snprintf(buf, n, "Finished after %llu steps. ckpt.bin holds the final model, best.bin the one with the "
                         "lowest validation loss.", step);
    else if (state == BG_PAGE_STOPPED)
        snprintf(buf, n, "Stopped after step %llu, its checkpoint saved: bytegpt train --out %s --resume "
                         "continues the run.", step, r->out);
    else if (state == BG_PAGE_ENDED && r->init_only)
        snprintf(buf, n, "--steps 0: the model was initialised and saved untrained (ckpt.bin, step 0).");
    else if (state == BG_PAGE_ENDED)
        snprintf(buf, n, "The run ended at step %llu before it was done: an error stopped it (the terminal "
                         "says which). ckpt.bin holds the last good checkpoint.", step);
    else
        buf[0] = '\0';
}

/* ---- Writing the page ---- */

void run_page_write(struct bg_run *r, enum bg_page_state state)
{
    if (!r->writer)
        return; /* rank 0 alone writes the run folder */
    const struct bg_train_config *c = &r->trainer.cfg;
    double elapsed = run_elapsed(r), tokens = (double)r->trainer.tokens;
    double flops = cost_train_flops(c, tokens, (double)r->trainer.step);
    struct bg_cost bill;
    cost_bill(&c->model, c->batch, tokens, elapsed > 0 && flops > 0 ? flops / elapsed : BG_COST_ASSUMED_FLOPS,
              &bill);
    cost_add_optimizer(&bill, c, (double)r->trainer.step);
    char note[BG_PATH_MAX + 512]; /* a sentence that may name a path */
    char path[BG_PATH_MAX + 128];
    state_note(r, state, note, sizeof note);
    struct bg_page_run in = {
        .title = r->out, .state = state, .note = note,
        .step = r->trainer.step, .steps = c->time_budget > 0 ? 0 : c->steps, .time_budget = c->time_budget,
        .progress = run_progress(c, r->trainer.step, elapsed), .tokens = tokens, .elapsed = elapsed,
        .cost = &bill, .order0_bpb = r->val_order0_bpb, .gzip_bpb = r->val_gzip_bpb,
        .config = NULL, .samples = NULL, .written_at = (double)time(NULL), .stale_after = stale_after(r, elapsed),
    };
    /* The log as written so far (every row is flushed as it is appended);
     * a log that cannot be read leaves the chart empty, not the page. */
    struct bg_plot_run *log = calloc(1, sizeof *log);
    if (!log)
        return;
    snprintf(log->name, sizeof log->name, "run");
    struct bg_error unread;
    trainlog_read(r->log_path, &log->rows, &log->n_rows, &unread);
    char *samples = fsutil_read_tail(r->samples_path, SAMPLES_TAIL), *config = fsutil_read_tail(r->config_path, CONFIG_MAX);
    in.samples = samples, in.config = config;
    snprintf(path, sizeof path, "%s/index.html", r->out);
    struct bg_error ignore;
    page_run_write(path, log, &in, &ignore);
    r->page_live = state == BG_PAGE_LIVE;
    free(samples);
    free(config);
    free(log->rows);
    free(log);
}

void run_page_open(struct bg_run *r)
{
    if (!r->writer)
        return;
    size_t n = 0;
    const uint8_t *val = corpus_val_text(r->trainer.corpus, &n);
    struct bg_error ignore;
    r->val_order0_bpb = n > 0 ? evaluate_order0_bits(val, n) : NAN;
    if (n == 0 || evaluate_gzip_bits(val, n, &r->val_gzip_bpb, &ignore) != BG_OK)
        r->val_gzip_bpb = NAN;
    run_page_write(r, r->init_only ? BG_PAGE_ENDED : BG_PAGE_LIVE);
}

void run_page_close(struct bg_run *r)
{
    if (r->page_live)
        run_page_write(r, BG_PAGE_ENDED);
}
