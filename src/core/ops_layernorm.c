/* ops_layernorm: layer normalisation and its backward pass. See
 * ops_matmul.h for the conventions all ops_* kernels share.
 *
 * Each row x of C channels is shifted to mean 0 and scaled to variance 1,
 * then given a learned scale (weight) and shift (bias) per channel:
 *     xhat = (x - mean(x)) * rstd,   rstd = 1 / sqrt(var(x) + eps)
 *     out  = xhat * weight + bias
 * The variance is the biased one (divided by C, not C - 1), as PyTorch's
 * LayerNorm does, and eps = 1e-5 keeps rstd finite on a constant row. The
 * forward saves mean and rstd per row so the backward need not recompute
 * them.
 *
 * RMSNorm (at the end of the file) drops the shift: each row is only
 * scaled, by the root of its mean square, and given a gain per channel:
 *     xhat = x * rstd,   rstd = 1 / sqrt(mean(x^2) + eps),   out = xhat * weight
 * It saves one reduction per row and the bias, and models train as well
 * with it (Zhang and Sennrich 2019; Llama uses it). Same eps, 1e-5. */
#include "bytegpt/ops_layernorm.h"

#include <math.h>

#include "ops_vec.h"

/* The backward sums dweight and dbias over rows in blocks of this many
 * columns, one block per thread; see matmul_backward's BIAS_BLOCK. */
#define LN_BLOCK 64

/* Rows are handed to threads in groups of this many, each group to one
 * call of a function built for the widest vector unit (VECTOR_CLONES). */
#define LN_ROWS 16

/* The sums over a row run in ops_vec.h's fixed lanes, so that they
 * vectorise and give the same bits with any vector width or thread count. */

/* Rows r0..r1-1 of layernorm_forward. */
VECTOR_CLONES
static void forward_rows(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                         const float *bias, size_t r0, size_t r1, size_t C)
{
    for (size_t r = r0; r < r1; r++) {
        const float *x = inp + r * C;
        float m = vec_sum(x, C) / (float)C;
        /* The variance is summed from (x - m)^2 in a second pass rather
         * than as mean(x^2) - m^2: when the row's mean is large compared
         * with its spread, that difference of two close numbers would lose
         * most of its digits. */
        float acc[VEC_LANES] = {0};
        size_t i = 0;
        for (; i + VEC_LANES <= C; i += VEC_LANES)
            for (size_t j = 0; j < VEC_LANES; j++)
                acc[j] += (x[i + j] - m) * (x[i + j] - m);
        for (size_t j = 0; i + j < C; j++)
            acc[j] += (x[i + j] - m) * (x[i + j] - m);
        float var = vec_total(acc) / (float)C;
        float s = 1.0f / sqrtf(var + BG_LN_EPS);
        float *o = out + r * C;
        for (size_t c = 0; c < C; c++)
            o[c] = (x[c] - m) * s * weight[c] + bias[c];
        mean[r] = m;
        rstd[r] = s;
    }
}

/* out (BT,C), mean (BT), rstd (BT) = LayerNorm of inp (BT,C) with weight (C), bias (C) */
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, size_t BT, size_t C)
{
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < BT; r += LN_ROWS)
        forward_rows(out, mean, rstd, inp, weight, bias, r, r + LN_ROWS < BT ? r + LN_ROWS : BT, C);
}

/* Rows r0..r1-1 of pass 1 of layernorm_backward (below). */
VECTOR_CLONES
static void backward_rows(float *dinp, const float *dout, const float *inp, const float *weight,
                          const float *mean, const float *rstd, size_t r0, size_t r1, size_t C)
{
    for (size_t r = r0; r < r1; r++) {
        const float *x = inp + r * C;
        const float *dy = dout + r * C;
        float m = mean[r], s = rstd[r];
        float acc_dnorm[VEC_LANES] = {0}, acc_xhat[VEC_LANES] = {0};
        for (size_t i = 0; i < C; i += VEC_LANES) {
            size_t n = C - i < VEC_LANES ? C - i : VEC_LANES;
            for (size_t j = 0; j < n; j++) {
                float xhat = (x[i + j] - m) * s;
                float dnorm = weight[i + j] * dy[i + j];
                acc_dnorm[j] += dnorm;
                acc_xhat[j] += dnorm * xhat;
            }
        }
        float mean_dnorm = vec_total(acc_dnorm) / (float)C;
        float mean_dnorm_xhat = vec_total(acc_xhat) / (float)C;
        float *dx = dinp + r * C;
        for (size_t i = 0; i < C; i++) {
            float xhat = (x[i] - m) * s;
            float dnorm = weight[i] * dy[i];
            dx[i] += s * (dnorm - mean_dnorm - xhat * mean_dnorm_xhat);
        }
    }
}

