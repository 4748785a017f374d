/* ops_rotary: rotary position embeddings and QK-norm (a rotary model's
 * encoder is encoder_forward without wpe, ops_pointwise.c). See ops_matmul.h for the conventions all ops_* kernels share.
 *
 * Rotary (Su et al. 2021, "RoFormer"). GPT-2 adds a learned vector per
 * position to each token's embedding, so a position is something the
 * model must learn about, row by row, up to ctx. Rotary instead turns
 * each head's query and key: split into HS/2 pairs, pair i of the vector
 * at position t is rotated by the angle t theta_i. A rotation keeps
 * lengths, and the dot product of a query rotated by t a with a key
 * rotated by s a is that of the unrotated pair turned by (t - s) a, so a
 * score depends on where the two tokens are relative to each other and
 * not on where they are in the window. The frequencies theta_i =
 * 10000^(-2i/HS) run from one radian per position (pair 0, which tells
 * neighbours apart) down towards 1/10000 of a radian (the last pairs of a
 * large head, which turn slowly enough to tell long distances apart).
 * The pairs are (x_i, x_{i+HS/2}), the first half of the head against the
 * second, as GPT-NeoX and Llama do (not adjacent (x_{2i}, x_{2i+1}) as
 * in the paper): the same model up to a fixed permutation of channels,
 * but with contiguous halves the loops read two plain runs of floats.
 *
 * QK-norm. Each head's q and k are divided by their root mean square
 * before the scores are taken, so a score is bounded by HS / sqrt(HS) =
 * sqrt(HS) whatever the weights grow to, and the softmax cannot saturate
 * because q or k grew large. There is no learned gain: the scale of the
 * scores stays 1/sqrt(HS).
 *
 * Where the results live. Both run in place on the qkv buffer, after the
 * qkv projection and before attention, so attention reads the q and k it
 * must use without knowing about either setting, and neither costs a
 * buffer of its own or a pass beyond one read and write of q and k. In
 * place works for the backward because neither needs its input again:
 * rotary's backward is the rotation by -angle, which needs only the
 * table, and QK-norm's needs its output y and the saved rstd, not x. When
 * both are on, the model applies QK-norm first (the order of the model's
 * definition), so qkv ends up holding rot(norm(x)); a rotation keeps a
 * head's norm, so norm(rot(x)) is the same vector with the same rstd.
 * The model's backward therefore runs QK-norm's backward on the rotated
 * values (the q and k attention used) and then rotary's, which is the
 * exact reverse of norm(rot(x)), and needs no copy of the unrotated q
 * and k. */
#include "bytegpt/ops_rotary.h"

#include <math.h>
#include <string.h>

#include "ops_vec.h"

/* Rows are handed to threads in groups of this many, each group to one
 * call of a function built for the widest vector unit (VECTOR_CLONES). */
#define ROT_ROWS 16

/* ---- Rotary ---- */

/* cos_t, sin_t (T, HS/2) = cos(t theta_i), sin(t theta_i) */
void rotary_table(float *cos_t, float *sin_t, size_t T, size_t HS)
{
    size_t half = HS / 2;
    /* In double, so that even at t in the tens of thousands the angle
     * t theta_i is within about 1e-11 radians of exact, far below the
     * float rounding that follows: each entry is its exact value rounded
     * once (or one float away, when the exact value lies that close to a
     * rounding boundary). */
    for (size_t i = 0; i < half; i++) {
        double theta = pow(BG_ROPE_BASE, -2.0 * (double)i / (double)HS);
        for (size_t t = 0; t < T; t++) {
            double angle = (double)t * theta;
            cos_t[t * half + i] = (float)cos(angle);
            sin_t[t * half + i] = (float)sin(angle);
        }
    }
}

