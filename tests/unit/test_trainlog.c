/* trainlog: the exact header, one row per step read back as written,
 * empty validation fields, resume cutting rows after the checkpoint, and
 * malformed logs named by line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytegpt/trainlog.h"
#include "test.h"

static char dir[] = "/tmp/bg_trainlog_XXXXXX";
static char path[256];

static struct bg_log_row row_for(uint64_t step)
{
    struct bg_log_row r = {step, step * 512, 1e9 * (double)step, 1e-3, 5.0 / (double)step, NAN, NAN,
                           0.5, 12345.5, 0.25 * (double)step};
    if (step % 3 == 0) {
        r.val_loss = 4.0 / (double)step;
        r.val_bpb = r.val_loss / log(2.0);
    }
    return r;
}

/* Writes a fresh log of steps 1..n. */
static void write_log(uint64_t n)
{
    struct bg_trainlog log;
    struct bg_error err;
    remove(path);
    CHECK(trainlog_create(&log, path, &err) == BG_OK);
    for (uint64_t s = 1; s <= n; s++) {
        struct bg_log_row r = row_for(s);
        CHECK(trainlog_append(&log, &r, &err) == BG_OK);
    }
    CHECK(trainlog_close(&log, &err) == BG_OK);
}

/* Compares rows with the written ones; %.9g keeps 9 significant digits,
 * so values agree to a relative 5e-9. */
static void check_rows(const struct bg_log_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct bg_log_row w = row_for(i + 1);
        CHECK(rows[i].step == w.step && rows[i].tokens == w.tokens);
        CHECK_NEAR(rows[i].train_loss, w.train_loss, 5e-9 * w.train_loss);
        CHECK_NEAR(rows[i].flops, w.flops, 5e-9 * w.flops);
        CHECK(isnan(rows[i].val_loss) == isnan(w.val_loss));
        if (!isnan(w.val_loss))
            CHECK_NEAR(rows[i].val_bpb, w.val_bpb, 5e-9 * w.val_bpb);
    }
}

static void test_header_and_rows(void)
{
    write_log(10);
    FILE *f = fopen(path, "r");
    char line[512];
    CHECK(fgets(line, sizeof line, f) && strcmp(line, BG_LOG_HEADER "\n") == 0);
    /* Step 1 has no evaluation: both val fields empty. */
    CHECK(fgets(line, sizeof line, f) && strstr(line, ",,") != NULL);
    fclose(f);
    struct bg_log_row *rows;
    size_t n;
    struct bg_error err;
    CHECK(trainlog_read(path, &rows, &n, &err) == BG_OK);
    CHECK(n == 10);
    check_rows(rows, n);
    free(rows);
}

/* The exact text of a row: the integers, %.9g numbers, empty fields for
 * the missing validation. */
static void test_row_text(void)
{
    write_log(1);
    FILE *f = fopen(path, "r");
    char line[512];
    CHECK(fgets(line, sizeof line, f) && fgets(line, sizeof line, f));
    CHECK(strcmp(line, "1,512,1e+09,0.001,5,,,0.5,12345.5,0.25\n") == 0);
    fclose(f);
}

static void test_create_refuses_existing(void)
{
    write_log(1);
    struct bg_trainlog log;
    struct bg_error err;
    CHECK(trainlog_create(&log, path, &err) == BG_ERR_INPUT);
}

static void test_resume_drops_rows_after_checkpoint(void)
{
    write_log(20);
    struct bg_trainlog log;
    struct bg_error err;
    CHECK(trainlog_resume(&log, path, 12, &err) == BG_OK);
    for (uint64_t s = 13; s <= 15; s++) {
        struct bg_log_row r = row_for(s);
        CHECK(trainlog_append(&log, &r, &err) == BG_OK);
    }
    trainlog_close(&log, &err);
    struct bg_log_row *rows;
    size_t n;
    CHECK(trainlog_read(path, &rows, &n, &err) == BG_OK);
    CHECK(n == 15);
    check_rows(rows, n);
    free(rows);
}

/* The shortened log is, byte for byte, the start of the old one (the
 * rewrite formats rows as appending did), replaces it atomically over a
 * stale temporary file left by an earlier crash, and leaves none. */
