/* Tests for ops_loss: the fast kernels against their double-precision
 * twins within derived fp32 bounds, the backward against finite
 * differences, the uniform case, normalisation, aliasing, and determinism.
 * See gradcheck.h for how tolerances are chosen. */
#include "bytegpt/ops_loss.h"

#include <omp.h>

#include "test.h"
#include "gradcheck.h"

/* The unit roundoff of double, for the sums the kernels do in double. */
#define U64 0x1p-53

struct shape {
    size_t BT, V;
};

/* A vocabulary of one (the loss is 0), a single row, V not a power of
 * two, the real V = 256, and more rows than the kernel's 256 chunks. */
static const struct shape fixed_shapes[] = {
    {1, 1}, {1, 256}, {5, 13}, {37, 256}, {300, 256}, {1000, 7},
};
#define N_FIXED (sizeof(fixed_shapes) / sizeof(fixed_shapes[0]))
#define N_SHAPES (N_FIXED + 2)

static struct shape get_shape(size_t i, struct bg_rng *r)
{
    if (i < N_FIXED)
        return fixed_shapes[i];
    struct shape s = {rand_size(r, 1, 600), rand_size(r, 1, 256)};
    return s;
}

static void fill_targets(uint8_t *targets, size_t BT, size_t V, struct bg_rng *r)
{
    for (size_t i = 0; i < BT; i++)
        targets[i] = (uint8_t)rng_range(r, V);
}

/* ---- Bounds ----
 *
 * The forward, for one row with exact m = max l, Z = sum_j exp(l_j - m):
 * - e_j = expf(l_j - m): u (m - l_j) from rounding the argument, 2u from
 *   expf (1 ulp), relative.
 * - sum_exp, V positive terms: relative rho_Z = u max_j (m - l_j) + 2u +
 *   gamma(V - 1) <= u max_j (m - l_j) + gamma(V + 1).
 * - p_j = e_j * (1 / sum_exp): relative u (m - l_j) + rho_Z + gamma(4)
 *   (expf, argument, reciprocal, multiply), so p_j (that + u) with the
 *   twin's rounding.
 * - loss = logf(sum_exp) - (l_y - m): rho_Z from sum_exp through the log,
 *   2u log Z from logf, u (m - l_y) from the subtraction inside, u |loss|
 *   for the last one, and u |loss| for the twin.
 * - mean: the fast kernel sums the float losses in double, the twin sums
 *   its double losses in double: the mean of the loss bounds plus
 *   (2 BT) 2^-53 times the mean |loss|. */
static double forward_bounds(double *tol_probs, double *tol_losses, const float *logits,
                             const uint8_t *targets, const float *ref_losses, struct shape s)
{
    size_t V = s.V;
    double sum_tol = 0.0, sum_abs = 0.0;
    for (size_t r = 0; r < s.BT; r++) {
        const float *l = logits + r * V;
        double m = l[0];
        for (size_t j = 1; j < V; j++)
            if (l[j] > m)
                m = l[j];
        double z = 0.0, spread = 0.0;
        for (size_t j = 0; j < V; j++) {
            z += exp(l[j] - m);
            if (m - l[j] > spread)
                spread = m - l[j];
        }
        double rho_z = U32 * spread + gam((double)V + 1);
        for (size_t j = 0; j < V; j++) {
            double p = exp(l[j] - m) / z;
            tol_probs[r * V + j] = p * (U32 * (m - l[j]) + rho_z + gam(4) + U32);
        }
        double loss = log(z) - (l[targets[r]] - m);
        tol_losses[r] = rho_z + 2 * U32 * log(z) + U32 * (m - l[targets[r]]) +
                        U32 * fabs(loss) + U32 * fabs(ref_losses[r]);
        sum_tol += tol_losses[r];
        sum_abs += fabs(loss);
    }
    return (sum_tol + 2.0 * (double)s.BT * U64 * sum_abs) / (double)s.BT;
}

