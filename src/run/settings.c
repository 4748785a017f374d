/* settings: see settings.h. */
#include "bytegpt/settings.h"

#include <stdio.h>
#include <string.h>

#include "bytegpt/parse.h"

/* ---- The table: each setting's name, kind and field ---- */

enum kind {
    K_COUNT,    /* a whole number >= 1 (size_t) */
    K_U64,      /* a whole number >= 0 (uint64_t) */
    K_FLOAT,    /* a finite number (double) */
    K_DURATION, /* a positive time with unit (double seconds) */
    K_THREADS,  /* a whole number >= 0 (int; 0: all cores) */
};

struct setting {
    const char *name;
    enum kind kind;
    size_t offset; /* of the field in struct bg_train_config */
};

#define AT(field) offsetof(struct bg_train_config, field)

static const struct setting table[BG_N_SETTINGS] = {
    [BG_SET_LAYERS] = {"layers", K_COUNT, AT(model.L)},
    [BG_SET_HEADS] = {"heads", K_COUNT, AT(model.NH)},
    [BG_SET_DIM] = {"dim", K_COUNT, AT(model.C)},
    [BG_SET_CTX] = {"ctx", K_COUNT, AT(model.ctx)},
    [BG_SET_BATCH] = {"batch", K_COUNT, AT(batch)},
    [BG_SET_ACCUM] = {"accum", K_COUNT, AT(accum)},
    [BG_SET_STEPS] = {"steps", K_U64, AT(steps)},
    [BG_SET_TIME_BUDGET] = {"time-budget", K_DURATION, AT(time_budget)},
    [BG_SET_LR] = {"lr", K_FLOAT, AT(lr)},
    [BG_SET_MIN_LR] = {"min-lr", K_FLOAT, AT(min_lr)},
    [BG_SET_WARMUP] = {"warmup", K_U64, AT(warmup)},
    [BG_SET_WD] = {"wd", K_FLOAT, AT(weight_decay)},
    [BG_SET_BETA1] = {"beta1", K_FLOAT, AT(beta1)},
    [BG_SET_BETA2] = {"beta2", K_FLOAT, AT(beta2)},
    [BG_SET_CLIP] = {"clip", K_FLOAT, AT(clip)},
    [BG_SET_EVAL_EVERY] = {"eval-every", K_U64, AT(eval_every)},
    [BG_SET_EVAL_BATCHES] = {"eval-batches", K_U64, AT(eval_batches)},
    [BG_SET_SAMPLE_EVERY] = {"sample-every", K_U64, AT(sample_every)},
    [BG_SET_CKPT_EVERY] = {"ckpt-every", K_U64, AT(ckpt_every)},
    [BG_SET_SEED] = {"seed", K_U64, AT(seed)},
    [BG_SET_THREADS] = {"threads", K_THREADS, AT(threads)},
};

const char *settings_name(enum bg_setting s)
{
    return table[s].name;
}

int settings_find(const char *name)
{
    for (int i = 0; i < BG_N_SETTINGS; i++)
        if (strcmp(table[i].name, name) == 0)
            return i;
    return -1;
}

int settings_whole(enum bg_setting i)
{
    return table[i].kind == K_COUNT || table[i].kind == K_U64 || table[i].kind == K_THREADS;
}

/* ---- Parsing one value ---- */

/* The limit on counts keeps products like batch * ctx far from overflow;
 * the model's own limits are checked by config_validate. */
#define COUNT_MAX ((uint64_t)1 << 40)

static int parse_into(const struct setting *t, struct bg_train_config *c, const char *text, const char *cmd,
                      struct bg_error *err)
{
    char *field = (char *)c + t->offset;
    uint64_t u;
    double d;
    switch (t->kind) {
    case K_COUNT:
    case K_U64:
    case K_THREADS:
        if (!parse_u64(text, &u))
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s needs a non-negative whole number, got '%s'", cmd, t->name,
                           text);
        if (t->kind == K_COUNT && u == 0)
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s must be at least 1, got '%s'", cmd, t->name, text);
        if (t->kind != K_U64 && u > (t->kind == K_THREADS ? BG_THREADS_MAX : COUNT_MAX))
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s is out of range: '%s'", cmd, t->name, text);
        if (t->kind == K_COUNT)
            *(size_t *)field = (size_t)u;
        else if (t->kind == K_THREADS)
            *(int *)field = (int)u;
        else
            *(uint64_t *)field = u;
        return BG_OK;
    case K_FLOAT:
        if (!parse_finite(text, &d))
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s needs a finite number, got '%s'", cmd, t->name, text);
        *(double *)field = d;
        return BG_OK;
    case K_DURATION:
        if (!parse_duration(text, &d))
            return bg_fail(err, BG_ERR_INPUT,
                           "%s: --%s needs a positive time with unit s, m or h (e.g. 90s, 5m, 1h), got '%s'", cmd,
                           t->name, text);
        *(double *)field = d;
        return BG_OK;
    }
    return BG_OK;
}

