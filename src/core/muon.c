/* muon: see muon.h. */
#include "bytegpt/muon.h"

#include <assert.h>
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "ops_vec.h"

/* ---- Which tensors, and how much they need ---- */

/* The blocks' matrices: the embeddings and the head stay with AdamW,
 * because a row of wte is looked up, not multiplied through, and an
 * orthogonalised update would move the rows of bytes never seen in the
 * batch as much as the rows of bytes that were. */
static const char *const muon_targets[] = {"qkvw", "attprojw", "fcw", "fcprojw"};

int muon_is_target(const struct bg_tensor *t)
{
    if (t->size == 0)
        return 0;
    for (size_t i = 0; i < sizeof muon_targets / sizeof muon_targets[0]; i++)
        if (strcmp(t->name, muon_targets[i]) == 0)
            return 1;
    return 0;
}

double muon_momentum(uint64_t step)
{
    double frac = step >= 300 ? 1.0 : (double)step / 300.0;
    return (1.0 - frac) * 0.85 + frac * 0.95;
}

/* The shape the iteration runs on: r <= c. */
static void iterated_shape(size_t rows, size_t cols, size_t *r, size_t *c)
{
    *r = rows < cols ? rows : cols;
    *c = rows < cols ? cols : rows;
}

size_t muon_matrix_scratch(size_t rows, size_t cols)
{
    size_t r, c;
    iterated_shape(rows, cols, &r, &c);
    return 2 * r * c + 2 * r * r;
}

size_t muon_scratch_floats(const struct bg_tensor t[BG_N_TENSORS])
{
    size_t most = 0;
    for (int i = 0; i < BG_N_TENSORS; i++) {
        size_t n = muon_is_target(&t[i]) ? muon_matrix_scratch(t[i].rows, t[i].cols) : 0;
        most = n > most ? n : most;
    }
    return most;
}

double muon_flops_per_step(const struct bg_tensor t[BG_N_TENSORS])
{
    double flops = 0.0;
    for (int i = 0; i < BG_N_TENSORS; i++) {
        if (!muon_is_target(&t[i]))
            continue;
        size_t r, c;
        iterated_shape(t[i].rows, t[i].cols, &r, &c);
        double R = (double)r, C = (double)c;
        flops += (double)t[i].layers * MUON_NS_STEPS * (2 * R * R * C + 2 * R * R * R + 2 * R * R * C);
    }
    return flops;
}

/* ---- Newton-Schulz ---- */

/* x (r,c) = a x + (b A + c A A) x, A = x x^T, five times. Each product
 * is one sgemm on the whole matrix, threaded by OpenBLAS; the sums b A
 * and a x ride along as sgemm's beta term (C = alpha op(A) op(B) + beta
 * C) on a copy, so no pass of its own adds them. */
void muon_newton_schulz(float *x, size_t r, size_t c, float *scratch)
{
    /* cblas_sgemm counts rows, columns and strides in int (see ops_matmul.c). */
    assert(r <= c && c <= INT_MAX);
    int R = (int)r, C = (int)c;
    float *next = scratch, *A = next + r * c, *B = A + r * r, *cur = x;
    for (int k = 0; k < MUON_NS_STEPS; k++) {
        /* A (r,r) = x x^T */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, R, C, 1.0f, cur, C, cur, C, 0.0f, A, R);
        /* B (r,r) = c A A + b A */
        memcpy(B, A, r * r * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, R, R, MUON_NS_C, A, R, A, R, MUON_NS_B, B, R);
        /* next (r,c) = B x + a x */
        memcpy(next, cur, r * c * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, C, R, 1.0f, B, R, cur, C, MUON_NS_A, next, C);
        float *done = cur;
        cur = next;
        next = done;
    }
    if (cur != x)
        memcpy(x, cur, r * c * sizeof(float));
}

void muon_newton_schulz_ref(double *x, size_t r, size_t c, double *scratch)
{
    const double a = MUON_NS_A, b = MUON_NS_B, cc = MUON_NS_C;
    double *next = scratch, *A = next + r * c, *B = A + r * r;
    for (int k = 0; k < MUON_NS_STEPS; k++) {
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < r; j++) {
                double s = 0.0;
                for (size_t l = 0; l < c; l++)
                    s += x[i * c + l] * x[j * c + l];
                A[i * r + j] = s;
            }
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < r; j++) {
                double s = 0.0;
                for (size_t l = 0; l < r; l++)
                    s += A[i * r + l] * A[l * r + j];
                B[i * r + j] = b * A[i * r + j] + cc * s;
            }
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < c; j++) {
                double s = 0.0;
                for (size_t l = 0; l < r; l++)
                    s += B[i * r + l] * x[l * c + j];
                next[i * c + j] = a * x[i * c + j] + s;
            }
        memcpy(x, next, r * c * sizeof(double));
    }
}

