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
