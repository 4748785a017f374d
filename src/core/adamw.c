/* adamw: see adamw.h. */
#include "bytegpt/adamw.h"

#include <math.h>
#include <omp.h>

#include "ops_vec.h"

/* The gradients' sum of squares is taken in this many fixed chunks of
 * consecutive floats, each summed by one thread in NORM_LANES fixed double
 * lanes (see ops_vec.h for why lanes), then the chunks in order: the norm
 * has the same bits for any number of threads. */
#define NORM_CHUNKS 256
#define NORM_LANES 8

VECTOR_CLONES
static double sum_squares(const float *g, size_t n)
{
    double acc[NORM_LANES] = {0};
    size_t i = 0;
    for (; i + NORM_LANES <= n; i += NORM_LANES)
        for (size_t j = 0; j < NORM_LANES; j++)
            acc[j] += (double)g[i + j] * (double)g[i + j];
    for (size_t j = 0; i + j < n; j++)
        acc[j] += (double)g[i + j] * (double)g[i + j];
    double sum = 0.0;
    for (size_t j = 0; j < NORM_LANES; j++)
        sum += acc[j];
    return sum;
}

/* The sum of squares of g (n), in double and in an order fixed by n alone
 * (OpenMP's reduction would make the last bits depend on the thread
 * count's partial sums; the norm must not). */
static double sum_squares_fixed(const float *g, size_t n)
{
    double chunk_sum[NORM_CHUNKS] = {0}, sum = 0.0;
    size_t per_chunk = (n + NORM_CHUNKS - 1) / NORM_CHUNKS;
#pragma omp parallel for schedule(static)
    for (size_t c = 0; c < NORM_CHUNKS; c++) {
        size_t i0 = c * per_chunk < n ? c * per_chunk : n, i1 = i0 + per_chunk < n ? i0 + per_chunk : n;
        chunk_sum[c] = sum_squares(g + i0, i1 - i0);
    }
    for (size_t c = 0; c < NORM_CHUNKS; c++)
        sum += chunk_sum[c];
    return sum;
}

static void scale_floats(float *g, size_t n, float scale)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        g[i] *= scale;
}

double adamw_clip_parts(float *grads, size_t n, float *rows, size_t n_rows, double max_norm)
{
    /* Without rows the sum gains an exact 0.0: adamw_clip's bits. */
    double norm = sqrt(sum_squares_fixed(grads, n) + (n_rows ? sum_squares_fixed(rows, n_rows) : 0.0));
    if (max_norm > 0.0 && norm > max_norm) {
        float scale = (float)(max_norm / (norm + 1e-6));
        scale_floats(grads, n, scale);
        scale_floats(rows, n_rows, scale);
    }
    return norm;
}

double adamw_clip(float *grads, size_t n, double max_norm)
{
    return adamw_clip_parts(grads, n, NULL, 0, max_norm);
}

/* One tensor's update, elements [i0, i1); wd is 0 for tensors that are
 * not decayed. */
VECTOR_CLONES
static void update_span(float *p, const float *g, float *m, float *v, size_t i0, size_t i1, float lr, float wd,
                        float beta1, float beta2, float eps, float bc1, float bc2)
{
    for (size_t i = i0; i < i1; i++) {
        p[i] -= lr * wd * p[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * g[i];
        v[i] = beta2 * v[i] + (1.0f - beta2) * g[i] * g[i];
        float m_hat = m[i] / bc1;
        float v_hat = v[i] / bc2;
        p[i] -= lr * m_hat / (sqrtf(v_hat) + eps);
    }
}

void adamw_update(const struct bg_adamw *opt, const struct bg_tensor t[BG_N_TENSORS],
                  float *params, const float *grads, float *m, float *v, float lr, uint64_t step)
{
    /* The bias corrections undo the zero start of the moments: after t
     * steps, m is (1 - beta1^t) times the average it estimates. */
    float bc1 = 1.0f - (float)pow(opt->beta1, (double)step);
    float bc2 = 1.0f - (float)pow(opt->beta2, (double)step);
    /* One parallel region for all the tensors: each thread takes its
     * share of each tensor in turn and goes on to the next without waiting
     * for the others (the tensors are independent), so a small model pays
     * for one fork and one join instead of one per tensor. */
#pragma omp parallel
    {
        size_t id = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
        for (int i = 0; i < BG_N_TENSORS; i++) {
            size_t o = t[i].offset, n = t[i].size;
            float wd = t[i].decay ? opt->weight_decay : 0.0f;
            update_span(params + o, grads + o, m + o, v + o, n * id / nt, n * (id + 1) / nt, lr, wd, opt->beta1,
                        opt->beta2, opt->eps, bc1, bc2);
        }
    }
}

void adamw_update_rows(const struct bg_adamw *opt, const struct bg_tensor *t, const uint32_t *rows, size_t n_rows,
                       float *params, const float *packed, float *m, float *v, float lr, uint64_t step)
{
    /* The same span update as the dense one, row by row: a touched row
     * gets exactly the update a dense pass would give it. The table is
     * never decayed (bigram.h). */
    float bc1 = 1.0f - (float)pow(opt->beta1, (double)step);
    float bc2 = 1.0f - (float)pow(opt->beta2, (double)step);
    size_t C = t->cols;
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < n_rows; k++) {
        size_t o = t->offset + (size_t)rows[k] * C;
        update_span(params + o, packed + k * C, m + o, v + o, 0, C, lr, 0.0f, opt->beta1, opt->beta2, opt->eps, bc1,
                    bc2);
    }
}
