/* Tests for ops_attention: the sgemm kernels against their double-precision
 * twins within derived fp32 bounds, the backward against finite
 * differences, the causal mask, normalisation, and determinism. See
 * gradcheck.h for how tolerances are chosen. */
#include "bytegpt/ops_attention.h"

#include "test.h"
#include "gradcheck.h"

struct shape {
    size_t B, T, C, NH;
};

/* Odd sizes on purpose: T = 1, one head, many small heads (NH = 8 with
 * HS = 3), C not a multiple of 8, and T large enough for sgemm's blocked
 * path. Two random shapes follow. */
static const struct shape fixed_shapes[] = {
    {1, 1, 4, 1},  {1, 1, 24, 8}, {2, 5, 13, 1}, {1, 7, 24, 8},
    {2, 9, 20, 4}, {1, 33, 20, 2}, {3, 16, 64, 4}, {2, 64, 96, 6},
    /* Longer than one causal block (64 rows) and not a multiple of it: the
     * blocked products and their partial last block. */
    {1, 150, 16, 2}, {2, 129, 24, 3},
};
#define N_FIXED (sizeof(fixed_shapes) / sizeof(fixed_shapes[0]))
#define N_SHAPES (N_FIXED + 2)

static struct shape get_shape(size_t i, struct bg_rng *r)
{
    if (i < N_FIXED)
        return fixed_shapes[i];
    struct shape s;
    s.B = rand_size(r, 1, 3);
    s.T = rand_size(r, 1, 40);
    s.NH = rand_size(r, 1, 8);
    s.C = s.NH * rand_size(r, 1, 12);
    return s;
}

static const float *q_at(const float *qkv, struct shape s, size_t b, size_t t, size_t h)
{
    return qkv + (b * s.T + t) * 3 * s.C + h * (s.C / s.NH);
}

/* ---- Bounds ----
 *
 * Forward, for row t of head (b, h), with the exact scores
 * s_j = scale q.k_j (j <= t), m = max s_j and p = softmax(s):
 * - The fast score has at most HS + 3 roundings (a dot product of length
 *   HS, sgemm's multiply by alpha, and scale = 1/sqrtf(HS) itself, which
 *   is two roundings off): E_j = gamma(HS + 3) scale sum_i |q_i k_ji|.
 * - A change e_j in the scores changes log p_j by e_j - sum_k p_k e_k, at
 *   most 2 max E. The softmax's own arithmetic adds to log p_j: u |s_j - m|
 *   from rounding s_j - m, EXP_REL from ops_expf (gradcheck.h), the same
 *   again averaged over k through the sum, gamma(t) for the sum of t + 1
 *   positive terms, and 2u for 1/sum and the multiply. So
 *   |log(p^_j / p_j)| <= rho = 2 max E + 2u max_j (m - s_j) + gamma(t + 2)
 *   + 2 EXP_REL, and |p^_j - p_j| <= p_j (e^rho - 1). A score more than 80
 *   below the max gets weight e^-80 (1 + EXP_REL) / sum <= that, whatever
 *   its true (smaller) weight: an absolute error of up to that much.
 * - out_i = sum_j p_j v_ji over all T keys (masked terms are exact zeros):
 *   |error| <= (e^rho - 1 + gamma(T) e^rho) sum_j p_j |v_ji|, plus the
 *   clamped weights' error times their |v_ji|.
 * - The twin rounds each p_j once (u p_j), and forms out from those floats
 *   (u sum_j p_j |v_ji| + u |out_i|). */
