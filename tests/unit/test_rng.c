/* rng: moments within bounds derived from the sample size, exact
 * save/restore, and independence of seeds and streams. */
#include <math.h>
#include <string.h>

#include "bytegpt/rng.h"
#include "test.h"

#define N 1000000

/* Each bound below is 5 standard errors of the estimate for N draws, so a
 * correct generator fails one of these checks with probability ~1e-6. */

static void test_uniform_moments(void)
{
    struct bg_rng r;
    rng_seed(&r, 42, 0);
    double sum = 0, sum2 = 0, lo = 1, hi = 0;
    for (int i = 0; i < N; i++) {
        double u = rng_uniform(&r);
        sum += u;
        sum2 += (u - 0.5) * (u - 0.5);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    /* Uniform on [0,1): mean 1/2 with variance 1/12, so the mean's
     * standard error is sqrt(1/12/N); (u-1/2)^2 has mean 1/12 and variance
     * 1/80 - 1/144. */
    CHECK_NEAR(sum / N, 0.5, 5 * sqrt(1.0 / 12 / N));
    CHECK_NEAR(sum2 / N, 1.0 / 12, 5 * sqrt((1.0 / 80 - 1.0 / 144) / N));
    CHECK(lo >= 0.0 && hi < 1.0);
}

static void test_normal_moments(void)
{
    struct bg_rng r;
    rng_seed(&r, 7, 3);
    double sum = 0, sum2 = 0;
    for (int i = 0; i < N; i++) {
        double z = rng_normal(&r, 0.0f, 1.0f);
        sum += z;
        sum2 += z * z;
    }
    /* Standard normal: the mean's standard error is 1/sqrt(N); z^2 has
     * mean 1 and variance 2. */
    CHECK_NEAR(sum / N, 0.0, 5 / sqrt(N));
    CHECK_NEAR(sum2 / N, 1.0, 5 * sqrt(2.0 / N));
    /* Mean and scale are applied. */
    rng_seed(&r, 7, 3);
    double s = 0;
    for (int i = 0; i < N; i++)
        s += rng_normal(&r, 3.0f, 0.02f);
    CHECK_NEAR(s / N, 3.0, 5 * 0.02 / sqrt(N) + 1e-6);
}

static void test_range_is_uniform(void)
{
    struct bg_rng r;
    rng_seed(&r, 1, 1);
    enum { K = 7 };
    long count[K] = {0}, outside = 0;
    for (int i = 0; i < N; i++) {
        uint64_t x = rng_range(&r, K);
        if (x < K)
            count[x]++;
        else
            outside++;
    }
    CHECK(outside == 0);
    /* Each bucket is binomial(N, 1/K): standard deviation sqrt(N p (1-p)). */
    double p = 1.0 / K, sd = sqrt(N * p * (1 - p));
    for (int k = 0; k < K; k++)
        CHECK_NEAR(count[k], N * p, 5 * sd);
    CHECK(rng_range(&r, 1) == 0);
}

static void test_save_restore(void)
{
    struct bg_rng r, saved;
    rng_seed(&r, 123, 9);
    for (int i = 0; i < 1000; i++)
        rng_u32(&r);
    saved = r;
    uint32_t a[100];
    for (int i = 0; i < 100; i++)
        a[i] = rng_u32(&r);
    r = saved;
    int same = 1;
    for (int i = 0; i < 100; i++)
        same &= rng_u32(&r) == a[i];
    CHECK(same);
}

static int sequences_equal(uint64_t s1, uint64_t t1, uint64_t s2, uint64_t t2)
{
    struct bg_rng a, b;
    rng_seed(&a, s1, t1);
    rng_seed(&b, s2, t2);
    int equal = 0;
    for (int i = 0; i < 64; i++)
        equal += rng_u32(&a) == rng_u32(&b);
    return equal == 64;
}

static void test_seeds_and_streams(void)
{
    CHECK(sequences_equal(5, 1, 5, 1));
    CHECK(!sequences_equal(5, 1, 6, 1));
    CHECK(!sequences_equal(5, 1, 5, 2));
}

int main(void)
{
    RUN_TEST(test_uniform_moments);
    RUN_TEST(test_normal_moments);
    RUN_TEST(test_range_is_uniform);
    RUN_TEST(test_save_restore);
    RUN_TEST(test_seeds_and_streams);
    return TEST_EXIT();
}
