/* ops_matmul: matrix multiply with bias, through cblas_sgemm.
 *
 * Conventions shared by every ops_* kernel:
 * - Shapes in a comment above it, outputs first. Row-major, fp32.
 *   B batch, T time (sequence), C channels, OC output channels, NH heads,
 *   HS = C / NH head size, V vocabulary.
 * - A backward kernel ACCUMULATES (+=) into its gradient outputs, so the
 *   caller zeroes gradients once per step and a tensor used twice (the
 *   tied embedding, a residual) simply receives both contributions. A few
 *   have an _into twin that writes (=) an input gradient instead, for one
 *   that nothing else adds to, which then needs no zeroing first.
 *   The model follows one rule: where an input gradient has one source
 *   (the input of every matmul, GELU and attention inside a block) it
 *   calls the _into twin; where gradients meet (every parameter, the
 *   residual stream, the tied embedding) it calls the += form. So
 *   matmul_backward, gelu_backward and attention_backward are called by
 *   the tests alone: they are the rule's plain form, which the tests
 *   check the _into twins against, and the one to call when a model
 *   change gives an input a second use.
 * - No kernel allocates; scratch memory is passed in by the caller.
 * - Every fast kernel has a slow, obviously-correct twin with the suffix
 *   _ref (plain loops, no BLAS, no OpenMP) that the tests compare it to.
 *   In each ops_*.c a forward sits right above its backward, and the twins
 *   follow them.
 * - Results are deterministic for a given thread count: no atomics, no
 *   reductions whose order depends on scheduling.
 * - Every size is at least 1 and below 2^31 (BLAS takes int dimensions).
 */
#ifndef BYTEGPT_OPS_MATMUL_H
#define BYTEGPT_OPS_MATMUL_H

#include <stddef.h>
#include <stdint.h>

/* out (BT,OC) = inp (BT,C) . weight (OC,C)^T + bias (OC); bias may be NULL. */
void matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                    size_t BT, size_t C, size_t OC);
/* out (BT,OC) = residual (BT,OC) + inp . weight^T + bias: the projection
 * that writes into the residual stream, with the stream's add done in the
 * same sweep over out (its gradient is dout itself, passed on unchanged by
 * the caller). out may not alias residual; bias may be NULL. */
void matmul_forward_residual(float *out, const float *inp, const float *weight, const float *bias,
                             const float *residual, size_t BT, size_t C, size_t OC);
/* dinp (BT,C) += dout (BT,OC) . weight (OC,C)
 * dweight (OC,C) += dout^T . inp (BT,C)
 * dbias (OC) += sum over rows of dout; dbias may be NULL (no bias). */
void matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, size_t BT, size_t C, size_t OC);
/* The same, except that dinp is overwritten (=) instead of added to (its
 * previous contents, even NaN, are ignored): for an input gradient that
 * nothing else adds to, so that the caller need not zero it first. */
void matmul_backward_into(float *dinp, float *dweight, float *dbias, const float *dout,
                          const float *inp, const float *weight, size_t BT, size_t C, size_t OC);
void matmul_forward_ref(float *out, const float *inp, const float *weight, const float *bias,
                        size_t BT, size_t C, size_t OC);
void matmul_forward_residual_ref(float *out, const float *inp, const float *weight, const float *bias,
                                 const float *residual, size_t BT, size_t C, size_t OC);
void matmul_backward_ref(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, size_t BT, size_t C, size_t OC);

#endif