/* Rows r0..r1-1 of rotary_forward (sign 1) or rotary_backward (sign -1).
 * The backward multiplies by the transpose of each 2x2 rotation
 * [[c, -s], [s, c]], which is the same matrix with s negated: the
 * rotation by -angle, since cos is even and sin odd. Negating is exact,
 * so forward and backward share one loop. */
VECTOR_CLONES
static void rotate_rows(float *qkv, const float *cos_t, const float *sin_t, size_t r0, size_t r1,
                        size_t T, size_t C, size_t NH, float sign)
{
    size_t HS = C / NH, half = HS / 2;
    for (size_t r = r0; r < r1; r++) {
        const float *c = cos_t + (r % T) * half;
        const float *s = sin_t + (r % T) * half;
        /* q and k are the first 2C floats of the row: 2 NH segments of HS. */
        for (size_t g = 0; g < 2 * NH; g++) {
            float *x = qkv + r * 3 * C + g * HS;
            for (size_t i = 0; i < half; i++) {
                float a = x[i], b = x[i + half], sn = sign * s[i];
                x[i] = a * c[i] - b * sn;
                x[i + half] = a * sn + b * c[i];
            }
        }
    }
}

/* qkv (B,T,3C): q and k rotated in place by the angles of their positions */
void rotary_forward(float *qkv, const float *cos_t, const float *sin_t,
                    size_t B, size_t T, size_t C, size_t NH)
{
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < B * T; r += ROT_ROWS)
        rotate_rows(qkv, cos_t, sin_t, r, r + ROT_ROWS < B * T ? r + ROT_ROWS : B * T, T, C, NH, 1.0f);
}

/* dqkv (B,T,3C): the q and k parts rotated in place by minus those angles */
void rotary_backward(float *dqkv, const float *cos_t, const float *sin_t,
                     size_t B, size_t T, size_t C, size_t NH)
{
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < B * T; r += ROT_ROWS)
        rotate_rows(dqkv, cos_t, sin_t, r, r + ROT_ROWS < B * T ? r + ROT_ROWS : B * T, T, C, NH, -1.0f);
}

/* ---- QK-norm ---- */

/* Rows r0..r1-1 of qknorm_forward. The sum of squares runs in ops_vec.h's
 * fixed lanes, so it vectorises and gives the same bits everywhere. */
VECTOR_CLONES
static void qknorm_rows(float *qkv, float *rstd, size_t r0, size_t r1, size_t C, size_t NH)
{
    size_t HS = C / NH;
    for (size_t r = r0; r < r1; r++) {
        for (size_t g = 0; g < 2 * NH; g++) {
            float *x = qkv + r * 3 * C + g * HS;
            float s = 1.0f / sqrtf(vec_dot(x, x, HS) / (float)HS + BG_QKNORM_EPS);
            for (size_t i = 0; i < HS; i++)
                x[i] *= s;
            rstd[r * 2 * NH + g] = s;
        }
    }
}

/* qkv (BT,3C) in place, rstd (BT,2NH): each head's q and k over its RMS */
void qknorm_forward(float *qkv, float *rstd, size_t BT, size_t C, size_t NH)
{
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < BT; r += ROT_ROWS)
        qknorm_rows(qkv, rstd, r, r + ROT_ROWS < BT ? r + ROT_ROWS : BT, C, NH);
}

/* Rows r0..r1-1 of qknorm_backward. With y = x s and s = (mean(x^2) +
 * eps)^(-1/2), ds/dx_j = -s^3 x_j / HS, so
 *     dx_j = s dy_j - (s^3 x_j / HS) sum_i dy_i x_i
 *          = s (dy_j - y_j mean(dy y)),
 * written with y, which the forward kept, instead of x, which it did not.
 * The mean is taken before the segment is overwritten. */
