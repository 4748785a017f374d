/* sweep_propose: --propose CMD (sweep_propose.c). Private to src/sweep/. */
#ifndef BYTEGPT_SWEEP_PROPOSE_H
#define BYTEGPT_SWEEP_PROPOSE_H

#include "sweep_trial.h"

/* Asks the --propose command for the next trial: *end set when it
 * printed nothing. */
int sweep_propose(struct bg_sweep *s, struct bg_sweep_flags *f, int *end, struct bg_error *err);

#endif
