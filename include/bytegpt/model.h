/* model: a GPT-2-style transformer over bytes.
 *
 * tokens (B,T) -> token + position embedding -> L pre-LN blocks
 *   x = x + attn(ln_1(x));  x = x + mlp(ln_2(x))
 * -> final LayerNorm -> logits (B,T,V) through the LM head, which is the
 * token embedding itself (tied weights) -> softmax cross-entropy.
 * That is GPT-2; the recipe (struct bg_config) may swap in, each
 * independently of the others: rotary positions (no position embedding;
 * q and k turned by their position in each head) and QK-norm (each head's
 * q and k RMS-normalised before the scores), RMSNorm for the three
 * LayerNorms, ReLU^2 for the MLP's GELU, a head of its own (lmhead),
 * soft-capped logits, and a byte-bigram embedding added at the input.
 *
 * All parameters live in one contiguous block of floats, in the order of
 * struct bg_params below, so that the optimizer, gradient clipping and
 * checkpoints treat them as one array. Gradients and the two AdamW moments
 * are blocks of the same layout, all four carved from one arena; the
 * activations (and their gradients) from a second arena, sized for the
 * largest batch B the model will see. Both sizes are known before
 * anything is allocated (model_memory), so a caller can refuse a model too
 * large for the machine with the estimate. */
#ifndef BYTEGPT_MODEL_H
#define BYTEGPT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/arena.h"
#include "bytegpt/error.h"
#include "bytegpt/rng.h"

/* The block's recipe. Each choice is a setting of its own (a flag, a line
 * of config.txt, a field of the checkpoint); the zero of every field is
 * GPT-2's choice of 2019, so a configuration that names none of them is the
 * GPT-2 model, bit for bit. The later choices are those of today's public
 * recipes (the modded-nanogpt speedrun, nanochat). */
enum bg_norm { BG_NORM_LAYER = 0, BG_NORM_RMS = 1 };    /* --norm layernorm|rmsnorm */
enum bg_pos { BG_POS_LEARNED = 0, BG_POS_ROTARY = 1 };  /* --pos learned|rotary */
enum bg_act { BG_ACT_GELU = 0, BG_ACT_RELU2 = 1 };      /* --act gelu|relu2 */
enum bg_head { BG_HEAD_TIED = 0, BG_HEAD_UNTIED = 1 };  /* --head tied|untied */

/* The byte-bigram table has one row per (previous byte, byte) pair. */
#define BG_BIGRAM_ROWS (256 * 256)

struct bg_config {
    size_t L;   /* layers (blocks) */
    size_t NH;  /* attention heads */
    size_t C;   /* channels (embedding width) */
    size_t ctx; /* the longest sequence: rows of the position embedding */
    size_t V;   /* vocabulary: always 256 bytes */
    int norm;   /* LayerNorm (weight and bias) or RMSNorm (a gain only) */
    int pos;    /* learned positions (wpe) or rotary, which has no table */
    int qk_norm; /* 1: RMS-normalise each head's q and k before the scores */
    int act;    /* the MLP's activation: GELU (tanh form) or ReLU squared */
    int head;   /* the LM head: wte itself, or its own matrix, zero-initialised
                 * with the blocks' output projections */
    int bigram; /* 1: a byte-bigram embedding is added to the input */
    double softcap; /* > 0: logits become softcap * tanh(logits / softcap) */
};

/* True when cfg names only GPT-2's choices. */
int config_is_gpt2(const struct bg_config *cfg);

/* Checks the sizes: all positive, C divisible by NH, V = 256, and small
 * enough that sizes cannot overflow; each recipe field one of its values,
 * an even head size under rotary (it rotates pairs), a finite softcap >= 0. */
int config_validate(const struct bg_config *cfg, struct bg_error *err);

/* The model's shape as every command prints it: "1 layer, 4 heads, dim
 * 128, ctx 64", followed by the recipe's choices that are not GPT-2's
 * (", rmsnorm, rotary, softcap 15"). Returns buf. */
const char *config_describe(const struct bg_config *cfg, char *buf, size_t n);

