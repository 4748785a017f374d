/* ops_matmul: the fully connected layer, out = inp . weight^T + bias, and
 * its backward pass. See ops_matmul.h for the conventions all ops_*
 * kernels share.
 *
 * Almost all of a transformer's arithmetic is in these matrix products, so
 * they go to cblas_sgemm, which computes C = alpha * op(A) . op(B) + beta * C
 * for row-major matrices with a cache-blocked, vectorised kernel. Our job
 * is to describe each product to it (which matrix is transposed, and the
 * leading dimension, the distance in floats from one row to the next, of
 * each) and to share the work among the cores. We split each product's
 * output rows into one slice per thread and give each slice to a
 * single-threaded sgemm: a transformer's products are small (a few
 * hundred columns), and at these sizes OpenBLAS's own threading reached
 * 115-145 GFLOP/s on this project's 2-core machine where the split
 * reached 170-185. Each output element is still computed by one sgemm
 * call with the whole inner dimension, so the result is the same for a
 * given thread count. */
#include "bytegpt/ops_matmul.h"

#include <assert.h>
#include <cblas.h>
#include <limits.h>
#include <omp.h>
#include <string.h>

#include "ops_vec.h"

/* dbias is a sum over rows, which sgemm cannot do for us. We split the
 * columns into blocks of this many and give each block to one thread, so
 * no two threads ever write the same element, and each element is summed
 * over the rows in the same order whatever the number of threads. A block
 * of 64 floats is four cache lines, and summing it one row at a time runs
 * on vector instructions because the 64 sums are independent. */
#define BIAS_BLOCK 64

/* The share of n rows that thread id of nt computes: [*r0, *r1), cut at
 * multiples of 8 rows so that each slice starts on a 32-byte boundary. */
static void thread_slice(size_t n, int id, int nt, size_t *r0, size_t *r1)
{
    size_t chunks = (n + 7) / 8;
    *r0 = chunks * (size_t)id / (size_t)nt * 8;
    *r1 = chunks * (size_t)(id + 1) / (size_t)nt * 8;
    *r0 = *r0 < n ? *r0 : n;
    *r1 = *r1 < n ? *r1 : n;
}

/* dbias[o0..o0+BIAS_BLOCK) += the column sums of dout (BT,OC) there. */
VECTOR_CLONES
static void bias_block(float *dbias, const float *dout, size_t BT, size_t OC, size_t o0)
{
    size_t n = OC - o0 < BIAS_BLOCK ? OC - o0 : BIAS_BLOCK;
    float sum[BIAS_BLOCK] = {0};
    for (size_t r = 0; r < BT; r++) {
        const float *row = dout + r * OC + o0;
        for (size_t j = 0; j < n; j++)
            sum[j] += row[j];
    }
    for (size_t j = 0; j < n; j++)
        dbias[o0 + j] += sum[j];
}

/* out (BT,OC) = residual (BT,OC) + inp (BT,C) . weight (OC,C)^T + bias (OC),
 * residual and bias each optional. */
static void forward(float *out, const float *inp, const float *weight, const float *bias, const float *residual,
                    size_t BT, size_t C, size_t OC)
{
    /* cblas_sgemm counts rows, columns and strides in int, so every size
     * handed to it must fit in one: a precondition of these kernels,
     * checked rather than let a cast wrap around (every build checks it:
     * this project's Release flags do not define NDEBUG). */
    assert(BT <= INT_MAX && C <= INT_MAX && OC <= INT_MAX);
    /* sgemm adds beta * out to its product. Filling each row of out with
     * the bias (and the residual stream's row, when there is one) first
     * and passing beta = 1 adds them in the same sweep over out that
     * writes the product, instead of a pass of its own; without either,
     * beta = 0 tells sgemm to ignore whatever out held before (even a
     * NaN). */
#pragma omp parallel
    {
        size_t r0, r1;
        thread_slice(BT, omp_get_thread_num(), omp_get_num_threads(), &r0, &r1);
        float beta = bias || residual ? 1.0f : 0.0f;
        for (size_t r = r0; r < r1 && beta != 0.0f; r++) {
            float *o = out + r * OC;
            if (residual && bias)
                for (size_t j = 0; j < OC; j++)
                    o[j] = residual[r * OC + j] + bias[j];
            else
                memcpy(o, residual ? residual + r * OC : bias, OC * sizeof(float));
        }
        /* inp is BT x C with rows C apart. weight is stored OC x C, one row
         * per output channel, so the product needs its transpose: CblasTrans. */
        if (r1 > r0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(r1 - r0), (int)OC, (int)C, 1.0f,
                        inp + r0 * C, (int)C, weight, (int)C, beta, out + r0 * OC, (int)OC);
    }
}

/* out (BT,OC) = inp (BT,C) . weight (OC,C)^T + bias (OC) */
void matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                    size_t BT, size_t C, size_t OC)
{
    forward(out, inp, weight, bias, NULL, BT, C, OC);
}

/* out (BT,OC) = residual (BT,OC) + inp (BT,C) . weight (OC,C)^T + bias (OC) */
void matmul_forward_residual(float *out, const float *inp, const float *weight, const float *bias,
                             const float *residual, size_t BT, size_t C, size_t OC)
{
    forward(out, inp, weight, bias, residual, BT, C, OC);
}

