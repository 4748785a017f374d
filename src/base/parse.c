/* parse: see parse.h. */
#include "bytegpt/parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int parse_u64(const char *text, uint64_t *v)
{
    /* strtoull accepts leading spaces and a '-' (wrapping it around):
     * only digits are a count. */
    if (text[0] < '0' || text[0] > '9')
        return BG_ERR_INPUT;
    char *end = NULL;
    errno = 0;
    unsigned long long x = strtoull(text, &end, 10);
    if (*end != '\0' || errno != 0)
        return BG_ERR_INPUT;
    *v = (uint64_t)x;
    return BG_OK;
}

int parse_finite(const char *text, double *v)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(text, &end);
    if (end == text || *end != '\0' || errno != 0 || !isfinite(x))
        return BG_ERR_INPUT;
    *v = x;
    return BG_OK;
}

int parse_duration(const char *text, double *seconds)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno != 0 || !isfinite(v) || v <= 0)
        return BG_ERR_INPUT;
    double unit;
    if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
        unit = 1.0;
    else if (strcmp(end, "m") == 0)
        unit = 60.0;
    else if (strcmp(end, "h") == 0)
        unit = 3600.0;
    else
        return BG_ERR_INPUT;
    if (!isfinite(v * unit))
        return BG_ERR_INPUT;
    *seconds = v * unit;
    return BG_OK;
}