int settings_set(struct bg_settings *s, const char *name, const char *text, const char *cmd, struct bg_error *err)
{
    if (strcmp(name, "preset") == 0) {
        struct bg_train_config probe;
        int rc = train_preset(text, &probe, err);
        if (rc)
            return rc;
        snprintf(s->preset, sizeof s->preset, "%s", text);
        return BG_OK;
    }
    int i = settings_find(name);
    if (i < 0)
        return bg_fail(err, BG_ERR_INPUT, "%s: unknown setting '%s'", cmd, name);
    int rc = parse_into(&table[i], &s->value, text, cmd, err);
    if (!rc)
        s->given |= 1u << i;
    return rc;
}

void settings_format(const struct bg_train_config *cfg, enum bg_setting i, char *buf, size_t n)
{
    const char *field = (const char *)cfg + table[i].offset;
    switch (table[i].kind) {
    case K_COUNT:
        snprintf(buf, n, "%zu", *(const size_t *)field);
        break;
    case K_U64:
        snprintf(buf, n, "%llu", (unsigned long long)*(const uint64_t *)field);
        break;
    case K_THREADS:
        snprintf(buf, n, "%d", *(const int *)field);
        break;
    case K_FLOAT:
        snprintf(buf, n, "%.6g", *(const double *)field);
        break;
    case K_DURATION:
        snprintf(buf, n, "%.6gs", *(const double *)field);
        break;
    }
}

/* ---- Resolving a configuration ---- */

static size_t field_size(enum bg_setting i)
{
    switch (table[i].kind) {
    case K_COUNT:
        return sizeof(size_t);
    case K_THREADS:
        return sizeof(int);
    case K_U64:
        return sizeof(uint64_t);
    default:
        return sizeof(double);
    }
}

void settings_copy(struct bg_train_config *dst, const struct bg_train_config *src, enum bg_setting i)
{
    memcpy((char *)dst + table[i].offset, (const char *)src + table[i].offset, field_size(i));
}

int settings_same(const struct bg_train_config *a, const struct bg_train_config *b, enum bg_setting i)
{
    return memcmp((const char *)a + table[i].offset, (const char *)b + table[i].offset, field_size(i)) == 0;
}

int settings_resolve_over(const struct bg_settings *s, const struct bg_train_config *base,
                          struct bg_train_config *cfg, struct bg_error *err)
{
    struct bg_train_config c = *base;
    if (s->preset[0]) {
        struct bg_train_config p;
        int rc = train_preset(s->preset, &p, err);
        if (rc)
            return rc;
        c.model = p.model;
        c.batch = p.batch;
    }
    for (int i = 0; i < BG_N_SETTINGS; i++)
        if (settings_given(s, i))
            settings_copy(&c, &s->value, i);
    /* The derived settings, in the order settings.h lists them. */
    if (settings_given(s, BG_SET_TIME_BUDGET) && !settings_given(s, BG_SET_STEPS))
        c.steps = 0;
    if (!settings_given(s, BG_SET_WARMUP) && c.steps > 0 && c.warmup > c.steps / 10)
        c.warmup = c.steps / 10;
    if (settings_given(s, BG_SET_LR) && !settings_given(s, BG_SET_MIN_LR))
        c.min_lr = c.lr / 10;
    if (settings_init_only(&c))
        c.warmup = 0;
    int rc = config_validate(&c.model, err);
    if (!rc)
        rc = train_config_validate(&c, err);
    if (!rc)
        *cfg = c;
    return rc;
}

int settings_resolve(const struct bg_settings *s, struct bg_train_config *cfg, struct bg_error *err)
{
    struct bg_train_config base;
    int rc = train_preset(s->preset[0] ? s->preset : "default", &base, err);
    return rc ? rc : settings_resolve_over(s, &base, cfg, err);
}

int settings_init_only(const struct bg_train_config *cfg)
{
    return cfg->steps == 0 && cfg->time_budget <= 0;
}
