/* fuzz_args: the CLI's flag parser (src/cli/args.c), which every command
 * runs over its argv.
 *
 * Input: one argument per line. The lines are parsed twice:
 *   1. as a command line against a table with a flag of every type, as
 *      a command would (positional arguments at most 2);
 *   2. each line alone as the value of a flag of each numeric type, and
 *      compared with parse.h's readers: parse.h promises that "12x", "-5",
 *      "nan" and "5x" are refused the same way everywhere, so a flag must
 *      accept exactly what parse_u64, parse_finite and parse_duration
 *      accept, with the same value.
 * A refusal must come with a message. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "bytegpt/parse.h"
#include "fuzz.h"

#define MAX_ARGS 64

static void parse_command_line(int argc, char **argv)
{
    size_t tokens = 0, warmup = 0, n_pos = 0;
    uint64_t seed = 0;
    double temperature = 0, budget = 0;
    const char *prompt = NULL, *pos[2];
    int per_byte = 0;
    struct arg_spec specs[] = {
        {"tokens", ARG_SIZE, &tokens, 0, 0},      {"warmup-steps", ARG_SIZE, &warmup, ARG_ZERO_OK, 0},
        {"seed", ARG_U64, &seed, 0, 0},           {"temperature", ARG_FLOAT, &temperature, 0, 0},
        {"prompt", ARG_STRING, &prompt, 0, 0},    {"per-byte", ARG_BOOL, &per_byte, 0, 0},
        {"time-budget", ARG_DURATION, &budget, 0, 0},
    };
    struct bg_error err = {0};
    args_wants_help(argc, argv, 1);
    int rc = args_parse("fuzz", argc, argv, 1, specs, sizeof specs / sizeof specs[0], pos, 2, &n_pos, &err);
    FUZZ_CHECK(rc == BG_OK ? n_pos <= 2 : err.msg[0] != '\0');
    if (rc == BG_OK) {
        FUZZ_CHECK(!args_find(specs, 7, "tokens")->seen || tokens >= 1);
        FUZZ_CHECK(isfinite(temperature) && isfinite(budget) && budget >= 0);
    }
}

/* Parses text as the value of one flag of the given type; returns 1 when
 * accepted, with the value stored through dest. */
static int flag_value(enum arg_type type, const char *text, void *dest)
{
    struct arg_spec spec = {"v", type, dest, ARG_ZERO_OK, 0};
    char *argv[3] = {"bytegpt", "--v", (char *)text};
    size_t n_pos;
    struct bg_error err = {0};
    int rc = args_parse("fuzz", 3, argv, 1, &spec, 1, NULL, 0, &n_pos, &err);
    FUZZ_CHECK(rc == BG_OK || err.msg[0] != '\0');
    return rc == BG_OK;
}

static void compare_with_parse(const char *text)
{
    uint64_t u_flag = 0, u_parse = 0;
    int a = flag_value(ARG_U64, text, &u_flag), b = parse_u64(text, &u_parse) == BG_OK;
    FUZZ_CHECK(a == b && u_flag == u_parse);

    double d_flag = 0, d_parse = 0;
    a = flag_value(ARG_FLOAT, text, &d_flag);
    b = parse_finite(text, &d_parse) == BG_OK;
    FUZZ_CHECK(a == b && d_flag == d_parse);

    d_flag = d_parse = 0;
    a = flag_value(ARG_DURATION, text, &d_flag);
    b = parse_duration(text, &d_parse) == BG_OK;
    FUZZ_CHECK(a == b && d_flag == d_parse);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    char *argv[MAX_ARGS + 1];
    argv[0] = "bytegpt";
    int argc = 1 + (int)fuzz_split(text, '\n', argv + 1, MAX_ARGS);
    for (int i = 1; i < argc; i++)
        compare_with_parse(argv[i]);
    parse_command_line(argc, argv);
    free(text);
    return 0;
}
