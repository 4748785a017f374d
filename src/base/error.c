/* Errors: see error.h. */
#include "bytegpt/error.h"

#include <stdarg.h>
#include <stdio.h>

int bg_fail(struct bg_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void bg_error_clear(struct bg_error *err)
{
    if (err) {
        err->code = BG_OK;
        err->msg[0] = '\0';
    }
}
