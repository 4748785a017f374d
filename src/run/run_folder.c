/* run_folder: the run folder and the files in it that the run does not
 * write step by step: its paths, the lock that makes one process its
 * owner, the check that a new run finds it empty and a resume finds a
 * checkpoint, config.txt, and on resume the cut-back of samples.txt,
 * best.bin and log.csv to the checkpoint's step. Private to run.c. */
#include "run_folder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytegpt/fsutil.h"
#include "bytegpt/settings.h"
#include "bytegpt/settings.h"

/* mkdir -p: creates dir and its missing parents. */
int run_make_dirs(const char *dir, struct bg_error *err)
{
    return fsutil_make_dirs(dir, err);
}

int run_set_paths(struct bg_run *r, const char *out, struct bg_error *err)
{
    if (strlen(out) + 16 > sizeof r->out)
        return bg_fail(err, BG_ERR_INPUT, "--out path is too long (%zu bytes)", strlen(out));
    snprintf(r->out, sizeof r->out, "%s", out);
    snprintf(r->ckpt_path, sizeof r->ckpt_path, "%s/ckpt.bin", out);
    snprintf(r->best_path, sizeof r->best_path, "%s/best.bin", out);
    snprintf(r->samples_path, sizeof r->samples_path, "%s/samples.txt", out);
    snprintf(r->log_path, sizeof r->log_path, "%s/log.csv", out);
    snprintf(r->config_path, sizeof r->config_path, "%s/config.txt", out);
    return BG_OK;
}

/* ---- One process per run folder ---- */

/* The lock is fsutil's, shared with the sweep folder's (fsutil.h). */
int run_lock_folder(struct bg_run *r, struct bg_error *err)
{
    return fsutil_lock_folder(r->out, "run folder", &r->lock_fd, err);
}

void run_unlock_folder(struct bg_run *r)
{
    fsutil_unlock_folder(&r->lock_fd);
}

/* Refuses to start a new run in a folder that holds one, and a resume in
 * a folder that holds none. */
int run_check_folder(const struct bg_run *r, int resume, struct bg_error *err)
{
    int has_ckpt = fsutil_exists(r->ckpt_path), has_log = fsutil_exists(r->log_path);
    if (!resume && (has_ckpt || has_log))
        return bg_fail(err, BG_ERR_INPUT, "%s already holds a run; continue it with --resume or pick a new --out",
                       r->out);
    if (resume && !has_ckpt)
        return bg_fail(err, BG_ERR_INPUT, "%s holds %s; nothing to resume (start a new run without --resume)", r->out,
                       has_log ? "a log but no checkpoint" : "neither a checkpoint nor a log");
    return BG_OK;
}

/* config.txt: the run in words, for people (nothing reads it back). */
int run_write_config(const struct bg_run *r, const char *preset, struct bg_error *err)
{
    const struct bg_train_config *c = &r->trainer.cfg;
    const struct bg_corpus_info *in = &r->corpus_info;
    /* Composed in memory, then written whole, so that a full disk is
     * reported as such by fsutil. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    fprintf(f, "# bytegpt run configuration (written at the start of the run)\n");
    fprintf(f, "corpus = %s\n", r->state.corpus);
    fprintf(f, "corpus_bytes = %llu\ntrain_bytes = %llu\nval_bytes = %llu\nshards = %zu\n",
            (unsigned long long)in->total_bytes, (unsigned long long)in->train_bytes,
            (unsigned long long)in->val_bytes, in->n_shards);
    fprintf(f, "preset = %s\nlayers = %zu\nheads = %zu\ndim = %zu\nctx = %zu\nvocab = %zu\nparameters = %zu\n",
            preset, c->model.L, c->model.NH, c->model.C, c->model.ctx, c->model.V, config_num_params(&c->model));
    fprintf(f, "batch = %zu\naccum = %zu\nsteps = %llu\ntime_budget_s = %g\n", c->batch, c->accum,
            (unsigned long long)c->steps, c->time_budget);
    /* Only a run with a FLOP budget has the line: the steps above are what it bought. */
    if (c->flop_budget > 0) {
        char v[64];
        settings_format(c, BG_SET_FLOP_BUDGET, v, sizeof v);
        fprintf(f, "flop_budget = %s\n", v);
    }
    fprintf(f, "lr = %g\nmin_lr = %g\nwarmup = %llu\nweight_decay = %g\nbeta1 = %g\nbeta2 = %g\nclip = %g\n", c->lr,
            c->min_lr, (unsigned long long)c->warmup, c->weight_decay, c->beta1, c->beta2, c->clip);
    fprintf(f, "eval_every = %llu\neval_batches = %llu\nsample_every = %llu\nckpt_every = %llu\n",
            (unsigned long long)c->eval_every, (unsigned long long)c->eval_batches,
            (unsigned long long)c->sample_every, (unsigned long long)c->ckpt_every);
    /* The recipe, each setting under its flag's name, as settings spells it. */
    for (enum bg_setting i = BG_SET_NORM; i < BG_N_SETTINGS; i++) {
        char v[64];
        settings_format(c, i, v, sizeof v);
        fprintf(f, "%s = %s\n", settings_name(i), v);
    }
    fprintf(f, "seed = %llu\nthreads = %d\n", (unsigned long long)c->seed, c->threads);
    fprintf(f, "processes = %llu\n", (unsigned long long)r->state.ranks);
    int rc = fclose(f) != 0 ? bg_fail(err, BG_ERR_RUNTIME, "out of memory")
                            : fsutil_write_file(r->config_path, text, len, "config", err);
    free(text);
    return rc;
}

/* ---- Files that continue across a resume ---- */

/* samples.txt after a kill may hold samples from steps after the
 * checkpoint, which the resumed run will write again: cut it back to the
 * last sample at or before the checkpoint's step. Each sample starts with
 * a line "--- step N ...". */
static int cut_samples(const char *path, uint64_t keep_through, struct bg_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return BG_OK; /* no samples yet */
    struct bg_atomic_file out;
    int rc = fsutil_atomic_open(&out, path, "samples", err);
    char line[1024];
    int at_line_start = 1;
    while (!rc && fgets(line, sizeof line, f)) {
        unsigned long long step;
        if (at_line_start && sscanf(line, "--- step %llu ", &step) == 1 && step > keep_through)
            break;
        at_line_start = strchr(line, '\n') != NULL;
        fsutil_atomic_write(&out, line, strlen(line));
    }
    fclose(f);
    return rc ? rc : fsutil_atomic_commit(&out, err);
}

/* best.bin written after the checkpoint (by a process killed before its
 * next checkpoint) belongs to steps the resumed run will take again, and
 * rewrite identically: remove it, so that nothing in the folder is from
 * after the checkpoint. */
static void cut_best(const struct bg_run *r)
{
    struct bg_ckpt_state *b = malloc(sizeof *b);
    struct bg_error ignore;
    if (b && checkpoint_peek(r->best_path, b, &ignore) == BG_OK && b->step > r->state.step)
        remove(r->best_path);
    free(b);
}

/* The log: a new one, or the old one cut back to the checkpoint. */
int run_open_files(struct bg_run *r, struct bg_error *err)
{
    if (!r->resumed)
        return trainlog_create(&r->log, r->log_path, err);
    cut_best(r);
    int rc = cut_samples(r->samples_path, r->state.step, err);
    if (!rc && fsutil_exists(r->log_path))
        return trainlog_resume(&r->log, r->log_path, r->state.step, err);
    return rc ? rc : trainlog_create(&r->log, r->log_path, err);
}

