/* run_dist: private to run.c and run_loop.c: what a run does when it is
 * one of several processes (dist.h).
 *
 * Rank 0 alone touches the run folder: it locks it, resolves the
 * configuration (reading the checkpoint on resume), writes every file and
 * prints. The other ranks learn what they need from it:
 *
 *   1. rank 0 resolves; all agree on the status; rank 0's configuration
 *      and checkpoint state go to every rank (run_dist_share_config);
 *   2. every rank opens its corpus and builds its model; all agree; rank
 *      0's parameters and moments go to every rank, or, in a fresh run that
 *      every rank initialised from the seed itself, their CRC32 is compared
 *      with rank 0's (run_dist_share_model);
 *   3. rank 0 creates the folder and its first files; all agree.
 *
 * At each agreement every rank passes its own status and all leave
 * together with the worst one, so that no rank waits for one that has
 * gone. With one process every function here returns what it was given. */
#ifndef BYTEGPT_RUN_DIST_H
#define BYTEGPT_RUN_DIST_H

#include "bytegpt/run.h"

/* All ranks' worst status (the largest code); a rank that failed keeps
 * its own. Who reports it: rank 0 when it failed, else the ranks that
 * did. The others' message is emptied, which the CLI prints as nothing. */
int run_dist_agree(int rc, struct bg_error *err);

/* On resume (rank 0): the run must have as many processes as the run
 * that saved the checkpoint, since the data each rank reads depends on
 * the count. */
int run_dist_check_ranks(const struct bg_run *r, struct bg_error *err);

/* Step 1 above; rc is this rank's status so far. */
int run_dist_share_config(struct bg_run *r, struct bg_train_config *cfg, int rc, struct bg_error *err);

/* Step 2 above: copy is set for a resumed run and --init-from (the
 * weights come from a file only rank 0 reads). Every rank also checks
 * that its corpus is rank 0's, and a resumed rank takes the checkpoint's
 * step, tokens and data position. */
int run_dist_share_model(struct bg_run *r, int copy, int rc, struct bg_error *err);

/* At the end of a step: every rank's clock reading (seconds trained) and
 * stop flag become the largest over the ranks, in r->agreed_elapsed and
 * r->agreed_stop. */
void run_dist_agree_step(struct bg_run *r, double elapsed);

#endif
