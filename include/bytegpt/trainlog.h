/* trainlog: log.csv, one row per training step, appended and flushed as
 * the run goes so that `tail -f`, a plot, gnuplot, pandas or a
 * spreadsheet can read it mid-run.
 *
 * Columns: step,tokens,flops,lr,train_loss,val_loss,val_bpb,grad_norm,
 * tokens_per_s,elapsed_s. Losses are in nats per byte; val_bpb is val_loss
 * over ln 2; flops are training FLOPs spent so far (6N + 6*L*ctx*C per
 * token). The val columns are empty on steps without an evaluation. */
#ifndef BYTEGPT_TRAINLOG_H
#define BYTEGPT_TRAINLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bytegpt/error.h"
#include "bytegpt/fsutil.h"

#define BG_LOG_HEADER "step,tokens,flops,lr,train_loss,val_loss,val_bpb,grad_norm,tokens_per_s,elapsed_s"

struct bg_log_row {
    uint64_t step, tokens;
    double flops, lr, train_loss;
    double val_loss;  /* NaN when this step had no evaluation */
    double val_bpb;   /* NaN likewise */
    double grad_norm, tokens_per_s, elapsed_s;
};

struct bg_trainlog {
    FILE *f;
    char path[BG_PATH_MAX];
};

/* Creates path with the header line (the file must not exist). */
int trainlog_create(struct bg_trainlog *log, const char *path, struct bg_error *err);

/* Reopens an existing log to continue a resumed run: rows after step
 * `keep_through` (written by a process killed after its last checkpoint)
 * are dropped, so the continued log has no duplicates and no gaps. The
 * shortened file replaces the old one atomically. */
int trainlog_resume(struct bg_trainlog *log, const char *path, uint64_t keep_through, struct bg_error *err);

/* Appends one row and flushes it to the file. */
int trainlog_append(struct bg_trainlog *log, const struct bg_log_row *row, struct bg_error *err);

/* Closes the log; reports a failed final write. */
int trainlog_close(struct bg_trainlog *log, struct bg_error *err);

/* Reads a whole log into *rows (malloc'd, caller frees). A missing
 * header or a malformed row is an error naming the file and line. A
 * last line without its newline (a row being written) is ignored. */
int trainlog_read(const char *path, struct bg_log_row **rows, size_t *n_rows, struct bg_error *err);

#endif
