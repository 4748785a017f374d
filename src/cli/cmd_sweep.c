/* sweep: the experiment loop (see bytegpt/sweep.h). This command reads
 * the flags into a sweep definition, shows each run and each decision as
 * they happen, turns SIGINT/SIGTERM into a stop after the runs' steps,
 * and ends with the table, the best trial's command, the chart and the
 * rate. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bytegpt/format.h"
#include "bytegpt/sweep.h"
#include "cli.h"
#include "common.h"
#include "machine.h"
#include "sweep_view.h"

static const char help[] =
    "usage: bytegpt sweep --corpus PATH --out DIR (--time-budget T | --steps N | --flop-budget F)\n"
    "                     [base flags] [--list TRIALS] [--grid SPEC] [--random N --space SPEC]\n"
    "                     [--greedy N] [--propose CMD] [--seeds K] [--every-seed] [--jobs J]\n"
    "                     [--threads T] [--resume]\n"
    "\n"
    "The experiment loop: many short runs of a fixed budget, each scored alike,\n"
    "kept when it beats the best so far by more than noise, else discarded.\n"
    "\n"
    "Trials. Each trial is a real run in DIR/trial-NNN (DIR/trial-NNN-seedS for\n"
    "repeats): log.csv, ckpt.bin, best.bin, samples.txt, config.txt, trained by\n"
    "the same code as bytegpt train in a process of its own, so that sample, eval,\n"
    "predict and plot work on it, and a crash (NaN, too large, abort) is recorded\n"
    "as 'crash' with its reason while the sweep goes on. Each trial evaluates 20\n"
    "times on 1 batch (its curve), unless --eval-every or --eval-batches is given.\n"
    "\n"
    "The score. When a run ends its final model (ckpt.bin) is scored by the eval\n"
    "rule (bytegpt eval) on the same held-out bytes for every trial: the first\n"
    "64 KiB of the corpus' validation stream (all of it when shorter), in as many\n"
    "windows of the trial's ctx as fit, in bits per byte (val_bpb; lower is better).\n"
    "\n"
    "Noise. The base configuration (the base flags over --preset) runs first, as\n"
    "the baseline, with --seeds K seeds (default 2: --seed, --seed + 1, ...); its\n"
    "spread is max - min of their scores. A trial is 'keep' when its score is below\n"
    "the best so far by more than 2 x that spread, else 'discard'. With K > 1, a\n"
    "trial whose first seed would be kept is repeated with K seeds and its mean\n"
    "decides; with --every-seed every trial runs all K seeds (each one's score is\n"
    "in its run folder's result.txt) and its mean decides. Time to target: for a\n"
    "kept trial, the training time at which its validation curve (log.csv\n"
    "val_bpb, interpolated between evaluations) first reached the baseline's\n"
    "final val_bpb, as a share of the baseline's time (target_share; the note\n"
    "gives the share of tokens).\n"
    "\n"
    "Strategies, run in this order after the baseline:\n"
    "  --list TRIALS      the trials given, in order, separated by ';', each as\n"
    "                     flags: '--layers 2 --dim 64; --layers 3 --dim 96'\n"
    "  --grid SPEC        every combination: 'lr=1e-3,3e-3 dim=64,128' (4 trials)\n"
    "  --random N         N draws from --space SPEC: 'lr=1e-4..1e-2:log batch=8,16,32'\n"
    "                     (lo..hi uniform, :log uniform in log, a,b,c a choice;\n"
    "                     --space-seed S fixes the draws, default 1)\n"
    "  --greedy N         N trials from the best so far: one setting at a time (from\n"
    "                     --vary, default lr,warmup,wd,batch,dim,layers,ctx), times and\n"
    "                     over --factor F (default 2); a kept change is moved to\n"
    "  --propose CMD      asks CMD (run by /bin/sh) for each next trial: it reads\n"
    "                     results.tsv on standard input (BYTEGPT_SWEEP_DIR names DIR)\n"
    "                     and prints the trial's flags, like '--lr 3e-3 --dim 128',\n"
    "                     or nothing to end the sweep\n"
    "Any setting of bytegpt train but --threads may be swept. A trial the same as\n"
    "an earlier one is not run twice. Every trial planned ahead (list, grid,\n"
    "random) is checked as train would check it before anything runs.\n"
    "\n"
    "base flags: --preset NAME and any flag of bytegpt train (--lr, --dim, ...).\n"
    "  --time-budget T | --steps N | --flop-budget F   each trial's budget (required;\n"
    "                     a FLOP budget is the same on every machine, and may be swept:\n"
    "                     --grid 'flop-budget=1e12,3e12')\n"
    "run:\n"
    "  --corpus PATH      training text (required unless --resume)\n"
    "  --out DIR          the sweep folder (default sweeps/sweep-YYYYmmdd-HHMMSS)\n"
    "  --jobs J           trials at once (default 1), each with T / J threads\n"
    "  --threads T        threads over all jobs (default: all cores)\n"
    "  --resume           continue the sweep in DIR (its definition is DIR/sweep.txt)\n"
    "\n"
    "DIR/results.tsv (tab-separated, one row per trial, rewritten as each is\n"
    "decided): trial, status (baseline/keep/discard/crash), val_bpb (mean over\n"
    "seeds), spread, steps, tokens, seconds (training), params, flops, seeds, flags\n"
    "(those that differ from the base), target_share, note. seconds and\n"
    "target_share depend on the clock; with --steps or --flop-budget every other\n"
    "column is the same in any sweep of the same definition.\n"
    "\n"
    "Stop and resume. Ctrl-C (SIGINT) or SIGTERM stops every run after its step\n"
    "with its checkpoint saved (exit 130/143). The same command again, or\n"
    "bytegpt sweep --out DIR --resume, continues: decided trials are not redone,\n"
    "finished runs are not rerun, interrupted runs resume from their checkpoints.\n"
    "A different definition for DIR is refused, naming the difference; --jobs and\n"
    "--threads may change.\n"
    "\n"
    "The end: the trials sorted by score, the best as a bytegpt train command, the\n"
    "validation curves (here and in DIR/sweep.svg), and the runs an hour.\n";

/* ---- Flags ---- */

