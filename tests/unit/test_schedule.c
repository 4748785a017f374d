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
    struct bg_schedule s = {1e-3, 1e-4, 10};
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
    struct bg_schedule s = {3e-3, 3e-4, 100};
    CHECK_NEAR(schedule_lr(&s, 5000, 1.0, 0.05), 3e-4, TOL);
    CHECK_NEAR(schedule_lr(&s, 5000, 0.525, 0.05), 1.65e-3, TOL);
    /* Past the end it stays at min_lr. */
    CHECK_NEAR(schedule_lr(&s, 9000, 1.0, 0.05), 3e-4, TOL);
}

static void test_monotone_after_warmup(void)
{
    struct bg_schedule s = {1e-3, 0.0, 5};
    double prev = 1.0;
    int down = 1;
    for (uint64_t i = 5; i <= 100; i++) {
        double lr = schedule_lr(&s, i, i / 100.0, 0.05);
        down &= lr <= prev;
        prev = lr;
    }
    CHECK(down);
}

int main(void)
{
    RUN_TEST(test_step_run);
    RUN_TEST(test_time_run);
    RUN_TEST(test_monotone_after_warmup);
    return TEST_EXIT();
}
