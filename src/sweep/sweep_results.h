/* sweep_results: results.tsv and a trial's row (sweep_results.c).
 * Private to src/sweep/. */
#ifndef BYTEGPT_SWEEP_RESULTS_H
#define BYTEGPT_SWEEP_RESULTS_H

#include "sweep_trial.h"

/* Writes results.tsv whole from the rows decided so far. */
int sweep_results_write(const struct bg_sweep *s, struct bg_error *err);

/* Reads DIR/results.tsv's rows (none when it does not exist). */
int sweep_results_read(const char *dir, struct bg_sweep_row **rows, size_t *n, struct bg_error *err);

/* A row as results.tsv has it, and read back, so that every decision is
 * made on the numbers the file shows. */
void sweep_row_canon(struct bg_sweep_row *row);

/* Fills a trial's row from its runs (mean, spread, ...), status aside. */
void sweep_row_fill(const struct sweep_trial *t, struct bg_sweep_row *row);

/* The time-to-target share of a kept trial against the baseline (trial
 * index 0): time share as the row's target_share, token share into its
 * note. */
void sweep_row_target(const struct bg_sweep *s, const struct sweep_trial *t, struct bg_sweep_row *row);

#endif
