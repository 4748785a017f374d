/* schedule: see schedule.h. */
#include "bytegpt/schedule.h"

#include <math.h>

double schedule_lr(const struct bg_schedule *s, uint64_t step, double progress, double warmup_progress)
{
    /* Warmup ramps linearly so that the first updates, made while AdamW's
     * second-moment estimate is still poor, are small. */
    if (step < s->warmup)
        return s->lr * (double)(step + 1) / (double)s->warmup;
    double span = 1.0 - warmup_progress;
    double p = span > 0.0 ? (progress - warmup_progress) / span : 1.0;
    if (p < 0.0)
        p = 0.0;
    if (p > 1.0)
        p = 1.0;
    return s->min_lr + (s->lr - s->min_lr) * 0.5 * (1.0 + cos(3.14159265358979323846 * p));
}
