/* ops_attention: causal multi-head self-attention. The conventions all
 * ops_* kernels share (shapes, += in backward, no allocation, _ref twins,
 * determinism) are in ops_matmul.h. */
#ifndef BYTEGPT_OPS_ATTENTION_H
#define BYTEGPT_OPS_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

/* out (B,T,C), att (B,NH,T,T) = causal self-attention of qkv (B,T,3C).
 * Each row of qkv is q | k | v, each C wide; head h uses channels
 * [h*HS, (h+1)*HS) of each. att holds the softmax probabilities of
 * (q . k) / sqrt(HS) over keys t2 <= t, and exactly 0 above the diagonal. */
void attention_forward(float *out, float *att, const float *qkv,
                       size_t B, size_t T, size_t C, size_t NH);
/* dqkv (B,T,3C) += gradient of the above given dout (B,T,C);
 * datt (B,NH,T,T) is scratch, overwritten. */
void attention_backward(float *dqkv, float *datt, const float *dout, const float *qkv,
                        const float *att, size_t B, size_t T, size_t C, size_t NH);
/* The same, except that dqkv is overwritten (=), its previous contents
 * (even NaN) ignored: for a fresh gradient, which then needs no zeroing. */
void attention_backward_into(float *dqkv, float *datt, const float *dout, const float *qkv,
                             const float *att, size_t B, size_t T, size_t C, size_t NH);
/* The matrix products of attention_forward and attention_backward_into alone, without the softmax and its
 * backward (att and datt then hold unnormalised scores): what bench's
 * roofline times as the floor under attention. */
void attention_forward_products(float *out, float *att, const float *qkv,
                                size_t B, size_t T, size_t C, size_t NH);
void attention_backward_products(float *dqkv, float *datt, const float *dout, const float *qkv,
                                 const float *att, size_t B, size_t T, size_t C, size_t NH);
void attention_forward_ref(float *out, float *att, const float *qkv,
                           size_t B, size_t T, size_t C, size_t NH);
void attention_backward_ref(float *dqkv, float *datt, const float *dout, const float *qkv,
                            const float *att, size_t B, size_t T, size_t C, size_t NH);

#endif