static void forward_bounds(double *tol_out, double *tol_att, const float *qkv, const float *ref_out,
                           struct shape s)
{
    size_t T = s.T, C = s.C, NH = s.NH, HS = C / NH;
    double scale = 1.0 / sqrt((double)HS);
    double *sc = dbuf(T), *err = dbuf(T);
    for (size_t b = 0; b < s.B; b++) {
        for (size_t h = 0; h < NH; h++) {
            for (size_t t = 0; t < T; t++) {
                const float *q = q_at(qkv, s, b, t, h);
                double m = -INFINITY, max_err = 0.0;
                for (size_t j = 0; j <= t; j++) {
                    const float *k = q_at(qkv, s, b, j, h) + C;
                    double dot = 0.0, abs_dot = 0.0;
                    for (size_t i = 0; i < HS; i++) {
                        dot += (double)q[i] * k[i];
                        abs_dot += fabs((double)q[i] * k[i]);
                    }
                    sc[j] = scale * dot;
                    err[j] = gam((double)HS + 3) * scale * abs_dot;
                    if (sc[j] > m)
                        m = sc[j];
                    if (err[j] > max_err)
                        max_err = err[j];
                }
                double z = 0.0, spread = 0.0;
                for (size_t j = 0; j <= t; j++) {
                    z += exp(sc[j] - m);
                    if (m - sc[j] > spread)
                        spread = m - sc[j];
                }
                double rho = 2 * max_err + 2 * U32 * spread + gam((double)t + 2) + 2 * EXP_REL;
                double delta = expm1(rho), clamp = EXP_CLAMP * (1 + EXP_REL) * (1 + delta);
                double *ta = tol_att + ((b * NH + h) * T + t) * T;
                for (size_t j = 0; j < T; j++) {
                    double p = j <= t ? exp(sc[j] - m) / z : 0.0;
                    ta[j] = p * (delta + U32) + (j <= t && m - sc[j] > 79 ? clamp : 0.0);
                }
                for (size_t i = 0; i < HS; i++) {
                    double mix = 0.0, clamped = 0.0;
                    for (size_t j = 0; j <= t; j++) {
                        double vji = fabs(q_at(qkv, s, b, j, h)[2 * C + i]);
                        mix += exp(sc[j] - m) / z * vji;
                        clamped += m - sc[j] > 79 ? clamp * vji : 0.0;
                    }
                    size_t o = (b * T + t) * C + h * HS + i;
                    tol_out[o] = (delta + gam((double)T) * (1 + delta) + U32) * mix + clamped +
                                 U32 * fabs(ref_out[o]);
                }
            }
        }
    }
    free(sc), free(err);
}

/* Backward, given the same att, qkv and dout to both kernels (exact
 * values below are computed in double from those floats):
 * - datt_tj = dout_t . v_j, a dot product of length HS:
 *   E_tj = gamma(HS) sum_i |dout_ti v_ji|.
 * - dot_t = sum_j a_tj datt_tj (t + 1 terms, each product rounded):
 *   |error| <= sum_j a_tj E_tj + gamma(t + 1) sum_j a_tj |datt_tj| =: D_t.
 * - dpre_tj = a_tj (datt_tj - dot_t), a subtraction and a multiply more:
 *   |error| <= a_tj (E_tj + D_t) + gamma(2) a_tj (|datt_tj| + |dot_t|),
 *   and the twin rounds its dpre once more (u, so gamma(3) in all). When
 *   att itself is off by a relative att_err (the finite-difference test
 *   feeds the twin's rounded att), that adds
 *   att_err a_tj (|datt_tj| + |dot_t| + sum_k a_tk |datt_tk|).
 * - dq_t = prior + scale sum_j dpre_tj k_j over all T keys: the errors of
 *   dpre times |k|, plus gamma(T + 4) (T for the sum, alpha, the float
 *   scale's 2, the add to prior) times (scale sum_j |dpre_tj k_j| + |prior|).
 *   dk_j likewise with q and the sum over t.
 * - dv_j = prior + sum_t a_tj dout_t: gamma(T + 1) (sum_t a_tj |dout_t| +
 *   |prior|), plus att_err sum_t a_tj |dout_t|.
 * - The twin's final rounding: u |ref|. */
