/* train: one step of pre-training, and the configuration of a run.
 *
 * A step reads like the algorithm: next batch, forward, zero grads,
 * backward (summed over --accum micro-batches), clip, update. The loop
 * around it (evaluation, samples, the log, checkpoints) is the run
 * module's (run.h), and the presets and the checks of a configuration are
 * the settings' (settings.h); this module prints nothing. */
#ifndef BYTEGPT_TRAIN_H
#define BYTEGPT_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/adamw.h"
#include "bytegpt/bigram.h"
#include "bytegpt/corpus.h"
#include "bytegpt/error.h"
#include "bytegpt/model.h"
#include "bytegpt/schedule.h"

/* Everything that defines a run. --batch is the rows of one forward pass
 * (a micro-batch); each update sums the gradients of --accum of them, so
 * an update sees batch * accum * ctx tokens. */
enum bg_optim { BG_OPT_ADAMW = 0, BG_OPT_MUON = 1 };     /* --optim adamw|muon */

/* Muon's learning rate and WSD's decay share unless given: the speedrun's
 * 0.02 (Muon's updates have a fixed size, so its rate is not AdamW's), and
 * a decay over the last 30% of the run. */
#define BG_MUON_LR_DEFAULT 0.02
#define BG_DECAY_DEFAULT 0.3

struct bg_train_config {
    struct bg_config model;
    size_t batch, accum;
    uint64_t steps;        /* updates; with a time budget, an upper bound (0: none) */
    double time_budget;    /* seconds; 0 for a run counted in steps */
    double flop_budget;    /* training FLOPs, which settings turn into steps; 0: none */
    double lr, min_lr;
    uint64_t warmup;       /* steps of linear warmup */
    double weight_decay, beta1, beta2, clip;
    int optim;             /* AdamW for every tensor, or Muon for the blocks' matrices */
    double muon_lr;        /* Muon's own learning rate (the schedule shapes it too) */
    int schedule;          /* the shape after warmup: BG_SCHEDULE_COSINE or _WSD (schedule.h) */
    double decay;          /* wsd: the share of the run spent decaying to min_lr */
    uint64_t eval_every, eval_batches, sample_every, ckpt_every;
    uint64_t seed;
    int threads;
};

/* Sets the threads OpenBLAS and OpenMP use; n <= 0 means this process's
 * share of the cores (all of them when it runs alone, dist.h). */
void train_set_threads(int n);

/* The trainer: a model, its optimizer, and batch buffers, all allocated
 * once by trainer_init; trainer_step allocates nothing. */
struct bg_trainer {
    struct bg_train_config cfg;
    struct bg_model model;
    struct bg_adamw opt;
    struct bg_tensor tensors[BG_N_TENSORS];
    /* AdamW's part of the layout: tensors, but with those Muon updates
     * (under --optim muon) at size 0, which adamw_update passes over. */
    struct bg_tensor adamw_tensors[BG_N_TENSORS];
    struct bg_corpus *corpus; /* not owned */
    uint8_t *inputs, *targets; /* (batch, ctx) each, carved from io */
    struct bg_bigram_rows rows; /* with a bigram table: the rows this step used */
    float *packed;             /* their gradients, one row after another (io) */
    float *muon_scratch;       /* under --optim muon, muon_scratch_floats, carved from io */
    struct bg_arena io;
    uint64_t step;             /* updates done */
    uint64_t tokens;           /* training tokens seen, by all processes */
    size_t rank, ranks;        /* this process, of the run's processes (dist.h) */
};

/* What one step did, for the log and the progress line. */
struct bg_step_result {
    double loss;      /* mean train loss over the accumulated micro-batches */
    double grad_norm; /* global norm before clipping */
    double lr;
};

/* AdamW's view of the layout t: the same tensors, but those another update
 * owns have no size, so that adamw_update passes over them: the bigram
 * table (its rows, adamw_update_rows) and under --optim muon the blocks'
 * matrices (muon.h). The one place that says which update owns what. */
void trainer_adamw_view(int optim, const struct bg_tensor t[BG_N_TENSORS], struct bg_tensor view[BG_N_TENSORS]);

/* Builds the trainer for cfg, which must be valid (settings_resolve
 * gives only valid ones), on an open corpus, as process `rank` of `ranks`
 * (0 of 1 alone; dist.h says which under mpirun). */
int trainer_init(struct bg_trainer *t, const struct bg_train_config *cfg, struct bg_corpus *corpus, size_t rank,
                 size_t ranks, struct bg_error *err);
void trainer_free(struct bg_trainer *t);

/* One update at learning rate lr (AdamW's) and muon_lr (Muon's, for the
 * blocks' matrices under --optim muon; unused under AdamW). A loss or gradient norm that is NaN or
 * infinite stops before the update (BG_ERR_RUNTIME), so the parameters
 * stay as they were.
 *
 * With N processes (ranks), one update consumes N * accum micro-batches:
 * every rank draws all of them from its own copy of the corpus, in the
 * order one process with --accum N*accum would, and runs forward and
 * backward on its own block of accum of them (rank r: micro-batches
 * r*accum .. (r+1)*accum - 1). One all-reduce sums the gradients, so every
 * rank holds the gradient one process would have computed, up to the
 * order of the float sums, and takes the identical update. The loss and
 * the gradient norm are those of the whole step. A NaN stops every rank
 * at the same step; rank 0 alone says why (the others' message is empty). */
int trainer_step(struct bg_trainer *t, double lr, double muon_lr, struct bg_step_result *r, struct bg_error *err);

/* The mean validation loss (nats per byte) over cfg.eval_batches fixed
 * validation batches. With several ranks, rank r evaluates batches r,
 * r + N, r + 2N, ... and the sums are added up in double precision, so
 * the result equals one process's up to the rounding of that sum. */
double trainer_evaluate(struct bg_trainer *t);

#endif
