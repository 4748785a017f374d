/* train: the pre-training loop people run. It opens the corpus, builds
 * or restores the model, and then, step after step, trains, logs,
 * evaluates, samples and checkpoints, showing a live progress line. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bytegpt/checkpoint.h"
#include "bytegpt/corpus.h"
#include "bytegpt/sampler.h"
#include "bytegpt/schedule.h"
#include "bytegpt/trainlog.h"
#include "cli.h"
#include "common.h"
#include "train_loop.h"

static const char help[] =
    "usage: bytegpt train --corpus PATH [--out DIR] [--preset NAME] [model flags]\n"
    "                     [--steps N | --time-budget 5m] [optimiser flags] [--resume | --init-from CKPT]\n"
    "\n"
    "Pre-trains a byte-level GPT on PATH (a .gz or text file, or a folder of\n"
    "them) and leaves a run folder: log.csv, ckpt.bin, best.bin, samples.txt,\n"
    "config.txt. Ctrl-C finishes the step, saves and exits; --resume continues.\n"
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
    "  --seed S           fixes init, batches and samples (default 1337)\n"
    "  --threads N        OpenBLAS and OpenMP threads (default: all cores)\n"
    "  --resume           continue the run in --out exactly where its checkpoint left it\n"
    "  --init-from CKPT   start from a checkpoint's weights (fresh optimiser and schedule)\n"
    "optimiser:\n"
    "  --lr X --min-lr X  peak and final learning rate (warmup, then cosine)\n"
    "  --warmup N         warmup steps\n"
    "  --wd X             AdamW weight decay on matrices and embeddings (default 0.1)\n"
    "  --beta1 X --beta2 X  AdamW betas (default 0.9, 0.95)\n"
    "  --clip X           clip the global gradient norm to X (default 1; 0: off)\n"
    "every:\n"
    "  --eval-every N     validation every N steps and at the end\n"
    "  --eval-batches N   validation batches per evaluation\n"
    "  --sample-every N   a sample into samples.txt every N steps\n"
    "  --ckpt-every N     a checkpoint every N steps and at the end\n";

/* ---- Flags ---- */

struct train_flags {
    struct common_model_flags mf;
    const char *corpus, *out, *init_from;
    size_t accum, threads;
    uint64_t steps, warmup, eval_every, eval_batches, sample_every, ckpt_every, seed;
    double budget, lr, min_lr, wd, beta1, beta2, clip;
    int resume;
};

#define N_TRAIN_SPECS 26

static void train_specs(struct train_flags *f, struct arg_spec s[N_TRAIN_SPECS])
{
    struct arg_spec list[N_TRAIN_SPECS] = {
        COMMON_MODEL_SPECS(f->mf),
        {"corpus", ARG_STRING, &f->corpus, 0, 0},     {"out", ARG_STRING, &f->out, 0, 0},
        {"init-from", ARG_STRING, &f->init_from, 0, 0}, {"accum", ARG_SIZE, &f->accum, 0, 0},
        {"threads", ARG_SIZE, &f->threads, 0, 0},     {"steps", ARG_U64, &f->steps, 0, 0},
        {"warmup", ARG_U64, &f->warmup, 0, 0},        {"eval-every", ARG_U64, &f->eval_every, 0, 0},
        {"eval-batches", ARG_U64, &f->eval_batches, 0, 0}, {"sample-every", ARG_U64, &f->sample_every, 0, 0},
        {"ckpt-every", ARG_U64, &f->ckpt_every, 0, 0}, {"seed", ARG_U64, &f->seed, 0, 0},
        {"time-budget", ARG_DURATION, &f->budget, 0, 0}, {"lr", ARG_FLOAT, &f->lr, 0, 0},
        {"min-lr", ARG_FLOAT, &f->min_lr, 0, 0},      {"wd", ARG_FLOAT, &f->wd, 0, 0},
        {"beta1", ARG_FLOAT, &f->beta1, 0, 0},        {"beta2", ARG_FLOAT, &f->beta2, 0, 0},
        {"clip", ARG_FLOAT, &f->clip, 0, 0},          {"resume", ARG_BOOL, &f->resume, 0, 0},
    };
    memcpy(s, list, sizeof list);
}

