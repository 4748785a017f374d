/* ops_expf: a vectorisable e^x shared by the kernels (internal to src/).
 * It clamps its argument to [-80, 80]: beyond, e^x is replaced by e^+-80,
 * which a sigmoid or a softmax cannot tell from the true value to within
 * e^-80 absolutely. */
#ifndef BYTEGPT_OPS_EXPF_H
#define BYTEGPT_OPS_EXPF_H

#include <stdint.h>
#include <string.h>

/* e^x for GELU's sigmoid and attention's softmax. glibc's expf and tanhf
 * are function calls with branches: on the random inputs of a training
 * step they cost about 20 ns an element and made GELU 40% of the step.
 * This version is plain arithmetic that the compiler vectorises, accurate
 * to a few ulp (the tests derive their bounds from Horner's rule: at most
 * 2 gamma(16) + 1.2 u relative):
 * - clamp x to [-80, 80], where e^x is a normal float and the sigmoid has
 *   long since saturated (1 / (1 + e^80) is below 2^-115). The clamp works
 *   on the bits (|x| > 80 compares as integers), because a float compare
 *   may raise an exception and so keeps the compiler from vectorising;
 *   a NaN becomes +-80 here, so callers keep a NaN visible by other means
 *   (GELU multiplies by x; a softmax row's max is then NaN);
 * - split x = n ln2 + r with n an integer and |r| <= ln2 / 2, using ln2 in
 *   two parts (Cody and Waite) so that n * ln2_hi is exact;
 * - e^r by its Taylor series to r^7 (truncation below 6e-9 relative);
 * - 2^n by adding n to the float's exponent bits. */
static inline float ops_expf(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    const uint32_t eighty = 0x42a00000u; /* the bits of 80.0f */
    bits = (bits & 0x7fffffffu) > eighty ? (bits & 0x80000000u) | eighty : bits;
    memcpy(&x, &bits, sizeof x);
    /* Adding and subtracting 1.5 * 2^23 rounds to the nearest integer in
     * the default rounding mode, without a call to rintf. */
    float nf = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = (x - nf * 0.693145751953125f) - nf * 1.42860682030941723e-6f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t n = (int32_t)nf; /* within [-116, 116] after the clamp */
    memcpy(&bits, &p, sizeof bits);
    bits += (uint32_t)n << 23;
    memcpy(&p, &bits, sizeof p);
    return p;
}

/* The argument reduction in double that ops_expf_accurate and the soft
 * cap's tanh (ops_loss.c) share: x = n ln2 + r, n the integer nearest to
 * x / ln2, |r| <= ln2 / 2. Returns r and sets *scale = 2^n, built in its
 * exponent bits; x must be small enough that 2^n is a normal double.
 * Adding 1.5 * 2^52 rounds x / ln2 to n and leaves n in the low bits of
 * the sum. */
static inline double ops_exp_reduce(double x, double *scale)
{
    double big = x * 1.4426950408889634 + 6755399441055744.0, nd = big - 6755399441055744.0;
    uint64_t nbits;
    memcpy(&nbits, &big, sizeof nbits);
    int64_t n = (int64_t)(nbits - 0x4338000000000000u);
    uint64_t scale_bits = (uint64_t)(n + 1023) << 52;
    memcpy(scale, &scale_bits, sizeof *scale);
    return x - nd * 0.6931471805599453;
}

/* e^x within 1 ulp, like glibc's expf, for the softmax of the loss,
 * whose tests (and the PyTorch fixture) hold it to that accuracy; unlike
 * glibc's expf it is plain arithmetic that the compiler vectorises. It
 * works in double, where the same three steps as ops_expf leave an error
 * far below a float's last bit (about 1e-10 relative: the argument
 * split about 3e-14, Taylor to r^8 at most 2e-10, Horner's rule in double
 * a few 1e-16), so the one rounding to float at the end gives a result
 * within 0.5 ulp + 1e-10 relative of e^x. Arguments are clamped to
 * [-110, 100] first, where e^x already rounds to 0 or overflows to
 * infinity as a float; a NaN stays a NaN (the clamp skips it). */
static inline float ops_expf_accurate(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    uint32_t mag = bits & 0x7fffffffu, sign = bits & 0x80000000u;
    const uint32_t limit = sign ? 0x42dc0000u : 0x42c80000u; /* 110.0f, 100.0f */
    /* All ones when |x| is beyond the limit but x is not a NaN, written
     * with masks so that the loop stays a vector loop. */
    uint32_t clamp = (uint32_t)-(int32_t)((mag > limit) & (mag <= 0x7f800000u));
    bits = (bits & ~clamp) | ((sign | limit) & clamp);
    memcpy(&x, &bits, sizeof x);
    double scale, r = ops_exp_reduce(x, &scale); /* n within [-159, 145] */
    double p = 1.0 / 40320;
    p = p * r + 1.0 / 5040;
    p = p * r + 1.0 / 720;
    p = p * r + 1.0 / 120;
    p = p * r + 1.0 / 24;
    p = p * r + 1.0 / 6;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    return (float)(p * scale);
}

#endif
