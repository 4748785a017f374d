/* format: the exact strings of every formatter, at the edges where
 * rounding moves a number into the next unit (999.95 is "1k", 59.6
 * seconds is "1m00s"), at zero, and for input that is not a number. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bytegpt/format.h"
#include "test.h"

/* CHECK_STR compares a formatter's output with the expected string and
 * prints both when they differ. */
#define CHECK_STR(got, want)                                                     \
    do {                                                                         \
        const char *got_ = (got), *want_ = (want);                               \
        CHECK(strcmp(got_, want_) == 0);                                         \
        if (strcmp(got_, want_) != 0)                                            \
            printf("    got \"%s\", want \"%s\"\n", got_, want_);                \
    } while (0)

static char buf[FORMAT_LEN];

static const char *dur(double s) { return format_duration(buf, sizeof buf, s); }
static const char *bytes(double b) { return format_bytes(buf, sizeof buf, b); }
static const char *si(double v, const char *u) { return format_si(buf, sizeof buf, v, u); }
static const char *count(double v) { return format_count(buf, sizeof buf, v); }
static const char *grouped(double v) { return format_grouped(buf, sizeof buf, v); }
static const char *sci(double v) { return format_sci(buf, sizeof buf, v); }
static const char *round3(double v) { return format_round3(buf, sizeof buf, v); }

static void test_duration(void)
{
    CHECK_STR(dur(0), "0s");
    CHECK_STR(dur(-0.0), "0s");
    CHECK_STR(dur(0.4), "0s");
    CHECK_STR(dur(42), "42s");
    CHECK_STR(dur(59.4), "59s");
    /* Seconds to minutes: a time that rounds to 60 seconds is a minute. */
    CHECK_STR(dur(59.6), "1m00s");
    CHECK_STR(dur(60), "1m00s");
    CHECK_STR(dur(185), "3m05s");
    CHECK_STR(dur(3599.4), "59m59s");
    /* Minutes to hours. */
    CHECK_STR(dur(3599.6), "1h00m");
    CHECK_STR(dur(3600), "1h00m");
    CHECK_STR(dur(7800), "2h10m");
    CHECK_STR(dur(3600 + 59 * 60 + 31), "2h00m");
    /* Hours to days at 48 hours, counting the minute it rounds to. */
    CHECK_STR(dur(47 * 3600 + 59 * 60 + 29), "47h59m");
    CHECK_STR(dur(47 * 3600 + 59 * 60 + 31), "2.0 days");
    CHECK_STR(dur(3.2 * 86400), "3.2 days");
    CHECK_STR(dur(721.8 * 86400), "721.8 days");
    /* Days to years at two years. */
    double year = 365.25 * 86400;
    CHECK_STR(dur(2 * year - 3600), "730.5 days");
    CHECK_STR(dur(2 * year), "2 years");
    CHECK_STR(dur(3.93 * year), "3.93 years");
    CHECK_STR(dur(999.4 * year), "999 years");
    CHECK_STR(dur(999.6 * year), "1,000 years");
    CHECK_STR(dur(166049 * year), "166,000 years");
    CHECK_STR(dur(1.234e9 * year), "1.23e9 years");
    /* Not a duration. */
    CHECK_STR(dur(-1), "-");
    CHECK_STR(dur(NAN), "-");
    CHECK_STR(dur(INFINITY), "-");
}

static void test_bytes(void)
{
    CHECK_STR(bytes(0), "0 B");
    CHECK_STR(bytes(842), "842 B");
    CHECK_STR(bytes(1023.4), "1023 B");
    CHECK_STR(bytes(1023.6), "1.0 KiB");
    CHECK_STR(bytes(1024), "1.0 KiB");
    CHECK_STR(bytes(1536), "1.5 KiB");
    /* 1023.95 KiB would print as "1024.0 KiB": it is 1.0 MiB. */
    CHECK_STR(bytes(1023.94 * 1024), "1023.9 KiB");
    CHECK_STR(bytes(1023.96 * 1024), "1.0 MiB");
    CHECK_STR(bytes(117.0 * 1024 * 1024), "117.0 MiB");
    CHECK_STR(bytes(3.5 * 1024 * 1024 * 1024), "3.5 GiB");
    CHECK_STR(bytes(2048.0 * 1024 * 1024 * 1024 * 1024), "2048.0 TiB");
    CHECK_STR(bytes(-1), "-");
    CHECK_STR(bytes(NAN), "-");
}

