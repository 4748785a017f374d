/* run_loop: one iteration of a run is one update: step, log, and
 * whatever is due (evaluation and best.bin, a sample, a checkpoint). */
#include "bytegpt/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/clock.h"
#include "bytegpt/dist.h"
#include "bytegpt/plot.h"
#include "bytegpt/sampler.h"
#include "bytegpt/schedule.h"
#include "bytegpt/tokenizer.h"
#include "run_page.h"
#include "run_dist.h"

/* ---- Where the run stands ---- */

/* The seconds trained at monotonic time `now`, and whether a stop was
 * asked, as the loop decides by them. One process reads its own clock and
 * flag. Several decide by what they agreed at the end of the last step,
 * never by their own clocks or a signal that reached one of them, or they
 * would decide differently and wait for each other forever. */
static double clock_at(const struct bg_run *r, double now)
{
    return dist_size() > 1 ? r->agreed_elapsed : now - r->t0;
}

static int stop_asked(const struct bg_run *r)
{
    if (dist_size() > 1)
        return r->agreed_stop != 0;
    return r->stop && *r->stop;
}

static int spent(const struct bg_run *r, double elapsed)
{
    const struct bg_train_config *c = &r->trainer.cfg;
    return r->init_only || (c->steps > 0 && r->trainer.step >= c->steps) ||
           (c->time_budget > 0 && elapsed >= c->time_budget);
}

int run_finished(const struct bg_run *r)
{
    return spent(r, clock_at(r, clock_now())) || stop_asked(r);
}

static int due(uint64_t every, uint64_t step)
{
    return every > 0 && step % every == 0;
}

/* ---- What is due after a step ---- */

static int save_checkpoint(struct bg_run *r, const char *path, double elapsed, struct bg_error *err)
{
    r->state.step = r->trainer.step;
    r->state.tokens = r->trainer.tokens;
    r->state.elapsed = elapsed;
    corpus_get_pos(r->trainer.corpus, &r->state.pos);
    if (!r->writer)
        return BG_OK; /* rank 0 alone writes */
    return checkpoint_save(path, &r->state, &r->trainer.model, err);
}

/* samples.txt is plain text: a document boundary starts a new line. */
static int emit_to_file(void *ctx, uint8_t byte)
{
    fputc(byte == BG_DOC_BOUNDARY ? '\n' : byte, (FILE *)ctx);
    return 0;
}

/* Appends a sample of the model's text, marked with its step (the mark
 * that a resume cuts samples.txt back by). */
static int write_sample(struct bg_run *r, struct bg_error *err)
{
    FILE *f = fopen(r->samples_path, "a");
    if (!f)
        return bg_fail(err, BG_ERR_RUNTIME, "cannot write %s", r->samples_path);
    struct bg_sample_options opt = {.temperature = 0.8, .top_k = 40};
    fprintf(f, "--- step %llu (temperature 0.8, top-k 40) ---\n", (unsigned long long)r->trainer.step);
    sampler_generate(&r->trainer.model, NULL, 0, NULL, BG_RUN_SAMPLE_BYTES, r->window, &opt, &r->state.sample_rng,
                     emit_to_file, f);
    fputs("\n\n", f);
    if (ferror(f) | (fclose(f) != 0))
        return bg_fail(err, BG_ERR_RUNTIME, "cannot write %s", r->samples_path);
    return BG_OK;
}

/* Evaluates, and keeps best.bin when the validation loss is the best. */
static int evaluate(struct bg_run *r, struct bg_run_report *rep, double elapsed, struct bg_error *err)
{
    r->last_val = trainer_evaluate(&r->trainer);
    rep->row.val_loss = r->last_val;
    rep->row.val_bpb = r->last_val / log(2.0);
    rep->events |= BG_RUN_EVALUATED;
    if (!isnan(r->state.best_val) && !(r->last_val < r->state.best_val))
        return BG_OK;
    r->state.best_val = r->last_val;
    rep->events |= BG_RUN_BEST;
    return save_checkpoint(r, r->best_path, elapsed, err);
}

/* ---- One step ---- */

int run_step(struct bg_run *r, struct bg_run_report *rep, struct bg_error *err)
{
    struct bg_trainer *t = &r->trainer;
    const struct bg_train_config *c = &t->cfg;
    struct bg_schedule sched = {c->lr, c->min_lr, c->warmup, c->schedule, c->decay};
    double start = clock_now(), elapsed = clock_at(r, start);
    double lr = schedule_lr(&sched, t->step, run_progress(c, t->step, elapsed), r->state.warmup_progress);
    struct bg_step_result res;
    memset(rep, 0, sizeof *rep);
    if (t->step + 1 == r->nan_at)
        t->model.params[0] = NAN;
    int rc = trainer_step(t, lr, &res, err);
    if (rc)
        return rc;
    double end = clock_now();
    run_dist_agree_step(r, end - r->t0);
    elapsed = clock_at(r, end);
    if (t->step == c->warmup && c->time_budget > 0)
        r->state.warmup_progress = run_progress(c, t->step, elapsed);
    r->last_train = res.loss;
    r->saved = 0;

    int last = spent(r, elapsed) || stop_asked(r);
    double tok_s = (double)(c->batch * c->accum * t->ranks * c->model.ctx) / (end - start);
    rep->row = (struct bg_log_row){t->step, t->tokens, config_flops_per_token(&c->model) * (double)t->tokens, lr,
                                   res.loss, NAN, NAN, res.grad_norm, tok_s, elapsed};
    rep->progress = run_progress(c, t->step, elapsed);
    if (last)
        rep->events |= BG_RUN_LAST;
    /* A run stopped by a signal skips the final evaluation: the user
     * asked it to stop now. */
    if ((due(c->eval_every, t->step) || (last && !stop_asked(r))) && (rc = evaluate(r, rep, elapsed, err)))
        return rc;
    if (r->writer && (rc = trainlog_append(&r->log, &rep->row, err)))
        return rc;
    if (due(c->sample_every, t->step)) {
        if (r->writer && (rc = write_sample(r, err)))
            return rc;
        rep->events |= BG_RUN_SAMPLED;
    }
    if (due(c->ckpt_every, t->step) || last) {
        if ((rc = save_checkpoint(r, r->ckpt_path, elapsed, err)))
            return rc;
        r->saved = 1;
        rep->events |= BG_RUN_SAVED;
    }
    if ((rep->events & BG_RUN_EVALUATED) && !last)
        run_page_write(r, BG_PAGE_LIVE);
    return BG_OK;
}

/* ---- The end ---- */

int run_finish(struct bg_run *r, struct bg_error *warning, struct bg_error *err)
{
    if (r->init_only || !r->writer)
        return BG_OK;
    if (!r->saved) {
        int rc = save_checkpoint(r, r->ckpt_path, run_elapsed(r), err);
        if (rc)
            return rc;
        r->saved = 1;
    }
    /* loss.svg beside the log, for a browser. A failure here costs the
     * picture only (a one-step run has nothing to draw). */
    char svg[BG_PATH_MAX + 128];
    snprintf(svg, sizeof svg, "%s/loss.svg", r->out);
    const char *logs[1] = {r->log_path};
    struct bg_error e = {0};
    if (plot_svg_file(svg, logs, 1, NULL, &e) && warning)
        *warning = e;
    run_page_write(r, stop_asked(r) ? BG_PAGE_STOPPED : BG_PAGE_FINISHED);
    return BG_OK;
}
