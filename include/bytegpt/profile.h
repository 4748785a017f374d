/* profile: where a training step's time goes, for `bytegpt bench`.
 *
 * The step itself (trainer_step, model_forward, model_backward) carries no
 * timers, so that it reads like the algorithm it is. This module measures
 * it from outside instead, one phase at a time:
 *
 *   data loading   the --accum micro-batches a step draws from the corpus;
 *   clip + AdamW   clipping a real gradient and one AdamW update of the
 *                  model, undone afterwards from a copy;
 *   Muon           under --optim muon, Muon's update of the blocks'
 *                  matrices (its Newton-Schulz products, mostly) on the
 *                  same gradient, undone likewise;
 *   the kernels    every kernel a step's forward and backward run, at the
 *                  same shapes, grouped by kind (all the matmul forwards,
 *                  then all the attention forwards, ...), one clock around
 *                  each group.
 *
 * What no phase covers is the rest of a step, which bench shows as the
 * difference between a whole step's time and the phases', and splits by
 * two more clocks on the real model: one around model_zero_grad, one
 * around its forward and backward. The second, less the kernels' phases,
 * is what happens between the kernels: the gradient buffers the backward
 * zeroes, the calls, and the cache: kernels run back to back on the same
 * scratch find more of their data in cache than inside a step. */
#ifndef BYTEGPT_PROFILE_H
#define BYTEGPT_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/arena.h"
#include "bytegpt/error.h"
#include "bytegpt/model.h"
#include "bytegpt/train.h"

/* The phases, in the order bench prints them. The kernels' come first. */
enum bg_phase {
    BG_PH_MATMUL_FWD, BG_PH_MATMUL_BWD, BG_PH_ATTN_FWD, BG_PH_ATTN_BWD, BG_PH_LAYERNORM,
    BG_PH_GELU, BG_PH_LOSS, BG_PH_EMBED, BG_PH_OPTIM, BG_PH_MUON, BG_PH_DATA, BG_N_PHASES
};
extern const char *const bg_phase_names[BG_N_PHASES];

/* The matrix products of one micro-batch: count products of (B*T, C)
 * activations with an (OC, C) weight, with a bias of OC or without, and
 * adding the residual stream (B*T, OC) to their output or not. */
struct bg_matmul_shape {
    size_t count, C, OC;
    int bias, residual;
};
#define BG_PROFILE_N_MATMULS 5

/* Per block qkv (C -> 3C), the attention's projection (C -> C), the MLP's
 * two layers (C -> 4C -> C), each L times; the LM head (C -> V) once. */
void profile_matmuls(const struct bg_config *cfg, struct bg_matmul_shape s[BG_PROFILE_N_MATMULS]);

/* Scratch for the measurements, sized for one trainer. The kernels read
 * and write it instead of the model, and the parameters and moments
 * AdamW updates are put back, so that measuring never changes them. */
struct bg_profile {
    double seconds[BG_N_PHASES]; /* summed over the steps measured */
    double zero_seconds;         /* the real model_zero_grad, summed likewise */
    double pass_seconds;         /* the real forward and backward, x accum, summed likewise */
    size_t steps;                /* steps measured */
    struct bg_config cfg;
    size_t B, T, accum;
    struct bg_matmul_shape mm[BG_PROFILE_N_MATMULS];
    struct bg_arena arena;
    float *x, *y, *dx;           /* (B,T,max(4C,V)): inputs, outputs, input gradients */
    float *w, *dw;               /* a weight (or wte | wpe) and its gradient */
    float *vec, *dvec;           /* a bias or LayerNorm weight | bias, and gradients */
    float *mean, *rstd, *losses; /* (B,T) */
    float *att, *datt;           /* (B,NH,T,T) */
    uint8_t *inputs, *targets;   /* (B,T) */
    float *params, *m, *v;       /* the model's, kept while AdamW runs on it */
    float *rope_cos, *rope_sin;  /* the recipe's, NULL when it lacks them: the rotary table, */
    float *qk_rstd, *th;         /* QK-norm's rstd, the soft cap's tanh, */
    float *bigram, *dbigram;     /* and a bigram table with its gradient */
    /* Under --optim muon: the layout (for Muon's matrices) and Newton-
     * Schulz scratch of muon_scratch_floats, for the roofline's products. */
    int muon;
    struct bg_tensor tensors[BG_N_TENSORS];
    float *ns;
};

/* Sizes and allocates the scratch for trainer t (zeroed: every phase adds
 * to seconds). */
int profile_init(struct bg_profile *p, const struct bg_trainer *t, struct bg_error *err);
void profile_free(struct bg_profile *p);

/* Measures one step of t at learning rate lr, adding each phase's seconds
 * to p->seconds. It draws a step's batches from t's corpus (which moves on,
 * as after a step) and runs one forward and backward on the model, untimed,
 * so that clipping sees a real gradient; the model's parameters and AdamW
 * moments stay as they were. */
int profile_step(struct bg_profile *p, struct bg_trainer *t, double lr, struct bg_error *err);

#endif
