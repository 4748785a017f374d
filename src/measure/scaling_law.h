/* scaling_law (private to the scaling fits): Approach 3 with the caller's
 * scratch, so that scaling_fit_all can refit the law on every resample
 * without allocating each time. */
#ifndef BYTEGPT_MEASURE_SCALING_LAW_H
#define BYTEGPT_MEASURE_SCALING_LAW_H

#include "bytegpt/scaling_fit.h"

/* scaling_fit_law, with logs (room for 3 m doubles) as its scratch. */
int scaling_fit_law_with(const struct bg_scaling_point *pts, size_t m, const struct bg_scaling_law *start,
                         struct bg_scaling_law *law, double *logs, struct bg_error *err);

#endif
