/* schedule: the learning rate over a run. Linear warmup from 0 to lr over
 * `warmup` steps, then cosine decay from lr to min_lr over the rest of the
 * run. The run's progress is a fraction in [0, 1]: steps done over total
 * steps, or for a time-budgeted run the elapsed fraction of the budget, so
 * that a budgeted run also ends at min_lr. */
#ifndef BYTEGPT_SCHEDULE_H
#define BYTEGPT_SCHEDULE_H

#include <stdint.h>

struct bg_schedule {
    double lr, min_lr;
    uint64_t warmup;
};

/* The learning rate for step number step (0-based), given the fraction
 * of the run done before it (progress in [0,1]) and, for warmup, the
 * step count. During warmup: lr * (step+1) / warmup. After: min_lr +
 * (lr - min_lr) * (1 + cos(pi * p)) / 2, where p runs from 0 at the end
 * of warmup to 1 at the end of the run. warmup_progress is the progress
 * at which warmup ended (warmup/steps for a step-counted run). */
double schedule_lr(const struct bg_schedule *s, uint64_t step, double progress, double warmup_progress);

#endif
