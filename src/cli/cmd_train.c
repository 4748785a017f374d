/* train: the pre-training loop people run. The run itself (corpus,
 * model, the loop, its files) is the library's run module; this command
 * reads the flags, shows a live progress line and a summary, turns
 * SIGINT/SIGTERM into a stop after the step, and picks the exit code. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bytegpt/cost.h"
#include "bytegpt/dist.h"
#include "bytegpt/format.h"
#include "bytegpt/run.h"
#include "cli.h"
#include "common.h"
#include "machine.h"

static const char help[] =
    "usage: bytegpt train --corpus PATH [--out DIR] [--preset NAME] [model flags]\n"
    "                     [--steps N | --flop-budget F] [--time-budget 5m] [optimiser flags]\n"
    "                     [--resume | --init-from CKPT]\n"
    "\n"
    "Pre-trains a byte-level GPT on PATH (a .gz or text file, or a folder of\n"
    "them) and leaves a run folder: log.csv, ckpt.bin, best.bin, samples.txt,\n"
    "config.txt. Ctrl-C finishes the step, saves and exits; --resume continues.\n"
    "Under mpirun -np N, N processes train one model: the same update as one\n"
    "process with --accum N*accum (see the README).\n"
    "\n"
    "model:\n" COMMON_MODEL_HELP
    "run:\n"
    "  --corpus PATH      training text (required, except with --resume)\n"
    "  --out DIR          run folder (default runs/run-YYYYmmdd-HHMMSS)\n"
    "  --accum K          micro-batches summed per update (default 1)\n"
    "  --steps N          updates (default: the preset's); 0 only writes the freshly\n"
    "                     initialised model (ckpt.bin at step 0), to look at it untrained\n"
    "  --time-budget T    stop after T of wall time (90s, 5m, 1h); the cosine follows the\n"
    "                     elapsed fraction; with --steps too, whichever ends first wins\n"
    "  --flop-budget F    train for F FLOPs (3e13), counted as the log's flops column:\n"
    "                     the most steps that fit, so that the run ends within one\n"
    "                     step of F and the schedule spans them; not with --steps\n"
    "  --seed S           fixes init, batches and samples (default 1337)\n"
    "  --threads N        OpenBLAS and OpenMP threads (default: all cores, shared among\n"
    "                     the processes on a machine under mpirun)\n"
    "  --resume           continue the run in --out exactly where its checkpoint left it\n"
    "  --init-from CKPT   start from a checkpoint's weights (fresh optimiser and schedule)\n"
    "optimiser:\n"
    "  --lr X --min-lr X  peak and final learning rate (warmup, then cosine)\n"
    "  --warmup N         warmup steps\n"
    "  --wd X             AdamW weight decay on matrices and embeddings (default 0.1)\n"
    "  --beta1 X --beta2 X  AdamW betas (default 0.9, 0.95)\n"
    "  --clip X           clip the global gradient norm to X (default 1; 0: off)\n"
    "  --optim adamw|muon muon: Muon for the blocks' matrices, AdamW for the rest\n"
    "  --muon-lr X        Muon's learning rate (default 0.02; no warmup, same decay)\n"
    "  --schedule cosine|wsd  after warmup: cosine to min-lr, or stable then a linear\n"
    "                     decay over the last --decay share of the run (default 0.3)\n"
    "recipe (the first choice of each is GPT-2's, the default):\n"
    "  --norm layernorm|rmsnorm   --pos learned|rotary   --qk-norm off|on\n"
    "  --act gelu|relu2   --head tied|untied (untied: the head and the blocks' output\n"
    "                     projections start at zero)   --bigram off|on (a byte-pair\n"
    "                     embedding)   --softcap X (logits X*tanh(logits/X); 0: off)\n"
    "every:\n"
    "  --eval-every N     validation every N steps and at the end\n"
    "  --eval-batches N   validation batches per evaluation\n"
    "  --sample-every N   a sample into samples.txt every N steps\n"
    "  --ckpt-every N     a checkpoint every N steps and at the end\n";

/* ---- Flags ---- */

/* The run's own flags, then one string flag per setting (settings.h),
 * which the settings module parses so that train and sweep read values
 * alike. The two --test-* flags are the run's test seams (struct
 * bg_run_seams in run.h): for the tests, and left out of the help. */
