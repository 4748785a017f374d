/* parse: the readers of numbers people type, shared by the CLI's flags,
 * the settings of a run and a sweep's grids, so that "12x", "-5", "nan"
 * and "5x" are refused the same way everywhere. Each returns BG_OK when
 * text is entirely one value of its kind and stores it, else BG_ERR_INPUT
 * and stores nothing; the caller, which knows the flag or setting the
 * text was given for, says what was wrong. Base layer: depends on libc
 * and error.h only. */
#ifndef BYTEGPT_PARSE_H
#define BYTEGPT_PARSE_H

#include <stdint.h>

#include "bytegpt/error.h"

/* A non-negative whole number in decimal ("0", "42"); no sign, no
 * spaces, no overflow. */
int parse_u64(const char *text, uint64_t *v);

/* A finite number in any form strtod reads ("3e-3", "0.1"). */
int parse_finite(const char *text, double *v);

/* A positive duration: a number with no unit or s, m or h ("300", "90s",
 * "5m", "1.5h"), in seconds. */
int parse_duration(const char *text, double *seconds);

#endif
