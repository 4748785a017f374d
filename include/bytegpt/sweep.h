/* sweep: the experiment loop. Many short runs of a fixed budget, each
 * scored alike and kept or discarded, the way small-model pre-training
 * research is done: change one thing, train briefly, score on the same
 * held-out bytes, keep the change if it beat the best so far by more
 * than noise, and go again.
 *
 *   - Trials are real runs. Each is a run folder DIR/trial-NNN (log.csv,
 *     ckpt.bin, best.bin, samples.txt, config.txt) trained by the run
 *     module, the code behind `bytegpt train`, in a child process of its
 *     own: a trial that crashes (NaN, no memory, abort) is recorded as
 *     `crash` with the reason and the sweep goes on. Repeats of a trial
 *     with other seeds are DIR/trial-NNN-seedS.
 *   - One score: when a run ends, its final model is scored by the eval
 *     rule (evaluate_text) on the first BG_SWEEP_HELDOUT_BYTES of the
 *     corpus' validation stream (all of it when shorter), in as many
 *     windows of the trial's ctx as fit, in bits per byte.
 *   - Noise: the base configuration runs first, over K seeds; its spread
 *     is max - min of the K scores. A trial is `keep` when its mean
 *     beats the best so far by more than twice that spread, else
 *     `discard`; with K > 1 a trial whose first seed would be kept is
 *     repeated with K seeds, and the mean of those decides. With
 *     --every-seed every trial runs all K seeds, and its mean decides.
 *   - Time to target: for a kept trial, when its validation curve
 *     (log.csv's val_bpb, linearly interpolated between evaluations)
 *     first reached the baseline's final val_bpb, as a share of the
 *     baseline's time (and tokens).
 *   - results.tsv: one row per trial, rewritten whole (atomically) as
 *     each trial is decided.
 *   - Stop and resume: a signal stops every run after its step with its
 *     checkpoint saved; the same definition run again continues (DIR/
 *     sweep.txt holds it): decided trials are not redone, finished runs
 *     are not rerun, interrupted runs resume from their checkpoints.
 *
 * This module prints nothing: it reports what happens through a
 * callback, and the CLI shows it. */
#ifndef BYTEGPT_SWEEP_H
#define BYTEGPT_SWEEP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "bytegpt/error.h"
#include "bytegpt/fsutil.h"
#include "bytegpt/plot.h"
#include "bytegpt/plot_scaling.h"
#include "bytegpt/rng.h"
#include "bytegpt/run.h"
#include "bytegpt/settings.h"

#define BG_SWEEP_HELDOUT_BYTES ((size_t)64 << 10) /* the held-out text every trial is scored on */
#define BG_SWEEP_EVALS 20        /* evaluations per trial, for its curve and time to target */
#define BG_SWEEP_MAX_SEEDS 16    /* --seeds at most */
#define BG_SWEEP_MAX_VALUES 64   /* values of one setting in a grid or a space */
#define BG_SWEEP_MAX_TRIALS 10000
#define BG_SWEEP_VALUE_LEN 32    /* a value's text, NUL included */
#define BG_SWEEP_FLAGS_LEN 512   /* a trial's flags as text, NUL included */
#define BG_SWEEP_LIST_LEN 16384  /* --list written out, NUL included: hundreds of trials */

/* ---- The flags of a trial: settings changed from the base ---- */

struct bg_sweep_change {
    int setting;                       /* enum bg_setting */
    char value[BG_SWEEP_VALUE_LEN];    /* as given ("1e-3") */
};

struct bg_sweep_flags {
    struct bg_sweep_change c[BG_N_SETTINGS]; /* one per setting, in the order given */
    size_t n;
};

/* Sets setting name to value (replacing an earlier value), after
 * settings_set has accepted it; what names the source in messages
 * ("sweep --grid"). */
int sweep_flags_put(struct bg_sweep_flags *f, const char *name, const char *value, const char *what,
                    struct bg_error *err);

/* "--lr 1e-3 --dim 64" ("" for none) into buf (n bytes). */
void sweep_flags_format(const struct bg_sweep_flags *f, char *buf, size_t n);

/* Reads flags written as on a command line, "--lr 3e-3 --dim=128"
 * (whitespace between). Text that is not such flags, an unknown setting
 * or a value train refuses is BG_ERR_INPUT, the message starting with
 * what ("--propose command 'x' printed ..."). */
