/* train_loop: see train_loop.h. One iteration of the loop is one update:
 * step, log, and whatever is due (evaluation, sample, checkpoint). */
#include "train_loop.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bytegpt/cost.h"
#include "bytegpt/plot.h"
#include "bytegpt/sampler.h"
#include "bytegpt/schedule.h"
#include "cli.h"
#include "common.h"

#define SAMPLE_BYTES 300

/* ---- Signals: finish the step, save, exit 130/143 ---- */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    /* Only a flag: the loop sees it after the current step, saves, and
     * exits. A second signal during the save just sets it again. */
    stop_signal = sig;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- Progress of the run, for the schedule and the end ---- */

/* The fraction of the run done: steps over total, elapsed over budget,
 * or with both the larger (whichever ends the run first). */
static double run_progress(const struct bg_train_config *c, uint64_t step, double elapsed)
{
    double p = 0.0;
    if (c->steps > 0)
        p = (double)step / (double)c->steps;
    if (c->time_budget > 0 && elapsed / c->time_budget > p)
        p = elapsed / c->time_budget;
    return p > 1.0 ? 1.0 : p;
}

static int run_done(const struct bg_train_config *c, uint64_t step, double elapsed)
{
    return (c->steps > 0 && step >= c->steps) || (c->time_budget > 0 && elapsed >= c->time_budget);
}

static int due(uint64_t every, uint64_t step)
{
    return every > 0 && step % every == 0;
}

/* ---- What is due after a step ---- */

static int save_checkpoint(struct train_run *r, const char *path, double elapsed)
{
    struct bg_error err = {0};
    r->state.step = r->trainer.step;
    r->state.tokens = r->trainer.tokens;
    r->state.elapsed = elapsed;
    corpus_get_pos(r->trainer.corpus, &r->state.pos);
    if (checkpoint_save(path, &r->state, &r->trainer.model, &err))
        return cli_report(&err);
    return 0;
}

struct sample_sink {
    FILE *f;
};

static int emit_to_file(void *ctx, uint8_t byte)
{
    struct sample_sink *s = ctx;
    fputc(byte == 0 ? '\n' : byte, s->f);
    return 0;
}

/* Appends a sample of the model's text, marked with its step. */
static int write_sample(struct train_run *r, uint8_t *window)
{
    FILE *f = fopen(r->samples_path, "a");
    if (!f) {
        fprintf(stderr, "error: cannot write %s\n", r->samples_path);
        return 1;
    }
    struct bg_sample_options opt = {.temperature = 0.8, .top_k = 40};
    fprintf(f, "--- step %llu (temperature 0.8, top-k 40) ---\n", (unsigned long long)r->trainer.step);
    struct sample_sink sink = {f};
    sampler_generate(&r->trainer.model, NULL, 0, NULL, SAMPLE_BYTES, window, &opt, &r->state.sample_rng,
                     emit_to_file, &sink);
    fputs("\n\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "error: cannot write %s\n", r->samples_path);
        return 1;
    }
    return 0;
}

/* ---- The progress line ---- */

static void print_progress(const struct train_run *r, const struct bg_log_row *row, double last_bpb,
                           double tok_s, double elapsed)
{
    const struct bg_train_config *c = &r->trainer.cfg;
    char fl[32], el[32], eta[32], pos[48];
    double p = run_progress(c, row->step, elapsed);
    common_duration(el, sizeof el, elapsed);
    common_duration(eta, sizeof eta, p > 0 ? elapsed * (1 - p) / p : 0);
    if (c->time_budget > 0) {
        char b[32];
        snprintf(pos, sizeof pos, "step %llu, %s/%s", (unsigned long long)row->step, el,
                 common_duration(b, sizeof b, c->time_budget));
    } else {
        snprintf(pos, sizeof pos, "step %llu/%llu", (unsigned long long)row->step, (unsigned long long)c->steps);
    }
    char bpb[32] = "-";
    if (!isnan(last_bpb))
        snprintf(bpb, sizeof bpb, "%.3f", last_bpb);
    printf("%s%s | loss %.4f | val bpb %s | %.0f tok/s | %s | %s elapsed | ETA %s%s",
           r->interactive ? "\r\033[K" : "", pos, row->train_loss, bpb, tok_s,
           common_si(fl, sizeof fl, row->flops, "FLOP"), el, eta, r->interactive ? "" : "\n");
    fflush(stdout);
}

static void print_summary(const struct train_run *r, double elapsed, double last_train, double last_val)
{
    const struct bg_train_config *c = &r->trainer.cfg;
    double tokens = (double)r->trainer.tokens;
    struct bg_cost bill;
    /* The rate is this run's own, FLOPs over wall time, evaluations included. */
    cost_bill(&c->model, c->batch, tokens, elapsed > 0 ? config_flops_per_token(&c->model) * tokens / elapsed : 1.0,
              &bill);
    char el[32], fl[32], tk[32];
    /* The newline ends the progress line, which a terminal leaves open. */
    printf("\ndone: %llu steps, %s tokens, %s, %s (%.3g FLOP per token: 6N + 6*L*ctx*C)\n",
           (unsigned long long)r->trainer.step,
           common_si(tk, sizeof tk, tokens, ""), common_duration(el, sizeof el, elapsed),
           common_si(fl, sizeof fl, bill.flops, "FLOP"), bill.flops_per_token);
    printf("final train loss %.4f nats (%.3f bits per byte)", last_train, last_train / log(2.0));
    if (!isnan(last_val))
        printf(", validation %.4f nats (%.3f bits per byte)", last_val, last_val / log(2.0));
    printf("\n");
    if (bill.flops <= 0)
        return;
    /* The same bill as `bytegpt info`, for the run just done. */
    printf("compute: %.3g FLOP at %.1f GFLOP/s (this run's rate, evaluations included); pre-training at scale:\n",
           bill.flops, bill.rate / 1e9);
    for (int i = 0; i < BG_COST_N_REFS; i++) {
        char t[32];
        printf("  %-11s %.3g FLOP = %.3g x this run = %s at this rate\n", bill.refs[i].name, bill.refs[i].flops,
               bill.refs[i].ratio, common_duration(t, sizeof t, bill.refs[i].seconds));
    }
}

