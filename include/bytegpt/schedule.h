/* schedule: the learning rate over a run. Linear warmup from 0 to lr over
 * `warmup` steps, then one of two shapes down to min_lr at the end:
 *   cosine (GPT-2's, the default): a half cosine over the rest of the run;
 *   wsd, warmup-stable-decay (the "trapezoid" of MiniCPM and the speedrun):
 *     the peak held, then a straight line over the last `decay` share of
 *     the run. A run can stop anywhere in the stable part and still be a
 *     good starting point, and the final decay is where the loss drops. The run's progress is a fraction in [0, 1]: steps done over total
 * steps, or for a time-budgeted run the elapsed fraction of the budget, so
 * that a budgeted run also ends at min_lr. */
#ifndef BYTEGPT_SCHEDULE_H
#define BYTEGPT_SCHEDULE_H

#include <stdint.h>

enum { BG_SCHEDULE_COSINE = 0, BG_SCHEDULE_WSD = 1 };

struct bg_schedule {
    double lr, min_lr;
    uint64_t warmup;
    int shape;    /* BG_SCHEDULE_COSINE or BG_SCHEDULE_WSD */
    double decay; /* wsd: the share of the run spent decaying, in [0, 1] */
};

/* The learning rate for step number step (0-based), given the fraction
 * of the run done before it (progress in [0,1]) and, for warmup, the
 * step count. During warmup: lr * (step+1) / warmup. After: min_lr +
 * (lr - min_lr) * (1 + cos(pi * p)) / 2, where p runs from 0 at the end
 * of warmup to 1 at the end of the run. warmup_progress is the progress
 * at which warmup ended (warmup/steps for a step-counted run). */
double schedule_lr(const struct bg_schedule *s, uint64_t step, double progress, double warmup_progress);

/* The shape alone, as a fraction of lr, without the warmup: 1 at the
 * peak, min_lr/lr at the end. Muon takes its own rate through this factor,
 * since Muon has no warmup (its update has a fixed size from the start). */
double schedule_factor(const struct bg_schedule *s, double progress, double warmup_progress);

#endif