#define N_RUN_SPECS 7
#define N_TRAIN_SPECS (N_RUN_SPECS + BG_N_SETTINGS)

struct train_flags {
    const char *corpus, *out, *init_from, *preset;
    int resume;
    struct bg_run_seams seams;
    const char *values[BG_N_SETTINGS];
};

static void train_specs(struct train_flags *f, struct arg_spec s[N_TRAIN_SPECS])
{
    struct arg_spec run[N_RUN_SPECS] = {
        {"corpus", ARG_STRING, &f->corpus, 0, 0},       {"out", ARG_STRING, &f->out, 0, 0},
        {"init-from", ARG_STRING, &f->init_from, 0, 0}, {"resume", ARG_BOOL, &f->resume, 0, 0},
        {"preset", ARG_STRING, &f->preset, 0, 0},
        {"test-nan-at", ARG_U64, &f->seams.nan_at, 0, 0},
        {"test-dist-chunk", ARG_SIZE, &f->seams.dist_chunk, 0, 0},
    };
    memcpy(s, run, sizeof run);
    for (int i = 0; i < BG_N_SETTINGS; i++)
        s[N_RUN_SPECS + i] = (struct arg_spec){settings_name(i), ARG_STRING, &f->values[i], 0, 0};
}

static int read_flags(int argc, char **argv, struct train_flags *f, struct bg_settings *set, struct bg_error *err)
{
    struct arg_spec specs[N_TRAIN_SPECS];
    size_t n_pos;
    memset(f, 0, sizeof *f);
    memset(set, 0, sizeof *set);
    train_specs(f, specs);
    int rc = args_parse("train", argc, argv, 1, specs, N_TRAIN_SPECS, NULL, 0, &n_pos, err);
    if (!rc && f->preset)
        rc = settings_set(set, "preset", f->preset, "train", err);
    for (int i = 0; i < BG_N_SETTINGS && !rc; i++)
        if (f->values[i])
            rc = settings_set(set, settings_name(i), f->values[i], "train", err);
    if (rc)
        return rc;
    if (f->resume && f->init_from)
        return bg_fail(err, BG_ERR_INPUT,
                       "--resume and --init-from exclude each other: resume continues a run, init-from starts one");
    if (f->resume && !f->out)
        return bg_fail(err, BG_ERR_INPUT, "--resume needs --out DIR, the run folder to continue");
    return BG_OK;
}

/* ---- What the user sees ---- */

static void print_start(const struct bg_run *r)
{
    const struct bg_corpus_info *in = &r->corpus_info;
    const struct bg_train_config *c = &r->trainer.cfg;
    char a[32], b[32], v[32], fl[32];
    printf("corpus: %s, %s of text in %zu shard%s; train %s, validation %s (%s)\n", r->state.corpus,
           format_bytes(a, sizeof a, (double)in->total_bytes), in->n_shards, in->n_shards == 1 ? "" : "s",
           format_bytes(b, sizeof b, (double)in->train_bytes), format_bytes(v, sizeof v, (double)in->val_bytes),
           in->is_folder ? "every tenth shard" : "the last 10%");
    struct bg_memory mem;
    model_memory(&c->model, c->batch, &mem);
    char shape[BG_CONFIG_DESCRIBE_LEN];
    printf("model: %s: %zu parameters, %s of memory, %s per token\n",
           config_describe(&c->model, shape, sizeof shape), config_num_params(&c->model),
           format_bytes(a, sizeof a, (double)mem.total),
           format_si(fl, sizeof fl, config_flops_per_token(&c->model), "FLOP"));
    size_t ranks = r->trainer.ranks;
    char procs[48] = "";
    if (ranks > 1)
        snprintf(procs, sizeof procs, " x %zu processes", ranks);
    printf("training: batch %zu x accum %zu%s x ctx %zu = %zu tokens per step, lr %g -> %g, warmup %llu, seed %llu\n",
           c->batch, c->accum, procs, c->model.ctx, c->batch * c->accum * ranks * c->model.ctx, c->lr, c->min_lr,
           (unsigned long long)c->warmup, (unsigned long long)c->seed);
    if (c->flop_budget > 0)
        printf("flop budget %.3g: %llu steps of %.4g FLOP each (the most whose FLOPs fit)\n", c->flop_budget,
               (unsigned long long)c->steps, cost_step_flops(c, ranks));
    if (ranks > 1) {
        int threads = c->threads > 0 ? c->threads : dist_default_threads();
        printf("processes: %zu (%d on this machine), %d thread%s each\n", ranks, dist_local_size(), threads,
               threads == 1 ? "" : "s");
    }
    if (r->resumed)
        printf("resuming %s at step %llu\n", r->out, (unsigned long long)r->state.step);
    printf("run folder: %s\n", r->out);
}