int sweep_flags_parse(const char *text, const char *what, struct bg_sweep_flags *f, struct bg_error *err);

/* ---- Grids and spaces ---- */

enum bg_sweep_axis_kind {
    BG_SWEEP_LIST,      /* name=a,b,c */
    BG_SWEEP_RANGE,     /* name=lo..hi, drawn uniformly */
    BG_SWEEP_LOG_RANGE, /* name=lo..hi:log, drawn uniformly in log(value) */
};

struct bg_sweep_axis {
    int setting;
    enum bg_sweep_axis_kind kind;
    size_t n;                                              /* values in a list */
    char values[BG_SWEEP_MAX_VALUES][BG_SWEEP_VALUE_LEN];
    double lo, hi;                                         /* a range's bounds */
    char lo_text[BG_SWEEP_VALUE_LEN], hi_text[BG_SWEEP_VALUE_LEN]; /* ... as given */
};

struct bg_sweep_space {
    struct bg_sweep_axis axis[BG_N_SETTINGS];
    size_t n;
};

/* --grid 'lr=1e-3,3e-3 dim=64,128': settings separated by whitespace,
 * each name=value,value,... A missing '=', an unknown setting, an empty
 * list or value, a value train refuses, a setting named twice, or more
 * than BG_SWEEP_MAX_TRIALS combinations is BG_ERR_INPUT naming the part. */
int sweep_parse_grid(const char *text, struct bg_sweep_space *g, struct bg_error *err);

/* --space 'lr=1e-4..1e-2:log batch=8,16,32': as a grid, and ranges
 * lo..hi (lo <= hi, both values train accepts, below 2^53 for a
 * whole-number setting so that every draw is exact) with an optional
 * :log (then lo > 0). */
int sweep_parse_space(const char *text, struct bg_sweep_space *s, struct bg_error *err);

/* The number of combinations of a grid (the product of the list sizes). */
size_t sweep_grid_size(const struct bg_sweep_space *g);

/* Combination i of a grid (0 <= i < sweep_grid_size), the last setting
 * varying fastest, added to f. */
int sweep_grid_point(const struct bg_sweep_space *g, size_t i, struct bg_sweep_flags *f, struct bg_error *err);

/* One random point of a space, added to f: a list's value uniformly, a
 * range's uniformly (in log for :log), rounded for whole-number settings. */
int sweep_space_draw(const struct bg_sweep_space *s, struct bg_rng *rng, struct bg_sweep_flags *f,
                     struct bg_error *err);

/* The grid or space written back in the form it was read. */
void sweep_space_format(const struct bg_sweep_space *s, char *buf, size_t n);

/* ---- Lists: trials given one by one ---- */

/* --list '--layers 2 --dim 64; --layers 3 --dim 96': trials separated by
 * ';', each flags as sweep_flags_parse reads them. An empty item, flags
 * sweep_flags_parse refuses, an item longer than BG_SWEEP_FLAGS_LEN
 * written out, or a list whose canonical form does not fit in n bytes
 * is BG_ERR_INPUT naming the item ("sweep --list item 2: ..."). The
 * canonical form, each item as sweep_flags_format writes it with "; "
 * between, goes into canon, and the number of items into *items. */
int sweep_parse_list(const char *text, char *canon, size_t n, size_t *items, struct bg_error *err);

/* Item i (from 0) of a list that sweep_parse_list accepted, into f. */
int sweep_list_item(const char *list, size_t i, struct bg_sweep_flags *f, struct bg_error *err);

/* ---- The definition: what sweep.txt holds ---- */

struct bg_sweep_def {
    char corpus[BG_PATH_MAX];
    struct bg_settings base;        /* the preset and base settings, budget included */
    struct bg_sweep_space grid, space;
    int has_grid, has_space;
    char list[BG_SWEEP_LIST_LEN];   /* --list in canonical form, or "" */
    size_t list_n;                  /* its items */
    size_t random_n, greedy_n, seeds;
    int every_seed;                 /* every trial runs all its seeds, not only a candidate */
    uint64_t space_seed;            /* seeds --random's draws */
    int vary[BG_N_SETTINGS];        /* the settings --greedy changes */
    size_t n_vary;
    double factor;                  /* --greedy's step: x factor and / factor */
    char propose[1024];             /* the proposer's command, or "" */
    uint32_t fingerprint;           /* the corpus' (set by sweep_open) */
};

