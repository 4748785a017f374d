/* args: see args.h. */
#include "args.h"

#include <stdlib.h>
#include <string.h>

#include "bytegpt/parse.h"

int args_wants_help(int argc, char **argv, int first)
{
    for (int i = first; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

const struct arg_spec *args_find(const struct arg_spec *specs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(specs[i].name, name) == 0)
            return &specs[i];
    return NULL;
}

/* Stores one value, or explains why it cannot. Numbers are read by
 * parse.h's readers, the ones settings and sweep grids use, so that a flag
 * accepts exactly what a setting accepts. (The fuzzer found that this file's
 * own strtoull took " -5" as 18446744073709551611 and "\t7" as 7.) */
static int store_value(const char *cmd, struct arg_spec *s, const char *value, struct bg_error *err)
{
    switch (s->type) {
    case ARG_SIZE:
    case ARG_U64: {
        uint64_t v;
        if (parse_u64(value, &v))
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s needs a non-negative whole number, got '%s'",
                           cmd, s->name, value);
        if (s->type == ARG_U64) {
            *(uint64_t *)s->dest = v;
            break;
        }
        if (v == 0 && !(s->flags & ARG_ZERO_OK))
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s must be at least 1, got '%s'", cmd, s->name, value);
        if (v > (uint64_t)SIZE_MAX / 2)
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s is out of range: '%s'", cmd, s->name, value);
        *(size_t *)s->dest = (size_t)v;
        break;
    }
    case ARG_FLOAT:
        if (parse_finite(value, (double *)s->dest))
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s needs a finite number, got '%s'", cmd, s->name, value);
        break;
    case ARG_STRING:
        *(const char **)s->dest = value;
        break;
    case ARG_DURATION:
        if (parse_duration(value, (double *)s->dest))
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