static void print_progress(const struct bg_run *r, const struct bg_run_report *rep, double last_bpb, int tty)
{
    const struct bg_train_config *c = &r->trainer.cfg;
    const struct bg_log_row *row = &rep->row;
    char fl[32], el[32], eta[32], pos[48], bpb[32] = "-";
    double p = rep->progress, elapsed = row->elapsed_s;
    format_duration(el, sizeof el, elapsed);
    format_duration(eta, sizeof eta, p > 0 ? elapsed * (1 - p) / p : 0);
    if (c->time_budget > 0) {
        char b[32];
        snprintf(pos, sizeof pos, "step %llu, %s/%s", (unsigned long long)row->step, el,
                 format_duration(b, sizeof b, c->time_budget));
    } else {
        snprintf(pos, sizeof pos, "step %llu/%llu", (unsigned long long)row->step, (unsigned long long)c->steps);
    }
    if (!isnan(last_bpb))
        snprintf(bpb, sizeof bpb, "%.3f", last_bpb);
    printf("%s%s | loss %.4f | val bpb %s | %.0f tok/s | %s | %s elapsed | ETA %s%s", tty ? "\r\033[K" : "", pos,
           row->train_loss, bpb, row->tokens_per_s, format_si(fl, sizeof fl, row->flops, "FLOP"), el, eta,
           tty ? "" : "\n");
    fflush(stdout);
}

static void print_summary(const struct bg_run *r, double elapsed)
{
    const struct bg_train_config *c = &r->trainer.cfg;
    double tokens = (double)r->trainer.tokens;
    struct bg_cost bill;
    double steps = (double)r->trainer.step, flops = cost_train_flops(c, tokens, steps);
    /* The rate is this run's own, FLOPs over wall time, evaluations included. */
    cost_bill(&c->model, c->batch, tokens, elapsed > 0 ? flops / elapsed : 1.0, &bill);
    cost_add_optimizer(&bill, c, steps);
    char el[32], fl[32], tk[32];
    /* The newline ends the progress line, which a terminal leaves open. */
    printf("\ndone: %llu steps, %s tokens, %s, %s", (unsigned long long)r->trainer.step,
           format_count(tk, sizeof tk, tokens), format_duration(el, sizeof el, elapsed),
           format_si(fl, sizeof fl, bill.flops, "FLOP"));
    if (c->flop_budget > 0)
        printf(" of a %.3g FLOP budget", c->flop_budget);
    printf(" (%.3g FLOP per token: 6N + 6*L*ctx*C", bill.flops_per_token);
    if (bill.optimizer_flops > 0)
        printf(", and %.3g per step: Muon's Newton-Schulz", bill.optimizer_flops);
    printf(")\n");
    if (r->trainer.ranks > 1)
        printf("all-reduce: %.3g s of the %s (%.1f%%) on rank 0, waiting for the other processes included\n",
               dist_reduce_seconds(), format_duration(el, sizeof el, elapsed),
               elapsed > 0 ? 100.0 * dist_reduce_seconds() / elapsed : 0.0);
    printf("final train loss %.4f nats (%.3f bits per byte)", r->last_train, r->last_train / log(2.0));
    if (!isnan(r->last_val))
        printf(", validation %.4f nats (%.3f bits per byte)", r->last_val, r->last_val / log(2.0));
    printf("\n");
    if (bill.flops <= 0)
        return;
    /* The same bill as `bytegpt info`, for the run just done. */
    char kernels[64];
    printf("compute: %.3g FLOP at %.1f GFLOP/s (this run's rate, evaluations included, on %s); pre-training at "
           "scale:\n",
           bill.flops, bill.rate / 1e9, machine_kernel_words(kernels, sizeof kernels));
    for (int i = 0; i < BG_COST_N_REFS; i++) {
        char t[32];
        printf("  %-11s %.3g FLOP = %.3g x this run = %s at this rate\n", bill.refs[i].name, bill.refs[i].flops,
               bill.refs[i].ratio, format_duration(t, sizeof t, bill.refs[i].seconds));
    }
}

