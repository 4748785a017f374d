/* format: see format.h.
 *
 * A pattern repeats below: a number is rounded the way it will be
 * printed before its unit is chosen. Choosing first would print 999.95
 * as "1000" (it is below 1000, so no prefix) and 999,960 as "1e+03k". */
#include "bytegpt/format.h"

#include <math.h>
#include <stdio.h>

#define SECONDS_PER_DAY 86400.0
#define SECONDS_PER_YEAR (365.25 * SECONDS_PER_DAY)

/* The mark for a value that is missing or cannot be what is asked for. */
static const char *dash(char *buf, size_t n)
{
    snprintf(buf, n, "-");
    return buf;
}

/* ---- Whole and large numbers ---- */

const char *format_grouped(char *buf, size_t n, double v)
{
    if (!isfinite(v))
        return dash(buf, n);
    /* Rounding first, and adding 0.0, keeps -0.2 from printing as "-0". */
    double r = round(v) + 0.0;
    char digits[64];
    snprintf(digits, sizeof digits, "%.0f", r);
    size_t len = 0, j = 0;
    while (digits[len])
        len++;
    for (size_t i = 0; i < len; i++) {
        /* A comma before every third digit from the right, never
         * between the sign and the first digit. */
        int comma = i > 0 && (len - i) % 3 == 0 && digits[i - 1] != '-';
        if (j + (size_t)comma + 1 >= n)
            break; /* keep room for the terminating zero */
        if (comma)
            buf[j++] = ',';
        buf[j++] = digits[i];
    }
    if (n > 0)
        buf[j] = '\0';
    return buf;
}

const char *format_sci(char *buf, size_t n, double v)
{
    if (!isfinite(v))
        return dash(buf, n);
    if (v == 0) {
        snprintf(buf, n, "0");
        return buf;
    }
    double a = fabs(v);
    int e = (int)floor(log10(a));
    double mant = a / pow(10.0, e);
    /* 9.996e5 would print its mantissa as "10.00": it is 1.00e6. */
    if (mant >= 9.995) {
        mant /= 10;
        e++;
    }
    snprintf(buf, n, "%s%.2fe%d", v < 0 ? "-" : "", mant, e);
    return buf;
}

/* v rounded to three significant figures: 123,456 -> 123,000. */
static double round3(double v)
{
    double scale = pow(10.0, floor(log10(fabs(v))) - 2);
    return round(v / scale) * scale;
}

const char *format_round3(char *buf, size_t n, double v)
{
    if (!isfinite(v))
        return dash(buf, n);
    /* Below 1000 every digit is significant enough: 842, not 842.4. */
    double r = fabs(v) < 999.5 ? round(v) : round3(v);
    return fabs(r) < 1e6 ? format_grouped(buf, n, r) : format_sci(buf, n, v);
}

/* ---- Sizes, quantities and counts ---- */

const char *format_bytes(char *buf, size_t n, double bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    if (!(bytes >= 0) || isinf(bytes))
        return dash(buf, n);
    int u = 0;
    /* Whole bytes, then one decimal: the next unit up once the shown
     * figure would reach 1024. */
    while (u < 4 && (u == 0 ? round(bytes) : round(bytes * 10) / 10) >= 1024) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, n, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
    return buf;
}

/* Divides *v by 1000 while it would print as 1000 or more with three
 * significant figures, up to max times; returns how many times. */
static int thousands(double *v, int max)
{
    int p = 0;
    while (fabs(*v) >= 999.5 && p < max) {
        *v /= 1000.0;
        p++;
    }
    return p;
}

static const char *const si_prefix[] = {"", "k", "M", "G", "T", "P", "E", "Z", "Y"};
#define SI_MAX_PREFIX 8

const char *format_si(char *buf, size_t n, double v, const char *unit)
{
    if (!isfinite(v))
        return dash(buf, n);
    int p = thousands(&v, SI_MAX_PREFIX);
    if (p == 0)
        v = round(v) + 0.0; /* whole units, and no "-0" */
    snprintf(buf, n, p == 0 ? "%.0f %s%s" : "%.3g %s%s", v, si_prefix[p], unit);
    return buf;
}

const char *format_si_prefix(double largest, double *scale)
{
    double v = isfinite(largest) ? largest : 0.0;
    int p = thousands(&v, SI_MAX_PREFIX);
    *scale = pow(1000.0, p);
    return si_prefix[p];
}

static const char *const count_suffix[] = {"", "k", "M", "B", "T"};
#define COUNT_MAX_SUFFIX 4

const char *format_count(char *buf, size_t n, double v)
{
    if (!isfinite(v))
        return dash(buf, n);
    int p = thousands(&v, COUNT_MAX_SUFFIX);
    if (p == 0)
        v = round(v) + 0.0;
    /* From 99.95 up "%.3g" would switch to "1e+03" past the last suffix;
     * "%.0f" gives the same three digits below it and all digits above. */
    snprintf(buf, n, p == 0 || fabs(v) >= 99.95 ? "%.0f%s" : "%.3g%s", v, count_suffix[p]);
    return buf;
}

const char *format_count_suffix(double largest, double *scale)
{
    double v = isfinite(largest) ? largest : 0.0;
    int p = thousands(&v, COUNT_MAX_SUFFIX);
    *scale = pow(1000.0, p);
    return count_suffix[p];
}

/* ---- Durations ---- */

/* Long durations in years: "3.93 years", "166,000 years", "1.23e9 years". */
static const char *years_text(char *buf, size_t n, double years)
{
    char num[FORMAT_LEN];
    if (years < 999.5)
        snprintf(num, sizeof num, "%.3g", years);
    else
        format_round3(num, sizeof num, years);
    snprintf(buf, n, "%s years", num);
    return buf;
}

const char *format_duration(char *buf, size_t n, double s)
{
    if (!(s >= 0) || isinf(s))
        return dash(buf, n);
    /* Each unit rounds to what it shows: 59.6s is "1m00s", not "60s". */
    double sec = round(s) + 0.0;
    if (sec < 60) {
        snprintf(buf, n, "%.0fs", sec);
        return buf;
    }
    if (sec < 3600) {
        snprintf(buf, n, "%dm%02ds", (int)(sec / 60), (int)fmod(sec, 60));
        return buf;
    }
    double min = round(s / 60);
    if (min < 48 * 60) {
        snprintf(buf, n, "%dh%02dm", (int)(min / 60), (int)fmod(min, 60));
        return buf;
    }
    if (s < 2 * SECONDS_PER_YEAR) {
        snprintf(buf, n, "%.1f days", s / SECONDS_PER_DAY);
        return buf;
    }
    return years_text(buf, n, s / SECONDS_PER_YEAR);
}
