/* args: see args.h. */
#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int args_wants_help(int argc, char **argv, int first)
{
    for (int i = first; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

int args_parse_duration(const char *text, double *seconds)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno != 0 || !isfinite(v) || v <= 0)
        return 0;
    double unit = 1.0;
    if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
        unit = 1.0;
    else if (strcmp(end, "m") == 0)
        unit = 60.0;
    else if (strcmp(end, "h") == 0)
        unit = 3600.0;
    else
        return 0;
    *seconds = v * unit;
    return 1;
}

const struct arg_spec *args_find(const struct arg_spec *specs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(specs[i].name, name) == 0)
            return &specs[i];
    return NULL;
}

/* Stores one value, or explains why it cannot. */
static int store_value(const char *cmd, struct arg_spec *s, const char *value, struct bg_error *err)
{
    char *end = NULL;
    errno = 0;
    switch (s->type) {
    case ARG_SIZE:
    case ARG_U64: {
        /* strtoull accepts a leading '-' and wraps it around: refuse it. */
        unsigned long long v = strtoull(value, &end, 10);
        if (value[0] == '-' || value[0] == '\0' || *end != '\0' || errno != 0)
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s needs a non-negative whole number, got '%s'",
                           cmd, s->name, value);
        if (s->type == ARG_U64) {
            *(uint64_t *)s->dest = v;
            break;
        }
        if (v == 0 && !(s->flags & ARG_ZERO_OK))
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s must be at least 1, got '%s'", cmd, s->name, value);
        if (v > (unsigned long long)SIZE_MAX / 2)
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s is out of range: '%s'", cmd, s->name, value);
        *(size_t *)s->dest = (size_t)v;
        break;
    }
    case ARG_FLOAT: {
        double v = strtod(value, &end);
        if (end == value || *end != '\0' || errno != 0 || !isfinite(v))
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s needs a finite number, got '%s'", cmd, s->name, value);
        *(double *)s->dest = v;
        break;
    }
    case ARG_STRING:
        *(const char **)s->dest = value;
        break;
    case ARG_DURATION:
        if (!args_parse_duration(value, (double *)s->dest))
            return bg_fail(err, BG_ERR_INPUT,
                           "%s: --%s needs a positive time with unit s, m or h (e.g. 90s, 5m, 1h), got '%s'",
                           cmd, s->name, value);
        break;
    case ARG_BOOL:
        *(int *)s->dest = 1;
        break;
    }
    s->seen = 1;
    return BG_OK;
}

int args_parse(const char *cmd, int argc, char **argv, int first, struct arg_spec *specs,
               size_t n_specs, const char **pos, size_t max_pos, size_t *n_pos,
               struct bg_error *err)
{
    *n_pos = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (*n_pos >= max_pos)
                return bg_fail(err, BG_ERR_INPUT, "%s: unexpected argument '%s' (see bytegpt %s --help)",
                               cmd, a, cmd);
            pos[(*n_pos)++] = a;
            continue;
        }
        /* Split --name=value; otherwise the value is the next argument. */
        char name[64];
        const char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        if (len >= sizeof name)
            return bg_fail(err, BG_ERR_INPUT, "%s: unknown flag '%.40s...' (see bytegpt %s --help)", cmd, a, cmd);
        memcpy(name, a + 2, len);
        name[len] = '\0';
        struct arg_spec *s = (struct arg_spec *)args_find(specs, n_specs, name);
        if (!s)
            return bg_fail(err, BG_ERR_INPUT, "%s: unknown flag --%s (see bytegpt %s --help)", cmd, name, cmd);
        if (s->type == ARG_BOOL) {
            if (eq)
                return bg_fail(err, BG_ERR_INPUT, "%s: --%s takes no value", cmd, name);
            store_value(cmd, s, "", err);
            continue;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc)
                return bg_fail(err, BG_ERR_INPUT, "%s: --%s needs a value", cmd, name);
            value = argv[++i];
        }
        int rc = store_value(cmd, s, value, err);
        if (rc)
            return rc;
    }
    return BG_OK;
}
