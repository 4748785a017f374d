/* adamw: the optimizer (Loshchilov and Hutter, "Decoupled Weight Decay
 * Regularization"), and clipping by the global gradient norm.
 *
 * It works on the flat parameter, gradient and moment blocks of a model,
 * and takes from the tensor layout which tensors are decayed: matrices and
 * embeddings are, biases and LayerNorm parameters are not (as nanoGPT). */
#ifndef BYTEGPT_ADAMW_H
#define BYTEGPT_ADAMW_H

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/model.h"

struct bg_adamw {
    float beta1, beta2, eps, weight_decay;
};

/* The global L2 norm of grads (n), computed in double. If it exceeds
 * max_norm (> 0), scales grads by max_norm / (norm + 1e-6), as PyTorch's
 * clip_grad_norm_ does. Returns the norm before clipping. */
double adamw_clip(float *grads, size_t n, double max_norm);

/* The same over two arrays taken as one: the dense gradients (n) and a
 * sparse tensor's packed rows (n_rows floats; bigram.h). */
double adamw_clip_parts(float *grads, size_t n, float *rows, size_t n_rows, double max_norm);

/* One AdamW step number t (1 for the first step) with learning rate lr:
 *   p -= lr * wd * p                   (decoupled decay, decayed tensors only)
 *   m  = beta1 m + (1 - beta1) g
 *   v  = beta2 v + (1 - beta2) g^2
 *   p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps) */
void adamw_update(const struct bg_adamw *opt, const struct bg_tensor t[BG_N_TENSORS],
                  float *params, const float *grads, float *m, float *v, float lr, uint64_t step);

/* The same step for the rows of the sparse tensor t (the bigram table,
 * which the trainer's view leaves out of adamw_update) listed in rows (n_rows),
 * their gradients packed one row after another: only those rows' values
 * and moments change (lazy Adam, PyTorch's SparseAdam), with step t's
 * bias corrections and no decay. */
void adamw_update_rows(const struct bg_adamw *opt, const struct bg_tensor *t, const uint32_t *rows, size_t n_rows,
                       float *params, const float *packed, float *m, float *v, float lr, uint64_t step);

#endif
