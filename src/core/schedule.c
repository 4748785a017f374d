/* schedule: see schedule.h. */
#include "bytegpt/schedule.h"

#include <math.h>

static double clamp01(double x)
{
    return x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x;
}

/* Where in the cosine a run at progress is: 0 at the end of warmup, 1 at
 * the end of the run. */
static double cosine_point(double progress, double warmup_progress)
{
    double span = 1.0 - warmup_progress;
    return span > 0.0 ? clamp01((progress - warmup_progress) / span) : 1.0;
}

double schedule_factor(const struct bg_schedule *s, double progress, double warmup_progress)
{
    double floor = s->lr > 0.0 ? s->min_lr / s->lr : 0.0, shape;
    if (s->shape == BG_SCHEDULE_WSD) {
        /* Stable at the peak, then a straight line to min_lr over the last
         * `decay` share of the run (never starting inside warmup). */
        double start = fmax(1.0 - s->decay, warmup_progress), span = 1.0 - start;
        shape = span > 0.0 ? 1.0 - clamp01((progress - start) / span) : (progress >= 1.0 ? 0.0 : 1.0);
    } else {
        shape = 0.5 * (1.0 + cos(3.14159265358979323846 * cosine_point(progress, warmup_progress)));
    }
    return floor + (1.0 - floor) * shape;
}

double schedule_lr(const struct bg_schedule *s, uint64_t step, double progress, double warmup_progress)
{
    /* Warmup ramps linearly so that the first updates, made while AdamW's
     * second-moment estimate is still poor, are small. */
    if (step < s->warmup)
        return s->lr * (double)(step + 1) / (double)s->warmup;
    if (s->shape == BG_SCHEDULE_COSINE) /* GPT-2's shape, computed as it always was, bit for bit */
        return s->min_lr + (s->lr - s->min_lr) * 0.5 *
                               (1.0 + cos(3.14159265358979323846 * cosine_point(progress, warmup_progress)));
    return s->lr * schedule_factor(s, progress, warmup_progress);
}