/* ---- The loop ---- */

/* A failure in the loop of a run of several processes: the rank that met
 * it says why and ends the whole job at once, since the others may be
 * waiting for it in the next all-reduce. For a NaN loss, which every rank
 * meets at the same step (after the all-reduce), that is rank 0; the
 * others' message is empty and they leave it to rank 0. */
static int end_together(const struct bg_error *err)
{
    if (dist_size() > 1 && err->msg[0])
        dist_abort(err->code);
    return err->code;
}

/* Steps until the run is done or stopped, printing progress at most every
 * 10 s off a terminal (and at each evaluation and the end). Returns the
 * exit code. Under mpirun, standard output is a terminal that mpirun
 * reads and passes on, but stops reading when it is told to end the job:
 * a rank 0 that wrote a line every step would soon block on the full
 * terminal and never save. So several processes print as off a terminal. */
static int train_steps(struct bg_run *r, int tty)
{
    struct bg_error err = {0};
    double last_print = -1e9, last_bpb = NAN;
    while (!run_finished(r)) {
        struct bg_run_report rep;
        if (run_step(r, &rep, &err)) {
            if (tty)
                printf("\n");
            cli_report(&err);
            if (r->writer)
                fprintf(stderr, "the last good checkpoint is %s (step %llu)\n", r->ckpt_path,
                        (unsigned long long)r->state.step);
            return end_together(&err);
        }
        if (rep.events & BG_RUN_EVALUATED)
            last_bpb = rep.row.val_bpb;
        if (tty || rep.row.elapsed_s - last_print >= 10.0 || (rep.events & (BG_RUN_EVALUATED | BG_RUN_LAST))) {
            print_progress(r, &rep, last_bpb, tty);
            last_print = rep.row.elapsed_s;
        }
    }
    struct bg_error warning = {0};
    if (run_finish(r, &warning, &err)) {
        if (tty)
            printf("\n");
        cli_report(&err);
        return end_together(&err);
    }
    print_summary(r, run_elapsed(r));
    if (warning.msg[0])
        fprintf(stderr, "warning: no loss.svg: %s\n", warning.msg);
    if (!common_stop_signal)
        return 0;
    printf("stopped by %s after step %llu; checkpoint saved in %s\nresume with: bytegpt train --out %s --resume\n",
           common_stop_signal == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)r->trainer.step, r->ckpt_path,
           r->out);
    return 128 + common_stop_signal;
}

static int run(int argc, char **argv)
{
    if (args_wants_help(argc, argv, 1)) {
        cli_print_help(&cli_cmd_train);
        return 0;
    }
    struct train_flags f;
    struct bg_settings set;
    struct bg_error err = {0};
    if (read_flags(argc, argv, &f, &set, &err))
        return cli_report(&err);
    char default_out[64];
    if (!f.out) {
        time_t now = time(NULL);
        strftime(default_out, sizeof default_out, "runs/run-%Y%m%d-%H%M%S", localtime(&now));
        f.out = default_out;
    }
    static struct bg_run r; /* large (paths, state): not on the stack */
    struct bg_run_options opt = {f.out, f.corpus, f.init_from, f.resume, &set, &common_stop_signal, f.seams};
    if (run_open(&r, &opt, &err))
        return cli_report(&err);
    /* Once the run is open, so that a refused run says only why. */
    machine_announce_blas();
    common_catch_stop();
    print_start(&r);
    int code = 0;
    if (r.init_only)
        printf("initialised the model (--steps 0): %s holds it at step 0, untrained\n", r.ckpt_path);
    else
        code = train_steps(&r, isatty(STDOUT_FILENO) && dist_size() == 1);
    if (run_close(&r, &err) && code == 0)
        code = cli_report(&err);
    return code;
}

const struct cli_command cli_cmd_train = {"train", "pre-train a model on a corpus", help, run};
