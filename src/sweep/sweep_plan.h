/* sweep_plan: what sweep_plan.c gives the other files of the sweep
 * besides its public part in sweep.h. Private to src/sweep/. */
#ifndef BYTEGPT_SWEEP_PLAN_H
#define BYTEGPT_SWEEP_PLAN_H

#include <stddef.h>

#include "bytegpt/settings.h"
#include "bytegpt/strbuf.h"
#include "bytegpt/sweep.h"

/* Sets each of a trial's flags in s, as train's flags would. */
int sweep_flags_apply(const struct bg_sweep_flags *f, struct bg_settings *s, struct bg_error *err);

/* Copies a built string into buf (n bytes) and frees it; "" when the
 * memory ran out. */
void sweep_take_text(struct bg_strbuf *b, char *buf, size_t n);

#endif
