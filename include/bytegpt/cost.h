/* cost: what a model and a run cost, beside real pre-training runs.
 *
 * The bill has three parts. Parameters, by group (embeddings, attention,
 * MLP, LayerNorm). Memory, from model_memory: the parameters, their
 * gradients and AdamW's two moments (four blocks of the same size), and
 * the activations a batch keeps for backward. Compute: training FLOPs per
 * token 6N + 6*L*ctx*C (config_flops_per_token), times the tokens of a
 * run, and the same count, 6*N*D, for two famous pre-training runs, as a
 * ratio to this run and as the time each would take on this machine at a
 * given rate of FLOP/s.
 *
 * The rate is a parameter so that a figure `bytegpt bench` measured can
 * be passed in; until then callers use BG_COST_ASSUMED_FLOPS and say
 * that it is assumed. The training summary reuses the same bill. */
#ifndef BYTEGPT_COST_H
#define BYTEGPT_COST_H

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/model.h"
#include "bytegpt/train.h"

/* An assumed sustained training rate for a small CPU (2-4 cores with
 * AVX2 FMA reach roughly 30-100 GFLOP/s in sgemm), used when no measured
 * figure is at hand. */
#define BG_COST_ASSUMED_FLOPS 60e9

/* Parameters by group; the sum is config_num_params. */
struct bg_param_groups {
    size_t embeddings; /* wte (V,C, also the tied LM head), wpe (ctx,C), an untied
                        * head (V,C) and the bigram table (65536,C) */
    size_t attention;  /* qkv and output projections with biases, all layers */
    size_t mlp;        /* C -> 4C -> C with biases, all layers */
    size_t layernorm;  /* ln_1, ln_2 per layer and ln_f: weights and biases */
    size_t total;
};

void cost_param_groups(const struct bg_config *cfg, struct bg_param_groups *g);

/* A real pre-training run, counted as 6*N*D. */
struct bg_cost_ref {
    const char *name;    /* "GPT-2 124M" */
    const char *source;  /* where its N and D come from, one line */
    double params;       /* N */
    double tokens;       /* D */
    double flops;        /* 6*N*D */
    double ratio;        /* flops / this run's flops */
    double seconds;      /* flops / rate: its time on this machine */
};

#define BG_COST_N_REFS 2

extern const struct bg_cost_ref bg_cost_refs[BG_COST_N_REFS];

struct bg_cost {
    struct bg_param_groups groups;
    struct bg_memory mem;     /* for the batch given */
    size_t batch;
    double flops_per_token;   /* 6N + 6*L*ctx*C */
    double optimizer_flops;   /* per step: Muon's Newton-Schulz products (0 under AdamW; cost_add_optimizer) */
    double tokens;            /* this run's training tokens */
    double flops;             /* flops_per_token * tokens */
    double rate;              /* FLOP/s the times below assume */
    double seconds;           /* this run's time at rate */
    struct bg_cost_ref refs[BG_COST_N_REFS];
};

/* Fills the bill of training cfg with batch rows of ctx for tokens
 * tokens, at rate FLOP/s (> 0; BG_COST_ASSUMED_FLOPS without a measured
 * figure). tokens may be 0, which leaves the ratios 0. */
void cost_bill(const struct bg_config *cfg, size_t batch, double tokens, double rate, struct bg_cost *bill);

/* The training FLOPs of a run after `steps` updates of `tokens` tokens in
 * all: 6N + 6*L*ctx*C per token, plus, under --optim muon, the
 * optimizer's own matrix products, the Newton-Schulz iterations of every
 * update (muon_flops_per_step), which no per-token count holds. Under
 * AdamW it is exactly config_flops_per_token * tokens. */
double cost_train_flops(const struct bg_train_config *c, double tokens, double steps);

/* The training FLOPs of one update with `ranks` processes: the count
 * cost_train_flops gives to one step of batch * accum * ranks * ctx
 * tokens. Every update costs the same. */
double cost_step_flops(const struct bg_train_config *c, size_t ranks);

/* The most updates whose training FLOPs, counted as the log counts them
 * (cost_train_flops of their steps and tokens), do not exceed budget,
 * with `ranks` processes: 0 when one step costs more. This is what a
 * FLOP budget (--flop-budget, settings.h) buys, so that the run ends
 * within one step of it. The answer must stay below 2^52 steps (the
 * caller refuses a budget that buys more), where doubles count whole
 * steps exactly. */
uint64_t cost_steps_within(const struct bg_train_config *c, size_t ranks, double budget);

/* Adds to the bill the optimizer's FLOPs of `steps` updates (under
 * --optim muon, the Newton-Schulz products; under AdamW nothing, whose
 * few operations per parameter no FLOP count of training includes): the
 * run's flops, seconds and the references' ratios follow. */
void cost_add_optimizer(struct bg_cost *bill, const struct bg_train_config *c, double steps);

/* ---- Data parallelism: what more processes cost ----
 *
 * N processes (one per machine) each compute the gradient of their share
 * of a step, then all-reduce it: every process ends with the sum. A ring
 * all-reduce, which MPI and NCCL use for large buffers, passes the buffer
 * around the ring in N pieces twice (once adding up, once handing out the
 * sums), so each process sends, and receives, 2(N-1)/N of the gradient's
 * bytes per step: nearly twice the gradient, however large N grows. On a
 * link of L bytes/s that takes 2(N-1)/N * G / L seconds. bytegpt reduces
 * after the backward pass, not during it, so the step takes compute +
 * all-reduce, and the efficiency (the share of the step spent computing)
 * is compute / (compute + all-reduce). The latency of the ring's 2(N-1)
 * messages is left out: the figures are a best case. */
struct bg_dp_cost {
    int ranks;              /* N */
    double bytes;           /* sent per process per step: 2(N-1)/N * 4 * params */
    double comm_seconds;    /* bytes / link */
    double compute_seconds; /* one process's step */
    double efficiency;      /* compute / (compute + comm) */
    double tokens_per_s;    /* all processes: N * step tokens / (compute + comm) */
};

/* The cost of one step at N = ranks processes, each computing step_tokens
 * tokens in compute_seconds, over a link of link_bytes_per_s. */
void cost_data_parallel(size_t n_params, double step_tokens, double compute_seconds, double link_bytes_per_s,
                        int ranks, struct bg_dp_cost *c);

#endif
