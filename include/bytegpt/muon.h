/* muon: the optimizer for the blocks' 2-D matrices (Keller Jordan's Muon,
 * "MomentUm Orthogonalized by Newton-schulz", 2024).
 *
 * AdamW scales each parameter's step by its own history. Muon instead
 * treats a weight matrix as a whole: it takes the momentum of the
 * gradient, G, and replaces it by the nearest semi-orthogonal matrix,
 * U V^T where G = U S V^T, so that every direction the gradient points in
 * moves by the same amount, not mostly the few with the largest singular
 * values. Computing U V^T exactly needs an SVD; five Newton-Schulz
 * iterations of an odd polynomial, X <- a X + b (X X^T) X + c (X X^T)^2 X,
 * get close enough (singular values end between about 0.68 and 1.2) with
 * matrix products alone, which OpenBLAS runs at full speed.
 *
 * The update of one matrix P (rows, cols) with gradient G, momentum mu,
 * learning rate lr and weight decay wd:
 *   buf = mu buf + G                     (momentum)
 *   U   = G + mu buf                     (Nesterov: look one step ahead)
 *   X   = U / (||U||_F + 1e-7)           (all singular values now <= 1)
 *   X   = X^T if rows > cols             (iterate on the smaller Gram matrix)
 *   5 x { A = X X^T;  B = b A + c A A;  X = a X + B X }
 *   X   = X^T if it was transposed
 *   P  *= 1 - lr wd                      (decoupled weight decay)
 *   P  -= lr max(1, rows/cols)^(1/2) X   (a tall matrix's steps are scaled up)
 * with (a, b, c) = (3.4445, -4.7750, 2.0315). Muon updates the blocks'
 * qkvw, attprojw, fcw and fcprojw, each layer's slice a matrix of its own;
 * AdamW keeps the embeddings, the head, the biases and the norms' gains.
 * buf is AdamW's first-moment block at the tensor's offset (the second is
 * unused for these tensors), so a checkpoint holds it with no new array.
 *
 * Like the ops_* kernels, nothing here allocates: the caller passes
 * scratch of muon_scratch_floats floats, and each fast function has a
 * slow twin in double precision (_ref) that the tests compare it to. */
#ifndef BYTEGPT_MUON_H
#define BYTEGPT_MUON_H

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/model.h"

/* The Newton-Schulz polynomial's coefficients, as floats: the _ref twins
 * use these same values in double, so that both compute the same map. */
#define MUON_NS_A 3.4445f
#define MUON_NS_B (-4.7750f)
#define MUON_NS_C 2.0315f
#define MUON_NS_STEPS 5

/* One step's settings. */
struct bg_muon {
    float lr;           /* this step's Muon learning rate (the schedule applied) */
    float momentum;     /* mu: muon_momentum(step) */
    float weight_decay; /* --wd */
};

/* 1 when Muon updates tensor t: the blocks' 2-D matrices qkvw, attprojw,
 * fcw and fcprojw (when present, size > 0). */
int muon_is_target(const struct bg_tensor *t);

/* mu for the update after `step` updates (0 for the first): 0.85 rising
 * linearly to 0.95 at step 300, then 0.95. A small mu at first lets the
 * momentum forget the first, large and noisy, gradients sooner. */
double muon_momentum(uint64_t step);

/* The scratch floats one muon_update of a (rows, cols) matrix needs:
 * with r = min(rows, cols) and c = max, two (r, c) iterates and two
 * (r, r) products. */
size_t muon_matrix_scratch(size_t rows, size_t cols);

/* The most any Muon tensor of layout t needs (0 when none is a target):
 * the trainer carves this once, and every layer's matrix reuses it. */
size_t muon_scratch_floats(const struct bg_tensor t[BG_N_TENSORS]);

/* Per update, the FLOPs of the Newton-Schulz products for the Muon
 * tensors of layout t: for each layer's (r, c) matrix (r <= c after the
 * transpose), 5 x (2 r r c + 2 r r r + 2 r r c). */
double muon_flops_per_step(const struct bg_tensor t[BG_N_TENSORS]);

/* x (r,c), r <= c, in place: 5 Newton-Schulz iterations
 *   A (r,r) = x x^T;  B (r,r) = b A + c A A;  x = a x + B x
 * on cblas_sgemm, with OpenBLAS's threads. scratch holds r c + 2 r r
 * floats (muon_update passes the part of its own after its x). */
void muon_newton_schulz(float *x, size_t r, size_t c, float *scratch);

/* The same in double with plain loops; scratch holds as many doubles. */
void muon_newton_schulz_ref(double *x, size_t r, size_t c, double *scratch);

/* One Muon update of the matrix p (rows, cols) with gradient g and
 * momentum buffer buf (both (rows, cols)), as the formula at the top.
 * scratch holds muon_matrix_scratch(rows, cols) floats. */
void muon_update(const struct bg_muon *s, float *p, const float *g, float *buf, size_t rows, size_t cols,
                 float *scratch);

/* Muon for every target tensor of layout t, each layer's slice in turn
 * (the matrices are independent; each product is threaded by OpenBLAS),
 * on the model's blocks: params, grads, and m for the momentum buffers.
 * scratch holds muon_scratch_floats(t) floats. */
void muon_step(const struct bg_muon *s, const struct bg_tensor t[BG_N_TENSORS], float *params, const float *grads,
               float *m, float *scratch);

/* The same in double, rounding p and buf to float once at the end. */
void muon_update_ref(const struct bg_muon *s, float *p, const float *g, float *buf, size_t rows, size_t cols,
                     double *scratch);

#endif
