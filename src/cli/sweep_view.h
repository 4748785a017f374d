/* sweep_view: what `bytegpt sweep` and `bytegpt scaling` show as a sweep
 * runs: a line per run started and per trial decided, and on a terminal a
 * progress line that the next line replaces. */
#ifndef BYTEGPT_CLI_SWEEP_VIEW_H
#define BYTEGPT_CLI_SWEEP_VIEW_H

#include "bytegpt/sweep.h"

struct sweep_view {
    int tty;
    int live; /* a progress line is open on the terminal */
};

/* The sweep's on_event: prints the event (ctx is a struct sweep_view). */
void sweep_view_event(void *ctx, const struct bg_sweep_event *e);

/* Clears an open progress line, so that what follows starts a line. */
void sweep_view_end_live(struct sweep_view *v);

/* A trial's flags, or "(the base)" for none. */
const char *sweep_view_flags(const char *flags);

#endif