/* loss.svg beside the log, for a browser. A failure here costs the
 * picture only (a one-step run has nothing to draw), so it is a warning. */
static void write_loss_svg(const struct train_run *r)
{
    char svg[4200], log_path[4200];
    snprintf(svg, sizeof svg, "%s/loss.svg", r->out);
    snprintf(log_path, sizeof log_path, "%s/log.csv", r->out);
    const char *logs[1] = {log_path};
    struct bg_error err = {0};
    if (plot_svg_file(svg, logs, 1, NULL, &err))
        fprintf(stderr, "warning: no loss.svg: %s\n", err.msg);
}

/* ---- Fault injection, for the tests ---- */

/* BYTEGPT_INJECT_NAN_AT=N poisons one parameter with NaN just before
 * step N, so that the tests can drive the real NaN path (detection, no
 * update, no checkpoint of the bad state) on demand. */
static uint64_t inject_nan_step(void)
{
    const char *v = getenv("BYTEGPT_INJECT_NAN_AT");
    return v ? strtoull(v, NULL, 10) : 0;
}

/* ---- The loop ---- */

int train_loop_run(struct train_run *r)
{
    struct bg_trainer *t = &r->trainer;
    const struct bg_train_config *c = &t->cfg;
    struct bg_schedule sched = {c->lr, c->min_lr, c->warmup};
    double fpt = config_flops_per_token(&c->model);
    double t0 = now_s() - r->state.elapsed, last_print = -1e9, last_bpb = NAN, last_val = NAN;
    double last_train = NAN, tok_s = 0;
    uint8_t *window = malloc(c->model.ctx);
    int code = 0, saved = 0;
    if (!window)
        return fprintf(stderr, "error: out of memory\n"), 1;
    if (c->steps > 0 && c->time_budget <= 0)
        r->state.warmup_progress = (double)c->warmup / (double)c->steps;
    uint64_t nan_at = inject_nan_step();
    install_signals();

    while (!run_done(c, t->step, now_s() - t0) && !stop_signal) {
        double start = now_s(), elapsed = start - t0;
        double lr = schedule_lr(&sched, t->step, run_progress(c, t->step, elapsed), r->state.warmup_progress);
        struct bg_step_result res;
        struct bg_error err = {0};
        if (t->step + 1 == nan_at)
            t->model.params[0] = NAN;
        if (trainer_step(t, lr, &res, &err)) {
            cli_report(&err);
            fprintf(stderr, "the last good checkpoint is %s (step %llu)\n", r->ckpt_path,
                    (unsigned long long)r->state.step);
            code = err.code;
            goto out;
        }
        double end = now_s();
        elapsed = end - t0;
        tok_s = (double)(c->batch * c->accum * c->model.ctx) / (end - start);
        if (t->step == c->warmup && c->time_budget > 0)
            r->state.warmup_progress = run_progress(c, t->step, elapsed);
        last_train = res.loss;
        saved = 0;

        int last = run_done(c, t->step, elapsed) || stop_signal;
        struct bg_log_row row = {t->step, t->tokens, fpt * (double)t->tokens, lr, res.loss, NAN, NAN,
                                 res.grad_norm, tok_s, elapsed};
        if (due(c->eval_every, t->step) || (last && !stop_signal)) {
            last_val = trainer_evaluate(t);
            last_bpb = last_val / log(2.0);
            row.val_loss = last_val;
            row.val_bpb = last_bpb;
            if (isnan(r->state.best_val) || last_val < r->state.best_val) {
                r->state.best_val = last_val;
                if ((code = save_checkpoint(r, r->best_path, elapsed)))
                    goto out;
            }
        }
        if (trainlog_append(&r->log, &row, &err)) {
            code = cli_report(&err);
            goto out;
        }
        if (due(c->sample_every, t->step) && (code = write_sample(r, window)))
            goto out;
        if (due(c->ckpt_every, t->step) || last) {
            if ((code = save_checkpoint(r, r->ckpt_path, elapsed)))
                goto out;
            saved = 1;
        }
        if (r->interactive || end - last_print >= 10.0 || !isnan(row.val_loss) || last) {
            print_progress(r, &row, last_bpb, tok_s, elapsed);
            last_print = end;
        }
    }
    if (!saved && (code = save_checkpoint(r, r->ckpt_path, now_s() - t0)))
        goto out;
    print_summary(r, now_s() - t0, last_train, last_val);
    write_loss_svg(r);
    if (stop_signal) {
        printf("stopped by %s after step %llu; checkpoint saved in %s\n"
               "resume with: bytegpt train --out %s --resume\n",
               stop_signal == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)t->step, r->ckpt_path, r->out);
        code = 128 + stop_signal;
    }
out:
    if (r->interactive && code)
        printf("\n");
    free(window);
    return code;
}