static void backward_bounds(double *tol, const float *qkv, const float *att, const float *dout,
                            const float *prior, const float *ref, double att_err, struct shape s)
{
    size_t T = s.T, C = s.C, NH = s.NH, HS = C / NH;
    double scale = 1.0 / sqrt((double)HS);
    double *datt = dbuf(T * T), *e1 = dbuf(T * T), *dpre = dbuf(T * T), *dpre_err = dbuf(T * T);
    for (size_t b = 0; b < s.B; b++) {
        for (size_t h = 0; h < NH; h++) {
            const float *a = att + (b * NH + h) * T * T;
            for (size_t t = 0; t < T; t++) {
                const float *dy = dout + (b * T + t) * C + h * HS;
                double dot = 0.0, dot_err = 0.0, abs_adatt = 0.0;
                for (size_t j = 0; j <= t; j++) {
                    const float *v = q_at(qkv, s, b, j, h) + 2 * C;
                    double d = 0.0, ad = 0.0;
                    for (size_t i = 0; i < HS; i++) {
                        d += (double)dy[i] * v[i];
                        ad += fabs((double)dy[i] * v[i]);
                    }
                    datt[t * T + j] = d;
                    e1[t * T + j] = gam((double)HS) * ad;
                    dot += a[t * T + j] * d;
                    dot_err += a[t * T + j] * e1[t * T + j];
                    abs_adatt += a[t * T + j] * fabs(d);
                }
                dot_err += gam((double)t + 1) * abs_adatt;
                for (size_t j = 0; j < T; j++) {
                    double p = a[t * T + j];
                    if (j > t) {
                        dpre[t * T + j] = dpre_err[t * T + j] = 0.0;
                        continue;
                    }
                    double d = datt[t * T + j];
                    dpre[t * T + j] = p * (d - dot);
                    dpre_err[t * T + j] = p * (e1[t * T + j] + dot_err) +
                                          gam(3) * p * (fabs(d) + fabs(dot)) +
                                          att_err * p * (fabs(d) + fabs(dot) + abs_adatt);
                }
            }
            for (size_t t = 0; t < T; t++) {
                for (size_t i = 0; i < HS; i++) {
                    size_t iq = (b * T + t) * 3 * C + h * HS + i, ik = iq + C, iv = iq + 2 * C;
                    double q_err = 0.0, q_abs = 0.0, k_err = 0.0, k_abs = 0.0, v_abs = 0.0;
                    for (size_t j = 0; j < T; j++) {
                        /* dq_t sums over keys j; dk_t and dv_t over queries j. */
                        double kj = fabs(q_at(qkv, s, b, j, h)[C + i]);
                        double qj = fabs(q_at(qkv, s, b, j, h)[i]);
                        q_err += dpre_err[t * T + j] * kj;
                        q_abs += fabs(dpre[t * T + j]) * kj;
                        k_err += dpre_err[j * T + t] * qj;
                        k_abs += fabs(dpre[j * T + t]) * qj;
                        v_abs += a[j * T + t] * fabs(dout[(b * T + j) * C + h * HS + i]);
                    }
                    double pq = prior ? fabs(prior[iq]) : 0.0;
                    double pk = prior ? fabs(prior[ik]) : 0.0;
                    double pv = prior ? fabs(prior[iv]) : 0.0;
                    tol[iq] = scale * q_err + gam((double)T + 4) * (scale * q_abs + pq) +
                              U32 * fabs(ref[iq]);
                    tol[ik] = scale * k_err + gam((double)T + 4) * (scale * k_abs + pk) +
                              U32 * fabs(ref[ik]);
                    tol[iv] = gam((double)T + 1) * (v_abs + pv) + att_err * v_abs +
                              U32 * fabs(ref[iv]);
                }
            }
        }
    }
    free(datt), free(e1), free(dpre), free(dpre_err);
}

/* ---- Fast against twin ---- */

