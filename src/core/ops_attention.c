/* ops_attention: causal multi-head self-attention and its backward pass.
 * See ops_matmul.h for the conventions all ops_* kernels share.
 *
 * For each sequence b and head h, with Q, K, V the T x HS slices of qkv
 * that belong to the head:
 *     preatt = Q . K^T / sqrt(HS)       (T,T) how well query t matches key t2
 *     att    = causal softmax of preatt (T,T) row t weighs keys t2 <= t only
 *     out_h  = att . V                  (T,HS) the weighted mix of values
 * A token may look at itself and the past but never the future, which is
 * what makes next-token prediction an honest task.
 *
 * The slices are not contiguous: row t of Q starts at qkv[(b*T + t)*3C +
 * h*HS] and the next row is 3C floats further on. BLAS handles that through
 * the leading dimension argument (lda = 3C), so the two big products of
 * every head go to cblas_sgemm without copying anything. */
#include "bytegpt/ops_attention.h"

#include "ops_expf.h"
#include "ops_vec.h"

#include <assert.h>
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

/* ---- Forward ---- */

/* Rows of the score matrix are processed in blocks of this many, so that
 * the products skip the future: block [r0, r1) needs keys 0..r1-1 only.
 * With T = 256 that is 36 of 64 blocks' work instead of all 64; smaller
 * blocks would skip more but make sgemm's products too small to be fast. */
#define CAUSAL_BLOCK 64

/* The softmax of rows r0..r1-1 of a (rows T apart), each row t over keys
 * t2 <= t, in place, with zeros for t2 > t (the future gets exactly zero
 * weight, so products with the row add exact zeros for it). Subtracting
 * the row's largest score first does not change the result (it cancels
 * between numerator and denominator) but keeps every exponential at most
 * 1, so nothing overflows.
 *
 * The max and the sum run in ops_vec.h's fixed lanes, so that they
 * vectorise. A row's t + 1 keys rarely fill whole vectors, and a scalar
 * loop over the last few would cost as much as the vectors before it, so
 * each row is taken in whole chunks of VEC_LANES up to the first multiple
 * at or past t + 1 (the row has room: T floats), with the keys past t
 * masked out by their index: they count as -infinity in the max and 0 in
 * the sum, whatever the memory held. Only when T itself is not a multiple
 * of VEC_LANES can a last piece be left for a plain loop. */
VECTOR_CLONES
static void causal_softmax_rows(float *a, size_t r0, size_t r1, size_t T)
{
    for (size_t t = r0; t < r1; t++) {
        float *row = a + t * T;
        size_t n = t + 1, nv = (n + VEC_LANES - 1) / VEC_LANES * VEC_LANES;
        if (nv > T)
            nv = T / VEC_LANES * VEC_LANES;
        int32_t kmax[VEC_LANES];
        for (size_t j = 0; j < VEC_LANES; j++)
            kmax[j] = INT32_MIN;
        for (size_t i = 0; i < nv; i += VEC_LANES)
            for (size_t j = 0; j < VEC_LANES; j++) {
                int32_t k = vec_key(row[i + j]), keep = -(int32_t)(i + j < n);
                k = (k & keep) | (INT32_MIN & ~keep);
                kmax[j] = k > kmax[j] ? k : kmax[j];
            }
        for (size_t i = nv; i < n; i++) {
            int32_t k = vec_key(row[i]);
            kmax[i - nv] = k > kmax[i - nv] ? k : kmax[i - nv];
        }
        for (size_t j = 1; j < VEC_LANES; j++)
            kmax[0] = kmax[j] > kmax[0] ? kmax[j] : kmax[0];
        float maxval = vec_unkey(kmax[0]), acc[VEC_LANES] = {0};
        /* Keys past t get +0: the exponential's bits and-ed with a mask
         * of all ones or zeros, like the max above. Written as a choice
         * between floats, GCC vectorised this loop for AVX-512 only (its
         * masks absorb the choice) and left the AVX2 build scalar, which
         * made attention's forward pass 4 times its roofline. */
        for (size_t i = 0; i < nv; i += VEC_LANES)
            for (size_t j = 0; j < VEC_LANES; j++) {
                float e = ops_expf(row[i + j] - maxval);
                uint32_t bits, keep = (uint32_t) - (int32_t)(i + j < n);
                memcpy(&bits, &e, sizeof bits);
                bits &= keep;
                memcpy(&e, &bits, sizeof e);
                row[i + j] = e;
                acc[j] += e;
            }
        for (size_t i = nv; i < n; i++) {
            row[i] = ops_expf(row[i] - maxval);
            acc[i - nv] += row[i];
        }
        /* The sum is at least 1, because the largest score contributes
         * exp(0) = 1. */
        float inv = 1.0f / vec_total(acc);
        for (size_t t2 = 0; t2 < n; t2++)
            row[t2] *= inv;
        for (size_t t2 = n > nv ? n : nv; t2 < T; t2++)
            row[t2] = 0.0f;
    }
}

