/* run: a training run in its run folder, from open to close.
 *
 * This is the loop around the training step: it decides when to
 * evaluate, sample and checkpoint, keeps best.bin, stops on a signal flag
 * or a NaN loss with the last good checkpoint intact, and on resume cuts
 * the log and the samples back to the checkpoint's step. It prints
 * nothing: each step returns a report of what it did, and the caller
 * (`bytegpt train`, `bytegpt sweep`) shows what it wants of it.
 *
 *     run_open(&r, &opt, err);                 // resolve, build, restore
 *     while (!run_finished(&r))
 *         run_step(&r, &report, err);          // one update and what is due
 *     run_finish(&r, err);                     // last checkpoint, loss.svg
 *     run_close(&r);
 *
 * Under mpirun every process runs this same sequence; rank 0 alone reads
 * and writes the run folder, and the others take what they need from it
 * (run_dist.h). */
#ifndef BYTEGPT_RUN_H
#define BYTEGPT_RUN_H

#include <signal.h>
#include <stdint.h>

#include "bytegpt/checkpoint.h"
#include "bytegpt/corpus.h"
#include "bytegpt/fsutil.h"
#include "bytegpt/settings.h"
#include "bytegpt/train.h"
#include "bytegpt/trainlog.h"

#define BG_RUN_SAMPLE_BYTES 300

/* Test seams: faults and small pieces that the tests ask for, through
 * flags of train and sweep that only the tests use (the README names
 * them). Left zero, they change nothing. */
struct bg_run_seams {
    uint64_t nan_at;   /* poison one parameter with NaN just before step nan_at, so that
                          the real NaN path runs on demand (0: never) */
    size_t dist_chunk; /* all-reduce in pieces of this many elements (0: as large as
                          MPI allows), so that the piecewise path runs on a small model */
};

/* What the caller asks for. */
struct bg_run_options {
    const char *out;                   /* the run folder */
    const char *corpus;                /* training text; on resume optional (the checkpoint names it) */
    const char *init_from;             /* a checkpoint or run folder whose weights start the run */
    int resume;                        /* continue the run in out */
    const struct bg_settings *settings;/* the preset and the settings given */
    volatile sig_atomic_t *stop;       /* set to a signal number to stop after the step (may be NULL) */
    struct bg_run_seams seams;         /* for the tests only */
};

/* What one step did. */
enum bg_run_event {
    BG_RUN_EVALUATED = 1,  /* row.val_loss holds a validation loss */
    BG_RUN_BEST = 2,       /* ... the best so far: best.bin was written */
    BG_RUN_SAMPLED = 4,    /* a sample went into samples.txt */
    BG_RUN_SAVED = 8,      /* ckpt.bin was written */
    BG_RUN_LAST = 16,      /* the run ends after this step */
};

struct bg_run_report {
    struct bg_log_row row; /* the step's log row */
    unsigned events;       /* enum bg_run_event bits */
    double progress;       /* fraction of the run done, in [0,1] */
};

struct bg_run {
    char out[BG_PATH_MAX];
    /* The run's files: out and a name of ours. */
    char ckpt_path[BG_PATH_MAX + 128], best_path[BG_PATH_MAX + 128], samples_path[BG_PATH_MAX + 128];
    char log_path[BG_PATH_MAX + 128], config_path[BG_PATH_MAX + 128];
    char init_path[BG_PATH_MAX + 128]; /* the checkpoint --init-from resolved to */
    struct bg_corpus_info corpus_info;
    struct bg_trainer trainer;  /* model, optimiser, batches */
    struct bg_ckpt_state state; /* everything a checkpoint saves besides tensors */
    struct bg_trainlog log;
    volatile sig_atomic_t *stop;
    int init_only;              /* --steps 0: the step-0 checkpoint is the run */
    int resumed;
    int lock_fd;                /* holds the folder's flock; -1 when none */
    int writer;                 /* this process writes the run folder: rank 0 (dist.h) */
    /* The loop's own state. */
    double t0;                  /* the monotonic clock minus the seconds trained before */
    double last_train, last_val;
    int saved;                  /* ckpt.bin holds the current step */
    uint64_t nan_at;            /* the test seam of that name (struct bg_run_seams) */
    uint8_t *window;            /* ctx bytes of scratch for samples */
    /* The run's web page, index.html (run_page.c). */
    double val_order0_bpb, val_gzip_bpb; /* the validation text's baselines, found at open */
    int page_live;              /* the page on disk says the run is live */
    /* With several processes, the loop decides by what they agreed at the
     * end of the last step, so that every rank decides alike. */
    double agreed_elapsed;      /* seconds trained: the largest of the ranks' clocks */
    int agreed_stop;            /* a stop signal any rank received, or 0 */
};

/* Resolves the configuration (from the settings, or on resume from the
 * checkpoint, which the given settings must agree with), checks the run
 * folder (a new run needs an empty one, a resume a checkpoint), opens the
 * corpus, builds the model (fresh, resumed or --init-from), and creates
 * the folder with its step-0 checkpoint, config.txt and log. On failure
 * nothing is left open and a new run folder is not created. */
int run_open(struct bg_run *r, const struct bg_run_options *opt, struct bg_error *err);

/* True when the steps or the time budget are spent or a stop was asked. */
int run_finished(const struct bg_run *r);

/* One update, its log row, and whatever is due after it (evaluation and
 * best.bin, a sample, a checkpoint). A NaN or infinite loss fails
 * (BG_ERR_RUNTIME) before the update, with the last good checkpoint on
 * disk. */
int run_step(struct bg_run *r, struct bg_run_report *rep, struct bg_error *err);

/* Saves the final checkpoint if the last step did not, and draws
 * loss.svg. A failure to draw is not the run's: it returns BG_OK and
 * leaves a message in *warning (when not NULL). */
int run_finish(struct bg_run *r, struct bg_error *warning, struct bg_error *err);

/* Evaluates every `every` steps from now on (0: only at the end). A
 * sweep sets it once the first steps show how many its time budget
 * holds, to see each trial's curve about as often. */
void run_set_eval_every(struct bg_run *r, uint64_t every);

/* ---- Where the run stands (run_clock.c) ---- */

/* Seconds trained, over all sessions of the run. */
double run_elapsed(const struct bg_run *r);

/* The fraction of the run done: steps over total, elapsed over budget,
 * or with both the larger (whichever ends the run first). */
double run_progress(const struct bg_train_config *c, uint64_t step, double elapsed);

/* ---- The end ---- */

/* Closes the log and frees the model and the corpus. */
int run_close(struct bg_run *r, struct bg_error *err);

/* Refuses a model whose memory estimate exceeds 90% of this machine's
 * memory, before anything is allocated, naming both. */
int run_check_memory(const struct bg_config *cfg, size_t batch, struct bg_error *err);

#endif