/* The sweep's own flags, then one per train setting (the base). */
static const char *const own_names[] = {"corpus", "preset", "list",   "grid",    "random", "space",
                                        "space-seed", "greedy", "vary", "factor", "propose", "seeds"};
#define N_OWN (sizeof own_names / sizeof own_names[0])
#define N_SPECS (N_OWN + BG_N_SETTINGS + 6)

struct sweep_flags {
    const char *own[N_OWN];
    const char *settings[BG_N_SETTINGS];
    const char *out;
    size_t jobs, threads;
    int resume, every_seed;
    uint64_t test_nan_at; /* a test seam for every run (run.h), left out of the help */
};

static size_t sweep_specs(struct sweep_flags *f, struct arg_spec *s)
{
    size_t n = 0;
    for (size_t i = 0; i < N_OWN; i++)
        s[n++] = (struct arg_spec){own_names[i], ARG_STRING, &f->own[i], 0, 0};
    for (int i = 0; i < BG_N_SETTINGS; i++)
        if (i != BG_SET_THREADS)
            s[n++] = (struct arg_spec){settings_name(i), ARG_STRING, &f->settings[i], 0, 0};
    s[n++] = (struct arg_spec){"out", ARG_STRING, &f->out, 0, 0};
    s[n++] = (struct arg_spec){"jobs", ARG_SIZE, &f->jobs, 0, 0};
    s[n++] = (struct arg_spec){"threads", ARG_SIZE, &f->threads, ARG_ZERO_OK, 0};
    s[n++] = (struct arg_spec){"resume", ARG_BOOL, &f->resume, 0, 0};
    s[n++] = (struct arg_spec){"every-seed", ARG_BOOL, &f->every_seed, 0, 0};
    s[n++] = (struct arg_spec){"test-nan-at", ARG_U64, &f->test_nan_at, 0, 0};
    return n;
}

