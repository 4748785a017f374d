/* sweep_child: one run of a trial in a child process (sweep_child.c).
 * Private to src/sweep/. */
#ifndef BYTEGPT_SWEEP_CHILD_H
#define BYTEGPT_SWEEP_CHILD_H

#include "sweep_trial.h"

/* Starts run k of trial t in a child process. */
int sweep_child_start(struct bg_sweep *s, struct sweep_trial *t, size_t k, struct bg_error *err);

/* Waits up to timeout_ms for news from the running children; reports
 * progress and collects the runs that ended (state RUN_DONE, or back to
 * RUN_PENDING when stopped by a signal). */
int sweep_child_poll(struct bg_sweep *s, int timeout_ms, struct bg_error *err);

/* Sends sig to every running child. */
void sweep_child_signal(struct bg_sweep *s, int sig);

#endif
