/* adamw: see adamw.h. */
#include "bytegpt/adamw.h"

#include <math.h>

double adamw_clip(float *grads, size_t n, double max_norm)
{
    /* The sum of squares goes in double and in a fixed order (OpenMP's
     * static schedule with a reduction would make the last bits depend on
     * the thread count's partial sums; the norm must not). */
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += (double)grads[i] * (double)grads[i];
    double norm = sqrt(sum);
    if (max_norm > 0.0 && norm > max_norm) {
        float scale = (float)(max_norm / (norm + 1e-6));
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++)
            grads[i] *= scale;
    }
    return norm;
}

/* One tensor's update; wd is 0 for tensors that are not decayed. */
static void update_tensor(float *p, const float *g, float *m, float *v, size_t n, float lr, float wd,
                          float beta1, float beta2, float eps, float bc1, float bc2)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
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
    for (int i = 0; i < BG_N_TENSORS; i++) {
        size_t o = t[i].offset;
        float wd = t[i].decay ? opt->weight_decay : 0.0f;
        update_tensor(params + o, grads + o, m + o, v + o, t[i].size, lr, wd, opt->beta1,
                      opt->beta2, opt->eps, bc1, bc2);
    }
}
