/* run: opening and closing a run (see run.h): its configuration, its
 * model's starting state, and the order of the steps that open it. The
 * folder's files are in run_folder.c, the loop in run_loop.c. */
#include "bytegpt/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytegpt/clock.h"
#include "bytegpt/dist.h"
#include "bytegpt/format.h"
#include "bytegpt/modelfile.h"
#include "bytegpt/rng.h"
#include "run_dist.h"
#include "run_folder.h"
#include "run_page.h"

/* The loop's clock starts with the seconds trained before (a resumed
 * run's time budget continues). A step-counted run knows when its warmup
 * ends; a timed run learns it when warmup ends (run_step), and the
 * checkpoint keeps it. */
static void prepare_loop(struct bg_run *r)
{
    const struct bg_train_config *c = &r->trainer.cfg;
    r->t0 = clock_now() - r->state.elapsed;
    r->agreed_elapsed = r->state.elapsed;
    if (c->steps > 0 && c->time_budget <= 0)
        r->state.warmup_progress = (double)c->warmup / (double)c->steps;
}

/* ---- Resolving the configuration ---- */

/* On resume, settings that would change the model, the data order or the
 * schedule must agree with the checkpoint: the run would not be the same
 * run otherwise. Threads and the every-N settings may change. */
static int check_resume_settings(const struct bg_settings *s, const struct bg_train_config *have,
                                 struct bg_train_config *cfg, struct bg_error *err)
{
    struct bg_train_config want;
    int rc = settings_resolve_over(s, have, &want, err);
    if (rc)
        return rc;
    const enum bg_setting fixed[] = {BG_SET_LAYERS, BG_SET_HEADS, BG_SET_DIM, BG_SET_CTX, BG_SET_BATCH,
                                     BG_SET_ACCUM, BG_SET_SEED, BG_SET_STEPS, BG_SET_TIME_BUDGET,
                                     BG_SET_FLOP_BUDGET, BG_SET_LR, BG_SET_MIN_LR, BG_SET_WARMUP, BG_SET_WD,
                                     BG_SET_BETA1, BG_SET_BETA2, BG_SET_CLIP, BG_SET_NORM, BG_SET_POS,
                                     BG_SET_QK_NORM, BG_SET_ACT, BG_SET_HEAD, BG_SET_BIGRAM, BG_SET_SOFTCAP,
                                     BG_SET_OPTIM, BG_SET_MUON_LR, BG_SET_SCHEDULE, BG_SET_DECAY};
    /* A given setting is named before one it changed (a FLOP budget
     * given changes the steps), so that the message names a flag the user
     * typed. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
            if ((pass || settings_given(s, fixed[i])) && !settings_same(&want, have, fixed[i]))
                return bg_fail(err, BG_ERR_INPUT,
                               "--%s%s differs from the checkpoint's run; a resumed run keeps its settings "
                               "(start a new run with --init-from to change them)",
                               settings_name(fixed[i]),
                               fixed[i] <= BG_SET_CTX || fixed[i] >= BG_SET_NORM ? " (or --preset)" : "");
    /* What may change takes the new value: threads, and how often to
     * evaluate, sample and checkpoint. */
    *cfg = *have;
    for (enum bg_setting i = BG_SET_EVAL_EVERY; i <= BG_SET_THREADS; i++)
        if (settings_given(s, i) && i != BG_SET_SEED)
            settings_copy(cfg, &want, i);
    return BG_OK;
}

/* With --init-from, the checkpoint's weights fix the model's shape: the
 * model settings given must match it, and the rest come from the
 * settings as for a new run. */
static int resolve_init(const struct bg_settings *s, const char *init_from, struct bg_train_config *cfg,
                        struct bg_error *err)
{
    struct bg_ckpt_state *ck = malloc(sizeof *ck);
    if (!ck)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    int rc = checkpoint_peek(init_from, ck, err);
    /* The model's shape and its recipe: what the weights were made for. */
    const enum bg_setting shape[] = {BG_SET_LAYERS, BG_SET_HEADS, BG_SET_DIM,  BG_SET_CTX,    BG_SET_NORM,
                                     BG_SET_POS,    BG_SET_QK_NORM, BG_SET_ACT, BG_SET_HEAD,  BG_SET_BIGRAM,
                                     BG_SET_SOFTCAP};
    const int n_shape = (int)(sizeof shape / sizeof shape[0]);
    for (int i = 0; i < n_shape && !rc; i++)
        if (settings_given(s, shape[i]) && !settings_same(&s->value, &ck->cfg, shape[i])) {
            char a[32], b[32];
            settings_format(&s->value, shape[i], a, sizeof a);
            settings_format(&ck->cfg, shape[i], b, sizeof b);
            rc = bg_fail(err, BG_ERR_INPUT, "--%s %s differs from the --init-from checkpoint's %s",
                         settings_name(shape[i]), a, b);
        }
    if (!rc) {
        /* The checkpoint's shape becomes the base the settings resolve over. */
        struct bg_settings over = *s;
        for (int i = 0; i < n_shape; i++) {
            settings_copy(&over.value, &ck->cfg, shape[i]);
            over.given |= (uint64_t)1 << shape[i];
        }
        rc = settings_resolve(&over, cfg, err);
    }
    free(ck);
    return rc;
}