/* ---- One matrix's update ---- */

/* The Frobenius norm in double, in a fixed order (NORM_LANES partial
 * sums, see ops_vec.h for why lanes): the same bits for any thread
 * count, so that every rank and every resumed run scales alike. */
#define NORM_LANES 8

VECTOR_CLONES
static double frobenius(const float *x, size_t n)
{
    double acc[NORM_LANES] = {0}, sum = 0.0;
    size_t i = 0;
    for (; i + NORM_LANES <= n; i += NORM_LANES)
        for (size_t j = 0; j < NORM_LANES; j++)
            acc[j] += (double)x[i + j] * (double)x[i + j];
    for (size_t j = 0; i + j < n; j++)
        acc[j] += (double)x[i + j] * (double)x[i + j];
    for (size_t j = 0; j < NORM_LANES; j++)
        sum += acc[j];
    return sqrt(sum);
}

/* buf = mu buf + g, then x = g + mu buf (Nesterov), x (rows,cols) or,
 * for a tall matrix, its transpose (cols,rows). */
static void momentum_into(float *x, float *buf, const float *g, float mu, size_t rows, size_t cols, int tall)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            size_t at = i * cols + j;
            buf[at] = mu * buf[at] + g[at];
            x[tall ? j * rows + i : at] = g[at] + mu * buf[at];
        }
}

void muon_update(const struct bg_muon *s, float *p, const float *g, float *buf, size_t rows, size_t cols,
                 float *scratch)
{
    size_t n = rows * cols, r, c;
    int tall = rows > cols;
    iterated_shape(rows, cols, &r, &c);
    float *x = scratch;
    momentum_into(x, buf, g, s->momentum, rows, cols, tall);
    /* Dividing by the norm puts every singular value at or below 1,
     * where the iteration converges; 1e-7 keeps a zero gradient finite. */
    float scale = (float)(1.0 / (frobenius(x, n) + 1e-7));
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        x[i] *= scale;
    muon_newton_schulz(x, r, c, scratch + n);
    /* The orthogonalised update has singular values near 1 whatever the
     * shape, so its entries are about 1/sqrt(cols) for a wide matrix and
     * 1/sqrt(rows) for a tall one; sqrt(rows/cols) gives a tall matrix's
     * outputs the same step per input as a wide one's. */
    float decay = (float)(1.0 - (double)s->lr * (double)s->weight_decay);
    float step = (float)((double)s->lr * sqrt(tall ? (double)rows / (double)cols : 1.0));
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            p[i * cols + j] = p[i * cols + j] * decay - step * x[tall ? j * rows + i : i * cols + j];
}

void muon_step(const struct bg_muon *s, const struct bg_tensor t[BG_N_TENSORS], float *params, const float *grads,
               float *m, float *scratch)
{
    for (int i = 0; i < BG_N_TENSORS; i++) {
        if (!muon_is_target(&t[i]))
            continue;
        size_t per_layer = t[i].rows * t[i].cols;
        for (size_t l = 0; l < t[i].layers; l++) {
            size_t o = t[i].offset + l * per_layer;
            muon_update(s, params + o, grads + o, m + o, t[i].rows, t[i].cols, scratch);
        }
    }
}

void muon_update_ref(const struct bg_muon *s, float *p, const float *g, float *buf, size_t rows, size_t cols,
                     double *scratch)
{
    size_t n = rows * cols, r, c;
    int tall = rows > cols;
    iterated_shape(rows, cols, &r, &c);
    double *x = scratch, mu = s->momentum, norm2 = 0.0;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            size_t at = i * cols + j;
            double b = mu * buf[at] + g[at], u = g[at] + mu * b;
            buf[at] = (float)b;
            x[tall ? j * rows + i : at] = u;
            norm2 += u * u;
        }
    double norm = sqrt(norm2);
    for (size_t i = 0; i < n; i++)
        x[i] /= norm + 1e-7;
    muon_newton_schulz_ref(x, r, c, scratch + n);
    double lr = s->lr, step = lr * sqrt(tall ? (double)rows / (double)cols : 1.0);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            size_t at = i * cols + j;
            p[at] = (float)(p[at] * (1.0 - lr * s->weight_decay) - step * x[tall ? j * rows + i : at]);
        }
}