/* dinp (BT,C) = keep * dinp + dout (BT,OC) . weight (OC,C), keep 0 or 1
 * dweight (OC,C) += dout (BT,OC)^T . inp (BT,C)
 * dbias (OC) += sum over the BT rows of dout */
static void backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                     const float *weight, size_t BT, size_t C, size_t OC, float keep)
{
    /* The same precondition as the forward pass: sgemm's sizes are ints. */
    assert(BT <= INT_MAX && C <= INT_MAX && OC <= INT_MAX);
    size_t nblocks = dbias ? (OC + BIAS_BLOCK - 1) / BIAS_BLOCK : 0;
#pragma omp parallel
    {
        int id = omp_get_thread_num(), nt = omp_get_num_threads();
        size_t r0, r1, o0, o1;
        /* out[r][o] = sum_c inp[r][c] weight[o][c], so inp[r][c] reaches
         * every output of row r through weight[o][c]: dinp = dout . weight,
         * each thread a slice of rows. beta = keep = 1 makes sgemm add to
         * dinp instead of overwriting it; 0 ignores what dinp held. */
        thread_slice(BT, id, nt, &r0, &r1);
        if (r1 > r0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(r1 - r0), (int)C, (int)OC, 1.0f,
                        dout + r0 * OC, (int)OC, weight, (int)C, keep, dinp + r0 * C, (int)C);
        /* weight[o][c] is used once per row r, multiplied by inp[r][c]: its
         * gradient sums dout[r][o] inp[r][c] over rows, dweight = dout^T .
         * inp, each thread a slice of weight's rows (columns o0..o1 of dout). */
        thread_slice(OC, id, nt, &o0, &o1);
        if (o1 > o0)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(o1 - o0), (int)C, (int)BT, 1.0f,
                        dout + o0, (int)OC, inp, (int)C, 1.0f, dweight + o0 * C, (int)C);
        /* bias[o] is added once per row: its gradient is the column sum of
         * dout. Each block of columns is summed into a small local array,
         * row after row, and added to dbias once at the end. The blocks are
         * shared by the same threads, without a second parallel region. */
#pragma omp for schedule(static)
        for (size_t blk = 0; blk < nblocks; blk++)
            bias_block(dbias, dout, BT, OC, blk * BIAS_BLOCK);
    }
}

/* dinp (BT,C) += dout . weight; dweight += dout^T . inp; dbias += sums of dout */
void matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, size_t BT, size_t C, size_t OC)
{
    backward(dinp, dweight, dbias, dout, inp, weight, BT, C, OC, 1.0f);
}

/* dinp (BT,C) = dout . weight (overwritten); dweight, dbias += as above */
void matmul_backward_into(float *dinp, float *dweight, float *dbias, const float *dout,
                          const float *inp, const float *weight, size_t BT, size_t C, size_t OC)
{
    backward(dinp, dweight, dbias, dout, inp, weight, BT, C, OC, 0.0f);
}

/* The slow twin: one dot product per output, summed in double (from the
 * residual and the bias, when given). A product of two floats is exact in
 * double, so the only sizeable rounding is the final one to float; the
 * tests can treat this as the exact answer. */
static void forward_ref(float *out, const float *inp, const float *weight, const float *bias,
                        const float *residual, size_t BT, size_t C, size_t OC)
{
    for (size_t r = 0; r < BT; r++) {
        for (size_t o = 0; o < OC; o++) {
            double sum = (residual ? (double)residual[r * OC + o] : 0.0) + (bias ? bias[o] : 0.0);
            for (size_t c = 0; c < C; c++)
                sum += (double)inp[r * C + c] * weight[o * C + c];
            out[r * OC + o] = (float)sum;
        }
    }
}

void matmul_forward_ref(float *out, const float *inp, const float *weight, const float *bias,
                        size_t BT, size_t C, size_t OC)
{
    forward_ref(out, inp, weight, bias, NULL, BT, C, OC);
}

void matmul_forward_residual_ref(float *out, const float *inp, const float *weight, const float *bias,
                                 const float *residual, size_t BT, size_t C, size_t OC)
{
    forward_ref(out, inp, weight, bias, residual, BT, C, OC);
}

/* The slow twin: each gradient element is one sum, written the way the
 * formulas above read, accumulated in double starting from the value the
 * gradient already held, and rounded to float once. */
void matmul_backward_ref(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, size_t BT, size_t C, size_t OC)
{
    for (size_t r = 0; r < BT; r++) {
        for (size_t c = 0; c < C; c++) {
            double sum = dinp[r * C + c];
            for (size_t o = 0; o < OC; o++)
                sum += (double)dout[r * OC + o] * weight[o * C + c];
            dinp[r * C + c] = (float)sum;
        }
    }
    for (size_t o = 0; o < OC; o++) {
        for (size_t c = 0; c < C; c++) {
            double sum = dweight[o * C + c];
            for (size_t r = 0; r < BT; r++)
                sum += (double)dout[r * OC + o] * inp[r * C + c];
            dweight[o * C + c] = (float)sum;
        }
    }
    if (!dbias)
        return;
    for (size_t o = 0; o < OC; o++) {
        double sum = dbias[o];
        for (size_t r = 0; r < BT; r++)
            sum += dout[r * OC + o];
        dbias[o] = (float)sum;
    }
}