static void test_forward_matches_ref(void)
{
    struct bg_rng rng;
    rng_seed(&rng, 1, 2);
    for (size_t n = 0; n < N_SHAPES + 1; n++) {
        /* The last case has large inputs, so that the scores reach about
         * +-400 and the softmax is nearly one-hot: without subtracting the
         * row's maximum, expf would overflow. */
        int large = n == N_SHAPES;
        struct shape s = large ? (struct shape){2, 9, 32, 2} : get_shape(n, &rng);
        size_t nqkv = s.B * s.T * 3 * s.C, nout = s.B * s.T * s.C, natt = s.B * s.NH * s.T * s.T;
        float *qkv = fbuf(nqkv), *out = fbuf(nout), *att = fbuf(natt);
        float *ref_out = fbuf(nout), *ref_att = fbuf(natt);
        double *tol_out = dbuf(nout), *tol_att = dbuf(natt);
        fill_uniform(qkv, nqkv, &rng, large ? -10.0f : -1.0f, large ? 10.0f : 1.0f);
        attention_forward(out, att, qkv, s.B, s.T, s.C, s.NH);
        attention_forward_ref(ref_out, ref_att, qkv, s.B, s.T, s.C, s.NH);
        forward_bounds(tol_out, tol_att, qkv, ref_out, s);
        char what[96];
        snprintf(what, sizeof what, "att B=%zu T=%zu C=%zu NH=%zu%s", s.B, s.T, s.C, s.NH,
                 large ? " large" : "");
        check_close(what, att, ref_att, tol_att, natt);
        snprintf(what, sizeof what, "out B=%zu T=%zu C=%zu NH=%zu%s", s.B, s.T, s.C, s.NH,
                 large ? " large" : "");
        check_close(what, out, ref_out, tol_out, nout);
        free(qkv), free(out), free(att), free(ref_out), free(ref_att), free(tol_out), free(tol_att);
    }
}

static void test_backward_matches_ref(void)
{
    struct bg_rng rng;
    rng_seed(&rng, 2, 2);
    for (size_t n = 0; n < N_SHAPES; n++) {
        struct shape s = get_shape(n, &rng);
        size_t nqkv = s.B * s.T * 3 * s.C, nout = s.B * s.T * s.C, natt = s.B * s.NH * s.T * s.T;
        float *qkv = fbuf(nqkv), *out = fbuf(nout), *att = fbuf(natt), *dout = fbuf(nout);
        float *prior = fbuf(nqkv), *dqkv = fbuf(nqkv), *ref = fbuf(nqkv);
        float *datt = fbuf(natt), *ref_datt = fbuf(natt);
        double *tol = dbuf(nqkv);
        fill_uniform(qkv, nqkv, &rng, -1, 1);
        fill_uniform(dout, nout, &rng, -1, 1);
        fill_uniform(prior, nqkv, &rng, -1, 1);
        /* NaN in the scratch: the kernels must not read it before writing. */
        for (size_t i = 0; i < natt; i++)
            datt[i] = ref_datt[i] = NAN;
        attention_forward(out, att, qkv, s.B, s.T, s.C, s.NH);
        memcpy(dqkv, prior, nqkv * sizeof(float));
        memcpy(ref, prior, nqkv * sizeof(float));
        attention_backward(dqkv, datt, dout, qkv, att, s.B, s.T, s.C, s.NH);
        attention_backward_ref(ref, ref_datt, dout, qkv, att, s.B, s.T, s.C, s.NH);
        backward_bounds(tol, qkv, att, dout, prior, ref, 0.0, s);
        char what[96];
        snprintf(what, sizeof what, "dqkv B=%zu T=%zu C=%zu NH=%zu", s.B, s.T, s.C, s.NH);
        check_close(what, dqkv, ref, tol, nqkv);

        /* attention_backward_into overwrites dqkv, NaN included: against
         * the twin from zero, with the bounds for no prior. */
        for (size_t i = 0; i < nqkv; i++)
            dqkv[i] = NAN;
        memset(ref, 0, nqkv * sizeof(float));
        attention_backward_into(dqkv, datt, dout, qkv, att, s.B, s.T, s.C, s.NH);
        attention_backward_ref(ref, ref_datt, dout, qkv, att, s.B, s.T, s.C, s.NH);
        backward_bounds(tol, qkv, att, dout, NULL, ref, 0.0, s);
        snprintf(what, sizeof what, "into: dqkv B=%zu T=%zu C=%zu NH=%zu", s.B, s.T, s.C, s.NH);
        check_close(what, dqkv, ref, tol, nqkv);
        free(qkv), free(out), free(att), free(dout), free(prior), free(dqkv), free(ref);
        free(datt), free(ref_datt), free(tol);
    }
}

/* ---- Finite differences ---- */

struct att_ctx {
    float *out, *att;
    const float *qkv;
    struct shape s;
};

static void att_forward(void *p)
{
    struct att_ctx *c = p;
    attention_forward_ref(c->out, c->att, c->qkv, c->s.B, c->s.T, c->s.C, c->s.NH);
}

