/* ops_layernorm: layer normalisation and RMSNorm. The conventions all ops_* kernels
 * share (shapes, += in backward, no allocation, _ref twins, determinism)
 * are in ops_matmul.h. */
#ifndef BYTEGPT_OPS_LAYERNORM_H
#define BYTEGPT_OPS_LAYERNORM_H

#include <stddef.h>
#include <stdint.h>

#define BG_LN_EPS 1e-5f

/* out (BT,C), mean (BT), rstd (BT) = LayerNorm of inp (BT,C) with
 * weight (C) and bias (C); eps 1e-5, biased variance as PyTorch. */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, size_t BT, size_t C);
/* dinp (BT,C), dweight (C), dbias (C) += gradients given dout (BT,C). */
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, size_t BT, size_t C);
void layernorm_forward_ref(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, size_t BT, size_t C);
void layernorm_backward_ref(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, const float *mean,
                            const float *rstd, size_t BT, size_t C);

/* out (BT,C), rstd (BT) = RMSNorm of inp (BT,C) with weight (C):
 * out = inp * rstd * weight, rstd = 1 / sqrt(mean(inp^2) + eps), eps 1e-5,
 * as PyTorch's nn.RMSNorm(C, eps=1e-5). No bias. */
void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight, size_t BT, size_t C);
/* dinp (BT,C), dweight (C) += gradients given dout (BT,C). */
void rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp, const float *weight,
                      const float *rstd, size_t BT, size_t C);
void rmsnorm_forward_ref(float *out, float *rstd, const float *inp, const float *weight, size_t BT, size_t C);
void rmsnorm_backward_ref(float *dinp, float *dweight, const float *dout, const float *inp,
                          const float *weight, const float *rstd, size_t BT, size_t C);

#endif