/* The backward, prior + (p - [j == y]) * dloss: the subtraction (exact
 * when the indicator is 0), the multiply and the add: gamma(3) (|term| +
 * |prior|), plus u |ref| for the twin. When probs are themselves the
 * rounded softmax (p_err = u, in the finite-difference test), add
 * p_err p |dloss|. */
static void backward_bounds(double *tol, const float *probs, const uint8_t *targets,
                            const float *prior, const float *ref, float dloss, double p_err,
                            struct shape s)
{
    for (size_t r = 0; r < s.BT; r++) {
        for (size_t j = 0; j < s.V; j++) {
            size_t i = r * s.V + j;
            double term = ((double)probs[i] - (j == targets[r] ? 1.0 : 0.0)) * dloss;
            tol[i] = gam(3) * (fabs(term) + (prior ? fabs(prior[i]) : 0.0)) +
                     p_err * probs[i] * fabs(dloss) + U32 * fabs(ref[i]);
        }
    }
}

/* ---- Fast against twin ---- */

static void test_forward_matches_ref(void)
{
    struct bg_rng rng;
    rng_seed(&rng, 1, 5);
    for (size_t n = 0; n < N_SHAPES; n++) {
        struct shape s = get_shape(n, &rng);
        size_t BT = s.BT, V = s.V;
        uint8_t *targets = malloc(BT);
        float *logits = fbuf(BT * V), *probs = fbuf(BT * V), *losses = fbuf(BT);
        float *ref_probs = fbuf(BT * V), *ref_losses = fbuf(BT);
        double *tol_probs = dbuf(BT * V), *tol_losses = dbuf(BT);
        CHECK(targets != NULL);
        fill_targets(targets, BT, V, &rng);
        fill_uniform(logits, BT * V, &rng, -4, 4);
        double mean = crossentropy_forward(probs, losses, logits, targets, BT, V);
        double ref_mean = crossentropy_forward_ref(ref_probs, ref_losses, logits, targets, BT, V);
        double tol_mean = forward_bounds(tol_probs, tol_losses, logits, targets, ref_losses, s);
        char what[96];
        snprintf(what, sizeof what, "probs BT=%zu V=%zu", BT, V);
        check_close(what, probs, ref_probs, tol_probs, BT * V);
        snprintf(what, sizeof what, "losses BT=%zu V=%zu", BT, V);
        check_close(what, losses, ref_losses, tol_losses, BT);
        CHECK_NEAR(mean, ref_mean, tol_mean);
        free(targets), free(logits), free(probs), free(losses), free(ref_probs), free(ref_losses);
        free(tol_probs), free(tol_losses);
    }
}

static void test_backward_matches_ref(void)
{
    struct bg_rng rng;
    rng_seed(&rng, 2, 5);
    for (size_t n = 0; n < N_SHAPES; n++) {
        struct shape s = get_shape(n, &rng);
        size_t BT = s.BT, V = s.V;
        float dloss = 1.0f / (float)BT;
        uint8_t *targets = malloc(BT);
        float *logits = fbuf(BT * V), *probs = fbuf(BT * V), *prior = fbuf(BT * V);
        float *dlogits = fbuf(BT * V), *ref = fbuf(BT * V);
        double *tol = dbuf(BT * V);
        CHECK(targets != NULL);
        fill_targets(targets, BT, V, &rng);
        fill_uniform(logits, BT * V, &rng, -4, 4);
        fill_uniform(prior, BT * V, &rng, -1e-2f, 1e-2f);
        crossentropy_forward(probs, NULL, logits, targets, BT, V);
        memcpy(dlogits, prior, BT * V * sizeof(float));
        memcpy(ref, prior, BT * V * sizeof(float));
        crossentropy_backward(dlogits, probs, targets, BT, V, dloss);
        crossentropy_backward_ref(ref, probs, targets, BT, V, dloss);
        backward_bounds(tol, probs, targets, prior, ref, dloss, 0.0, s);
        char what[96];
        snprintf(what, sizeof what, "dlogits BT=%zu V=%zu", BT, V);
        check_close(what, dlogits, ref, tol, BT * V);
        free(targets), free(logits), free(probs), free(prior), free(dlogits), free(ref), free(tol);
    }
}

