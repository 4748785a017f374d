/* rng: an explicit, seedable random number generator (PCG32, O'Neill 2014).
 * All randomness in bytegpt (initial weights, batch windows, shard order,
 * sampling) goes through a struct bg_rng passed by the caller, so a seed
 * fixes a run and the state can be saved in a checkpoint and restored
 * exactly. The state is two integers and nothing is cached between calls. */
#ifndef BYTEGPT_RNG_H
#define BYTEGPT_RNG_H

#include <stddef.h>
#include <stdint.h>

struct bg_rng {
    uint64_t state;
    uint64_t inc; /* the stream: always odd */
};

/* Seeds a generator. Different streams with one seed are independent
 * sequences, which lets the model init, the data loader and the sampler
 * each have their own generator derived from the one --seed. */
void rng_seed(struct bg_rng *r, uint64_t seed, uint64_t stream);

/* ---- Named streams ----
 * Every use of randomness in the program draws from its own stream of the
 * one seed, listed here so that two uses can never share a stream by
 * accident. The numbers are part of what a seed means: a run's weights,
 * batches and samples follow from (seed, stream), so changing a value
 * changes every run and breaks resuming an old checkpoint bit for bit.
 * They are macros rather than an enum because a C11 enum constant is an
 * int, and the two data-loader streams are 48-bit numbers (their names in
 * ASCII, chosen when the corpus module was written). Tests draw their own
 * made-up data from small streams of their own and are not listed. */
#define BG_STREAM_BENCH_TEXT UINT64_C(0)        /* bytegpt bench: its made-up text of words */
#define BG_STREAM_INIT UINT64_C(1)              /* the model's initial weights */
#define BG_STREAM_SAMPLE UINT64_C(3)            /* text samples: during training and bytegpt sample */
#define BG_STREAM_SWEEP UINT64_C(4)             /* bytegpt sweep --random: its draws from --space */
#define BG_STREAM_BLAS_CHECK UINT64_C(5)        /* the check of a BLAS kernel: its test matrices */
#define BG_STREAM_WINDOWS UINT64_C(0x636f72707573) /* "corpus": the data loader's batch windows */
#define BG_STREAM_ORDER UINT64_C(0x6f72646572)     /* "order": a shard folder's order in each epoch */

/* A uniform 32-bit integer. */
uint32_t rng_u32(struct bg_rng *r);

/* A uniform float in [0, 1), with 24 random bits (every float it returns
 * is exactly representable). */
float rng_uniform(struct bg_rng *r);

/* A uniform integer in [0, n), without modulo bias; n must be >= 1. */
uint64_t rng_range(struct bg_rng *r, uint64_t n);

/* A normal draw with the given mean and standard deviation (Box-Muller,
 * both uniforms drawn fresh each call so that no hidden state exists). */
float rng_normal(struct bg_rng *r, float mean, float std);

#endif