static void test_backward_finite_differences(void)
{
    static const struct shape shapes[] = {{1, 4, 6, 2}, {2, 5, 12, 3}, {1, 3, 3, 3}, {1, 4, 24, 8}};
    struct bg_rng rng;
    rng_seed(&rng, 3, 2);
    for (size_t n = 0; n < sizeof shapes / sizeof shapes[0]; n++) {
        struct shape s = shapes[n];
        size_t nqkv = s.B * s.T * 3 * s.C, nout = s.B * s.T * s.C, natt = s.B * s.NH * s.T * s.T;
        float *qkv = fbuf(nqkv), *out = fbuf(nout), *att = fbuf(natt), *R = fbuf(nout);
        float *fd_out = fbuf(nout), *fd_att = fbuf(natt), *datt = fbuf(natt);
        double *tol = dbuf(nqkv);
        fill_uniform(qkv, nqkv, &rng, -1, 1);
        fill_uniform(R, nout, &rng, -1, 1);
        /* The analytic gradients use the twin's att, within u of exact. */
        attention_forward_ref(out, att, qkv, s.B, s.T, s.C, s.NH);
        /* The twin forms out from its rounded att: each out_i is within
         * u |out_i| + u sum_j p_j |v_j| <= u |out_i| + u max|v| of exact;
         * the steps move v by at most 2h. */
        double h = 1e-2, max_v = 1.0 + 2 * h;
        struct att_ctx ctx = {fd_out, fd_att, qkv, s};
        struct fd_problem p = {att_forward, &ctx, fd_out, nout, R, U32 * max_v};
        for (int twin = 0; twin < 2; twin++) {
            float *dqkv = fbuf(nqkv);
            (twin ? attention_backward_ref : attention_backward)(dqkv, datt, R, qkv, att, s.B, s.T,
                                                                 s.C, s.NH);
            backward_bounds(tol, qkv, att, R, NULL, dqkv, U32, s);
            char what[96];
            snprintf(what, sizeof what, "fd%s dqkv B=%zu T=%zu C=%zu NH=%zu", twin ? "_ref" : "",
                     s.B, s.T, s.C, s.NH);
            fd_check(what, &p, qkv, nqkv, dqkv, tol, h);
            free(dqkv);
        }
        free(qkv), free(out), free(att), free(R), free(fd_out), free(fd_att), free(datt), free(tol);
    }
}

/* ---- Properties ---- */

/* The future gets exactly zero weight, and each row is a distribution:
 * sum_j p^_j = sum_j e_j (1 + d_j) / (sum_j e_j (1 + theta)) with
 * |theta| <= gamma(t) from the sum and |d_j| <= gamma(2) from 1/sum and the
 * multiply, so |sum - 1| <= gamma(t + 3) (the errors of expf cancel: they
 * are in numerator and denominator alike). */
static void test_mask_and_normalisation(void)
{
    struct shape s = {2, 37, 24, 3};
    size_t T = s.T, nqkv = s.B * T * 3 * s.C, natt = s.B * s.NH * T * T;
    struct bg_rng rng;
    rng_seed(&rng, 4, 2);
    float *qkv = fbuf(nqkv), *out = fbuf(s.B * T * s.C), *att = fbuf(natt);
    fill_uniform(qkv, nqkv, &rng, -3, 3);
    /* Garbage first, so that a kernel that skips the mask is caught. */
    for (size_t i = 0; i < natt; i++)
        att[i] = NAN;
    attention_forward(out, att, qkv, s.B, T, s.C, s.NH);
    int masked_zero = 1, sums_ok = 1;
    double worst = 0.0;
    for (size_t bh = 0; bh < s.B * s.NH; bh++) {
        for (size_t t = 0; t < T; t++) {
            const float *row = att + (bh * T + t) * T;
            double sum = 0.0;
            for (size_t j = 0; j < T; j++) {
                if (j > t && row[j] != 0.0f)
                    masked_zero = 0;
                if (j <= t)
                    sum += row[j];
            }
            double d = fabs(sum - 1.0) / gam((double)t + 3);
            if (!(d <= 1.0))
                sums_ok = 0;
            if (d > worst)
                worst = d;
        }
    }
    printf("    rows sum to 1: worst |sum-1|/bound %.3g\n", worst);
    CHECK(masked_zero);
    CHECK(sums_ok);
    free(qkv), free(out), free(att);
}