/* The definition from the flags; with --resume, DIR/sweep.txt's with the
 * flags given over it (which sweep_open then refuses if they change it,
 * naming the difference). */
static int read_definition(int argc, char **argv, struct sweep_flags *f, struct bg_sweep_def *d,
                           struct bg_error *err)
{
    struct arg_spec specs[N_SPECS];
    size_t n_pos;
    memset(f, 0, sizeof *f);
    f->jobs = 1;
    size_t n = sweep_specs(f, specs);
    int rc = args_parse("sweep", argc, argv, 1, specs, n, NULL, 0, &n_pos, err);
    if (rc)
        return rc;
    if (f->resume && !f->out)
        return bg_fail(err, BG_ERR_INPUT, "sweep: --resume needs --out DIR, the sweep folder to continue");
    if (f->resume)
        rc = sweep_def_load(d, f->out, err);
    else
        sweep_def_init(d);
    for (size_t i = 0; i < N_OWN && !rc; i++)
        if (f->own[i])
            rc = sweep_def_set(d, own_names[i], f->own[i], err);
    for (int i = 0; i < BG_N_SETTINGS && !rc; i++)
        if (f->settings[i])
            rc = sweep_def_set(d, settings_name(i), f->settings[i], err);
    if (!rc && f->every_seed)
        rc = sweep_def_set(d, "every-seed", "1", err);
    return rc;
}

/* ---- The end ---- */

static int by_score(const void *a, const void *b)
{
    const struct bg_sweep_row *x = a, *y = b;
    int nx = !isfinite(x->val_bpb), ny = !isfinite(y->val_bpb);
    if (nx || ny)
        return nx - ny;
    return (x->val_bpb > y->val_bpb) - (x->val_bpb < y->val_bpb);
}

static void print_table(const struct bg_sweep_row *rows, size_t n)
{
    struct bg_sweep_row *sorted = malloc(n * sizeof *sorted);
    if (!sorted)
        return;
    memcpy(sorted, rows, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, by_score);
    printf("\n%5s  %-8s  %7s  %7s  %7s  %7s  %s\n", "trial", "status", "val_bpb", "spread", "steps", "time", "flags");
    for (size_t i = 0; i < n; i++) {
        const struct bg_sweep_row *r = &sorted[i];
        char bpb[16] = "-", spread[16] = "-", steps[16], time[FORMAT_LEN];
        if (isfinite(r->val_bpb))
            snprintf(bpb, sizeof bpb, "%.4f", r->val_bpb);
        if (isfinite(r->spread))
            snprintf(spread, sizeof spread, "%.4f", r->spread);
        format_count(steps, sizeof steps, r->steps);
        format_duration(time, sizeof time, r->seconds);
        printf("%5zu  %-8s  %7s  %7s  %7s  %7s  %s%s%s\n", r->trial, sweep_status_name(r->status), bpb, spread, steps,
               time, sweep_view_flags(r->flags), r->status == BG_SWEEP_CRASH ? ": " : "",
               r->status == BG_SWEEP_CRASH ? r->note : "");
    }
    free(sorted);
}

