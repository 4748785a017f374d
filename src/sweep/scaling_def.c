/* scaling_def: what a scaling experiment is (see bytegpt/scaling.h): its
 * budgets, its ladder of sizes, its seeds and its check, read from flags
 * and checked before anything runs. */
#include "bytegpt/scaling.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/parse.h"

void scaling_def_init(struct bg_scaling_def *d)
{
    memset(d, 0, sizeof *d);
    d->n_sizes = 5;
    d->aspect = 16;
    d->head_size = 16;
    d->seeds = 2;
    d->check_factor = 4.0;
    d->max_repeat = 4.0;
    d->resamples = 200;
}

/* ---- Lists: "1e12,3e12" and "2,3,4" ---- */

/* Splits text at commas into at most max items of at most len-1 bytes,
 * refusing an empty item. */
static int split_list(const char *text, const char *flag, char items[][BG_SWEEP_VALUE_LEN], size_t max,
                      size_t *n, struct bg_error *err)
{
    *n = 0;
    const char *p = text;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0)
            return bg_fail(err, BG_ERR_INPUT, "scaling: --%s has an empty item in '%s'", flag, text);
        if (len >= BG_SWEEP_VALUE_LEN)
            return bg_fail(err, BG_ERR_INPUT, "scaling: --%s item '%.*s' is too long", flag, (int)len, p);
        if (*n == max)
            return bg_fail(err, BG_ERR_INPUT, "scaling: --%s takes at most %zu items", flag, max);
        memcpy(items[*n], p, len);
        items[(*n)++][len] = '\0';
        if (!end)
            return BG_OK;
        p = end + 1;
    }
}