/* Lays the run flags the user gave over cfg (the preset's values). */
static int apply_run_flags(const struct train_flags *f, const struct arg_spec *s, struct bg_train_config *cfg,
                           struct bg_error *err)
{
#define GIVEN(name) args_find(s, N_TRAIN_SPECS, name)->seen
    if (GIVEN("accum")) cfg->accum = f->accum;
    if (GIVEN("threads")) cfg->threads = (int)f->threads;
    if (GIVEN("steps")) cfg->steps = f->steps;
    if (GIVEN("time-budget")) {
        cfg->time_budget = f->budget;
        if (!GIVEN("steps"))
            cfg->steps = 0; /* the budget alone decides the length */
    }
    if (GIVEN("warmup"))
        cfg->warmup = f->warmup;
    else if (cfg->steps > 0 && cfg->warmup > cfg->steps / 10)
        cfg->warmup = cfg->steps / 10; /* a short run keeps a tenth of itself for warmup */
    if (GIVEN("eval-every")) cfg->eval_every = f->eval_every;
    if (GIVEN("eval-batches")) cfg->eval_batches = f->eval_batches;
    if (GIVEN("sample-every")) cfg->sample_every = f->sample_every;
    if (GIVEN("ckpt-every")) cfg->ckpt_every = f->ckpt_every;
    if (GIVEN("seed")) cfg->seed = f->seed;
    if (GIVEN("lr")) {
        cfg->lr = f->lr;
        if (!GIVEN("min-lr"))
            cfg->min_lr = f->lr / 10; /* keep the preset's ratio of 10 */
    }
    if (GIVEN("min-lr")) cfg->min_lr = f->min_lr;
    if (GIVEN("wd")) cfg->weight_decay = f->wd;
    if (GIVEN("beta1")) cfg->beta1 = f->beta1;
    if (GIVEN("beta2")) cfg->beta2 = f->beta2;
    if (GIVEN("clip")) cfg->clip = f->clip;
    if (GIVEN("steps") && f->steps == 0) {
        cfg->steps = 1; /* --steps 0 (initialise only) stops before the loop */
        cfg->warmup = 0;
    }
#undef GIVEN
    return train_config_validate(cfg, err);
}

/* ---- The run folder ---- */

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* mkdir -p: creates dir and its missing parents. */
static int make_dirs(const char *dir, struct bg_error *err)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return bg_fail(err, BG_ERR_INPUT, "cannot create folder %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return bg_fail(err, BG_ERR_INPUT, "cannot create folder %s: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return bg_fail(err, BG_ERR_INPUT, "--out %s exists and is not a folder", dir);
    return BG_OK;
}

static void run_paths(struct train_run *r, const char *out)
{
    r->out = out;
    snprintf(r->ckpt_path, sizeof r->ckpt_path, "%s/ckpt.bin", out);
    snprintf(r->best_path, sizeof r->best_path, "%s/best.bin", out);
    snprintf(r->samples_path, sizeof r->samples_path, "%s/samples.txt", out);
}

/* config.txt: the run in words, for people; --resume reads back the
 * corpus line from it. */
