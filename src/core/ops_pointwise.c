/* ops_pointwise: GELU and ReLU^2, the residual add, and the token and position
 * embeddings, with their backward passes. See ops_matmul.h for the
 * conventions all ops_* kernels share. These kernels touch each element a
 * few times and do little arithmetic, so their speed is that of memory;
 * OpenMP spreads them over the cores. */
#include "bytegpt/ops_pointwise.h"

#include "ops_expf.h"
#include "ops_vec.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---- GELU ---- */

/* GPT-2's GELU is the tanh approximation of x * Phi(x), Phi the normal
 * distribution function:
 *     gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
 * Since 0.5 (1 + tanh(u)) = 1 / (1 + exp(-2u)), the logistic sigmoid of
 * 2u, the kernels compute the same function as
 *     gelu(x) = x s,  s = 1 / (1 + e),  e = exp(-2u),  u = sqrt(2/pi) (x + 0.044715 x^3)
 * which needs one exponential and no subtraction (1 + tanh(u) cancels
 * badly near x = -5; 1 + e never does). */
#define GELU_SQRT_2_OVER_PI 0.7978845608028654f
#define GELU_COEFF 0.044715f

/* GELU's loops are arithmetic-bound (a division and a polynomial per
 * element), so they are built for the wider vector units too and the best
 * one this CPU has is picked when the program loads (VECTOR_CLONES, in
 * ops_vec.h); every clone computes exactly the same result. */

/* The elements a parallel loop hands to one call of a span function. */
#define SPAN 4096

VECTOR_CLONES
static void gelu_forward_span(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float u = GELU_SQRT_2_OVER_PI * (x + GELU_COEFF * x * x * x);
        float s = 1.0f / (1.0f + ops_expf(-2.0f * u));
        out[i] = x * s;
    }
}

/* out (N) = GELU(inp (N)) */
void gelu_forward(float *out, const float *inp, size_t N)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i += SPAN)
        gelu_forward_span(out + i, inp + i, N - i < SPAN ? N - i : SPAN);
}

/* GELU'(x) for the backward kernels. Differentiates the line
 *     out[i] = x * s,  s = 1 / (1 + e),  e = exp(-2u)
 * of gelu_forward_span by the product rule:
 *     d out/dx = s + x ds/du du/dx,  ds/du = 2 s (1 - s) = 2 e s^2,
 *     du/dx    = sqrt(2/pi) (1 + 3 * 0.044715 x^2),
 * writing 1 - s as e s (exactly equal) to avoid the cancellation. */
static inline float gelu_grad(float x)
{
    float u = GELU_SQRT_2_OVER_PI * (x + GELU_COEFF * x * x * x);
    float e = ops_expf(-2.0f * u);
    float s = 1.0f / (1.0f + e);
    float dudx = GELU_SQRT_2_OVER_PI * (1.0f + 3.0f * GELU_COEFF * x * x);
    return s + 2.0f * x * e * s * s * dudx;
}

/* dinp (n) += GELU'(inp (n)) * dout (n). Two loops, this and the one
 * below, rather than one with a flag: with the choice inside the loop GCC
 * vectorised it for AVX-512 (whose masks absorb the choice) but left the
 * AVX2 build scalar, 15 times slower. */
VECTOR_CLONES
static void gelu_backward_add_span(float *dinp, const float *inp, const float *dout, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] += gelu_grad(inp[i]) * dout[i];
}

/* dinp (n) = GELU'(inp (n)) * dout (n); dinp may be dout itself. */
VECTOR_CLONES
static void gelu_backward_set_span(float *dinp, const float *inp, const float *dout, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] = gelu_grad(inp[i]) * dout[i];
}

/* dinp (N) += GELU'(inp (N)) * dout (N) */
void gelu_backward(float *dinp, const float *inp, const float *dout, size_t N)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i += SPAN)
        gelu_backward_add_span(dinp + i, inp + i, dout + i, N - i < SPAN ? N - i : SPAN);
}

/* dinp (N) = GELU'(inp (N)) * dout (N); dinp may be dout */
void gelu_backward_into(float *dinp, const float *inp, const float *dout, size_t N)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i += SPAN)
        gelu_backward_set_span(dinp + i, inp + i, dout + i, N - i < SPAN ? N - i : SPAN);
}