static int set_budgets(struct bg_scaling_def *d, const char *text, struct bg_error *err)
{
    size_t n;
    int rc = split_list(text, "budgets", d->budget_text, BG_SCALING_MAX_BUDGETS, &n, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (parse_finite(d->budget_text[i], &d->budgets[i]) || !(d->budgets[i] > 0))
            return bg_fail(err, BG_ERR_INPUT, "scaling: --budgets needs FLOP counts above 0 like 1e12,3e12, got '%s'",
                           d->budget_text[i]);
    d->n_budgets = n;
    return BG_OK;
}

static int set_depths(struct bg_scaling_def *d, const char *text, struct bg_error *err)
{
    char items[BG_SCALING_MAX_SIZES][BG_SWEEP_VALUE_LEN];
    size_t n;
    int rc = split_list(text, "depths", items, BG_SCALING_MAX_SIZES, &n, err);
    for (size_t i = 0; i < n && !rc; i++) {
        uint64_t v;
        if (parse_u64(items[i], &v) || v == 0 || v > 64)
            return bg_fail(err, BG_ERR_INPUT, "scaling: --depths needs layer counts from 1 to 64 like 2,3,4, got '%s'",
                           items[i]);
        d->depths[i] = (size_t)v;
    }
    d->n_depths = rc ? 0 : n;
    return rc;
}

/* A whole number in [lo, hi] for flag. */
static int set_count(const char *flag, const char *text, uint64_t lo, uint64_t hi, size_t *out, struct bg_error *err)
{
    uint64_t v;
    if (parse_u64(text, &v) || v < lo || v > hi)
        return bg_fail(err, BG_ERR_INPUT, "scaling: --%s needs a whole number from %llu to %llu, got '%s'", flag,
                       (unsigned long long)lo, (unsigned long long)hi, text);
    *out = (size_t)v;
    return BG_OK;
}

/* A number above lo for flag. */
static int set_above(const char *flag, const char *text, double lo, double *out, struct bg_error *err)
{
    if (parse_finite(text, out) || !(*out > lo))
        return bg_fail(err, BG_ERR_INPUT, "scaling: --%s needs a number above %g, got '%s'", flag, lo, text);
    return BG_OK;
}

/* The settings the experiment itself decides for every run. */
static int is_experiments(int setting)
{
    return setting == BG_SET_LAYERS || setting == BG_SET_HEADS || setting == BG_SET_DIM ||
           setting == BG_SET_STEPS || setting == BG_SET_TIME_BUDGET || setting == BG_SET_FLOP_BUDGET ||
           setting == BG_SET_SEED || setting == BG_SET_THREADS;
}

int scaling_def_set(struct bg_scaling_def *d, const char *name, const char *value, struct bg_error *err)
{
    if (strcmp(name, "corpus") == 0) {
        if (strlen(value) >= sizeof d->corpus)
            return bg_fail(err, BG_ERR_INPUT, "scaling: --corpus path is too long");
        snprintf(d->corpus, sizeof d->corpus, "%s", value);
        return BG_OK;
    }
    if (strcmp(name, "budgets") == 0)
        return set_budgets(d, value, err);
    if (strcmp(name, "depths") == 0)
        return set_depths(d, value, err);
    if (strcmp(name, "sizes") == 0)
        return set_count(name, value, 3, BG_SCALING_MAX_SIZES, &d->n_sizes, err);
    if (strcmp(name, "aspect") == 0)
        return set_count(name, value, 1, 1024, &d->aspect, err);
    if (strcmp(name, "head-size") == 0)
        return set_count(name, value, 1, 1024, &d->head_size, err);
    if (strcmp(name, "seeds") == 0)
        return set_count(name, value, 1, BG_SWEEP_MAX_SEEDS, &d->seeds, err);
    if (strcmp(name, "resamples") == 0)
        return set_count(name, value, 0, 100000, &d->resamples, err);
    if (strcmp(name, "check") == 0) {
        d->check = 1;
        return BG_OK;
    }
    if (strcmp(name, "check-factor") == 0)
        return set_above(name, value, 1.0, &d->check_factor, err);
    if (strcmp(name, "max-repeat") == 0)
        return set_above(name, value, 0.0, &d->max_repeat, err);
    int i = settings_find(name);
    if (i >= 0 && is_experiments(i))
        return bg_fail(err, BG_ERR_INPUT,
                       "scaling: --%s is the experiment's to choose (budgets: --budgets; sizes: --depths, --aspect, "
                       "--head-size; seeds: --seeds)", name);
    return settings_set(&d->base, name, value, "scaling", err);
}

int scaling_def_check(const struct bg_scaling_def *d, struct bg_error *err)
{
    if (!d->corpus[0])
        return bg_fail(err, BG_ERR_INPUT, "scaling: --corpus PATH is required (the text every run trains on)");
    if (d->n_budgets < 2)
        return bg_fail(err, BG_ERR_INPUT,
                       "scaling: --budgets needs at least 2 budgets (a frontier is a line through several), got %zu",
                       d->n_budgets);
    for (size_t i = 1; i < d->n_budgets; i++)
        if (!(d->budgets[i] > d->budgets[i - 1]))
            return bg_fail(err, BG_ERR_INPUT, "scaling: --budgets must increase, but %s comes after %s",
                           d->budget_text[i], d->budget_text[i - 1]);
    size_t sizes = d->n_depths ? d->n_depths : d->n_sizes;
    if (sizes < 3)
        return bg_fail(err, BG_ERR_INPUT,
                       "scaling: a parabola needs at least 3 sizes per budget, got %zu (--depths or --sizes)", sizes);
    for (size_t i = 1; i < d->n_depths; i++)
        if (d->depths[i] <= d->depths[i - 1])
            return bg_fail(err, BG_ERR_INPUT, "scaling: --depths must increase, but %zu comes after %zu",
                           d->depths[i], d->depths[i - 1]);
    if (d->aspect % d->head_size != 0)
        return bg_fail(err, BG_ERR_INPUT,
                       "scaling: --aspect %zu must be a multiple of --head-size %zu, so that every width splits "
                       "into whole heads", d->aspect, d->head_size);
    return BG_OK;
}