/* The configuration of the run and the corpus it reads. The settings
 * resolve for this run's processes, whose count fixes a step's tokens and
 * so the steps a FLOP budget buys. */
static int resolve(struct bg_run *r, const struct bg_run_options *o, struct bg_train_config *cfg,
                   struct bg_error *err)
{
    struct bg_settings set = *o->settings;
    set.ranks = (size_t)dist_size();
    if (o->resume) {
        int rc = checkpoint_peek(r->ckpt_path, &r->state, err);
        if (!rc)
            rc = run_dist_check_ranks(r, err);
        if (!rc)
            rc = check_resume_settings(&set, &r->state.cfg, cfg, err);
        if (!rc && o->corpus && strcmp(o->corpus, r->state.corpus) != 0)
            rc = bg_fail(err, BG_ERR_INPUT, "--corpus %s differs from the run's corpus %s", o->corpus,
                         r->state.corpus);
        return rc;
    }
    if (!o->corpus)
        return bg_fail(err, BG_ERR_INPUT,
                       "train needs --corpus PATH (try scripts/get_corpus.sh, then --corpus corpus/moby-dick.txt.gz)");
    if (strlen(o->corpus) >= sizeof r->state.corpus)
        return bg_fail(err, BG_ERR_INPUT, "--corpus path is too long");
    snprintf(r->state.corpus, sizeof r->state.corpus, "%s", o->corpus);
    /* --init-from names a checkpoint or a run folder, as --model does. */
    if (o->init_from) {
        int rc = modelfile_resolve(o->init_from, r->init_path, sizeof r->init_path, err);
        return rc ? rc : resolve_init(&set, r->init_path, cfg, err);
    }
    return settings_resolve(&set, cfg, err);
}

/* ---- The model's starting state ---- */

/* A resumed run continues exactly where its checkpoint left off, on the
 * same corpus: a changed corpus would silently change the batches. */
static int start_resumed(struct bg_run *r, struct bg_error *err)
{
    struct bg_trainer *t = &r->trainer;
    int rc = checkpoint_load(r->ckpt_path, &r->state, &t->model, err);
    if (rc)
        return rc;
    if (r->state.corpus_fingerprint != r->corpus_info.fingerprint || r->state.corpus_bytes != r->corpus_info.total_bytes)
        return bg_fail(err, BG_ERR_INPUT,
                       "the corpus %s has changed since the run began (now %llu bytes, fingerprint %08x; the "
                       "checkpoint's: %llu bytes, %08x); a resumed run must read the same text",
                       r->state.corpus, (unsigned long long)r->corpus_info.total_bytes, r->corpus_info.fingerprint,
                       (unsigned long long)r->state.corpus_bytes, (unsigned)r->state.corpus_fingerprint);
    t->step = r->state.step;
    t->tokens = r->state.tokens;
    return corpus_set_pos(t->corpus, &r->state.pos, err);
}

/* Fresh weights, or with --init-from a checkpoint's weights (its
 * optimiser moments start from zero, as a new run's do). */
static int start_new(struct bg_run *r, const char *init_from, struct bg_error *err)
{
    struct bg_trainer *t = &r->trainer;
    r->state.cfg = t->cfg;
    r->state.best_val = NAN;
    r->state.corpus_bytes = r->corpus_info.total_bytes;
    r->state.corpus_fingerprint = r->corpus_info.fingerprint;
    r->state.ranks = (uint64_t)dist_size();
    rng_seed(&r->state.sample_rng, t->cfg.seed, BG_STREAM_SAMPLE);
    if (init_from) {
        struct bg_ckpt_state *init = malloc(sizeof *init);
        if (!init)
            return bg_fail(err, BG_ERR_RUNTIME, "out of memory");
        int rc = checkpoint_load(init_from, init, &t->model, err);
        free(init);
        memset(t->model.m, 0, t->model.num_params * sizeof(float));
        memset(t->model.v, 0, t->model.num_params * sizeof(float));
        return rc;
    }
    struct bg_rng init_rng;
    rng_seed(&init_rng, t->cfg.seed, BG_STREAM_INIT);
    model_init_weights(&t->model, &init_rng);
    return BG_OK;
}

/* ---- Open and close ---- */

int run_check_memory(const struct bg_config *cfg, size_t batch, struct bg_error *err)
{
    struct bg_memory mem;
    model_memory(cfg, batch, &mem);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double have = pages > 0 && page > 0 ? (double)pages * (double)page : 0;
    char a[32], b[32];
    if (have > 0 && (double)mem.total > 0.9 * have)
        return bg_fail(err, BG_ERR_INPUT,
                       "the model needs %s of memory (parameters, gradients, AdamW moments and activations for "
                       "batch %zu) but this machine has %s; use a smaller --dim, --layers, --ctx or --batch",
                       format_bytes(a, sizeof a, (double)mem.total), batch, format_bytes(b, sizeof b, have));
    return BG_OK;
}

