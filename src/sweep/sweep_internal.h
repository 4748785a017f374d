/* sweep_internal: what the files of the sweep module share, private to
 * src/sweep*.c:
 *   sweep.c          opening (the plan made ahead, the folder), the end
 *   sweep_def.c      the definition and sweep.txt
 *   sweep_plan.c     a trial's flags, grids and spaces
 *   sweep_loop.c     the loop: runs started, trials decided, greedy
 *   sweep_propose.c  --propose: asking an outside program
 *   sweep_child.c    one run in a child process, and its result.txt
 *   sweep_results.c  results.tsv, a trial's row, time to target */
#ifndef BYTEGPT_SWEEP_INTERNAL_H
#define BYTEGPT_SWEEP_INTERNAL_H

#include <sys/types.h>

#include "bytegpt/strbuf.h"
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

struct sweep_run {
    enum sweep_run_state state;
    struct sweep_result res;
    pid_t pid;                           /* while running */
    int fd;                              /* the child's pipe, while running */
    double val_bpb;                      /* its last evaluation, while running */
};

struct sweep_trial {
    size_t id;                           /* 1-based; DIR/trial-NNN */
    struct bg_sweep_flags flags;         /* the settings changed from the base */
    char flags_text[512];
    struct bg_train_config cfg;          /* resolved, the first seed's */
    size_t wanted;                       /* runs needed so far: 1, or K */
    struct sweep_run runs[BG_SWEEP_MAX_SEEDS];
    int decided;
};

struct sweep_greedy {
    size_t made;                         /* trials greedy planned */
    size_t next;                         /* index into def.vary of the setting to try next */
    size_t tried_since_move;             /* settings tried without a new trial or a move */
};

struct bg_sweep {
    struct bg_sweep_def def;
    struct bg_sweep_options opt;
    char dir[4096];
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

/* ---- sweep_plan.c ---- */
int sweep_flags_apply(const struct bg_sweep_flags *f, struct bg_settings *s, struct bg_error *err);
void sweep_take_text(struct bg_strbuf *b, char *buf, size_t n);

/* ---- sweep_def.c ---- */
/* Refuses a definition's text now that differs from the one in dir's
 * sweep.txt (was), naming the first difference. */
int sweep_def_compare(const char *was, const char *now, const char *dir, struct bg_error *err);

/* ---- sweep.c ---- */
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

/* ---- sweep_child.c ---- */
/* Starts run k of trial t in a child process. */
int sweep_child_start(struct bg_sweep *s, struct sweep_trial *t, size_t k, struct bg_error *err);

/* Waits up to timeout_ms for news from the running children; reports
 * progress and collects the runs that ended (state RUN_DONE, or back to
 * RUN_PENDING when stopped by a signal). */
int sweep_child_poll(struct bg_sweep *s, int timeout_ms, struct bg_error *err);

/* Sends sig to every running child. */
void sweep_child_signal(struct bg_sweep *s, int sig);

/* Reads a finished run's result.txt from its folder; 0 when there is
 * none (the run has not finished). */
int sweep_result_read(const char *folder, struct sweep_result *r);
int sweep_result_write(const char *folder, const struct sweep_result *r, struct bg_error *err);

/* ---- sweep_results.c ---- */
/* Writes results.tsv whole from the rows decided so far. */
int sweep_results_write(const struct bg_sweep *s, struct bg_error *err);

/* Reads DIR/results.tsv's rows (none when it does not exist). */
int sweep_results_read(const char *dir, struct bg_sweep_row **rows, size_t *n, struct bg_error *err);

/* A row as results.tsv has it, and read back, so that every decision is
 * made on the numbers the file shows. */
void sweep_row_canon(struct bg_sweep_row *row);

/* Fills a trial's row from its runs (mean, spread, ...), status aside. */
void sweep_row_fill(const struct sweep_trial *t, struct bg_sweep_row *row);

/* The time-to-target share of a kept trial against the baseline (trial
 * index 0): time share as the row's target_share, token share into its
 * note. */
void sweep_row_target(const struct bg_sweep *s, const struct sweep_trial *t, struct bg_sweep_row *row);

/* ---- sweep_propose.c ---- */
/* Asks the --propose command for the next trial: *end set when it
 * printed nothing. */
int sweep_propose(struct bg_sweep *s, struct bg_sweep_flags *f, int *end, struct bg_error *err);

/* ---- sweep_loop.c ---- */
void sweep_emit(const struct bg_sweep *s, struct bg_sweep_event *e);

#endif