/* ---- Finite differences ---- */

/* L = sum_r dloss * loss_r, so dL/dloss_r = dloss and dL/dlogits is what
 * crossentropy_backward gives with that dloss. */
struct ce_ctx {
    float *probs, *losses;
    const float *logits;
    const uint8_t *targets;
    struct shape s;
};

static void ce_forward(void *p)
{
    struct ce_ctx *c = p;
    crossentropy_forward_ref(c->probs, c->losses, c->logits, c->targets, c->s.BT, c->s.V);
}

static void test_backward_finite_differences(void)
{
    static const struct shape shapes[] = {{3, 7}, {1, 256}, {4, 13}};
    struct bg_rng rng;
    rng_seed(&rng, 3, 5);
    for (size_t n = 0; n < sizeof shapes / sizeof shapes[0]; n++) {
        struct shape s = shapes[n];
        size_t BT = s.BT, V = s.V;
        /* A dloss other than 1/BT, to test that it is applied. */
        float dloss = 0.37f;
        uint8_t targets[4];
        float *logits = fbuf(BT * V), *probs = fbuf(BT * V), *losses = fbuf(BT), *R = fbuf(BT);
        float *fd_probs = fbuf(BT * V), *fd_losses = fbuf(BT);
        double *tol = dbuf(BT * V);
        fill_targets(targets, BT, V, &rng);
        fill_uniform(logits, BT * V, &rng, -2, 2);
        for (size_t r = 0; r < BT; r++)
            R[r] = dloss;
        /* The analytic gradient uses the twin's probs, within u of exact. */
        crossentropy_forward_ref(probs, losses, logits, targets, BT, V);
        struct ce_ctx ctx = {fd_probs, fd_losses, logits, targets, s};
        struct fd_problem p = {ce_forward, &ctx, fd_losses, BT, R, 0.0};
        for (int twin = 0; twin < 2; twin++) {
            float *dlogits = fbuf(BT * V);
            (twin ? crossentropy_backward_ref : crossentropy_backward)(dlogits, probs, targets, BT,
                                                                       V, dloss);
            backward_bounds(tol, probs, targets, NULL, dlogits, dloss, U32, s);
            char what[96];
            snprintf(what, sizeof what, "fd%s dlogits BT=%zu V=%zu", twin ? "_ref" : "", BT, V);
            fd_check(what, &p, logits, BT * V, dlogits, tol, 1e-2);
            free(dlogits);
        }
        free(logits), free(probs), free(losses), free(R), free(fd_probs), free(fd_losses),
            free(tol);
    }
}

/* ---- Properties ---- */

/* Equal logits: every exp is exactly 1, sum_exp is exactly V, p =
 * fl(1 / V) (exact for V = 256), and the loss is logf(V), within one ulp
 * (2u ln V) of ln V; a fresh model starts here, at ln 256 = 5.545. */
static void test_uniform_logits_give_log_v(void)
{
    static const size_t vocab[] = {256, 13};
    for (size_t n = 0; n < 2; n++) {
        size_t BT = 3, V = vocab[n];
        uint8_t targets[3] = {0, 5, (uint8_t)(V - 1)};
        float *logits = fbuf(BT * V), *probs = fbuf(BT * V), losses[3];
        for (size_t i = 0; i < BT * V; i++)
            logits[i] = 0.25f;
        double mean = crossentropy_forward(probs, losses, logits, targets, BT, V);
        double lnv = log((double)V);
        for (size_t r = 0; r < BT; r++)
            CHECK_NEAR(losses[r], lnv, 2 * U32 * lnv);
        CHECK_NEAR(mean, lnv, 2 * U32 * lnv);
        int uniform = 1;
        for (size_t i = 0; i < BT * V; i++)
            if (!(fabs(probs[i] - 1.0 / (double)V) <= U32 / (double)V))
                uniform = 0;
        CHECK(uniform);
        free(logits), free(probs);
    }
}