/* Builds the trainer on an open corpus and gives it its starting state. */
static int build(struct bg_run *r, const struct bg_run_options *o, const struct bg_train_config *cfg,
                 struct bg_corpus *corpus, struct bg_error *err)
{
    train_set_threads(cfg->threads);
    int rc = trainer_init(&r->trainer, cfg, corpus, (size_t)dist_rank(), (size_t)dist_size(), err);
    if (rc)
        return rc;
    /* Ranks other than 0 read no checkpoint: a fresh run initialises
     * itself from the seed, and the others get rank 0's weights and state
     * (run_dist_share_model). */
    if (!r->writer)
        rc = o->resume ? BG_OK : start_new(r, NULL, err);
    else
        rc = o->resume ? start_resumed(r, err) : start_new(r, o->init_from ? r->init_path : NULL, err);
    if (!rc && !(r->window = malloc(cfg->model.ctx)))
        rc = bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    return rc;
}

/* Rank 0's first look at the run folder: it locks a folder that exists
 * before anything in it is read (a new one is locked when it is made, in
 * make_folder, so that a refused run leaves no folder behind), checks it,
 * and resolves the configuration. */
static int open_folder(struct bg_run *r, const struct bg_run_options *o, struct bg_train_config *cfg,
                       struct bg_error *err)
{
    int rc = access(r->out, F_OK) == 0 ? run_lock_folder(r, err) : BG_OK;
    if (!rc)
        rc = run_check_folder(r, o->resume, err);
    return rc ? rc : resolve(r, o, cfg, err);
}

/* Rank 0 creates the run folder (a new run's) and its first files. */
static int make_folder(struct bg_run *r, const struct bg_run_options *o, struct bg_error *err)
{
    int rc = run_make_dirs(r->out, err);
    /* Two new runs may have raced to the same new folder: the one that
     * gets the lock second finds the other's run there. */
    if (!rc && r->lock_fd < 0 && !(rc = run_lock_folder(r, err)))
        rc = run_check_folder(r, o->resume, err);
    /* A new run writes its step-0 checkpoint first, so that a run folder
     * with a log always has a checkpoint to resume from. */
    if (!rc && !o->resume) {
        corpus_get_pos(r->trainer.corpus, &r->state.pos);
        const char *preset = o->settings->preset[0] ? o->settings->preset : "default";
        rc = checkpoint_save(r->ckpt_path, &r->state, &r->trainer.model, err);
        if (!rc)
            rc = run_write_config(r, preset, err);
    }
    return rc ? rc : run_open_files(r, err);
}

/* With several processes, each stage ends in an agreement that every
 * rank reaches, failed or not (run_dist.h); with one, the agreements
 * return the status they are given. */
int run_open(struct bg_run *r, const struct bg_run_options *o, struct bg_error *err)
{
    memset(r, 0, sizeof *r);
    r->stop = o->stop;
    r->nan_at = o->seams.nan_at;
    dist_set_chunk(o->seams.dist_chunk);
    r->resumed = o->resume;
    r->writer = dist_rank() == 0;
    r->last_train = r->last_val = NAN;
    struct bg_train_config cfg;
    struct bg_corpus *corpus = NULL;
    r->lock_fd = -1;
    int rc = run_set_paths(r, o->out, err);
    if (!rc && r->writer)
        rc = open_folder(r, o, &cfg, err);
    rc = run_dist_share_config(r, &cfg, rc, err);
    /* Every machine checks its own memory. */
    rc = run_dist_agree(rc ? rc : run_check_memory(&cfg.model, cfg.batch, err), err);
    if (rc) {
        run_unlock_folder(r);
        return rc;
    }
    struct bg_corpus_options copt = {.ctx = cfg.model.ctx, .seed = cfg.seed};
    rc = corpus_open(&corpus, r->state.corpus, &copt, err);
    if (!rc) {
        corpus_get_info(corpus, &r->corpus_info);
        rc = build(r, o, &cfg, corpus, err);
    }
    if ((rc = run_dist_share_model(r, o->resume || o->init_from, rc, err)))
        goto fail;
    r->init_only = settings_init_only(&cfg) && !o->resume;
    if ((rc = run_dist_agree(r->writer ? make_folder(r, o, err) : BG_OK, err)))
        goto fail;
    prepare_loop(r);
    run_page_open(r);
    return BG_OK;
fail:
    run_unlock_folder(r);
    trainer_free(&r->trainer);
    corpus_close(corpus);
    free(r->window);
    memset(r, 0, sizeof *r);
    return rc;
}

void run_set_eval_every(struct bg_run *r, uint64_t every)
{
    r->trainer.cfg.eval_every = every;
}

int run_close(struct bg_run *r, struct bg_error *err)
{
    run_page_close(r);
    int rc = r->log.f ? trainlog_close(&r->log, err) : BG_OK;
    corpus_close(r->trainer.corpus);
    trainer_free(&r->trainer);
    free(r->window);
    r->trainer.corpus = NULL;
    r->window = NULL;
    run_unlock_folder(r);
    return rc;
}
