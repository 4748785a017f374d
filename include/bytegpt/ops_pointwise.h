/* ops_pointwise: GELU, ReLU^2, residual add, token and position embeddings. The
 * conventions all ops_* kernels share (shapes, += in backward, no
 * allocation, _ref twins, determinism) are in ops_matmul.h. */
#ifndef BYTEGPT_OPS_POINTWISE_H
#define BYTEGPT_OPS_POINTWISE_H

#include <stddef.h>
#include <stdint.h>

/* out (N) = GELU(inp (N)), tanh approximation as GPT-2 and PyTorch's
 * approximate='tanh'. */
void gelu_forward(float *out, const float *inp, size_t N);
/* dinp (N) += GELU'(inp) * dout (N). */
void gelu_backward(float *dinp, const float *inp, const float *dout, size_t N);
/* dinp (N) = GELU'(inp) * dout (N), overwritten, not added to; dinp may
 * be dout itself (in place). For a gradient that nothing else adds to. */
void gelu_backward_into(float *dinp, const float *inp, const float *dout, size_t N);
void gelu_forward_ref(float *out, const float *inp, size_t N);
void gelu_backward_ref(float *dinp, const float *inp, const float *dout, size_t N);

/* out (N) = relu(inp (N))^2, the squared ReLU. */
void relu2_forward(float *out, const float *inp, size_t N);
/* dinp (N) += 2 relu(inp) * dout (N). */
void relu2_backward(float *dinp, const float *inp, const float *dout, size_t N);
/* dinp (N) = 2 relu(inp) * dout (N), overwritten; dinp may be dout. */
void relu2_backward_into(float *dinp, const float *inp, const float *dout, size_t N);
void relu2_forward_ref(float *out, const float *inp, size_t N);
void relu2_backward_ref(float *dinp, const float *inp, const float *dout, size_t N);

/* out (N) = a (N) + b (N). The model does not call these two: it adds
 * the residual in the same sweep as the projection before it
 * (matmul_forward_residual), whose gradient is dout itself. They are the
 * residual connection written out, for the tests and for the reader. */
void residual_forward(float *out, const float *a, const float *b, size_t N);
/* da (N) += dout, db (N) += dout. */
void residual_backward(float *da, float *db, const float *dout, size_t N);

/* out (B,T,C) = wte[tokens[b,t]] (V,C) + wpe[t] (maxT,C); wpe NULL (rotary
 * positions, no table): the token rows alone. */
void encoder_forward(float *out, const uint8_t *tokens, const float *wte, const float *wpe,
                     size_t B, size_t T, size_t C);
/* dwte (V,C) and dwpe (maxT,C) += scatter-add of dout (B,T,C); dwpe may be NULL. */
void encoder_backward(float *dwte, float *dwpe, const float *dout, const uint8_t *tokens,
                      size_t B, size_t T, size_t C);
void encoder_forward_ref(float *out, const uint8_t *tokens, const float *wte, const float *wpe,
                         size_t B, size_t T, size_t C);
void encoder_backward_ref(float *dwte, float *dwpe, const float *dout, const uint8_t *tokens,
                          size_t B, size_t T, size_t C);

#endif