/* pi, written out: M_PI is not part of standard C. */
#define GELU_PI 3.14159265358979323846

/* The slow twin of gelu_forward, in double, written from the tanh form
 * through 0.5 (1 + tanh(u)) = 1 / (1 + exp(-2u)): in the tanh form itself
 * even double precision rounds 1 + tanh(u) to 0 below x = -6, where the
 * true value is still about 1e-18. */
void gelu_forward_ref(float *out, const float *inp, size_t N)
{
    for (size_t i = 0; i < N; i++) {
        double x = inp[i];
        double u = sqrt(2.0 / GELU_PI) * (x + 0.044715 * x * x * x);
        out[i] = (float)(x / (1.0 + exp(-2.0 * u)));
    }
}

/* The slow twin of gelu_backward, in double: d/dx of x s(2u) is
 * s + x * 2 s (1 - s) du/dx, with 1 - s = e s. */
void gelu_backward_ref(float *dinp, const float *inp, const float *dout, size_t N)
{
    for (size_t i = 0; i < N; i++) {
        double x = inp[i];
        double u = sqrt(2.0 / GELU_PI) * (x + 0.044715 * x * x * x);
        double e = exp(-2.0 * u), s = 1.0 / (1.0 + e);
        double dudx = sqrt(2.0 / GELU_PI) * (1.0 + 3.0 * 0.044715 * x * x);
        double grad = s + 2.0 * x * (isinf(e) ? 0.0 : e * s) * s * dudx;
        dinp[i] = (float)(dinp[i] + grad * dout[i]);
    }
}

/* ---- ReLU^2 ---- */

/* The squared ReLU, relu(x)^2, an MLP activation that trains as well as
 * GELU or better at this scale (So et al. 2021, "Primer") and costs a
 * multiply. relu(x) is written 0.5 (x + |x|) rather than x > 0 ? x : 0:
 * GCC leaves a loop with that comparison scalar on AVX2 (a float compare
 * may trap, so it is not turned into a blend), while |x| is one AND with
 * a mask. It is exact: x + |x| is 2x or 0 with no rounding, and halving
 * is exact; a NaN stays a NaN, as it should, instead of becoming 0. */
static inline float relu(float x)
{
    return 0.5f * (x + fabsf(x));
}

VECTOR_CLONES
static void relu2_forward_span(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float r = relu(inp[i]);
        out[i] = r * r;
    }
}

/* out (N) = relu(inp (N))^2 */
void relu2_forward(float *out, const float *inp, size_t N)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i += SPAN)
        relu2_forward_span(out + i, inp + i, N - i < SPAN ? N - i : SPAN);
}

/* Differentiates out[i] = r * r, r = relu(x): d out/dx = 2 r, which is 0
 * for x <= 0 (where relu is flat) and 2x above. Two loops, add and set,
 * for the reason given at gelu_backward_add_span. */
VECTOR_CLONES
static void relu2_backward_add_span(float *dinp, const float *inp, const float *dout, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] += 2.0f * relu(inp[i]) * dout[i];
}

VECTOR_CLONES
static void relu2_backward_set_span(float *dinp, const float *inp, const float *dout, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] = 2.0f * relu(inp[i]) * dout[i];
}

/* dinp (N) += 2 relu(inp (N)) * dout (N) */
void relu2_backward(float *dinp, const float *inp, const float *dout, size_t N)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i += SPAN)
        relu2_backward_add_span(dinp + i, inp + i, dout + i, N - i < SPAN ? N - i : SPAN);
}

/* dinp (N) = 2 relu(inp (N)) * dout (N); dinp may be dout */
void relu2_backward_into(float *dinp, const float *inp, const float *dout, size_t N)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i += SPAN)
        relu2_backward_set_span(dinp + i, inp + i, dout + i, N - i < SPAN ? N - i : SPAN);
}

/* The slow twin of relu2_forward, in double, with the plain comparison. */
void relu2_forward_ref(float *out, const float *inp, size_t N)
{
    for (size_t i = 0; i < N; i++) {
        double r = inp[i] > 0.0f ? (double)inp[i] : 0.0;
        out[i] = (float)(r * r);
    }
}