/* out (B,T,C), att (B,NH,T,T) = causal self-attention of qkv (B,T,3C);
 * with softmax 0, the products alone (for the roofline, see below). */
static void forward_pass(float *out, float *att, const float *qkv, size_t B, size_t T, size_t C, size_t NH,
                         int softmax)
{
    size_t HS = C / NH;
    /* Dividing the scores by sqrt(HS) keeps their spread near 1 whatever
     * the head size, so the softmax does not saturate at initialisation. */
    float scale = 1.0f / sqrtf((float)HS);
    /* cblas_sgemm counts rows, columns and strides in int: the widest
     * stride, a row of qkv (3C), and the longest, a row of att (T), must
     * fit in one. A precondition checked rather than let a cast wrap
     * around, as in ops_matmul.c. */
    assert(3 * C <= INT_MAX && T <= INT_MAX);
    int ld = (int)(3 * C);

    /* The (b, h) pairs are independent, so they are shared among threads.
     * Inside a parallel region the OpenMP build of OpenBLAS runs each sgemm
     * on the calling thread, so the cores are not oversubscribed. */
#pragma omp parallel for schedule(static)
    for (size_t bh = 0; bh < B * NH; bh++) {
        size_t b = bh / NH, h = bh % NH;
        const float *q = qkv + b * T * 3 * C + h * HS;
        const float *k = q + C;
        const float *v = q + 2 * C;
        float *a = att + bh * T * T;
        float *o = out + b * T * C + h * HS;

        for (size_t r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
            size_t r1 = r0 + CAUSAL_BLOCK < T ? r0 + CAUSAL_BLOCK : T;
            /* a[r0:r1, 0:r1] = scale * q[r0:r1] (HS wide) . k[0:r1]^T: the
             * keys a row of this block can see, and a few of the diagonal
             * block's future ones, which the softmax sets to zero. */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(r1 - r0), (int)r1, (int)HS, scale,
                        q + r0 * 3 * C, ld, k, ld, 0.0f, a + r0 * T, (int)T);
            if (softmax)
                causal_softmax_rows(a, r0, r1, T);
            /* out_h[r0:r1] (HS wide, rows C apart) = a[r0:r1, 0:r1] . v[0:r1] */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(r1 - r0), (int)HS, (int)r1, 1.0f,
                        a + r0 * T, (int)T, v, ld, 0.0f, o + r0 * C, (int)C);
        }
    }
}

/* out (B,T,C), att (B,NH,T,T) = causal self-attention of qkv (B,T,3C) */
void attention_forward(float *out, float *att, const float *qkv,
                       size_t B, size_t T, size_t C, size_t NH)
{
    forward_pass(out, att, qkv, B, T, C, NH, 1);
}

/* The same matrix products with the softmax left out, so that `bytegpt
 * bench` can time them alone: the floor under attention's time. */
void attention_forward_products(float *out, float *att, const float *qkv,
                                size_t B, size_t T, size_t C, size_t NH)
{
    forward_pass(out, att, qkv, B, T, C, NH, 0);
}

/* Backward through the softmax of rows r0..r1-1, in place on da. With
 * p = softmax(s), dp_j/ds_i = p_j (delta_ij - p_i), so
 *     ds_i = p_i (dp_i - sum_j p_j dp_j).
 * Only keys t2 <= t took part; the entries above the diagonal are set to
 * zero so that the products that follow ignore them. */
VECTOR_CLONES
static void causal_softmax_backward_rows(float *da, const float *a, size_t r0, size_t r1, size_t T)
{
    for (size_t t = r0; t < r1; t++) {
        float *drow = da + t * T;
        const float *prow = a + t * T;
        float dot = vec_dot(prow, drow, t + 1);
        for (size_t t2 = 0; t2 <= t; t2++)
            drow[t2] = prow[t2] * (drow[t2] - dot);
        for (size_t t2 = t + 1; t2 < T; t2++)
            drow[t2] = 0.0f;
    }
}

/* dqkv (B,T,3C) += gradient of attention_forward given dout (B,T,C);
 * datt (B,NH,T,T) is scratch. Each product skips the future as the
 * forward does: by row blocks where a row of att meets its keys, by
 * column blocks where a key meets the rows (queries) that saw it. Each
 * element of dqkv is written by exactly one product, with beta = keep: 1
 * adds to what dqkv held, 0 overwrites it. With softmax 0, the products
 * alone. */