/* Columns c0..c0+n-1 of pass 2 of layernorm_backward (below). */
VECTOR_CLONES
static void backward_columns(float *dweight, float *dbias, const float *dout, const float *inp,
                             const float *mean, const float *rstd, size_t BT, size_t C, size_t c0, size_t n)
{
    float dw[LN_BLOCK] = {0}, db[LN_BLOCK] = {0};
    for (size_t r = 0; r < BT; r++) {
        const float *x = inp + r * C + c0;
        const float *dy = dout + r * C + c0;
        float m = mean[r], s = rstd[r];
        for (size_t j = 0; j < n; j++) {
            dw[j] += dy[j] * ((x[j] - m) * s);
            db[j] += dy[j];
        }
    }
    for (size_t j = 0; j < n; j++) {
        dweight[c0 + j] += dw[j];
        dbias[c0 + j] += db[j];
    }
}

/* dinp (BT,C), dweight (C), dbias (C) += gradients of layernorm_forward given dout (BT,C) */
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, size_t BT, size_t C)
{
    /* Pass 1, rows in parallel: dinp. With dnorm = dout * weight, the
     * gradient of xhat, the chain rule through the mean and the variance
     * (both of which every x_i moves) gives
     *     dinp_i = rstd * (dnorm_i - mean(dnorm) - xhat_i * mean(dnorm * xhat)).
     * The two means take one sweep over the row, the update a second. */
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < BT; r += LN_ROWS)
        backward_rows(dinp, dout, inp, weight, mean, rstd, r, r + LN_ROWS < BT ? r + LN_ROWS : BT, C);

    /* Pass 2, columns in parallel: weight[i] and bias[i] are used by every
     * row, so their gradients are sums over rows, dweight_i = sum_r dout *
     * xhat and dbias_i = sum_r dout. Splitting by columns lets each thread
     * own its sums outright: no atomics, and the same order every run. */
    size_t nblocks = (C + LN_BLOCK - 1) / LN_BLOCK;
#pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < nblocks; blk++) {
        size_t c0 = blk * LN_BLOCK;
        backward_columns(dweight, dbias, dout, inp, mean, rstd, BT, C, c0, C - c0 < LN_BLOCK ? C - c0 : LN_BLOCK);
    }
}

/* The slow twin: the same formulas in double, each output rounded to float
 * once. */
void layernorm_forward_ref(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, size_t BT, size_t C)
{
    for (size_t r = 0; r < BT; r++) {
        const float *x = inp + r * C;
        double m = 0.0;
        for (size_t i = 0; i < C; i++)
            m += x[i];
        m /= (double)C;
        double var = 0.0;
        for (size_t i = 0; i < C; i++)
            var += (x[i] - m) * (x[i] - m);
        var /= (double)C;
        double s = 1.0 / sqrt(var + (double)BG_LN_EPS);
        for (size_t i = 0; i < C; i++)
            out[r * C + i] = (float)((x[i] - m) * s * weight[i] + bias[i]);
        mean[r] = (float)m;
        rstd[r] = (float)s;
    }
}

/* The slow twin: the same formula for dinp, and each element of dweight
 * and dbias as one sum over rows, all in double, rounded to float once. */
void layernorm_backward_ref(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, const float *mean,
                            const float *rstd, size_t BT, size_t C)
{
    for (size_t r = 0; r < BT; r++) {
        const float *x = inp + r * C;
        const float *dy = dout + r * C;
        double m = mean[r], s = rstd[r];
        double mean_dnorm = 0.0, mean_dnorm_xhat = 0.0;
        for (size_t i = 0; i < C; i++) {
            mean_dnorm += (double)weight[i] * dy[i];
            mean_dnorm_xhat += (double)weight[i] * dy[i] * ((x[i] - m) * s);
        }
        mean_dnorm /= (double)C;
        mean_dnorm_xhat /= (double)C;
        for (size_t i = 0; i < C; i++) {
            double xhat = (x[i] - m) * s;
            double dnorm = (double)weight[i] * dy[i];
            dinp[r * C + i] =
                (float)(dinp[r * C + i] + s * (dnorm - mean_dnorm - xhat * mean_dnorm_xhat));
        }
    }
    for (size_t i = 0; i < C; i++) {
        double dw = dweight[i], db = dbias[i];
        for (size_t r = 0; r < BT; r++) {
            double xhat = (inp[r * C + i] - (double)mean[r]) * rstd[r];
            dw += dout[r * C + i] * xhat;
            db += dout[r * C + i];
        }
        dweight[i] = (float)dw;
        dbias[i] = (float)db;
    }
}

/* ---- RMSNorm ---- */

/* Rows r0..r1-1 of rmsnorm_forward. */
VECTOR_CLONES
static void rms_forward_rows(float *out, float *rstd, const float *inp, const float *weight, size_t r0,
                             size_t r1, size_t C)
{
    for (size_t r = r0; r < r1; r++) {
        const float *x = inp + r * C;
        /* Unlike LayerNorm's variance there is no mean to subtract, so
         * the one sum of squares loses nothing to cancellation. */
        float s = 1.0f / sqrtf(vec_dot(x, x, C) / (float)C + BG_LN_EPS);
        float *o = out + r * C;
        for (size_t c = 0; c < C; c++)
            o[c] = x[c] * s * weight[c];
        rstd[r] = s;
    }
}

