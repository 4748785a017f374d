/* clock: the one clock that times things (steps, runs, sweeps, the
 * kernels a benchmark measures). It is the monotonic clock, which no
 * change of the wall-clock time moves, so that a duration is never
 * negative and never jumps. Base layer: depends on libc only. */
#ifndef BYTEGPT_CLOCK_H
#define BYTEGPT_CLOCK_H

/* Seconds on the monotonic clock, from an arbitrary start: only the
 * difference of two readings means anything. */
double clock_now(void);

#endif
