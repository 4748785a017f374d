/* ops_loss: softmax and cross-entropy over the byte vocabulary, and the
 * gradient of the loss with respect to the logits. See ops_matmul.h for
 * the conventions all ops_* kernels share.
 *
 * For one position with logits l (V) and target byte y:
 *     probs = softmax(l),   loss = -log probs[y] = log sum_j exp(l_j) - l_y
 * The training loss is the mean over the B*T positions, in nats.
 *
 * Soft-capping (at the end of the file) may squash the logits first:
 * l = cap tanh(z / cap) keeps every logit inside (-cap, cap) while leaving
 * small ones almost unchanged (slope 1 at 0), so no logit can run away and
 * make the softmax overconfident (Gemma 2 uses cap 30 on its logits). */
#include "bytegpt/ops_loss.h"

#include <math.h>
#include <string.h>

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

/* ---- Soft-capping ---- */

/* The elements a parallel loop hands to one call of a span function. */
#define CAP_SPAN 4096

/* tanh(y) to within 4e-11 relatively, in plain double arithmetic that the
 * compiler vectorises (glibc's tanh is a call with branches). For t = |y|,
 *     tanh(t) = m / (m + 2),   m = e^{2t} - 1,
 * a quotient of two positive numbers, so nothing cancels even where
 * t is tiny (unlike (1 - e^{-2t}) / (1 + e^{-2t})). m is computed as
 * ops_expf_accurate computes e^x: x = 2t = n ln2 + r, |r| <= ln2/2, then
 *     m = 2^n (e^r - 1) + (2^n - 1),
 * with e^r - 1 = r + r^2/2! + ... + r^9/9! by Horner's rule, no constant
 * term, so it keeps its relative accuracy as r goes to 0 (truncation
 * below 2.4e-11 relatively at |r| = ln2/2). Where r < 0 and n >= 1 the
 * sum loses at most a factor 1.42 of that (2 e^r - 1 >= 0.41), so m and
 * tanh are within 3.4e-11 plus a few double roundings. t is first clamped
 * to 20, where tanh is 1 within 1e-17 and e^{40} is far from overflow;
 * with masks on its bits, since a compare of doubles would keep the loop
 * scalar. A NaN is not clamped and comes out a NaN, an infinity gives +-1. */
static inline double cap_tanh(double y)
{
    uint64_t bits;
    memcpy(&bits, &y, sizeof bits);
    uint64_t sign = bits & 0x8000000000000000u, mag = bits & 0x7fffffffffffffffu;
    const uint64_t twenty = 0x4034000000000000u, inf = 0x7ff0000000000000u;
    uint64_t clamp = (uint64_t) - (int64_t)((mag > twenty) & (mag <= inf));
    mag = (mag & ~clamp) | (twenty & clamp);
    double t;
    memcpy(&t, &mag, sizeof t);
    double scale, r = ops_exp_reduce(2.0 * t, &scale); /* n within [0, 58] */
    double p = 1.0 / 362880;
    p = p * r + 1.0 / 40320;
    p = p * r + 1.0 / 5040;
    p = p * r + 1.0 / 720;
    p = p * r + 1.0 / 120;
    p = p * r + 1.0 / 24;
    p = p * r + 1.0 / 6;
    p = p * r + 0.5;
    p = p * r + 1.0;
    double m = scale * (p * r) + (scale - 1.0);
    double th = m / (m + 2.0);
    memcpy(&bits, &th, sizeof bits);
    bits |= sign;
    memcpy(&th, &bits, sizeof th);
    return th;
}

VECTOR_CLONES
static void softcap_forward_span(float *out, float *th, const float *inp, float cap, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double t = cap_tanh((double)inp[i] / cap);
        th[i] = (float)t;
        out[i] = (float)(cap * t);
    }
}

/* out (N) = cap tanh(inp (N) / cap), th (N) = tanh(inp / cap); out may alias inp */
void softcap_forward(float *out, float *th, const float *inp, float cap, size_t N)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i += CAP_SPAN)
        softcap_forward_span(out + i, th + i, inp + i, cap, N - i < CAP_SPAN ? N - i : CAP_SPAN);
}

/* Differentiates out = cap tanh(z / cap): d out/dz = 1 - tanh^2(z / cap),
 * read from the saved th; the cap cancels. Two loops, add and set, for
 * the reason given at ops_pointwise.c's gelu_backward_add_span. */
VECTOR_CLONES
static void softcap_backward_add_span(float *dinp, const float *th, const float *dout, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] += dout[i] * (1.0f - th[i] * th[i]);
}

VECTOR_CLONES
static void softcap_backward_set_span(float *dinp, const float *th, const float *dout, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] = dout[i] * (1.0f - th[i] * th[i]);
}

/* dinp (N) += dout (N) * (1 - th (N)^2) */
void softcap_backward(float *dinp, const float *th, const float *dout, size_t N)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i += CAP_SPAN)
        softcap_backward_add_span(dinp + i, th + i, dout + i, N - i < CAP_SPAN ? N - i : CAP_SPAN);
}

/* dinp (N) = dout (N) * (1 - th (N)^2); dinp may be dout */
void softcap_backward_into(float *dinp, const float *th, const float *dout, size_t N)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i += CAP_SPAN)
        softcap_backward_set_span(dinp + i, th + i, dout + i, N - i < CAP_SPAN ? N - i : CAP_SPAN);
}

/* The slow twin of softcap_forward: the C library's tanh, in double. */
void softcap_forward_ref(float *out, float *th, const float *inp, float cap, size_t N)
{
    for (size_t i = 0; i < N; i++) {
        double t = tanh((double)inp[i] / cap);
        th[i] = (float)t;
        out[i] = (float)(cap * t);
    }
}

/* The slow twin of softcap_backward, in double. */
void softcap_backward_ref(float *dinp, const float *th, const float *dout, size_t N)
{
    for (size_t i = 0; i < N; i++)
        dinp[i] = (float)(dinp[i] + dout[i] * (1.0 - (double)th[i] * th[i]));
}
