/* scaling: the compute-optimal frontier, measured on this machine.
 *
 * How big a model should a budget of compute train, and on how many
 * tokens? Hoffmann et al. (2022, "Chinchilla") answered with IsoFLOP
 * profiles: at each of several budgets, train models of several sizes
 * until each has spent the budget, and see which size ends lowest. This
 * module runs that experiment with bytegpt's own sweep:
 *
 *   - Every (budget, size) pair is a trial of a sweep in DIR, trained with
 *     --flop-budget (so a budget is the same on every machine) and with
 *     every seed (--every-seed): results.tsv, resumable, --jobs, the same
 *     noise rule, seeds and held-out score as any sweep.
 *   - The sizes are a ladder of depth and width at a fixed aspect (width =
 *     aspect x depth, heads of head_size), by default n_sizes rungs around
 *     the size Chinchilla's 20 tokens per parameter expects at the middle
 *     budget, so that each budget's best size can fall inside.
 *   - The runs go to scaling_fit (measure/): the parabolas of Approach 2,
 *     the frontier n_opt = k c^a, the law of Approach 3, the prediction at
 *     check_factor x the largest budget, and the spreads over the seeds.
 *   - --check trains the predicted size and its neighbours (x0.5, x2) at
 *     that budget, in a sweep of its own in DIR/check.
 *   - It leaves DIR/fit.txt (every coefficient and its spread),
 *     DIR/scaling.svg and the sweep's page DIR/index.html with the curves.
 *
 * Which N: the parameters a token is multiplied by, that is all of them
 * but the position table and the bigram table, which a token only looks
 * up (the token embedding counts: it is also the head). At these widths
 * the lookups are up to a third of all parameters, and they buy no
 * compute; Kaplan et al. and nanochat leave embeddings out for the same
 * reason. Chinchilla counted every parameter, which at GPT-3's widths is
 * nearly the same thing.
 *
 * This module prints nothing; the sweep's events reach the caller. */
#ifndef BYTEGPT_SCALING_H
#define BYTEGPT_SCALING_H

#include <stddef.h>

#include "bytegpt/error.h"
#include "bytegpt/fsutil.h"
#include "bytegpt/scaling_fit.h"
#include "bytegpt/settings.h"
#include "bytegpt/sweep.h"

#define BG_SCALING_MAX_SIZES 12
#define BG_SCALING_SEED_FIT 20221229 /* the resampling's RNG seed: the same fit.txt for the same runs */

struct bg_scaling_def {
    char corpus[BG_PATH_MAX];
    struct bg_settings base;          /* the preset and base flags: the recipe every size trains with */
    double budgets[BG_SCALING_MAX_BUDGETS]; /* FLOPs, increasing */
    char budget_text[BG_SCALING_MAX_BUDGETS][BG_SWEEP_VALUE_LEN]; /* as given */
    size_t n_budgets;
    size_t depths[BG_SCALING_MAX_SIZES]; /* the ladder's rungs; none given: n_sizes around the expected best */
    size_t n_depths, n_sizes;
    size_t aspect, head_size;         /* width = aspect x depth; heads = width / head_size */
    size_t seeds;
    int check;                        /* train the prediction and its neighbours */
    double check_factor;              /* the prediction's budget over the largest */
    double max_repeat;                /* the most times a run may read the training text */
    size_t resamples;                 /* resampled fits behind the spreads */
};

/* The defaults: 2 seeds, 5 sizes, aspect 16, head size 16, prediction at
 * 4 x the largest budget, at most 4 readings of the text, 200 resamples. */
void scaling_def_init(struct bg_scaling_def *d);

/* Sets one item by its flag name: "corpus", "budgets" (1e12,3e12,...),
 * "depths" (2,3,4,5,6), "sizes", "aspect", "head-size", "seeds", "check",
 * "check-factor", "max-repeat", "resamples", "preset", or any setting of
 * train but the budgets and the model's shape (those are the experiment's). */
int scaling_def_set(struct bg_scaling_def *d, const char *name, const char *value, struct bg_error *err);

/* What must hold before anything runs: a corpus, at least 2 budgets in
 * increasing order, at least 3 sizes, each a valid model. */
int scaling_def_check(const struct bg_scaling_def *d, struct bg_error *err);

/* One rung of the ladder: the model's depth, width and heads, and the N
 * the fit counts (see the top of this file). */
struct bg_scaling_size {
    size_t L, C, NH;
    double n;
};

struct bg_scaling;

/* Checks d, works out the sizes, checks that the corpus is large enough
 * (the smallest model at the largest budget, or at the prediction's with
 * --check, may read the training text at most max_repeat times: above it
 * the run is refused, naming the repetition, since a scaling law measured
 * on repeated text measures the repetition), and opens the sweep in
 * o->out (creating or continuing it). */
int scaling_open(struct bg_scaling **sc, const struct bg_scaling_def *d, const struct bg_sweep_options *o,
                 struct bg_error *err);

/* The sizes, in increasing order. */
const struct bg_scaling_size *scaling_sizes(const struct bg_scaling *sc, size_t *n);

/* Runs every pair, fits, and with --check trains the check; writes
 * fit.txt, scaling.svg and the page as results come. A stop asked through
 * the options ends it early (scaling_stopped says by which signal); the
 * same definition again continues. */
int scaling_run(struct bg_scaling *sc, struct bg_error *err);

int scaling_stopped(const struct bg_scaling *sc);

/* After scaling_run: the runs, the fit, and the check (NULL without one). */
const struct bg_scaling_point *scaling_points(const struct bg_scaling *sc, size_t *n);
const struct bg_scaling_fit *scaling_result(const struct bg_scaling *sc);
const struct bg_scaling_check *scaling_check_result(const struct bg_scaling *sc);

/* The sweep of the pairs (for its table and its events). */
const struct bg_sweep *scaling_sweep(const struct bg_scaling *sc);

/* fit.txt's text (the caller frees): every coefficient and its spread. */
char *scaling_fit_text(const struct bg_scaling *sc);

void scaling_close(struct bg_scaling *sc);

#endif