/* Room for the longest description: the shape and every choice. */
#define BG_CONFIG_DESCRIBE_LEN 192

/* The number of parameters (a tied LM head is counted once). */
size_t config_num_params(const struct bg_config *cfg);

/* The parameters before the sparse bigram table (all of them without
 * one): the tensors every step updates whole, and the N of 6N (a table
 * lookup costs one row per token, whatever the table's size). */
size_t config_dense_params(const struct bg_config *cfg);

/* Training FLOPs per token, 6N + 6*L*ctx*C: 2N multiply-adds forward and
 * 4N backward for the weights, plus attention's scores and weighted sums,
 * which grow with the context (Kaplan et al. 2020; the PaLM paper's MFU
 * formula). N here is every parameter but the byte-bigram table's: a
 * table lookup adds one row per token, whatever its size. */
double config_flops_per_token(const struct bg_config *cfg);

/* ---- Parameters ---- */

#define BG_N_TENSORS 18
#define BG_TENSOR_BIGRAM (BG_N_TENSORS - 1) /* the table is last: the rest is dense */

/* Pointers into the parameter block (or into a gradient or moment block
 * of the same layout). Shapes: wte (V,C), wpe (ctx,C), then per layer
 * ln1w ln1b (L,C), qkvw (L,3C,C), qkvb (L,3C), attprojw (L,C,C),
 * attprojb (L,C), ln2w ln2b (L,C), fcw (L,4C,C), fcb (L,4C),
 * fcprojw (L,C,4C), fcprojb (L,C), lnfw lnfb (C), then lmhead (V,C) and
 * bigram (BG_BIGRAM_ROWS,C). A tensor the recipe does not use has no rows
 * (size 0), so GPT-2's layout is the first 16 tensors, unchanged: wpe under
 * rotary, the three LayerNorm biases under RMSNorm, lmhead unless untied,
 * bigram unless on. */
struct bg_params {
    float *wte, *wpe;
    float *ln1w, *ln1b, *qkvw, *qkvb, *attprojw, *attprojb;
    float *ln2w, *ln2b, *fcw, *fcb, *fcprojw, *fcprojb;
    float *lnfw, *lnfb;
    float *lmhead, *bigram;
};

/* One tensor of the layout, for the optimizer, checkpoints and export. */
struct bg_tensor {
    const char *name;    /* our name: "wte", "qkvw", ... */
    size_t offset;       /* in floats from the start of the block */
    size_t size;         /* floats, all layers together */
    size_t layers;       /* L for per-layer tensors, else 1 */
    size_t rows, cols;   /* shape of one layer's slice (cols 1 for vectors) */
    int decay;           /* 1: weight decay applies (matrices and embeddings) */
};

/* Fills t[BG_N_TENSORS] with the layout for cfg. */
void model_tensors(const struct bg_config *cfg, struct bg_tensor t[BG_N_TENSORS]);

/* ---- Memory ---- */

struct bg_memory {
    size_t params;      /* bytes of each of: params, grads, m, v */
    size_t param_arena; /* params | grads | m | v, padding included */
    size_t acts;        /* activations for batch B */
    size_t act_grads;   /* their gradients */
    size_t act_arena;   /* activations | gradients | scratch */
    size_t total;       /* both arenas */
};

void model_memory(const struct bg_config *cfg, size_t B, struct bg_memory *mem);

/* ---- The model ---- */

/* Saved activations of one forward pass, each for the largest batch. A
 * buffer the recipe does not need has size 0: the means under RMSNorm,
 * logits_tanh without soft-capping, qk_rstd without QK-norm, rope_cos and
 * rope_sin without rotary. */
