/* sweep_trial: what a sweep holds, private to src/sweep/: its trials,
 * each trial's runs (one per seed), what each run came to, and the sweep
 * itself (struct bg_sweep, which sweep.h leaves opaque). The files of the
 * sweep, from the bottom up:
 *   sweep_def.c      the definition and sweep.txt          (sweep_def.h)
 *   sweep_plan.c     a trial's flags, grids and spaces     (sweep_plan.h)
 *   sweep_trial.c    trials, runs, result.txt, the events  (this header)
 *   sweep_results.c  results.tsv, a trial's row, time to target
 *   sweep_propose.c  --propose: asking an outside program
 *   sweep_child.c    one run in a child process
 *   sweep_loop.c     the loop: runs started, trials decided, greedy
 *   sweep.c          opening (the plan made ahead, the folder), the end */
#ifndef BYTEGPT_SWEEP_TRIAL_H
#define BYTEGPT_SWEEP_TRIAL_H

#include <sys/types.h>

#include "bytegpt/fsutil.h"
#include "bytegpt/sweep.h"
#include "bytegpt/train.h"

/* ---- Runs and trials ---- */

/* A run of a trial (one seed) is pending until a child trains it, and
 * pending again when a signal stopped it before the end. */
enum sweep_run_state { RUN_PENDING, RUN_RUNNING, RUN_DONE };

/* What a run came to: result.txt in its folder. */
struct sweep_result {
    int crashed;
    double bpb;                          /* the score; NaN when crashed */
    double steps, tokens, seconds, params, flops;
    char note[256];                      /* why it crashed */
};

/* Run k of a trial: the trial trained with its k-th seed, in a child
 * process of its own while it runs. */
struct sweep_trial_run {
    enum sweep_run_state state;
    struct sweep_result res;
    pid_t pid;                           /* while running */
    int fd;                              /* the child's pipe, while running */
    double val_bpb;                      /* its last evaluation, while running */
};

struct sweep_trial {
    size_t id;                           /* 1-based; DIR/trial-NNN */
    struct bg_sweep_flags flags;         /* the settings changed from the base */
    char flags_text[BG_SWEEP_FLAGS_LEN];
    struct bg_train_config cfg;          /* resolved, the first seed's */
    size_t wanted;                       /* runs needed so far: 1, or K */
    struct sweep_trial_run runs[BG_SWEEP_MAX_SEEDS];
    int decided;
};

struct sweep_greedy {
    size_t made;                         /* trials greedy planned */
    size_t next;                         /* index into def.vary of the setting to try next */
    size_t tried_since_move;             /* settings tried without a new trial or a move */
};

struct bg_sweep {
    struct bg_sweep_def def;
    const struct bg_scaling_view *scaling; /* shown on the page when set (sweep_page_scaling) */
    struct bg_sweep_options opt;
    char dir[BG_PATH_MAX];
    int lock_fd;
    struct bg_train_config base;         /* the base, resolved */
    uint8_t *heldout;                    /* the first bytes of the validation stream */
    size_t heldout_n;
    struct sweep_trial *trials;
    size_t n_trials, cap;
    struct bg_sweep_row *rows;           /* the decided trials' rows, in order (cap of them) */
    size_t n_rows;
    struct bg_sweep_row *old;            /* results.tsv's rows from an earlier session */
    size_t n_old;
    size_t best;                         /* the trial to beat (index), once the baseline is decided */
    struct sweep_greedy greedy;
    int propose_done;
    int threads;                         /* each run's */
    int stopped;                         /* the signal that stopped the sweep */
    size_t session_runs;
    double session_t0;
};

/* Adds a trial of flags over the base, resolved as train would (a
 * refusal is BG_ERR_INPUT, its message starting with what: "sweep
 * --grid"). A trial the same as an earlier one is not added: *dup_of is
 * then that trial's number, else 0. */
int sweep_add_trial(struct bg_sweep *s, const struct bg_sweep_flags *f, const char *what, size_t *dup_of,
                    struct bg_error *err);

/* The settings of run k (seed index) of trial t: base, flags, and what
 * the sweep fixes (seed, threads, evaluations). */
int sweep_run_settings(const struct bg_sweep *s, const struct sweep_trial *t, size_t k, struct bg_settings *out,
                       struct bg_error *err);

/* True when trial t's runs evaluate as their child paces them: under a
 * time budget, with --eval-every left to the sweep. */
int sweep_paced(const struct bg_sweep *s, const struct sweep_trial *t);

/* The run folder of run k of trial t, into buf (n bytes). */
void sweep_run_folder(const struct bg_sweep *s, const struct sweep_trial *t, size_t k, char *buf, size_t n);
uint64_t sweep_run_seed(const struct sweep_trial *t, size_t k);

/* ---- result.txt: one run's result, in its folder ----
 * sweep_run_* like the run's other functions above; the sweep's table of
 * trials, results.tsv, is sweep_results_* in sweep_results.h. */

/* Reads a finished run's result.txt from its folder: BG_OK, or
 * BG_ERR_INPUT when there is none or it lacks a field, which means that
 * the run has not finished (result.txt is written last, atomically). */
int sweep_run_result_read(const char *folder, struct sweep_result *r, struct bg_error *err);
int sweep_run_result_write(const char *folder, const struct sweep_result *r, struct bg_error *err);

/* ---- Events ---- */

/* Hands an event to the caller's on_event, with the trials planned so far. */
void sweep_emit(const struct bg_sweep *s, struct bg_sweep_event *e);

#endif