/* The defaults: 2 seeds, factor 2, greedy varying lr warmup wd batch dim
 * layers ctx, space seed 1. */
void sweep_def_init(struct bg_sweep_def *d);

/* Sets one item by its flag name ("corpus", "preset", any train setting
 * but threads, "list", "grid", "random", "space", "space-seed", "greedy",
 * "vary", "factor", "propose", "seeds", "every-seed" with "1" or "0"),
 * refusing a malformed value. */
int sweep_def_set(struct bg_sweep_def *d, const char *name, const char *value, struct bg_error *err);

/* What must hold once every item is set: a corpus, a budget (steps or
 * time), a space for --random, and the base itself a valid run. */
int sweep_def_check(const struct bg_sweep_def *d, struct bg_error *err);

/* The definition as sweep.txt lines "name<TAB>value" (the caller frees). */
char *sweep_def_text(const struct bg_sweep_def *d);

/* Reads DIR/sweep.txt into d (for --resume without a definition). */
int sweep_def_load(struct bg_sweep_def *d, const char *dir, struct bg_error *err);

/* ---- One line of results.tsv ---- */

enum bg_sweep_status { BG_SWEEP_BASELINE, BG_SWEEP_KEEP, BG_SWEEP_DISCARD, BG_SWEEP_CRASH };

#define BG_SWEEP_HEADER                                                                                     \
    "trial\tstatus\tval_bpb\tspread\tsteps\ttokens\tseconds\tparams\tflops\tseeds\tflags\ttarget_share\tnote"

/* Columns that depend on the clock, and so differ between two sweeps
 * that are otherwise the same: seconds and target_share (and with a
 * time budget everything else, since the steps then do). */
struct bg_sweep_row {
    size_t trial;                 /* 1: the baseline */
    enum bg_sweep_status status;
    double val_bpb, spread;       /* mean and max - min of the scores; NaN: none */
    double steps, tokens, seconds;/* means over the seeds run */
    double params, flops;         /* flops: training FLOPs, mean over the seeds */
    char seeds[160];              /* "1337,1338" */
    char flags[BG_SWEEP_FLAGS_LEN]; /* differences from the base; "" for the baseline */
    double target_share;          /* time to the baseline's final val_bpb / the baseline's; NaN: none */
    char note[256];               /* a crash's reason; a keep's token share */
};

const char *sweep_status_name(enum bg_sweep_status s);

/* ---- Running a sweep ---- */

enum bg_sweep_event_kind {
    BG_SWEEP_RUN_START,  /* a run starts, or resumes from its checkpoint */
    BG_SWEEP_PROGRESS,   /* a run's progress (a few times a second at most) */
    BG_SWEEP_RUN_END,    /* a run ended: scored, or crashed */
    BG_SWEEP_DECIDED,    /* a trial is decided; its row is in results.tsv */
};

struct bg_sweep_event {
    enum bg_sweep_event_kind kind;
    size_t trial;               /* its number */
    size_t planned;             /* trials known so far (more may come) */
    const char *flags;          /* the trial's flags ("" for the base) */
    const char *folder;         /* the run folder */
    uint64_t seed;
    int resumed;                /* RUN_START: from a checkpoint */
    uint64_t step;              /* PROGRESS */
    double progress;            /* PROGRESS: fraction of the run done */
    double val_bpb;             /* PROGRESS: the last evaluation's (NaN: none yet); RUN_END: the score */
    const char *note;           /* RUN_END: a crash's reason, else "" */
    const struct bg_sweep_row *row; /* DECIDED */
};

struct bg_sweep_options {
    const char *out;                    /* the sweep folder */
    size_t jobs;                        /* runs at once (>= 1) */
    int threads;                        /* threads over all jobs (0: all cores) */
    volatile sig_atomic_t *stop;        /* a signal number: stop after the runs' steps */
    void (*on_event)(void *ctx, const struct bg_sweep_event *e);
    void *ctx;
    struct bg_run_seams seams;          /* every run's, for the tests only */
};

