/* rng: PCG32 (XSH RR variant). See rng.h. */
#include "bytegpt/rng.h"

#include <math.h>

#define PCG_MULT 6364136223846793005ULL

void rng_seed(struct bg_rng *r, uint64_t seed, uint64_t stream)
{
    /* The reference seeding procedure: the increment selects the stream
     * and must be odd; two steps mix the seed into the state. */
    r->state = 0;
    r->inc = (stream << 1u) | 1u;
    rng_u32(r);
    r->state += seed;
    rng_u32(r);
}

uint32_t rng_u32(struct bg_rng *r)
{
    uint64_t old = r->state;
    r->state = old * PCG_MULT + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

float rng_uniform(struct bg_rng *r)
{
    /* The top 24 bits scaled by 2^-24: exact in a float, never 1.0. */
    return (float)(rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

uint64_t rng_range(struct bg_rng *r, uint64_t n)
{
    /* Rejection sampling: draw 64 random bits and throw away the top
     * sliver that would make some residues more likely than others. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        uint64_t x = ((uint64_t)rng_u32(r) << 32) | rng_u32(r);
        if (x < limit)
            return x % n;
    }
}

float rng_normal(struct bg_rng *r, float mean, float std)
{
    /* u1 is in (0, 1] so that log(u1) is finite. Doubles keep the tails
     * accurate; the result is rounded to float once at the end. */
    double u1 = ((double)rng_u32(r) + 1.0) / 4294967296.0;
    double u2 = (double)rng_u32(r) / 4294967296.0;
    double z = sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
    return (float)(mean + std * z);
}