/* Each row of probs is a distribution: sum_j e_j (1 + d_j) / (sum_j e_j
 * (1 + theta)) with |theta| <= gamma(V - 1) from the sum and |d_j| <=
 * gamma(2) from the reciprocal and the multiply; expf's errors cancel. So
 * |sum - 1| <= gamma(V + 2). */
static void test_probs_rows_sum_to_one(void)
{
    size_t BT = 50, V = 256;
    struct bg_rng rng;
    rng_seed(&rng, 4, 5);
    uint8_t *targets = malloc(BT);
    float *logits = fbuf(BT * V), *probs = fbuf(BT * V);
    CHECK(targets != NULL);
    fill_targets(targets, BT, V, &rng);
    fill_uniform(logits, BT * V, &rng, -8, 8);
    crossentropy_forward(probs, NULL, logits, targets, BT, V);
    int ok = 1;
    for (size_t r = 0; r < BT; r++) {
        double sum = 0.0;
        for (size_t j = 0; j < V; j++)
            sum += probs[r * V + j];
        if (!(fabs(sum - 1.0) <= gam((double)V + 2)))
            ok = 0;
    }
    CHECK(ok);
    free(targets), free(logits), free(probs);
}

/* probs may be the logits buffer; losses may be NULL. Neither changes a
 * bit of the results. */
static void test_aliasing_and_null_losses(void)
{
    size_t BT = 20, V = 256;
    struct bg_rng rng;
    rng_seed(&rng, 5, 5);
    uint8_t *targets = malloc(BT);
    float *logits = fbuf(BT * V), *inplace = fbuf(BT * V), *probs = fbuf(BT * V);
    float *losses = fbuf(BT), *inplace_losses = fbuf(BT);
    CHECK(targets != NULL);
    fill_targets(targets, BT, V, &rng);
    fill_uniform(logits, BT * V, &rng, -4, 4);
    for (int twin = 0; twin < 2; twin++) {
        double (*fwd)(float *, float *, const float *, const uint8_t *, size_t, size_t) =
            twin ? crossentropy_forward_ref : crossentropy_forward;
        memcpy(inplace, logits, BT * V * sizeof(float));
        double mean = fwd(probs, losses, logits, targets, BT, V);
        double mean_inplace = fwd(inplace, inplace_losses, inplace, targets, BT, V);
        double mean_null = fwd(probs, NULL, logits, targets, BT, V);
        check_same(twin ? "_ref probs in place" : "probs in place", inplace, probs, BT * V);
        check_same(twin ? "_ref losses in place" : "losses in place", inplace_losses, losses, BT);
        CHECK(mean_inplace == mean);
        CHECK(mean_null == mean);
    }
    free(targets), free(logits), free(inplace), free(probs), free(losses), free(inplace_losses);
}

/* Without targets (generation) the kernels give the same probabilities,
 * leave losses alone and return 0. */