struct bg_sweep;

/* Checks the definition, plans every trial that can be planned ahead
 * (the baseline, the list, the grid, the random draws) and resolves each as train
 * would, opens the corpus and takes the held-out bytes, then creates or
 * continues the folder: a new folder gets sweep.txt; a folder with a
 * sweep must hold the same definition (a difference is named); any other
 * non-empty folder, or a file, is refused. Nothing is written unless all
 * of that passed. The folder is locked until sweep_close. A sweep's folder
 * may hold a second sweep in a folder of its own (DIR/check, say, with
 * its own lock, sweep.txt and results.tsv), which the first leaves alone. */
int sweep_open(struct bg_sweep **s, const struct bg_sweep_def *d, const struct bg_sweep_options *o,
               struct bg_error *err);

/* Runs trials until every strategy is done or a stop is asked (then the
 * running runs are stopped after their step, their checkpoints saved,
 * and sweep_stopped says by which signal). A failing proposer and a
 * proposal train refuses are BG_ERR_INPUT; a crashed baseline is
 * BG_ERR_RUNTIME (nothing can be compared to it). */
int sweep_run(struct bg_sweep *s, struct bg_error *err);

int sweep_stopped(const struct bg_sweep *s);

/* The rows so far, in trial order. */
const struct bg_sweep_row *sweep_rows(const struct bg_sweep *s, size_t *n);

/* What the CLI shows about a sweep. */
struct bg_sweep_info {
    size_t planned;       /* trials known so far */
    size_t heldout_bytes; /* the held-out bytes every trial is scored on */
    int threads;          /* each run's */
    size_t runs;          /* runs finished in this session */
    double seconds;       /* this session's wall time so far */
};

void sweep_info(const struct bg_sweep *s, struct bg_sweep_info *info);

/* ---- Each trial and each run, for a caller that needs more than rows ----
 * Trials are numbered from 1 (the baseline) to sweep_trial_count, in the
 * order they were planned (and as results.tsv numbers them); run k
 * (0 <= k < --seeds) of a trial is the one trained with its seed + k. A
 * trial number out of range gives NULL. */

size_t sweep_trial_count(const struct bg_sweep *s);

/* The trial's flags, the settings it changes from the base ("" for the
 * baseline), as results.tsv writes them. */
const char *sweep_trial_flags(const struct bg_sweep *s, size_t trial);

/* The trial's configuration, resolved as train resolves it (with its
 * first seed), so that a caller can count its parameters by its own rule. */
const struct bg_train_config *sweep_trial_config(const struct bg_sweep *s, size_t trial);

/* What one run came to: its result.txt. */
struct bg_sweep_score {
    uint64_t seed;
    int finished;          /* ended, scored or crashed; when 0 the rest is 0 and bpb NaN */
    int crashed;
    double bpb;            /* the score on the held-out bytes; NaN when crashed */
    double steps, tokens;
    double flops;          /* training FLOPs */
    double params;         /* as the run counted them (config_num_params) */
};

/* Run k of trial into *out, from the run folder, so that it holds for
 * runs of an earlier session too. A run that has not ended (not started,
 * interrupted, or a repeat the sweep did not want) is finished = 0. A
 * trial or k out of range is BG_ERR_INPUT. */
int sweep_run_score(const struct bg_sweep *s, size_t trial, size_t k, struct bg_sweep_score *out,
                    struct bg_error *err);

/* `bytegpt train ...` that trains trial's configuration again. */
void sweep_command(const struct bg_sweep *s, size_t trial, char *buf, size_t n);

/* The validation curves of every trial (its first seed's log): the
 * terminal chart in *text (the caller frees), and DIR/sweep.svg. */
int sweep_chart(const struct bg_sweep *s, const struct bg_plot_options *opt, char **text, struct bg_error *err);

/* Shows v (the runs and fits of `bytegpt scaling`, plot_scaling.h) at the
 * top of the sweep's page from now on, and writes the page again. v must
 * outlive the sweep. A page that cannot be written costs the page only,
 * as everywhere in the sweep. */
int sweep_page_scaling(struct bg_sweep *s, const struct bg_scaling_view *v, struct bg_error *err);

void sweep_close(struct bg_sweep *s);

#endif