/* The slow twin of relu2_backward, in double. */
void relu2_backward_ref(float *dinp, const float *inp, const float *dout, size_t N)
{
    for (size_t i = 0; i < N; i++) {
        double r = inp[i] > 0.0f ? (double)inp[i] : 0.0;
        dinp[i] = (float)(dinp[i] + 2.0 * r * dout[i]);
    }
}

/* ---- Residual ---- */

/* The residual stream adds each block's output to its input. One IEEE
 * addition is already the obviously-correct version of itself, so these two
 * have no _ref twin; the tests compare them with a + b directly. */

/* out (N) = a (N) + b (N) */
void residual_forward(float *out, const float *a, const float *b, size_t N)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i++)
        out[i] = a[i] + b[i];
}

/* da (N) += dout (N), db (N) += dout (N): an addition passes its gradient
 * unchanged to both operands. */
void residual_backward(float *da, float *db, const float *dout, size_t N)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i++) {
        da[i] += dout[i];
        db[i] += dout[i];
    }
}

/* ---- Encoder: token and position embeddings ---- */

/* The backward accumulates into dwte and dwpe in blocks of this many
 * columns, one block per thread; see matmul_backward's BIAS_BLOCK. */
#define ENC_BLOCK 64

/* out (B,T,C) = wte[tokens[b,t]] (V,C) + wpe[t] (maxT,C); without wpe
 * (NULL: rotary positions, which have no table) the token rows alone. */
void encoder_forward(float *out, const uint8_t *tokens, const float *wte, const float *wpe,
                     size_t B, size_t T, size_t C)
{
#pragma omp parallel for schedule(static)
    for (size_t bt = 0; bt < B * T; bt++) {
        const float *tok = wte + (size_t)tokens[bt] * C;
        float *o = out + bt * C;
        if (!wpe) {
            memcpy(o, tok, C * sizeof(float));
            continue;
        }
        const float *pos = wpe + (bt % T) * C;
        for (size_t c = 0; c < C; c++)
            o[c] = tok[c] + pos[c];
    }
}

/* dwte (V,C), dwpe (maxT,C) += scatter-add of dout (B,T,C); dwpe NULL
 * when there is no position table. */
void encoder_backward(float *dwte, float *dwpe, const float *dout, const uint8_t *tokens,
                      size_t B, size_t T, size_t C)
{
    /* The same byte occurs at many positions, so many rows of dout add into
     * one row of dwte; split by rows, two threads could add to the same
     * float at once. Split by columns instead: each thread owns a block of
     * columns of every row of dwte and dwpe and walks all positions in
     * order, so each element receives its additions in exactly the order of
     * the serial loop, whatever the number of threads. */
    size_t nblocks = (C + ENC_BLOCK - 1) / ENC_BLOCK;
#pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < nblocks; blk++) {
        size_t c0 = blk * ENC_BLOCK;
        size_t n = C - c0 < ENC_BLOCK ? C - c0 : ENC_BLOCK;
        for (size_t bt = 0; bt < B * T; bt++) {
            const float *d = dout + bt * C + c0;
            float *tok = dwte + (size_t)tokens[bt] * C + c0;
            for (size_t j = 0; j < n; j++)
                tok[j] += d[j];
            if (!dwpe)
                continue;
            float *pos = dwpe + (bt % T) * C + c0;
            for (size_t j = 0; j < n; j++)
                pos[j] += d[j];
        }
    }
}

/* The slow twin: the same single addition per element, loop by loop. */
void encoder_forward_ref(float *out, const uint8_t *tokens, const float *wte, const float *wpe,
                         size_t B, size_t T, size_t C)
{
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t c = 0; c < C; c++)
                out[(b * T + t) * C + c] = wpe ? wte[(size_t)tokens[b * T + t] * C + c] + wpe[t * C + c]
                                               : wte[(size_t)tokens[b * T + t] * C + c];
}

/* The slow twin: the serial scatter-add. */
void encoder_backward_ref(float *dwte, float *dwpe, const float *dout, const uint8_t *tokens,
                          size_t B, size_t T, size_t C)
{
    for (size_t b = 0; b < B; b++) {
        for (size_t t = 0; t < T; t++) {
            for (size_t c = 0; c < C; c++) {
                float d = dout[(b * T + t) * C + c];
                dwte[(size_t)tokens[b * T + t] * C + c] += d;
                if (dwpe)
                    dwpe[t * C + c] += d;
            }
        }
    }
}