static int write_config(const struct train_run *r, const char *corpus_path, const struct bg_corpus_info *in,
                        const char *preset, struct bg_error *err)
{
    const struct bg_train_config *c = &r->trainer.cfg;
    char path[4200];
    snprintf(path, sizeof path, "%s/config.txt", r->out);
    FILE *f = fopen(path, "w");
    if (!f)
        return bg_fail(err, BG_ERR_RUNTIME, "cannot write %s: %s", path, strerror(errno));
    fprintf(f, "# bytegpt run configuration (written at the start of the run)\n");
    fprintf(f, "corpus = %s\n", corpus_path);
    fprintf(f, "corpus_bytes = %llu\ntrain_bytes = %llu\nval_bytes = %llu\nshards = %zu\n",
            (unsigned long long)in->total_bytes, (unsigned long long)in->train_bytes,
            (unsigned long long)in->val_bytes, in->n_shards);
    fprintf(f, "preset = %s\nlayers = %zu\nheads = %zu\ndim = %zu\nctx = %zu\nvocab = %zu\nparameters = %zu\n",
            preset, c->model.L, c->model.NH, c->model.C, c->model.ctx, c->model.V, config_num_params(&c->model));
    fprintf(f, "batch = %zu\naccum = %zu\nsteps = %llu\ntime_budget_s = %g\n", c->batch, c->accum,
            (unsigned long long)c->steps, c->time_budget);
    fprintf(f, "lr = %g\nmin_lr = %g\nwarmup = %llu\nweight_decay = %g\nbeta1 = %g\nbeta2 = %g\nclip = %g\n", c->lr,
            c->min_lr, (unsigned long long)c->warmup, c->weight_decay, c->beta1, c->beta2, c->clip);
    fprintf(f, "eval_every = %llu\neval_batches = %llu\nsample_every = %llu\nckpt_every = %llu\n",
            (unsigned long long)c->eval_every, (unsigned long long)c->eval_batches,
            (unsigned long long)c->sample_every, (unsigned long long)c->ckpt_every);
    fprintf(f, "seed = %llu\nthreads = %d\n", (unsigned long long)c->seed, c->threads);
    if (fclose(f) != 0)
        return bg_fail(err, BG_ERR_RUNTIME, "cannot write %s: %s", path, strerror(errno));
    return BG_OK;
}

/* Reads the corpus path back from a run's config.txt. */
static int read_config_corpus(const char *out, char *corpus, size_t n, struct bg_error *err)
{
    char path[4200], line[4300];
    snprintf(path, sizeof path, "%s/config.txt", out);
    FILE *f = fopen(path, "r");
    if (!f)
        return bg_fail(err, BG_ERR_INPUT, "cannot read %s (needed to resume): %s; pass --corpus", path,
                       strerror(errno));
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, "corpus = ", 9) == 0) {
            line[strcspn(line, "\n")] = '\0';
            size_t len = strlen(line + 9) < n ? strlen(line + 9) : n - 1;
            memcpy(corpus, line + 9, len);
            corpus[len] = '\0';
            found = 1;
        }
    }
    fclose(f);
    return found ? BG_OK : bg_fail(err, BG_ERR_INPUT, "%s has no corpus line; pass --corpus", path);
}

/* ---- Resolving the configuration ---- */

/* On --resume, flags that would change the model, the data order or the
 * schedule must agree with the checkpoint: the run would not be the same
 * run otherwise. Threads and the every-N settings may change. */
