/* Errors: every fallible library function fills a struct bg_error and
 * returns its code. The codes are the exit codes the CLI uses, so that the
 * decision "usage/input error or runtime failure" is made once, where the
 * error is found, by the code that knows what went wrong. */
#ifndef BYTEGPT_ERROR_H
#define BYTEGPT_ERROR_H

enum bg_status {
    BG_OK = 0,
    BG_ERR_RUNTIME = 1, /* the machine failed us: memory, disk, NaN loss */
    BG_ERR_INPUT = 2,   /* the user gave us something wrong: flags, files */
};

struct bg_error {
    int code;
    char msg[256];
};

/* Fills err (when not NULL) with code and a printf-style message and
 * returns code, so that a failing path reads `return bg_fail(err, ...)`. */
int bg_fail(struct bg_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err to BG_OK with an empty message. */
void bg_error_clear(struct bg_error *err);

#endif