VECTOR_CLONES
static void qknorm_backward_rows(float *dqkv, const float *qkv, const float *rstd, size_t r0, size_t r1,
                                 size_t C, size_t NH)
{
    size_t HS = C / NH;
    for (size_t r = r0; r < r1; r++) {
        for (size_t g = 0; g < 2 * NH; g++) {
            float *dy = dqkv + r * 3 * C + g * HS;
            const float *y = qkv + r * 3 * C + g * HS;
            float s = rstd[r * 2 * NH + g];
            float m = vec_dot(dy, y, HS) / (float)HS;
            for (size_t i = 0; i < HS; i++)
                dy[i] = s * (dy[i] - y[i] * m);
        }
    }
}

/* dqkv (BT,3C): the q and k parts from the output's gradient to the input's */
void qknorm_backward(float *dqkv, const float *qkv, const float *rstd,
                     size_t BT, size_t C, size_t NH)
{
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < BT; r += ROT_ROWS)
        qknorm_backward_rows(dqkv, qkv, rstd, r, r + ROT_ROWS < BT ? r + ROT_ROWS : BT, C, NH);
}

/* ---- Slow twins ---- */

/* The slow twin: each rotated element in double from the same table,
 * rounded once. */
void rotary_forward_ref(float *qkv, const float *cos_t, const float *sin_t,
                        size_t B, size_t T, size_t C, size_t NH)
{
    size_t HS = C / NH, half = HS / 2;
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t g = 0; g < 2 * NH; g++)
                for (size_t i = 0; i < half; i++) {
                    float *x = qkv + (b * T + t) * 3 * C + g * HS;
                    double a = x[i], bb = x[i + half];
                    double c = cos_t[t * half + i], s = sin_t[t * half + i];
                    x[i] = (float)(a * c - bb * s);
                    x[i + half] = (float)(a * s + bb * c);
                }
}

/* The slow twin: the transpose of the rotation, written out. */
void rotary_backward_ref(float *dqkv, const float *cos_t, const float *sin_t,
                         size_t B, size_t T, size_t C, size_t NH)
{
    size_t HS = C / NH, half = HS / 2;
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t g = 0; g < 2 * NH; g++)
                for (size_t i = 0; i < half; i++) {
                    float *d = dqkv + (b * T + t) * 3 * C + g * HS;
                    double d0 = d[i], d1 = d[i + half];
                    double c = cos_t[t * half + i], s = sin_t[t * half + i];
                    d[i] = (float)(d0 * c + d1 * s);
                    d[i + half] = (float)(-d0 * s + d1 * c);
                }
}

/* The slow twin: the same formula in double, each output rounded once. */
void qknorm_forward_ref(float *qkv, float *rstd, size_t BT, size_t C, size_t NH)
{
    size_t HS = C / NH;
    for (size_t r = 0; r < BT; r++)
        for (size_t g = 0; g < 2 * NH; g++) {
            float *x = qkv + r * 3 * C + g * HS;
            double ss = 0.0;
            for (size_t i = 0; i < HS; i++)
                ss += (double)x[i] * x[i];
            double s = 1.0 / sqrt(ss / (double)HS + (double)BG_QKNORM_EPS);
            for (size_t i = 0; i < HS; i++)
                x[i] = (float)(x[i] * s);
            rstd[r * 2 * NH + g] = (float)s;
        }
}

/* The slow twin: dx = s (dy - y mean(dy y)) in double, rounded once. */
void qknorm_backward_ref(float *dqkv, const float *qkv, const float *rstd,
                         size_t BT, size_t C, size_t NH)
{
    size_t HS = C / NH;
    for (size_t r = 0; r < BT; r++)
        for (size_t g = 0; g < 2 * NH; g++) {
            float *dy = dqkv + r * 3 * C + g * HS;
            const float *y = qkv + r * 3 * C + g * HS;
            double s = rstd[r * 2 * NH + g], dot = 0.0;
            for (size_t i = 0; i < HS; i++)
                dot += (double)dy[i] * y[i];
            double m = dot / (double)HS;
            for (size_t i = 0; i < HS; i++)
                dy[i] = (float)(s * (dy[i] - y[i] * m));
        }
}
