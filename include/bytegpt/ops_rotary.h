/* ops_rotary: rotary position embeddings (RoPE) and QK-norm, the two
 * settings that act on each head's query and key between the qkv
 * projection and attention (a rotary model's encoder is encoder_forward
 * with no position table, ops_pointwise.h). The conventions all ops_*
 * kernels share (shapes, no allocation, _ref twins, determinism) are in
 * ops_matmul.h.
 *
 * Both work in place on the qkv buffer (B,T,3C) that attention reads: in
 * each row the first 2C floats are q | k, which is 2*NH segments of HS,
 * and each segment (one head's q or k) is normalised or rotated on its
 * own. The last C floats (v) are never touched. */
#ifndef BYTEGPT_OPS_ROTARY_H
#define BYTEGPT_OPS_ROTARY_H

#include <stddef.h>
#include <stdint.h>

/* Rotary's base: pair i of a head of dim HS turns at the frequency
 * theta_i = BASE^(-2i/HS) radians per position. */
#define BG_ROPE_BASE 10000.0

/* QK-norm's eps, the same as LayerNorm's and RMSNorm's. */
#define BG_QKNORM_EPS 1e-5f

/* ---- Rotary ---- */

/* cos_t, sin_t (T, HS/2) = cos(t theta_i), sin(t theta_i) for positions
 * t < T, theta_i = 10000^(-2i/HS); computed in double and rounded to
 * float once. HS must be even. */
void rotary_table(float *cos_t, float *sin_t, size_t T, size_t HS);

/* qkv (B,T,3C), in place: the q and k of every head at position t rotated
 * by t theta_i in each pair (x_i, x_{i+HS/2}), i < HS/2 (the half-split
 * pairing of GPT-NeoX and Llama):
 *     x_i      <- x_i cos - x_{i+HS/2} sin
 *     x_{i+HS/2} <- x_i sin + x_{i+HS/2} cos
 * cos_t, sin_t from rotary_table with at least T rows; v untouched. */
void rotary_forward(float *qkv, const float *cos_t, const float *sin_t,
                    size_t B, size_t T, size_t C, size_t NH);
/* dqkv (B,T,3C), in place: the gradient of rotary_forward's output in the
 * q and k parts becomes that of its input, by the transpose of the
 * rotation, which is the rotation by -t theta_i. The v part (the gradient
 * of v, which rotary leaves alone) is untouched. */
void rotary_backward(float *dqkv, const float *cos_t, const float *sin_t,
                     size_t B, size_t T, size_t C, size_t NH);
void rotary_forward_ref(float *qkv, const float *cos_t, const float *sin_t,
                        size_t B, size_t T, size_t C, size_t NH);
void rotary_backward_ref(float *dqkv, const float *cos_t, const float *sin_t,
                         size_t B, size_t T, size_t C, size_t NH);

/* ---- QK-norm ---- */

/* qkv (BT,3C) in place, rstd (BT,2NH): each head's q and k divided by its
 * root mean square, y = x / sqrt(mean(x^2) + eps), no learned gain;
 * rstd[r*2NH + g] is the factor of segment g of row r (g < NH: q of head
 * g, else k of head g - NH). v untouched. */
void qknorm_forward(float *qkv, float *rstd, size_t BT, size_t C, size_t NH);
/* dqkv (BT,3C), in place: the gradient of the normalised q and k becomes
 * that of qknorm_forward's input, given its output y (qkv) and rstd:
 *     dx = rstd (dy - y mean(dy y)).
 * The v part is untouched. */
void qknorm_backward(float *dqkv, const float *qkv, const float *rstd,
                     size_t BT, size_t C, size_t NH);
void qknorm_forward_ref(float *qkv, float *rstd, size_t BT, size_t C, size_t NH);
void qknorm_backward_ref(float *dqkv, const float *qkv, const float *rstd,
                         size_t BT, size_t C, size_t NH);

#endif