static void test_si(void)
{
    CHECK_STR(si(0, "FLOP"), "0 FLOP");
    CHECK_STR(si(0.3, "FLOP"), "0 FLOP");
    CHECK_STR(si(-0.3, "FLOP"), "0 FLOP");
    CHECK_STR(si(999.4, "FLOP"), "999 FLOP");
    CHECK_STR(si(999.95, "FLOP"), "1 kFLOP");
    CHECK_STR(si(5.45e6, "FLOP"), "5.45 MFLOP");
    CHECK_STR(si(11.2e9, "FLOP"), "11.2 GFLOP");
    CHECK_STR(si(29e12, "FLOP"), "29 TFLOP");
    /* 999,960 with three figures is 1.00e3 k: it is 1 M. */
    CHECK_STR(si(999960, "FLOP"), "1 MFLOP");
    CHECK_STR(si(-1500, "FLOP"), "-1.5 kFLOP");
    CHECK_STR(si(60e9, "FLOP/s"), "60 GFLOP/s");
    CHECK_STR(si(NAN, "FLOP"), "-");
}

static void test_count(void)
{
    CHECK_STR(count(0), "0");
    CHECK_STR(count(-0.2), "0");
    CHECK_STR(count(842), "842");
    CHECK_STR(count(999.4), "999");
    CHECK_STR(count(999.95), "1k");
    CHECK_STR(count(842496), "842k");
    CHECK_STR(count(5.255168e6), "5.26M");
    CHECK_STR(count(10.2e6), "10.2M");
    CHECK_STR(count(124e6), "124M");
    CHECK_STR(count(999.7e6), "1B");
    CHECK_STR(count(300e9), "300B");
    CHECK_STR(count(1.5e12), "1.5T");
    /* Past the last suffix: all the digits, never "5e+03T". */
    CHECK_STR(count(5e15), "5000T");
    CHECK_STR(count(-2500), "-2.5k");
    CHECK_STR(count(NAN), "-");
    /* The shared suffix of a chart axis: the one the largest value gets. */
    double scale = 0;
    CHECK(strcmp(format_count_suffix(9000, &scale), "k") == 0 && scale == 1e3);
    CHECK(strcmp(format_count_suffix(999, &scale), "") == 0 && scale == 1);
    CHECK(strcmp(format_count_suffix(999.7e6, &scale), "B") == 0 && scale == 1e9);
    CHECK(strcmp(format_count_suffix(1e18, &scale), "T") == 0 && scale == 1e12);
    CHECK(strcmp(format_count_suffix(NAN, &scale), "") == 0 && scale == 1);
    /* The same for quantities: SI prefixes, G for giga. */
    CHECK(strcmp(format_si_prefix(999.7e6, &scale), "G") == 0 && scale == 1e9);
    CHECK(strcmp(format_si_prefix(8e16, &scale), "P") == 0 && scale == 1e15);
    CHECK(strcmp(format_si_prefix(0, &scale), "") == 0 && scale == 1);
}

static void test_numbers(void)
{
    CHECK_STR(grouped(0), "0");
    CHECK_STR(grouped(-0.2), "0");
    CHECK_STR(grouped(999), "999");
    CHECK_STR(grouped(999.5), "1,000");
    CHECK_STR(grouped(842496), "842,496");
    CHECK_STR(grouped(10240000), "10,240,000");
    CHECK_STR(grouped(-1024), "-1,024");
    CHECK_STR(grouped(-123456), "-123,456");
    CHECK_STR(grouped(NAN), "-");
    /* A buffer too small cuts the number but stays a string. */
    char small[6];
    CHECK_STR(format_grouped(small, sizeof small, 1234567), "1,234");

    CHECK_STR(sci(0), "0");
    CHECK_STR(sci(3.1487e23), "3.15e23");
    CHECK_STR(sci(2.86e13), "2.86e13");
    CHECK_STR(sci(9.996e5), "1.00e6");
    CHECK_STR(sci(1e23), "1.00e23");
    CHECK_STR(sci(-0.0025), "-2.50e-3");
    CHECK_STR(sci(INFINITY), "-");

    CHECK_STR(round3(0), "0");
    CHECK_STR(round3(1), "1");
    CHECK_STR(round3(842.4), "842");
    CHECK_STR(round3(999.5), "1,000");
    CHECK_STR(round3(260123), "260,000");
    CHECK_STR(round3(133456), "133,000");
    /* 999,600 to three figures is a million: scientific from there. */
    CHECK_STR(round3(999600), "1.00e6");
    CHECK_STR(round3(1.1e10), "1.10e10");
    CHECK_STR(round3(NAN), "-");
}

int main(void)
{
    RUN_TEST(test_duration);
    RUN_TEST(test_bytes);
    RUN_TEST(test_si);
    RUN_TEST(test_count);
    RUN_TEST(test_numbers);
    return TEST_EXIT();
}
