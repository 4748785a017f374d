/* run_loop: private to run.c and run_loop.c: the loop's clock and fault
 * injection are set up when the run opens. */
#ifndef BYTEGPT_RUN_LOOP_H
#define BYTEGPT_RUN_LOOP_H

#include "bytegpt/run.h"

void run_loop_prepare(struct bg_run *r);

#endif
