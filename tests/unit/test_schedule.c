/* schedule: the learning rate at warmup start, end of warmup, middle and
 * end, for runs counted in steps and in time. */
#include <math.h>

#include "bytegpt/schedule.h"
#include "test.h"

/* The schedule is computed in double from a few operations, so values
 * agree with the closed forms below to within a few ulps of 1e-3. */
#define TOL 1e-15

static void test_step_run(void)
{
    struct bg_schedule s = {.lr = 1e-3, .min_lr = 1e-4, .warmup = 10};
    uint64_t steps = 110;
    double wp = 10.0 / 110.0;
    /* Warmup: step 0 takes lr/warmup, step 9 the full lr. */
    CHECK_NEAR(schedule_lr(&s, 0, 0.0, wp), 1e-4, TOL);
    CHECK_NEAR(schedule_lr(&s, 9, 9.0 / steps, wp), 1e-3, TOL);
    /* End of warmup: the cosine starts at lr. */
    CHECK_NEAR(schedule_lr(&s, 10, 10.0 / steps, wp), 1e-3, TOL);
    /* Middle of the decay: halfway between lr and min_lr. */
    CHECK_NEAR(schedule_lr(&s, 60, 60.0 / steps, wp), 5.5e-4, TOL);
    /* End: min_lr. */
    CHECK_NEAR(schedule_lr(&s, 110, 1.0, wp), 1e-4, TOL);
    /* A quarter of the way: min + (lr-min) (1 + cos(pi/4)) / 2. */
    CHECK_NEAR(schedule_lr(&s, 35, 35.0 / steps, wp), 1e-4 + 9e-4 * (1 + cos(0.78539816339744830962)) / 2, TOL);
}

static void test_time_run(void)
{
    /* A budgeted run: warmup ended at 5% of the budget; the cosine follows
     * the elapsed fraction, so the run ends at min_lr whatever the step. */
    struct bg_schedule s = {.lr = 3e-3, .min_lr = 3e-4, .warmup = 100};
    CHECK_NEAR(schedule_lr(&s, 5000, 1.0, 0.05), 3e-4, TOL);
    CHECK_NEAR(schedule_lr(&s, 5000, 0.525, 0.05), 1.65e-3, TOL);
    /* Past the end it stays at min_lr. */
    CHECK_NEAR(schedule_lr(&s, 9000, 1.0, 0.05), 3e-4, TOL);
}

static void test_monotone_after_warmup(void)
{
    struct bg_schedule s = {.lr = 1e-3, .min_lr = 0.0, .warmup = 5};
    double prev = 1.0;
    int down = 1;
    for (uint64_t i = 5; i <= 100; i++) {
        double lr = schedule_lr(&s, i, i / 100.0, 0.05);
        down &= lr <= prev;
        prev = lr;
    }
    CHECK(down);
}

/* WSD: the peak held until 1 - decay of the run, then a straight line to
 * min_lr at the end; the factor is the same shape without warmup. */
static void test_wsd(void)
{
    struct bg_schedule s = {.lr = 1e-3, .min_lr = 1e-4, .warmup = 10, .shape = BG_SCHEDULE_WSD, .decay = 0.4};
    double wp = 0.1;
    CHECK_NEAR(schedule_lr(&s, 0, 0.0, wp), 1e-4, TOL);
    CHECK_NEAR(schedule_lr(&s, 10, 0.1, wp), 1e-3, TOL);
    CHECK_NEAR(schedule_lr(&s, 59, 0.59, wp), 1e-3, TOL);
    CHECK_NEAR(schedule_lr(&s, 60, 0.6, wp), 1e-3, TOL);
    CHECK_NEAR(schedule_lr(&s, 80, 0.8, wp), 5.5e-4, TOL);
    CHECK_NEAR(schedule_lr(&s, 100, 1.0, wp), 1e-4, TOL);
    CHECK_NEAR(schedule_lr(&s, 200, 2.0, wp), 1e-4, TOL);
    /* The factor: 1 in the stable part (even during warmup: Muon has none),
     * min_lr/lr at the end. */
    CHECK_NEAR(schedule_factor(&s, 0.0, wp), 1.0, TOL);
    CHECK_NEAR(schedule_factor(&s, 0.8, wp), 0.55, 1e-12);
    CHECK_NEAR(schedule_factor(&s, 1.0, wp), 0.1, 1e-12);
    /* A decay share longer than what follows warmup starts at warmup's end. */
    s.decay = 1.0;
    CHECK_NEAR(schedule_lr(&s, 55, 0.55, wp), 5.5e-4, TOL);
    /* decay 0: the peak to the very end, then min_lr. */
    s.decay = 0.0;
    CHECK_NEAR(schedule_lr(&s, 99, 0.99, wp), 1e-3, TOL);
    CHECK_NEAR(schedule_lr(&s, 100, 1.0, wp), 1e-4, TOL);
    /* The cosine's factor follows its own lr exactly. */
    struct bg_schedule c = {.lr = 1e-3, .min_lr = 1e-4, .warmup = 10};
    for (int i = 10; i <= 100; i += 7)
        CHECK_NEAR(1e-3 * schedule_factor(&c, i / 100.0, wp), schedule_lr(&c, (uint64_t)i, i / 100.0, wp), 1e-18);
}

int main(void)
{
    RUN_TEST(test_wsd);
    RUN_TEST(test_step_run);
    RUN_TEST(test_time_run);
    RUN_TEST(test_monotone_after_warmup);
    return TEST_EXIT();
}
