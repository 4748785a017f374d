/* trainlog: see trainlog.h. */
#include "bytegpt/trainlog.h"
#include "bytegpt/fsutil.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int trainlog_create(struct bg_trainlog *log, const char *path, struct bg_error *err)
{
    snprintf(log->path, sizeof log->path, "%s", path);
    /* "x": fail rather than overwrite a log that is already there. */
    log->f = fopen(path, "wx");
    if (!log->f)
        return bg_fail(err, errno == EEXIST ? BG_ERR_INPUT : BG_ERR_RUNTIME, "cannot create %s: %s", path,
                       strerror(errno));
    if (fprintf(log->f, "%s\n", BG_LOG_HEADER) < 0 || fflush(log->f) != 0) {
        fclose(log->f);
        log->f = NULL;
        return bg_fail(err, BG_ERR_RUNTIME, "cannot write %s: %s", path, strerror(errno));
    }
    return BG_OK;
}

/* A row's line is at most 2 x 20 digits for the integers and 8 x 16
 * characters for the numbers ("-1.23456789e+308"), with commas. */
#define ROW_MAX 256

/* Formats one row as its line of log.csv, newline included, and returns
 * its length. Both appending and the rewrite on resume use it, so a row
 * reads the same whichever wrote it. A NaN in a validation column is an
 * empty field (no evaluation); elsewhere, where the reader refuses an
 * empty field, it is written "nan", so that a resume never rewrites a
 * readable log into one it cannot read (found by fuzz_trainlog: a log
 * with lr "nan"). %.9g keeps every bit of a float, so two runs compare
 * exactly. */
static size_t format_row(char line[ROW_MAX], const struct bg_log_row *r)
{
    int n = snprintf(line, ROW_MAX, "%llu,%llu", (unsigned long long)r->step, (unsigned long long)r->tokens);
    const double vals[8] = {r->flops, r->lr, r->train_loss, r->val_loss, r->val_bpb,
                            r->grad_norm, r->tokens_per_s, r->elapsed_s};
    for (int i = 0; i < 8; i++)
        n += isnan(vals[i]) && (i == 3 || i == 4) ? snprintf(line + n, ROW_MAX - (size_t)n, ",")
                            : snprintf(line + n, ROW_MAX - (size_t)n, ",%.9g", vals[i]);
    n += snprintf(line + n, ROW_MAX - (size_t)n, "\n");
    return (size_t)n;
}

int trainlog_append(struct bg_trainlog *log, const struct bg_log_row *r, struct bg_error *err)
{
    char line[ROW_MAX];
    size_t len = format_row(line, r);
    if (fwrite(line, 1, len, log->f) != len || fflush(log->f) != 0)
        return bg_fail(err, BG_ERR_RUNTIME, "cannot write %s: %s", log->path, strerror(errno));
    return BG_OK;
}

int trainlog_close(struct bg_trainlog *log, struct bg_error *err)
{
    if (!log->f)
        return BG_OK;
    int bad = fclose(log->f) != 0;
    log->f = NULL;
    if (bad)
        return bg_fail(err, BG_ERR_RUNTIME, "cannot write %s: %s", log->path, strerror(errno));
    return BG_OK;
}

/* ---- Reading ---- */

/* Parses one field: a number, or empty for NaN where empty is allowed. */
static int parse_field(const char *s, size_t len, double *v, int empty_ok)
{
    if (len == 0) {
        *v = NAN;
        return empty_ok;
    }
    char buf[64];
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    *v = strtod(buf, &end);
    return *end == '\0' && errno == 0;
}

/* Parses one data line into r; returns 0 when it is malformed. */
static int parse_row(const char *line, struct bg_log_row *r)
{
    double v[10];
    const char *p = line;
    for (int i = 0; i < 10; i++) {
        const char *end = strchr(p, i == 9 ? '\n' : ',');
        if (!end || (i < 9 && memchr(p, '\n', (size_t)(end - p))))
            return 0;
        /* Only the two validation columns may be empty. */
        if (!parse_field(p, (size_t)(end - p), &v[i], i == 5 || i == 6))
            return 0;
        p = end + 1;
    }
    /* step and tokens become uint64_t: a value outside [0, 2^64) (or
     * NaN) has no such value, and converting it would be undefined
     * behaviour (the fuzzer's first find: a tokens column of 1.8e20). */
    if (*p != '\0' || !(v[0] >= 0 && v[0] < 0x1p64) || !(v[1] >= 0 && v[1] < 0x1p64))
        return 0;
    *r = (struct bg_log_row){(uint64_t)v[0], (uint64_t)v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]};
    return 1;
}

int trainlog_read(const char *path, struct bg_log_row **rows, size_t *n_rows, struct bg_error *err)
{
    *rows = NULL;
    *n_rows = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return bg_fail(err, BG_ERR_INPUT, "cannot read log %s: %s", path, strerror(errno));
    int rc = BG_OK;
    char line[1024];
    size_t cap = 0, lineno = 1;
    if (!fgets(line, sizeof line, f) || strcmp(line, BG_LOG_HEADER "\n") != 0) {
        rc = bg_fail(err, BG_ERR_INPUT, "%s: line 1 is not the log header '%s'; is this a bytegpt log.csv?",
                     path, BG_LOG_HEADER);
        goto out;
    }
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n')
            break; /* a row still being written by a running training */
        if (*n_rows == cap) {
            cap = cap ? 2 * cap : 256;
            struct bg_log_row *grown = realloc(*rows, cap * sizeof **rows);
            if (!grown) {
                rc = bg_fail(err, BG_ERR_RUNTIME, "out of memory reading %s", path);
                goto out;
            }
            *rows = grown;
        }
        if (!parse_row(line, &(*rows)[*n_rows])) {
            rc = bg_fail(err, BG_ERR_INPUT, "%s: line %zu is not a valid log row (10 comma-separated numbers)",
                         path, lineno);
            goto out;
        }
        (*n_rows)++;
    }
out:
    fclose(f);
    if (rc) {
        free(*rows);
        *rows = NULL;
        *n_rows = 0;
    }
    return rc;
}

/* ---- Resume ---- */

/* Writes the header and the rows up to step keep_through over path, as
 * one atomic file: a crash here leaves either the old or the new log. */
static int rewrite_kept(const char *path, const struct bg_log_row *rows, size_t n, uint64_t keep_through,
                        struct bg_error *err)
{
    struct bg_atomic_file a;
    int rc = fsutil_atomic_open(&a, path, "log", err);
    if (rc)
        return rc;
    fsutil_atomic_write(&a, BG_LOG_HEADER "\n", strlen(BG_LOG_HEADER "\n"));
    char line[ROW_MAX];
    for (size_t i = 0; i < n; i++)
        if (rows[i].step <= keep_through)
            fsutil_atomic_write(&a, line, format_row(line, &rows[i]));
    return fsutil_atomic_commit(&a, err);
}

int trainlog_resume(struct bg_trainlog *log, const char *path, uint64_t keep_through, struct bg_error *err)
{
    struct bg_log_row *rows = NULL;
    size_t n = 0;
    int rc = trainlog_read(path, &rows, &n, err);
    if (rc)
        return rc;
    rc = rewrite_kept(path, rows, n, keep_through, err);
    free(rows);
    if (rc)
        return rc;
    snprintf(log->path, sizeof log->path, "%s", path);
    log->f = fopen(path, "a");
    if (!log->f)
        return bg_fail(err, BG_ERR_RUNTIME, "cannot append to %s: %s", path, strerror(errno));
    return BG_OK;
}
