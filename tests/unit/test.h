/* A tiny test harness: CHECK, CHECK_NEAR, RUN_TEST, test_read_file and a closing
 * "N passed, N failed" line. Each test executable includes it once and
 * returns TEST_EXIT() from main, which is non-zero when anything failed. */
#ifndef BYTEGPT_TEST_H
#define BYTEGPT_TEST_H

#include <math.h>
#include <stdio.h>

static int test_passed, test_failed;

/* CHECK counts one assertion and, on failure, prints where it was. */
#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            test_passed++;                                                   \
        } else {                                                             \
            test_failed++;                                                   \
            printf("  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);         \
        }                                                                    \
    } while (0)

/* CHECK_NEAR compares two numbers within an absolute tolerance and prints
 * both values on failure, so a failing run says by how much it missed. */
#define CHECK_NEAR(a, b, tol)                                                \
    do {                                                                     \
        double check_a_ = (double)(a), check_b_ = (double)(b);               \
        if (fabs(check_a_ - check_b_) <= (double)(tol)) {                    \
            test_passed++;                                                   \
        } else {                                                             \
            test_failed++;                                                   \
            printf("  FAIL %s:%d: %s = %.9g, %s = %.9g, |diff| %.3g > %.3g\n", \
                   __FILE__, __LINE__, #a, check_a_, #b, check_b_,           \
                   fabs(check_a_ - check_b_), (double)(tol));                \
        }                                                                    \
    } while (0)

/* RUN_TEST runs one test function and names it, with its failures. */
#define RUN_TEST(fn)                                                         \
    do {                                                                     \
        int failed_before_ = test_failed;                                    \
        printf("%s\n", #fn);                                                 \
        fn();                                                                \
        printf("  %s\n", test_failed == failed_before_ ? "ok" : "FAILED");   \
        fflush(stdout);                                                      \
    } while (0)

/* Reads a whole small file into buf, NUL-terminated; returns its length,
 * or -1 when it cannot be opened. (inline: a test that does not use it
 * gets no unused-function warning.) */
static inline long test_read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    long n = (long)fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return n;
}

/* TEST_EXIT prints the closing line and gives main's return value. */
#define TEST_EXIT()                                                          \
    (printf("%d passed, %d failed\n", test_passed, test_failed),             \
     test_failed == 0 ? 0 : 1)

#endif