static void test_null_targets_give_probs_only(void)
{
    size_t BT = 9, V = 256;
    struct bg_rng rng;
    rng_seed(&rng, 7, 5);
    uint8_t *targets = malloc(BT);
    float *logits = fbuf(BT * V), *probs = fbuf(BT * V), *probs_only = fbuf(BT * V);
    float *losses = fbuf(BT), *untouched = fbuf(BT);
    CHECK(targets != NULL);
    fill_targets(targets, BT, V, &rng);
    fill_uniform(logits, BT * V, &rng, -4, 4);
    for (int twin = 0; twin < 2; twin++) {
        double (*fwd)(float *, float *, const float *, const uint8_t *, size_t, size_t) =
            twin ? crossentropy_forward_ref : crossentropy_forward;
        fill_uniform(losses, BT, &rng, 1, 2);
        memcpy(untouched, losses, BT * sizeof(float));
        fwd(probs, NULL, logits, targets, BT, V);
        double mean = fwd(probs_only, losses, logits, NULL, BT, V);
        check_same(twin ? "_ref probs without targets" : "probs without targets", probs_only,
                   probs, BT * V);
        check_same(twin ? "_ref losses untouched" : "losses untouched", losses, untouched, BT);
        CHECK(mean == 0.0);
    }
    free(targets), free(logits), free(probs), free(probs_only), free(losses), free(untouched);
}

/* A confidently wrong row: the target's probability underflows to 0 in
 * fp32, but the loss, taken as log(sum_exp) - (l_y - max), stays finite
 * and right: 200 + log(1 + 254 e^-200) = 200. */
static void test_confidently_wrong_row_has_finite_loss(void)
{
    size_t V = 256;
    float *logits = fbuf(V), *probs = fbuf(V), loss;
    uint8_t target = 7;
    for (size_t j = 0; j < V; j++)
        logits[j] = j == 3 ? 100.0f : 0.0f;
    logits[target] = -100.0f;
    double mean = crossentropy_forward(probs, &loss, logits, &target, 1, V);
    CHECK(probs[target] == 0.0f);
    CHECK(isfinite(loss));
    CHECK_NEAR(loss, 200.0, 2 * U32 * 200.0);
    CHECK_NEAR(mean, 200.0, 2 * U32 * 200.0);
    free(logits), free(probs);
}

/* The mean is summed in chunks fixed by BT alone, so it has the same bits
 * with one thread and with several; so do probs, losses and dlogits. */
static void test_same_bits_any_thread_count(void)
{
    size_t BT = 1001, V = 256;
    struct bg_rng rng;
    rng_seed(&rng, 6, 5);
    uint8_t *targets = malloc(BT);
    float *logits = fbuf(BT * V), *probs[2], *losses[2], *dlogits[2];
    double mean[2];
    CHECK(targets != NULL);
    fill_targets(targets, BT, V, &rng);
    fill_uniform(logits, BT * V, &rng, -4, 4);
    int threads = omp_get_max_threads();
    for (int k = 0; k < 2; k++) {
        omp_set_num_threads(k == 0 ? 1 : (threads > 1 ? threads : 2));
        probs[k] = fbuf(BT * V), losses[k] = fbuf(BT), dlogits[k] = fbuf(BT * V);
        mean[k] = crossentropy_forward(probs[k], losses[k], logits, targets, BT, V);
        crossentropy_backward(dlogits[k], probs[k], targets, BT, V, 1.0f / (float)BT);
    }
    omp_set_num_threads(threads);
    check_same("probs, 1 thread and several", probs[0], probs[1], BT * V);
    check_same("losses, 1 thread and several", losses[0], losses[1], BT);
    check_same("dlogits, 1 thread and several", dlogits[0], dlogits[1], BT * V);
    CHECK(mean[0] == mean[1]);
    for (int k = 0; k < 2; k++)
        free(probs[k]), free(losses[k]), free(dlogits[k]);
    free(targets), free(logits);
}

int main(void)
{
    RUN_TEST(test_forward_matches_ref);
    RUN_TEST(test_backward_matches_ref);
    RUN_TEST(test_backward_finite_differences);
    RUN_TEST(test_uniform_logits_give_log_v);
    RUN_TEST(test_probs_rows_sum_to_one);
    RUN_TEST(test_aliasing_and_null_losses);
    RUN_TEST(test_null_targets_give_probs_only);
    RUN_TEST(test_confidently_wrong_row_has_finite_loss);
    RUN_TEST(test_same_bits_any_thread_count);
    return TEST_EXIT();
}
