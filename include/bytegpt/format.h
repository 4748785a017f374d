/* format: numbers, sizes and durations as every command prints them, so
 * that `train`, `info`, `plot` and `export` say "5.26M tokens" and
 * "3.2 days" the same way. Base layer: it uses nothing but libc.
 *
 * Each function writes into buf (n bytes; FORMAT_LEN is enough for any of
 * them) and returns buf, so that a call can sit inside a printf. A value
 * that is not a number (NaN, infinite, or negative where a size or a time
 * must not be) prints as "-", the mark for "no value" in every table.
 *
 * One convention per kind of number:
 *   durations  rounded to the last unit shown: "0s", "42s", "3m05s",
 *              "2h10m" (below 48 hours), "3.2 days" (below 2 years),
 *              "3.93 years", "166,000 years", "1.23e9 years".
 *   bytes      binary units with a space: "842 B", "1.2 KiB", "117.0 MiB",
 *              "3.5 GiB", "2.0 TiB" (one decimal, whole bytes below 1 KiB).
 *   quantities with a unit: three significant figures, a space, then an
 *              SI prefix joined to the unit: "999 FLOP", "5.45 MFLOP",
 *              "27.7 TFLOP" (G is giga here, as in GFLOP).
 *   counts     of parameters, tokens, steps: three significant figures
 *              and no space, with k, M, B, T (thousand, million, billion,
 *              trillion), as people say "GPT-3 175B": "842", "842k",
 *              "10.2M", "300B".
 *   whole numbers exactly: thousands separated by commas, "842,496".
 *   large numbers roughly: three significant figures, with commas below
 *              a million ("133,000"), in scientific notation from there
 *              ("1.10e10", format_sci: no "+", no leading zeros).
 * Every rounding picks the unit after rounding, so that 999.95 is "1k"
 * and never "1000" or "1e+03k". */
#ifndef BYTEGPT_FORMAT_H
#define BYTEGPT_FORMAT_H

#include <stddef.h>

/* A buffer that holds any one of these strings. */
#define FORMAT_LEN 48

/* Seconds as a duration: "42s", "3m05s", "2h10m", "3.2 days", "3.93 years". */
const char *format_duration(char *buf, size_t n, double seconds);

/* A size in bytes: "842 B", "1.2 KiB", "117.0 MiB". */
const char *format_bytes(char *buf, size_t n, double bytes);

/* A quantity of unit (non-empty, e.g. "FLOP") with an SI prefix:
 * "999 FLOP", "5.45 MFLOP". For a bare count use format_count. */
const char *format_si(char *buf, size_t n, double value, const char *unit);

/* The prefix ("", "k", "M", "G", ...) and its scale (1, 1e3, ...) that
 * format_si would give the largest of several quantities, for labels
 * that share one prefix (a chart's FLOPs axis: "0 5P 10P"). */
const char *format_si_prefix(double largest, double *scale);

/* A count: "842", "842k", "10.2M", "124M", "300B", "1.5T". */
const char *format_count(char *buf, size_t n, double value);

/* The suffix ("", "k", "M", "B" or "T") and its scale (1, 1e3, ...) that
 * format_count would give the largest of several counts, for labels
 * that share one suffix (a chart's axis: "0 5k 10k", not "0 5000 10k"). */
const char *format_count_suffix(double largest, double *scale);

/* A whole number with thousands separators: "842,496", "-1,024". */
const char *format_grouped(char *buf, size_t n, double value);

/* Scientific notation with three significant figures: "3.15e23", "1.00e6",
 * "-2.50e-3"; 0 is "0". */
const char *format_sci(char *buf, size_t n, double value);

/* A large number to three significant figures: "842", "133,000",
 * "1.10e10". */
const char *format_round3(char *buf, size_t n, double value);

#endif
