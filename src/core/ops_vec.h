/* ops_vec: sums, dot products and maxima over a row of floats that the
 * compiler turns into vector instructions (internal to src/), and the
 * attribute that builds a kernel for the CPU's widest vector unit.
 *
 * Why these are needed. A loop such as `for (i) sum += x[i]` is a chain:
 * each addition waits for the previous one, and because floating-point
 * addition is not associative the compiler may not reorder it (only
 * -ffast-math would allow that, and this project does not use it). So it
 * runs one element per addition latency, about 16 times slower than the
 * machine can add. A maximum written with `>` is not vectorised either,
 * since a NaN makes `a > b ? a : b` differ from the vector max instruction.
 *
 * The cure is to write down a different, fixed order: VEC_LANES partial
 * sums, the j-th taking elements j, j + VEC_LANES, j + 2 VEC_LANES, ...,
 * added together at the end in lane order. That is a definite sequence of
 * IEEE operations, so the compiler may run the VEC_LANES chains side by
 * side in one vector register, and every build (AVX-512, AVX2, plain
 * x86-64) gives the same bits. The order depends only on n, never on the
 * number of threads. Its rounding error is no worse than the plain loop's:
 * each element passes through at most n / VEC_LANES + VEC_LANES additions. */
#ifndef BYTEGPT_OPS_VEC_H
#define BYTEGPT_OPS_VEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Builds the function it marks for AVX-512, for AVX2 and for plain x86-64,
 * and picks the best one this CPU has when the program loads (GCC's
 * target_clones, through glibc's ifunc). IEEE arithmetic gives the same
 * bits whatever the vector width, and -std=c11 keeps the compiler from
 * fusing multiplies and adds, so every clone computes exactly the same
 * result. The static inline helpers below are compiled into each clone of
 * the kernel that calls them. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/* 16 floats: one AVX-512 register, two AVX2 ones. */
#define VEC_LANES 16

/* The partial sums added together, lane 0 first. */
static inline float vec_total(const float acc[VEC_LANES])
{
    float sum = 0.0f;
    for (size_t j = 0; j < VEC_LANES; j++)
        sum += acc[j];
    return sum;
}

/* sum_i x[i], in VEC_LANES partial sums. */
static inline float vec_sum(const float *x, size_t n)
{
    float acc[VEC_LANES] = {0};
    size_t i = 0;
    for (; i + VEC_LANES <= n; i += VEC_LANES)
        for (size_t j = 0; j < VEC_LANES; j++)
            acc[j] += x[i + j];
    for (size_t j = 0; i + j < n; j++)
        acc[j] += x[i + j];
    return vec_total(acc);
}

/* sum_i x[i] y[i], in VEC_LANES partial sums. */
static inline float vec_dot(const float *x, const float *y, size_t n)
{
    float acc[VEC_LANES] = {0};
    size_t i = 0;
    for (; i + VEC_LANES <= n; i += VEC_LANES)
        for (size_t j = 0; j < VEC_LANES; j++)
            acc[j] += x[i + j] * y[i + j];
    for (size_t j = 0; i + j < n; j++)
        acc[j] += x[i + j] * y[i + j];
    return vec_total(acc);
}

/* A float's bits as an integer that orders the same way as the floats do:
 * positive floats already compare like their bits; for negative ones
 * (sign bit set, so a negative integer) flipping the other 31 bits
 * reverses their order, as it must be. Integer maxima vectorise. Every
 * NaN (whatever its sign bit: x86's own NaN has it set) maps to the
 * largest key, so a row holding one has a NaN maximum. */
static inline int32_t vec_key(float f)
{
    int32_t i;
    memcpy(&i, &f, sizeof i);
    int32_t k = i ^ (int32_t)((uint32_t)(i >> 31) & 0x7fffffffu);
    /* All ones for a NaN (its magnitude bits above infinity's), written
     * without a branch or a select, which would keep the loop scalar. */
    int32_t nan = (0x7f800000 - (i & 0x7fffffff)) >> 31;
    return (k & ~nan) | (INT32_MAX & nan);
}

static inline float vec_unkey(int32_t k)
{
    k ^= (int32_t)((uint32_t)(k >> 31) & 0x7fffffffu);
    float f;
    memcpy(&f, &k, sizeof f);
    return f;
}

/* max_i x[i] (n >= 1), exactly, through vec_key. */
static inline float vec_max(const float *x, size_t n)
{
    int32_t acc[VEC_LANES];
    for (size_t j = 0; j < VEC_LANES; j++)
        acc[j] = vec_key(x[0]);
    size_t i = 0;
    for (; i + VEC_LANES <= n; i += VEC_LANES)
        for (size_t j = 0; j < VEC_LANES; j++) {
            int32_t k = vec_key(x[i + j]);
            acc[j] = k > acc[j] ? k : acc[j];
        }
    for (size_t j = 0; i + j < n; j++) {
        int32_t k = vec_key(x[i + j]);
        acc[j] = k > acc[j] ? k : acc[j];
    }
    int32_t best = acc[0];
    for (size_t j = 1; j < VEC_LANES; j++)
        best = acc[j] > best ? acc[j] : best;
    return vec_unkey(best);
}

#endif
