/* sweep_def: what sweep_def.c gives the other files of the sweep besides
 * its public part in sweep.h. Private to src/sweep/. */
#ifndef BYTEGPT_SWEEP_DEF_H
#define BYTEGPT_SWEEP_DEF_H

#include "bytegpt/error.h"

/* Refuses a definition's text now that differs from the one in dir's
 * sweep.txt (was), naming the first difference. */
int sweep_def_compare(const char *was, const char *now, const char *dir, struct bg_error *err);

#endif