static void print_end(const struct bg_sweep *s, const struct bg_sweep_def *d, const struct sweep_flags *f)
{
    size_t n, best = 0;
    const struct bg_sweep_row *rows = sweep_rows(s, &n);
    print_table(rows, n);
    for (size_t i = 0; i < n; i++)
        if ((rows[i].status == BG_SWEEP_KEEP || rows[i].status == BG_SWEEP_BASELINE) &&
            (!best || rows[i].val_bpb < rows[best - 1].val_bpb))
            best = i + 1;
    if (best) {
        char cmd[8192];
        sweep_command(s, best, cmd, sizeof cmd);
        printf("\nbest: trial %zu, %.4f bits per byte on the held-out bytes%s\n  %s\n", best,
               rows[best - 1].val_bpb, best == 1 ? " (the baseline: nothing beat it by more than noise)" : "", cmd);
    }
    struct bg_plot_options opt = BG_PLOT_OPTIONS_DEFAULT;
    opt.x = d->base.value.time_budget > 0 ? BG_PLOT_X_TIME : BG_PLOT_X_TOKENS;
    char *chart = NULL;
    struct bg_error err = {0};
    if (sweep_chart(s, &opt, &chart, &err) == BG_OK)
        printf("\nvalidation curves of the trials (also in %s/sweep.svg):\n%s", f->out, chart);
    else
        fprintf(stderr, "warning: no chart: %s\n", err.msg);
    free(chart);
    struct bg_sweep_info in;
    sweep_info(s, &in);
    if (in.runs > 0 && in.seconds > 0) {
        char el[FORMAT_LEN], two[FORMAT_LEN];
        double per_hour = 3600.0 * (double)in.runs / in.seconds;
        printf("\nthis session: %zu runs in %s, %.1f runs an hour: about %s fit in two days (%zu job%s x %d "
               "thread%s)\n", in.runs, format_duration(el, sizeof el, in.seconds), per_hour,
               format_grouped(two, sizeof two, 48 * per_hour), f->jobs, f->jobs == 1 ? "" : "s", in.threads,
               in.threads == 1 ? "" : "s");
    }
}

/* ---- The command ---- */

static int run(int argc, char **argv)
{
    if (args_wants_help(argc, argv, 1)) {
        cli_print_help(&cli_cmd_sweep);
        return 0;
    }
    struct sweep_flags f;
    static struct bg_sweep_def def; /* large (paths, grids): not on the stack */
    struct bg_error err = {0};
    if (read_definition(argc, argv, &f, &def, &err))
        return cli_report(&err);
    common_passive_openmp(argc, argv, f.jobs, f.threads);
    char default_out[64];
    if (!f.out) {
        time_t now = time(NULL);
        strftime(default_out, sizeof default_out, "sweeps/sweep-%Y%m%d-%H%M%S", localtime(&now));
        f.out = default_out;
    }
    struct sweep_view view = {isatty(STDOUT_FILENO), 0};
    struct bg_sweep_options opt = {f.out, f.jobs, (int)f.threads, &common_stop_signal, sweep_view_event, &view,
                                   {.nan_at = f.test_nan_at}};
    struct bg_sweep *s;
    common_catch_stop();
    if (sweep_open(&s, &def, &opt, &err))
        return cli_report(&err);
    machine_announce_blas();
    struct bg_sweep_info in;
    char held[FORMAT_LEN];
    sweep_info(s, &in);
    printf("sweep %s: %zu trial%s planned ahead%s, %s over %zu seed%s; every trial scored on the first "
           "%s of the validation text; %zu job%s x %d thread%s\n", f.out, in.planned, in.planned == 1 ? "" : "s",
           def.greedy_n || def.propose[0] ? " (more to come)" : "",
           def.every_seed && def.seeds > 1 ? "every trial" : "the baseline", def.seeds, def.seeds == 1 ? "" : "s",
           format_bytes(held, sizeof held, (double)in.heldout_bytes), f.jobs, f.jobs == 1 ? "" : "s", in.threads,
           in.threads == 1 ? "" : "s");
    int code = sweep_run(s, &err) ? cli_report(&err) : 0;
    sweep_view_end_live(&view);
    if (!code && sweep_stopped(s)) {
        int sig = sweep_stopped(s);
        printf("stopped by %s; every run's checkpoint is saved\ncontinue with: bytegpt sweep --out %s --resume\n",
               sig == SIGINT ? "SIGINT" : "SIGTERM", f.out);
        code = 128 + sig;
    } else if (!code) {
        print_end(s, &def, &f);
    }
    sweep_close(s);
    return code;
}

const struct cli_command cli_cmd_sweep = {"sweep", "the experiment loop: short runs scored alike, kept or discarded",
                                          help, run};
