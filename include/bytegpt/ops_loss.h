/* ops_loss: softmax and cross-entropy over the byte vocabulary, and the
 * soft-capping of the logits before them. The
 * conventions all ops_* kernels share (shapes, += in backward, no
 * allocation, _ref twins, determinism) are in ops_matmul.h. */
#ifndef BYTEGPT_OPS_LOSS_H
#define BYTEGPT_OPS_LOSS_H

#include <stddef.h>
#include <stdint.h>

/* probs (BT,V) = softmax of logits (BT,V) (probs may alias logits);
 * losses (BT) = -log probs[target] (losses may be NULL);
 * returns the mean loss over the BT rows in nats, summed in double, with
 * the same bits for any number of threads. Every target is below V.
 * targets may be NULL (generation): probabilities only, losses untouched,
 * and 0 returned. */
double crossentropy_forward(float *probs, float *losses, const float *logits,
                            const uint8_t *targets, size_t BT, size_t V);
/* dlogits (BT,V) += (probs - onehot(target)) * dloss, where dloss is the
 * gradient of the final loss with respect to each row's loss (1/BT for a
 * mean). dlogits and probs are separate buffers. */
void crossentropy_backward(float *dlogits, const float *probs, const uint8_t *targets,
                           size_t BT, size_t V, float dloss);
double crossentropy_forward_ref(float *probs, float *losses, const float *logits,
                                const uint8_t *targets, size_t BT, size_t V);
void crossentropy_backward_ref(float *dlogits, const float *probs, const uint8_t *targets,
                               size_t BT, size_t V, float dloss);

/* out (N) = cap tanh(inp (N) / cap), cap > 0, and th (N) = tanh(inp / cap),
 * which the backward needs; out may alias inp (in place), th may not. */
void softcap_forward(float *out, float *th, const float *inp, float cap, size_t N);
/* dinp (N) += dout (N) * (1 - th^2), th as softcap_forward saved it. */
void softcap_backward(float *dinp, const float *th, const float *dout, size_t N);
/* dinp (N) = dout (N) * (1 - th^2), overwritten; dinp may be dout. */
void softcap_backward_into(float *dinp, const float *th, const float *dout, size_t N);
void softcap_forward_ref(float *out, float *th, const float *inp, float cap, size_t N);
void softcap_backward_ref(float *dinp, const float *th, const float *dout, size_t N);

#endif