static void backward_pass(float *dqkv, float *datt, const float *dout, const float *qkv, const float *att,
                          size_t B, size_t T, size_t C, size_t NH, int softmax, float keep)
{
    size_t HS = C / NH;
    float scale = 1.0f / sqrtf((float)HS);
    assert(3 * C <= INT_MAX && T <= INT_MAX); /* sgemm's sizes are ints, as in the forward pass */
    int ld = (int)(3 * C);

    /* Each (b, h) writes only head h's columns of sequence b in dqkv, and
     * its own T x T block of datt, so the pairs run in parallel without
     * ever writing the same float. */
#pragma omp parallel for schedule(static)
    for (size_t bh = 0; bh < B * NH; bh++) {
        size_t b = bh / NH, h = bh % NH;
        const float *q = qkv + b * T * 3 * C + h * HS;
        const float *k = q + C;
        const float *v = q + 2 * C;
        float *dq = dqkv + b * T * 3 * C + h * HS;
        float *dk = dq + C;
        float *dv = dq + 2 * C;
        const float *dout_h = dout + b * T * C + h * HS;
        const float *a = att + bh * T * T;
        float *da = datt + bh * T * T;

        for (size_t r0 = 0; r0 < T; r0 += CAUSAL_BLOCK) {
            size_t r1 = r0 + CAUSAL_BLOCK < T ? r0 + CAUSAL_BLOCK : T;
            /* Backward through out_h = a . v, the same rule as a matmul:
             * da[r0:r1, 0:r1] = dout_h[r0:r1] . v[0:r1]^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(r1 - r0), (int)r1, (int)HS, 1.0f,
                        dout_h + r0 * C, (int)C, v, ld, 0.0f, da + r0 * T, (int)T);
            if (softmax)
                causal_softmax_backward_rows(da, a, r0, r1, T);
            /* Backward through preatt = scale * q . k^T, with da now holding
             * dpreatt: dq[r0:r1] += scale * dpreatt[r0:r1, 0:r1] . k[0:r1] */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(r1 - r0), (int)HS, (int)r1, scale,
                        da + r0 * T, (int)T, k, ld, keep, dq + r0 * 3 * C, ld);
        }
        /* Keys c0..c1-1 were seen by the rows (queries) c0..T-1 only. */
        for (size_t c0 = 0; c0 < T; c0 += CAUSAL_BLOCK) {
            size_t c1 = c0 + CAUSAL_BLOCK < T ? c0 + CAUSAL_BLOCK : T;
            /* dv[c0:c1] += a[c0:T, c0:c1]^T . dout_h[c0:T] */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(c1 - c0), (int)HS, (int)(T - c0), 1.0f,
                        a + c0 * T + c0, (int)T, dout_h + c0 * C, (int)C, keep, dv + c0 * 3 * C, ld);
            /* dk[c0:c1] += scale * dpreatt[c0:T, c0:c1]^T . q[c0:T] */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(c1 - c0), (int)HS, (int)(T - c0), scale,
                        da + c0 * T + c0, (int)T, q + c0 * 3 * C, ld, keep, dk + c0 * 3 * C, ld);
        }
    }
}

void attention_backward(float *dqkv, float *datt, const float *dout, const float *qkv,
                        const float *att, size_t B, size_t T, size_t C, size_t NH)
{
    backward_pass(dqkv, datt, dout, qkv, att, B, T, C, NH, 1, 1.0f);
}

void attention_backward_into(float *dqkv, float *datt, const float *dout, const float *qkv,
                             const float *att, size_t B, size_t T, size_t C, size_t NH)
{
    backward_pass(dqkv, datt, dout, qkv, att, B, T, C, NH, 1, 0.0f);
}

void attention_backward_products(float *dqkv, float *datt, const float *dout, const float *qkv,
                                 const float *att, size_t B, size_t T, size_t C, size_t NH)
{
    backward_pass(dqkv, datt, dout, qkv, att, B, T, C, NH, 0, 0.0f);
}

/* ---- Slow twins ---- */

/* A dot product of two float vectors, summed in double. */
static double dot_ref(const float *x, const float *y, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += (double)x[i] * y[i];
    return sum;
}

/* The slow twin, one row (b, t, h) at a time, in double. The scores are
 * computed again in each of three passes (largest, sum of exponentials,
 * probabilities) rather than stored, so that each probability is rounded
 * to float only once. */