static void test_resume_rewrite_is_exact_and_atomic(void)
{
    static char before[16384], after[16384];
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    write_log(20);
    CHECK(test_read_file(path, before, sizeof before) > 0);
    FILE *f = fopen(tmp, "w");
    fputs("half a log from a crash", f);
    fclose(f);
    struct bg_trainlog log;
    struct bg_error err;
    CHECK(trainlog_resume(&log, path, 12, &err) == BG_OK);
    trainlog_close(&log, &err);
    CHECK(access(tmp, F_OK) != 0);
    long n = test_read_file(path, after, sizeof after);
    const char *row13 = strstr(before, "\n13,");
    CHECK(row13 != NULL && n == row13 + 1 - before);
    CHECK(n > 0 && memcmp(before, after, (size_t)n) == 0);
}

static void test_partial_last_line_ignored(void)
{
    write_log(5);
    FILE *f = fopen(path, "a");
    fputs("6,3072,6e9,0.001,0.8", f); /* a row cut by a crash or still being written */
    fclose(f);
    struct bg_log_row *rows;
    size_t n;
    struct bg_error err;
    CHECK(trainlog_read(path, &rows, &n, &err) == BG_OK);
    CHECK(n == 5);
    free(rows);
}

/* A NaN outside the validation columns (a log from elsewhere: training
 * stops before logging a NaN loss) survives a resume's rewrite as "nan",
 * not as an empty field the reader refuses (found by fuzz_trainlog). */
static void test_nan_survives_resume(void)
{
    struct bg_trainlog log;
    struct bg_error err;
    write_log(3);
    FILE *f = fopen(path, "a");
    fputs("4,2048,1,nan,nan,,,1,1,1\n", f);
    fclose(f);
    CHECK(trainlog_resume(&log, path, 4, &err) == BG_OK);
    CHECK(trainlog_close(&log, &err) == BG_OK);
    struct bg_log_row *rows;
    size_t n;
    CHECK(trainlog_read(path, &rows, &n, &err) == BG_OK);
    CHECK(n == 4);
    if (n == 4) {
        CHECK(isnan(rows[3].lr) && isnan(rows[3].train_loss) && isnan(rows[3].val_loss));
        free(rows);
    }
}

static void test_malformed(void)
{
    struct bg_log_row *rows;
    size_t n;
    struct bg_error err;
    FILE *f = fopen(path, "w");
    fputs("time,loss\n1,2\n", f);
    fclose(f);
    CHECK(trainlog_read(path, &rows, &n, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "line 1") != NULL);

    write_log(3);
    f = fopen(path, "a");
    fputs("4,abc,1,1,1,,,1,1,1\n", f);
    fclose(f);
    CHECK(trainlog_read(path, &rows, &n, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "line 5") != NULL);

    /* step and tokens that no uint64_t holds are refused, not converted
     * (undefined behaviour, found by tests/fuzz/fuzz_trainlog). */
    const char *no_count[] = {"1.8e20", "18446744073709551616", "nan", "inf", "-1"};
    for (int i = 0; i < 5; i++)
        for (int col = 0; col < 2; col++) {
            write_log(3);
            f = fopen(path, "a");
            fprintf(f, col == 0 ? "%s,2048,1,1,1,,,1,1,1\n" : "4,%s,1,1,1,,,1,1,1\n", no_count[i]);
            fclose(f);
            CHECK(trainlog_read(path, &rows, &n, &err) == BG_ERR_INPUT);
            CHECK(strstr(err.msg, "line 5") != NULL);
        }

    CHECK(trainlog_read("/nonexistent/log.csv", &rows, &n, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "/nonexistent/log.csv") != NULL);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/log.csv", dir);
    RUN_TEST(test_header_and_rows);
    RUN_TEST(test_row_text);
    RUN_TEST(test_create_refuses_existing);
    RUN_TEST(test_resume_drops_rows_after_checkpoint);
    RUN_TEST(test_resume_rewrite_is_exact_and_atomic);
    RUN_TEST(test_partial_last_line_ignored);
    RUN_TEST(test_nan_survives_resume);
    RUN_TEST(test_malformed);
    remove(path);
    rmdir(dir);
    return TEST_EXIT();
}