/* out (BT,C), rstd (BT) = RMSNorm of inp (BT,C) with weight (C) */
void rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight, size_t BT, size_t C)
{
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < BT; r += LN_ROWS)
        rms_forward_rows(out, rstd, inp, weight, r, r + LN_ROWS < BT ? r + LN_ROWS : BT, C);
}

/* Rows r0..r1-1 of pass 1 of rmsnorm_backward (below). */
VECTOR_CLONES
static void rms_backward_rows(float *dinp, const float *dout, const float *inp, const float *weight,
                              const float *rstd, size_t r0, size_t r1, size_t C)
{
    for (size_t r = r0; r < r1; r++) {
        const float *x = inp + r * C;
        const float *dy = dout + r * C;
        float s = rstd[r];
        float acc[VEC_LANES] = {0};
        for (size_t i = 0; i < C; i += VEC_LANES) {
            size_t n = C - i < VEC_LANES ? C - i : VEC_LANES;
            for (size_t j = 0; j < n; j++)
                acc[j] += weight[i + j] * dy[i + j] * (x[i + j] * s);
        }
        float mean_dnorm_xhat = vec_total(acc) / (float)C;
        float *dx = dinp + r * C;
        for (size_t i = 0; i < C; i++)
            dx[i] += s * (weight[i] * dy[i] - x[i] * s * mean_dnorm_xhat);
    }
}

/* Columns c0..c0+n-1 of pass 2 of rmsnorm_backward (below). */
VECTOR_CLONES
static void rms_backward_columns(float *dweight, const float *dout, const float *inp, const float *rstd,
                                 size_t BT, size_t C, size_t c0, size_t n)
{
    float dw[LN_BLOCK] = {0};
    for (size_t r = 0; r < BT; r++) {
        const float *x = inp + r * C + c0;
        const float *dy = dout + r * C + c0;
        float s = rstd[r];
        for (size_t j = 0; j < n; j++)
            dw[j] += dy[j] * (x[j] * s);
    }
    for (size_t j = 0; j < n; j++)
        dweight[c0 + j] += dw[j];
}

/* dinp (BT,C), dweight (C) += gradients of rmsnorm_forward given dout (BT,C) */
void rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp, const float *weight,
                      const float *rstd, size_t BT, size_t C)
{
    /* Pass 1, rows in parallel: dinp. LayerNorm's formula without the
     * mean's term: with dnorm = dout * weight, every x_j moves rstd by
     * d rstd / d x_j = -rstd^3 x_j / C, which gives
     *     dinp_i = rstd * (dnorm_i - xhat_i * mean(dnorm * xhat)). */
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < BT; r += LN_ROWS)
        rms_backward_rows(dinp, dout, inp, weight, rstd, r, r + LN_ROWS < BT ? r + LN_ROWS : BT, C);

    /* Pass 2, columns in parallel, as LayerNorm's: dweight_i = sum_r dout * xhat. */
    size_t nblocks = (C + LN_BLOCK - 1) / LN_BLOCK;
#pragma omp parallel for schedule(static)
    for (size_t blk = 0; blk < nblocks; blk++) {
        size_t c0 = blk * LN_BLOCK;
        rms_backward_columns(dweight, dout, inp, rstd, BT, C, c0, C - c0 < LN_BLOCK ? C - c0 : LN_BLOCK);
    }
}

/* The slow twin: the same formula in double, each output rounded once. */
void rmsnorm_forward_ref(float *out, float *rstd, const float *inp, const float *weight, size_t BT, size_t C)
{
    for (size_t r = 0; r < BT; r++) {
        const float *x = inp + r * C;
        double ms = 0.0;
        for (size_t i = 0; i < C; i++)
            ms += (double)x[i] * x[i];
        double s = 1.0 / sqrt(ms / (double)C + (double)BG_LN_EPS);
        for (size_t i = 0; i < C; i++)
            out[r * C + i] = (float)(x[i] * s * weight[i]);
        rstd[r] = (float)s;
    }
}

/* The slow twin: dinp by the same formula and each element of dweight as
 * one sum over rows, all in double, rounded to float once. */
void rmsnorm_backward_ref(float *dinp, float *dweight, const float *dout, const float *inp,
                          const float *weight, const float *rstd, size_t BT, size_t C)
{
    for (size_t r = 0; r < BT; r++) {
        const float *x = inp + r * C;
        const float *dy = dout + r * C;
        double s = rstd[r], mean_dnorm_xhat = 0.0;
        for (size_t i = 0; i < C; i++)
            mean_dnorm_xhat += (double)weight[i] * dy[i] * (x[i] * s);
        mean_dnorm_xhat /= (double)C;
        for (size_t i = 0; i < C; i++) {
            double g = s * ((double)weight[i] * dy[i] - x[i] * s * mean_dnorm_xhat);
            dinp[r * C + i] = (float)(dinp[r * C + i] + g);
        }
    }
    for (size_t i = 0; i < C; i++) {
        double dw = dweight[i];
        for (size_t r = 0; r < BT; r++)
            dw += dout[r * C + i] * (inp[r * C + i] * (double)rstd[r]);
        dweight[i] = (float)dw;
    }
}