void attention_forward_ref(float *out, float *att, const float *qkv,
                           size_t B, size_t T, size_t C, size_t NH)
{
    size_t HS = C / NH;
    double scale = 1.0 / sqrt((double)HS);
    for (size_t b = 0; b < B; b++) {
        for (size_t t = 0; t < T; t++) {
            for (size_t h = 0; h < NH; h++) {
                const float *q = qkv + (b * T + t) * 3 * C + h * HS;
                float *a = att + ((b * NH + h) * T + t) * T;
                double maxval = -INFINITY;
                for (size_t t2 = 0; t2 <= t; t2++) {
                    const float *k = qkv + (b * T + t2) * 3 * C + C + h * HS;
                    double s = scale * dot_ref(q, k, HS);
                    if (s > maxval)
                        maxval = s;
                }
                double sum = 0.0;
                for (size_t t2 = 0; t2 <= t; t2++) {
                    const float *k = qkv + (b * T + t2) * 3 * C + C + h * HS;
                    sum += exp(scale * dot_ref(q, k, HS) - maxval);
                }
                for (size_t t2 = 0; t2 < T; t2++) {
                    const float *k = qkv + (b * T + t2) * 3 * C + C + h * HS;
                    a[t2] = t2 <= t ? (float)(exp(scale * dot_ref(q, k, HS) - maxval) / sum)
                                    : 0.0f;
                }
                for (size_t i = 0; i < HS; i++) {
                    double o = 0.0;
                    for (size_t t2 = 0; t2 <= t; t2++)
                        o += (double)a[t2] * qkv[(b * T + t2) * 3 * C + 2 * C + h * HS + i];
                    out[(b * T + t) * C + h * HS + i] = (float)o;
                }
            }
        }
    }
}

/* The slow twin, in two steps. First, row by row, datt = dout . v^T and
 * then the softmax backward, in double, into datt (the only intermediate
 * the twin rounds to float). Second, each element of dq, dk and dv as one
 * sum in double, written the way the formulas read:
 *     dq[t]  += scale * sum_{t2 <= t} dpreatt[t][t2] k[t2]
 *     dk[t2] += scale * sum_{t >= t2} dpreatt[t][t2] q[t]
 *     dv[t2] +=         sum_{t >= t2} att[t][t2] dout[t] */
void attention_backward_ref(float *dqkv, float *datt, const float *dout, const float *qkv,
                            const float *att, size_t B, size_t T, size_t C, size_t NH)
{
    size_t HS = C / NH;
    double scale = 1.0 / sqrt((double)HS);
    for (size_t b = 0; b < B; b++) {
        for (size_t h = 0; h < NH; h++) {
            for (size_t t = 0; t < T; t++) {
                const float *dout_t = dout + (b * T + t) * C + h * HS;
                const float *a = att + ((b * NH + h) * T + t) * T;
                float *da = datt + ((b * NH + h) * T + t) * T;
                double dot = 0.0;
                for (size_t t2 = 0; t2 <= t; t2++) {
                    const float *v = qkv + (b * T + t2) * 3 * C + 2 * C + h * HS;
                    dot += a[t2] * dot_ref(dout_t, v, HS);
                }
                for (size_t t2 = 0; t2 < T; t2++) {
                    const float *v = qkv + (b * T + t2) * 3 * C + 2 * C + h * HS;
                    da[t2] = t2 <= t ? (float)(a[t2] * (dot_ref(dout_t, v, HS) - dot)) : 0.0f;
                }
            }
        }
    }
    for (size_t b = 0; b < B; b++) {
        for (size_t h = 0; h < NH; h++) {
            const float *a = att + (b * NH + h) * T * T;
            const float *dpre = datt + (b * NH + h) * T * T;
            for (size_t t = 0; t < T; t++) {
                for (size_t i = 0; i < HS; i++) {
                    float *dq = dqkv + (b * T + t) * 3 * C + h * HS + i;
                    float *dk = dq + C;
                    float *dv = dq + 2 * C;
                    double sq = 0.0, sk = 0.0, sv = 0.0;
                    for (size_t t2 = 0; t2 <= t; t2++)
                        sq += (double)dpre[t * T + t2] * qkv[(b * T + t2) * 3 * C + C + h * HS + i];
                    for (size_t t1 = t; t1 < T; t1++) {
                        sk += (double)dpre[t1 * T + t] * qkv[(b * T + t1) * 3 * C + h * HS + i];
                        sv += (double)a[t1 * T + t] * dout[(b * T + t1) * C + h * HS + i];
                    }
                    *dq = (float)(*dq + scale * sq);
                    *dk = (float)(*dk + scale * sk);
                    *dv = (float)(*dv + sv);
                }
            }
        }
    }
}
