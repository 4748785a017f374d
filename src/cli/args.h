/* args: the command-line flag parser every subcommand shares.
 *
 * A command declares its flags in a table (name, type, where to store the
 * value); args_parse walks argv once, stores each value, and refuses
 * unknown flags, missing values and malformed numbers with a
 * message that names the flag. `--flag value` and `--flag=value` both work. */
#ifndef BYTEGPT_CLI_ARGS_H
#define BYTEGPT_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/error.h"

enum arg_type {
    ARG_SIZE,     /* a positive integer (size_t); 0 refused unless ARG_ZERO_OK */
    ARG_U64,      /* a non-negative integer (uint64_t), e.g. a seed */
    ARG_FLOAT,    /* a finite number (double) */
    ARG_STRING,   /* any text (const char *) */
    ARG_BOOL,     /* a switch without a value (int, set to 1) */
    ARG_DURATION, /* a time like 90s, 5m, 1.5h (double seconds, > 0) */
};

#define ARG_ZERO_OK 1u /* flag for ARG_SIZE: 0 is a meaningful value */

struct arg_spec {
    const char *name;  /* without the leading "--" */
    enum arg_type type;
    void *dest;
    unsigned flags;
    int seen;          /* set by args_parse when the flag was given */
};

/* Parses argv[first..argc) against specs. Arguments that do not start
 * with "--" are positional and collected into pos (at most max_pos).
 * cmd names the command in messages. */
int args_parse(const char *cmd, int argc, char **argv, int first, struct arg_spec *specs,
               size_t n_specs, const char **pos, size_t max_pos, size_t *n_pos,
               struct bg_error *err);

/* True when argv holds --help or -h, which every command honours first. */
int args_wants_help(int argc, char **argv, int first);

/* Finds a spec by name, to ask whether it was seen. */
const struct arg_spec *args_find(const struct arg_spec *specs, size_t n, const char *name);

#endif
