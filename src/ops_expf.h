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

#endif
