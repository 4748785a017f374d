/* ops_loss: softmax and cross-entropy over the byte vocabulary, and the
 * gradient of the loss with respect to the logits. See ops_matmul.h for
 * the conventions all ops_* kernels share.
 *
 * For one position with logits l (V) and target byte y:
 *     probs = softmax(l),   loss = -log probs[y] = log sum_j exp(l_j) - l_y
 * The training loss is the mean over the B*T positions, in nats. */
#include "bytegpt/ops_loss.h"

#include <math.h>

#include "ops_expf.h"
#include "ops_vec.h"

/* The mean loss is summed in this many fixed chunks of rows: each chunk is
 * summed in order by one thread, then the chunk sums in order by one
 * thread. The grouping depends only on BT, never on the number of threads,
 * so the returned mean is the same to the last bit on any machine. */
#define LOSS_CHUNKS 256

/* The backward hands rows to threads in groups of this many. */
#define LOSS_ROWS 16

/* Rows r0..r1-1 of crossentropy_forward; returns the sum of their losses
 * (0 without targets). The max and the sum of exponentials run in
 * ops_vec.h's fixed lanes and e^x is ops_expf_accurate (within 1 ulp, as
 * glibc's expf, but vectorised), so the whole row is vector code. */
VECTOR_CLONES
static double forward_rows(float *probs, float *losses, const float *logits, const uint8_t *targets, size_t r0,
                           size_t r1, size_t V)
{
    double sum = 0.0;
    for (size_t r = r0; r < r1; r++) {
        const float *l = logits + r * V;
        float *p = probs + r * V;
        /* Subtracting the largest logit keeps every exp() at most 1
         * (no overflow) and makes the sum at least 1 (no log(0)). */
        float maxval = vec_max(l, V);
        /* Read the target's logit before the loop below overwrites it
         * when probs and logits are the same buffer. */
        float target_logit = targets ? l[targets[r]] - maxval : 0.0f;
        float acc[VEC_LANES] = {0};
        for (size_t i = 0; i < V; i += VEC_LANES) {
            size_t n = V - i < VEC_LANES ? V - i : VEC_LANES;
            for (size_t j = 0; j < n; j++) {
                p[i + j] = ops_expf_accurate(l[i + j] - maxval);
                acc[j] += p[i + j];
            }
        }
        float sum_exp = vec_total(acc), inv = 1.0f / sum_exp;
        for (size_t j = 0; j < V; j++)
            p[j] *= inv;
        if (!targets)
            continue; /* generation: probabilities only */
        /* -log p[y] = log(sum_exp) - (l_y - max), taken in this form
         * rather than as -logf(p[y]) because p[y] can round to 0 when
         * the model is confidently wrong, and the loss must stay finite. */
        float loss = logf(sum_exp) - target_logit;
        if (losses)
            losses[r] = loss;
        sum += loss;
    }
    return sum;
}

/* probs (BT,V) = softmax of logits (BT,V), probs may alias logits;
 * losses (BT) = -log probs[target], losses may be NULL;
 * returns the mean loss in nats. With targets NULL (generation) it
 * computes the probabilities only and returns 0. */
double crossentropy_forward(float *probs, float *losses, const float *logits,
                            const uint8_t *targets, size_t BT, size_t V)
{
    double chunk_sum[LOSS_CHUNKS] = {0};
    size_t rows_per_chunk = (BT + LOSS_CHUNKS - 1) / LOSS_CHUNKS;
#pragma omp parallel for schedule(static)
    for (size_t chunk = 0; chunk < LOSS_CHUNKS; chunk++) {
        size_t r0 = chunk * rows_per_chunk;
        size_t r1 = r0 + rows_per_chunk < BT ? r0 + rows_per_chunk : BT;
        if (r0 < r1)
            chunk_sum[chunk] = forward_rows(probs, losses, logits, targets, r0, r1, V);
    }
    double total = 0.0;
    for (size_t chunk = 0; chunk < LOSS_CHUNKS; chunk++)
        total += chunk_sum[chunk];
    return targets ? total / (double)BT : 0.0;
}

/* Rows r0..r1-1 of crossentropy_backward. */
VECTOR_CLONES
static void backward_rows(float *dlogits, const float *probs, const uint8_t *targets, size_t r0, size_t r1,
                          size_t V, float dloss)
{
    for (size_t r = r0; r < r1; r++) {
        const float *p = probs + r * V;
        float *dl = dlogits + r * V;
        for (size_t j = 0; j < V; j++) {
            float indicator = j == targets[r] ? 1.0f : 0.0f;
            dl[j] += (p[j] - indicator) * dloss;
        }
    }
}

/* dlogits (BT,V) += (probs - onehot(target)) * dloss */
void crossentropy_backward(float *dlogits, const float *probs, const uint8_t *targets,
                           size_t BT, size_t V, float dloss)
{
    /* d(log sum_j exp(l_j) - l_y)/dl_j = probs_j - [j == y]: the softmax
     * and the log cancel into this simple difference, which is why the two
     * are fused into one kernel rather than differentiated separately. */
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < BT; r += LOSS_ROWS)
        backward_rows(dlogits, probs, targets, r, r + LOSS_ROWS < BT ? r + LOSS_ROWS : BT, V, dloss);
}

/* The slow twin of crossentropy_forward: the same formulas in double. The
 * loss of each row is taken before its probabilities are written, since
 * probs may alias logits. With targets NULL: probabilities only, 0 returned. */
double crossentropy_forward_ref(float *probs, float *losses, const float *logits,
                                const uint8_t *targets, size_t BT, size_t V)
{
    double total = 0.0;
    for (size_t r = 0; r < BT; r++) {
        const float *l = logits + r * V;
        double maxval = l[0];
        for (size_t j = 1; j < V; j++)
            if (l[j] > maxval)
                maxval = l[j];
        double sum_exp = 0.0;
        for (size_t j = 0; j < V; j++)
            sum_exp += exp(l[j] - maxval);
        double loss = targets ? log(sum_exp) - (l[targets[r]] - maxval) : 0.0;
        for (size_t j = 0; j < V; j++)
            probs[r * V + j] = (float)(exp(l[j] - maxval) / sum_exp);
        if (targets && losses)
            losses[r] = (float)loss;
        total += loss;
    }
    return targets ? total / (double)BT : 0.0;
}

/* The slow twin of crossentropy_backward, in double. */
void crossentropy_backward_ref(float *dlogits, const float *probs, const uint8_t *targets,
                               size_t BT, size_t V, float dloss)
{
    for (size_t r = 0; r < BT; r++) {
        for (size_t j = 0; j < V; j++) {
            double indicator = j == targets[r] ? 1.0 : 0.0;
            dlogits[r * V + j] =
                (float)(dlogits[r * V + j] + (probs[r * V + j] - indicator) * dloss);
        }
    }
}