static int check_resume_flags(const struct train_flags *f, const struct arg_spec *s, const struct bg_train_config *have,
                              struct bg_error *err)
{
    struct bg_train_config want = *have;
    int rc = BG_OK;
    if (args_find(s, N_TRAIN_SPECS, "preset")->seen) {
        struct bg_train_config p;
        if ((rc = train_preset(f->mf.preset, &p, err)))
            return rc;
        want.model = p.model;
        want.batch = p.batch;
    }
    const struct common_model_flags *m = &f->mf;
    size_t *fields[5] = {&want.model.L, &want.model.NH, &want.model.C, &want.model.ctx, &want.batch};
    const size_t values[5] = {m->layers, m->heads, m->dim, m->ctx, m->batch};
    const char *names[5] = {"layers", "heads", "dim", "ctx", "batch"};
    for (int i = 0; i < 5; i++)
        if (args_find(s, N_TRAIN_SPECS, names[i])->seen)
            *fields[i] = values[i];
    if ((rc = apply_run_flags(f, s, &want, err)))
        return rc;
    struct {
        const char *flag;
        int differs;
    } checks[] = {
        {"layers (or --preset)", want.model.L != have->model.L},  {"heads (or --preset)", want.model.NH != have->model.NH},
        {"dim (or --preset)", want.model.C != have->model.C},     {"ctx (or --preset)", want.model.ctx != have->model.ctx},
        {"batch", want.batch != have->batch},                {"accum", want.accum != have->accum},
        {"seed", want.seed != have->seed},                   {"steps", want.steps != have->steps},
        {"time-budget", want.time_budget != have->time_budget}, {"lr", want.lr != have->lr},
        {"min-lr", want.min_lr != have->min_lr},             {"warmup", want.warmup != have->warmup},
        {"wd", want.weight_decay != have->weight_decay},     {"beta1", want.beta1 != have->beta1},
        {"beta2", want.beta2 != have->beta2},                {"clip", want.clip != have->clip},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (checks[i].differs)
            return bg_fail(err, BG_ERR_INPUT,
                           "--%s differs from the checkpoint's run; a resumed run keeps its settings "
                           "(start a new run with --init-from to change them)",
                           checks[i].flag);
    return BG_OK;
}

/* The model flags given with --init-from must match the checkpoint's
 * model, whose shape the weights fix. */
static int check_init_model(const struct train_flags *f, const struct arg_spec *s, const struct bg_config *ck,
                            struct bg_train_config *cfg, struct bg_error *err)
{
    const char *names[4] = {"layers", "heads", "dim", "ctx"};
    const size_t given[4] = {f->mf.layers, f->mf.heads, f->mf.dim, f->mf.ctx};
    const size_t have[4] = {ck->L, ck->NH, ck->C, ck->ctx};
    for (int i = 0; i < 4; i++)
        if (args_find(s, N_TRAIN_SPECS, names[i])->seen && given[i] != have[i])
            return bg_fail(err, BG_ERR_INPUT, "--%s %zu differs from the --init-from checkpoint's %zu", names[i],
                           given[i], have[i]);
    cfg->model = *ck;
    return BG_OK;
}

/* ---- Starting a run ---- */

/* The configuration of a new run: the preset, the flags over it, and
 * with --init-from the checkpoint's model shape. */
static int resolve_new(const struct train_flags *f, const struct arg_spec *s, struct bg_train_config *cfg,
                       struct bg_ckpt_state *init, struct bg_error *err)
{
    int rc = common_apply_model(&f->mf, s, N_TRAIN_SPECS, cfg, err);
    if (!rc && f->init_from) {
        if (!(rc = checkpoint_peek(f->init_from, init, err)))
            rc = check_init_model(f, s, &init->cfg.model, cfg, err);
    }
    if (!rc)
        rc = apply_run_flags(f, s, cfg, err);
    return rc;
}

/* Refuses to start a new run in a folder that holds one, and a resume in
 * a folder that holds none. */
static int check_folder(const struct train_run *r, int resume, struct bg_error *err)
{
    char log_path[4200];
    snprintf(log_path, sizeof log_path, "%s/log.csv", r->out);
    int has_ckpt = file_exists(r->ckpt_path), has_log = file_exists(log_path);
    if (!resume && (has_ckpt || has_log))
        return bg_fail(err, BG_ERR_INPUT, "%s already holds a run; continue it with --resume or pick a new --out",
                       r->out);
    if (resume && !has_ckpt)
        return bg_fail(err, BG_ERR_INPUT, "%s holds %s; nothing to resume (start a new run without --resume)", r->out,
                       has_log ? "a log but no checkpoint" : "neither a checkpoint nor a log");
    return BG_OK;
}

static void print_corpus(const char *path, const struct bg_corpus_info *in)
{
    char a[32], b[32], v[32];
    printf("corpus: %s, %s of text in %zu shard%s; train %s, validation %s (%s)\n", path,
           common_bytes(a, sizeof a, (double)in->total_bytes), in->n_shards, in->n_shards == 1 ? "" : "s",
           common_bytes(b, sizeof b, (double)in->train_bytes), common_bytes(v, sizeof v, (double)in->val_bytes),
           in->is_folder ? "every tenth shard" : "the last 10%");
}

static void print_model(const struct bg_train_config *c)
{
    struct bg_memory mem;
    model_memory(&c->model, c->batch, &mem);
    char a[32], fl[32];
    printf("model: %zu layers, %zu heads, dim %zu, ctx %zu: %zu parameters, %s of memory, %s per token\n",
           c->model.L, c->model.NH, c->model.C, c->model.ctx, config_num_params(&c->model),
           common_bytes(a, sizeof a, (double)mem.total), common_si(fl, sizeof fl, config_flops_per_token(&c->model), "FLOP"));
    printf("training: batch %zu x accum %zu x ctx %zu = %zu tokens per step, lr %g -> %g, warmup %llu, seed %llu\n",
           c->batch, c->accum, c->model.ctx, c->batch * c->accum * c->model.ctx, c->lr, c->min_lr,
           (unsigned long long)c->warmup, (unsigned long long)c->seed);
}

/* Builds the model's starting state: fresh weights, a resumed
 * checkpoint, or the weights of --init-from. */
static int start_state(struct train_run *r, const struct train_flags *f, struct bg_ckpt_state *init,
                       struct bg_error *err)
{
    struct bg_trainer *t = &r->trainer;
    if (f->resume) {
        struct bg_ckpt_state s;
        int rc = checkpoint_load(r->ckpt_path, &s, &t->model, err);
        if (rc)
            return rc;
        t->step = s.step;
        t->tokens = s.tokens;
        r->state = s;
        return corpus_set_pos(t->corpus, &s.pos, err);
    }
    memset(&r->state, 0, sizeof r->state);
    r->state.cfg = t->cfg;
    r->state.best_val = NAN;
    rng_seed(&r->state.sample_rng, t->cfg.seed, 3);
    if (f->init_from) {
        /* Only the weights: the optimiser's moments start from zero, as a
         * new run's do. */
        int rc = checkpoint_load(f->init_from, init, &t->model, err);
        memset(t->model.m, 0, t->model.num_params * sizeof(float));
        memset(t->model.v, 0, t->model.num_params * sizeof(float));
        return rc;
    }
    struct bg_rng init_rng;
    rng_seed(&init_rng, t->cfg.seed, 1);
    model_init_weights(&t->model, &init_rng);
    return BG_OK;
}

/* Opens the log: a new one, or the old one cut back to the checkpoint. */
static int open_log(struct train_run *r, int resume, struct bg_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/log.csv", r->out);
    if (resume && file_exists(path))
        return trainlog_resume(&r->log, path, r->state.step, err);
    return trainlog_create(&r->log, path, err);
}

static int start(struct train_run *r, const struct train_flags *f, const struct arg_spec *s, struct bg_error *err)
{
    struct bg_train_config cfg;
    struct bg_ckpt_state init;
    char corpus_path[4096];
    struct bg_corpus *corpus = NULL;
    int rc = check_folder(r, f->resume, err);
    if (rc)
        return rc;
    if (f->resume) {
        struct bg_ckpt_state peek;
        if ((rc = checkpoint_peek(r->ckpt_path, &peek, err)) || (rc = check_resume_flags(f, s, &peek.cfg, err)))
            return rc;
        cfg = peek.cfg;
        if (args_find(s, N_TRAIN_SPECS, "threads")->seen)
            cfg.threads = (int)f->threads;
        if ((rc = read_config_corpus(r->out, corpus_path, sizeof corpus_path, err)))
            return rc;
        if (f->corpus && strcmp(f->corpus, corpus_path) != 0)
            return bg_fail(err, BG_ERR_INPUT, "--corpus %s differs from the run's corpus %s", f->corpus, corpus_path);
    } else {
        if (!f->corpus)
            return bg_fail(err, BG_ERR_INPUT, "train needs --corpus PATH (try scripts/get_corpus.sh, then --corpus corpus/moby-dick.txt.gz)");
        if ((rc = resolve_new(f, s, &cfg, &init, err)))
            return rc;
        snprintf(corpus_path, sizeof corpus_path, "%s", f->corpus);
    }
    if ((rc = common_check_memory(&cfg.model, cfg.batch, err)))
        return rc;
    struct bg_corpus_options opt = {.ctx = cfg.model.ctx, .seed = cfg.seed};
    if ((rc = corpus_open(&corpus, corpus_path, &opt, err)))
        return rc;
    struct bg_corpus_info info;
    corpus_get_info(corpus, &info);
    print_corpus(corpus_path, &info);
    print_model(&cfg);
    train_set_threads(cfg.threads);
    if ((rc = trainer_init(&r->trainer, &cfg, corpus, err)))
        goto fail;
    if ((rc = start_state(r, f, &init, err)) || (rc = make_dirs(r->out, err)))
        goto fail;
    /* A new run writes its step-0 checkpoint first, so that a run folder
     * with a log always has a checkpoint to resume from. */
    if (!f->resume) {
        corpus_get_pos(corpus, &r->state.pos);
        if ((rc = checkpoint_save(r->ckpt_path, &r->state, &r->trainer.model, err)) ||
            (rc = write_config(r, corpus_path, &info, f->mf.preset ? f->mf.preset : "default", err)))
            goto fail;
    }
    if ((rc = open_log(r, f->resume, err)))
        goto fail;
    if (f->resume)
        printf("resuming %s at step %llu\n", r->out, (unsigned long long)r->state.step);
    printf("run folder: %s\n", r->out);
    return BG_OK;
fail:
    trainer_free(&r->trainer);
    corpus_close(corpus);
    r->trainer.corpus = NULL;
    return rc;
}

static int run(int argc, char **argv)
{
    if (args_wants_help(argc, argv, 1)) {
        cli_print_help(&cli_cmd_train);
        return 0;
    }
    struct train_flags f;
    memset(&f, 0, sizeof f);
    struct arg_spec specs[N_TRAIN_SPECS];
    train_specs(&f, specs);
    struct bg_error err = {0};
    size_t n_pos;
    if (args_parse("train", argc, argv, 1, specs, N_TRAIN_SPECS, NULL, 0, &n_pos, &err))
        return cli_report(&err);
    if (f.resume && f.init_from) {
        bg_fail(&err, BG_ERR_INPUT, "--resume and --init-from exclude each other: resume continues a run, init-from starts one");
        return cli_report(&err);
    }
    if (f.resume && !f.out) {
        bg_fail(&err, BG_ERR_INPUT, "--resume needs --out DIR, the run folder to continue");
        return cli_report(&err);
    }
    char default_out[64];
    if (!f.out) {
        time_t now = time(NULL);
        strftime(default_out, sizeof default_out, "runs/run-%Y%m%d-%H%M%S", localtime(&now));
        f.out = default_out;
    }
    struct train_run r;
    memset(&r, 0, sizeof r);
    r.interactive = isatty(STDOUT_FILENO);
    run_paths(&r, f.out);
    if (start(&r, &f, specs, &err))
        return cli_report(&err);
    int init_only = args_find(specs, N_TRAIN_SPECS, "steps")->seen && f.steps == 0 && !f.resume;
    int code = 0;
    if (init_only)
        printf("initialised the model (--steps 0): %s holds it at step 0, untrained\n", r.ckpt_path);
    else
        code = train_loop_run(&r);
    if (trainlog_close(&r.log, &err) && code == 0)
        code = cli_report(&err);
    corpus_close(r.trainer.corpus);
    trainer_free(&r.trainer);
    return code;
}

const struct cli_command cli_cmd_train = {"train", "pre-train a model on a corpus", help, run};