/* With q = 0 every score is exactly 0, so each row is uniform over the
 * t + 1 visible keys: expf(0) = 1, the sum t + 1 is exact, and p =
 * fl(1 / (t + 1)), within u / (t + 1). out_t is then the mean of v_0..v_t,
 * a sum of T products of one rounded p: gamma(T + 1) times sum_j |v_j| / (t + 1). */
static void test_equal_scores_give_uniform_weights(void)
{
    struct shape s = {2, 11, 20, 4};
    size_t T = s.T, C = s.C, HS = C / s.NH, nqkv = s.B * T * 3 * C;
    struct bg_rng rng;
    rng_seed(&rng, 5, 2);
    float *qkv = fbuf(nqkv), *out = fbuf(s.B * T * C), *att = fbuf(s.B * s.NH * T * T);
    fill_uniform(qkv, nqkv, &rng, -1, 1);
    for (size_t bt = 0; bt < s.B * T; bt++)
        for (size_t c = 0; c < C; c++)
            qkv[bt * 3 * C + c] = 0.0f;
    attention_forward(out, att, qkv, s.B, T, C, s.NH);
    int uniform = 1, means = 1;
    for (size_t b = 0; b < s.B; b++) {
        for (size_t h = 0; h < s.NH; h++) {
            for (size_t t = 0; t < T; t++) {
                const float *row = att + ((b * s.NH + h) * T + t) * T;
                for (size_t j = 0; j <= t; j++)
                    if (!(fabs(row[j] - 1.0 / (double)(t + 1)) <= U32 / (double)(t + 1)))
                        uniform = 0;
                for (size_t i = 0; i < HS; i++) {
                    double mean = 0.0, abs_sum = 0.0;
                    for (size_t j = 0; j <= t; j++) {
                        double v = q_at(qkv, s, b, j, h)[2 * C + i];
                        mean += v / (double)(t + 1);
                        abs_sum += fabs(v) / (double)(t + 1);
                    }
                    double got = out[(b * T + t) * C + h * HS + i];
                    if (!(fabs(got - mean) <= gam((double)T + 1) * abs_sum))
                        means = 0;
                }
            }
        }
    }
    CHECK(uniform);
    CHECK(means);
    free(qkv), free(out), free(att);
}

/* The same call twice gives the same bits. */
static void test_deterministic(void)
{
    struct shape s = {3, 40, 48, 4};
    size_t nqkv = s.B * s.T * 3 * s.C, nout = s.B * s.T * s.C, natt = s.B * s.NH * s.T * s.T;
    struct bg_rng rng;
    rng_seed(&rng, 6, 2);
    float *qkv = fbuf(nqkv), *dout = fbuf(nout), *datt = fbuf(natt);
    float *out[2], *att[2], *dqkv[2];
    fill_uniform(qkv, nqkv, &rng, -1, 1);
    fill_uniform(dout, nout, &rng, -1, 1);
    for (int k = 0; k < 2; k++) {
        out[k] = fbuf(nout), att[k] = fbuf(natt), dqkv[k] = fbuf(nqkv);
        attention_forward(out[k], att[k], qkv, s.B, s.T, s.C, s.NH);
        attention_backward(dqkv[k], datt, dout, qkv, att[k], s.B, s.T, s.C, s.NH);
    }
    check_same("out, run twice", out[0], out[1], nout);
    check_same("att, run twice", att[0], att[1], natt);
    check_same("dqkv, run twice", dqkv[0], dqkv[1], nqkv);
    for (int k = 0; k < 2; k++)
        free(out[k]), free(att[k]), free(dqkv[k]);
    free(qkv), free(dout), free(datt);
}

int main(void)
{
    RUN_TEST(test_forward_matches_ref);
    RUN_TEST(test_backward_matches_ref);
    RUN_TEST(test_backward_finite_differences);
    RUN_TEST(test_mask_and_normalisation);
    RUN_TEST(test_equal_scores_give_uniform_weights);
    RUN_TEST(test_deterministic);
    return TEST_EXIT();
}
