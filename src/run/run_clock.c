/* run_clock: where a run stands, in time and in progress (see run.h).
 * The run's page and its loop both ask, so it sits below both. */
#include "bytegpt/run.h"

#include "bytegpt/clock.h"

double run_elapsed(const struct bg_run *r)
{
    return clock_now() - r->t0;
}

double run_progress(const struct bg_train_config *c, uint64_t step, double elapsed)
{
    double p = 0.0;
    if (c->steps > 0)
        p = (double)step / (double)c->steps;
    if (c->time_budget > 0 && elapsed / c->time_budget > p)
        p = elapsed / c->time_budget;
    return p > 1.0 ? 1.0 : p;
}
