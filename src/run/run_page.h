/* run_page: the run's web page, index.html in the run folder (see
 * page.h for what it shows). Private to the run module: run.c writes the
 * page when the run opens and closes, run_loop.c after each evaluation
 * and at the end. */
#ifndef BYTEGPT_RUN_PAGE_H
#define BYTEGPT_RUN_PAGE_H

#include "bytegpt/page.h"
#include "bytegpt/run.h"

/* Finds the validation text's baselines (order-0 entropy and gzip -9, in
 * bits per byte) and writes the page at the start of the run. */
void run_page_open(struct bg_run *r);

/* Writes the page in the state given: BG_PAGE_LIVE after an evaluation,
 * BG_PAGE_FINISHED or BG_PAGE_STOPPED at the end. The page on disk is
 * replaced atomically. The page is a courtesy: a failure to write it
 * (which a full disk would also give the checkpoint) costs the page
 * only, and the run goes on. */
void run_page_write(struct bg_run *r, enum bg_page_state state);

/* When the run closes with its page still saying it is live (an error
 * ended it), the page says so (BG_PAGE_ENDED) and stops reloading. */
void run_page_close(struct bg_run *r);

#endif