struct bg_acts {
    float *encoded;     /* (B,T,C) */
    float *ln1;         /* (L,B,T,C) */
    float *ln1_mean, *ln1_rstd; /* (L,B,T) */
    float *qkv;         /* (L,B,T,3C); q and k as attention used them: after
                         * QK-norm and rotary, when on (both in place) */
    float *qk_rstd;     /* (L,B,T,2NH) QK-norm's 1/rms of each head's q, then k */
    float *atty;        /* (L,B,T,C) attention output before projection */
    float *att;         /* (L,B,NH,T,T) softmax probabilities */
    float *residual2;   /* (L,B,T,C) x after the attention half */
    float *ln2;         /* (L,B,T,C) */
    float *ln2_mean, *ln2_rstd; /* (L,B,T) */
    float *fch;         /* (L,B,T,4C) MLP hidden before the activation */
    float *fch_act;     /* (L,B,T,4C) after it (GELU or ReLU^2) */
    float *residual3;   /* (L,B,T,C) x after the block */
    float *lnf;         /* (B,T,C) */
    float *lnf_mean, *lnf_rstd; /* (B,T) */
    float *probs;       /* (B,T,V) softmax of the logits */
    float *losses;      /* (B,T) */
    float *logits_tanh; /* (B,T,V) tanh(logits / softcap), for its backward */
    /* Not an activation but carved beside them, filled once by model_init:
     * rotary's cos and sin of t theta_i (ctx, HS/2). */
    float *rope_cos, *rope_sin;
};

/* Gradients of the activations. Only one layer's worth is kept for most
 * of them: backward walks the layers from last to first and each layer's
 * gradients are consumed before the next (earlier) layer needs space. */
struct bg_act_grads {
    float *residual;    /* (B,T,C) gradient flowing down the residual stream */
    float *ln;          /* (B,T,C) gradient of ln1/ln2/lnf outputs */
    float *qkv;         /* (B,T,3C) */
    float *atty;        /* (B,T,C) */
    float *att;         /* (B,NH,T,T) scratch for attention backward */
    float *fch_act;     /* (B,T,4C), then in place that of fch */
    float *logits;      /* (B,T,V) of the capped logits, then in place of the raw ones */
};

struct bg_model {
    struct bg_config cfg;
    size_t max_B;          /* activations are sized for this batch */
    size_t num_params;
    struct bg_arena param_arena, act_arena;
    float *params, *grads, *m, *v; /* each num_params floats */
    struct bg_params p, g;
    struct bg_acts a;
    struct bg_act_grads d;
    /* The shapes and targets of the last forward, for backward. */
    size_t B, T;
    const uint8_t *inputs, *targets;
    double loss;
};

/* Allocates a model for cfg and batches of up to max_B rows (parameters
 * zero; call model_init_weights or load a checkpoint). */
int model_init(struct bg_model *m, const struct bg_config *cfg, size_t max_B, struct bg_error *err);
void model_free(struct bg_model *m);

/* GPT-2's init, which the PyTorch reference (scripts/torch_gpt.py)
 * repeats: normal(0, 0.02) for weights and embeddings, 0.02/sqrt(2L) for
 * the two output projections of each block
 * (attprojw, fcprojw), zero biases, LayerNorm weights one. The bigram
 * table starts at zero; with an untied head, so do the head and the two
 * output projections. */
void model_init_weights(struct bg_model *m, struct bg_rng *rng);

/* Runs the model on inputs (B,T), B <= max_B, T <= ctx. With targets
 * (B,T) it returns the mean cross-entropy in nats and keeps what backward
 * needs; without (NULL) it returns 0 and only a.probs is meaningful. */
double model_forward(struct bg_model *m, const uint8_t *inputs, const uint8_t *targets,
                     size_t B, size_t T);

/* Sets every parameter gradient to zero. */
void model_zero_grad(struct bg_model *m);

/* Zeroes the dense gradients only (config_dense_params). The trainer keeps the table's gradient at
 * zero between steps itself, row by row (bigram.h), so a step never
 * sweeps the table's 65,536 rows. */
void model_zero_grad_dense(struct bg_model *m);

/* Adds to m->grads the gradient of the last forward's loss, multiplied
 * by loss_scale (1 for one batch, 1/k for k accumulated micro-batches). */
void model_backward(struct bg_model *m, float loss_scale);

/* The probabilities (V) the last forward gave for the byte after row b's
 * position t. */
const float *model_probs(const struct bg_model *m, size_t b, size_t t);

#endif
