/* settings: each derived setting is worked out in one place, and each
 * rule is checked here with the preset's values it starts from. */
#include <math.h>
#include <string.h>

#include "bytegpt/settings.h"
#include "test.h"

static struct bg_train_config resolve(const char *const *pairs, size_t n)
{
    struct bg_settings s;
    struct bg_error err;
    struct bg_train_config c;
    memset(&s, 0, sizeof s);
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i + 1 < n; i += 2)
        CHECK(settings_set(&s, pairs[i], pairs[i + 1], "test", &err) == BG_OK);
    CHECK(settings_resolve(&s, &c, &err) == BG_OK);
    return c;
}

/* The preset alone: tiny's own values, nothing derived. */
static void test_preset_alone(void)
{
    const char *p[] = {"preset", "tiny"};
    struct bg_train_config c = resolve(p, 2);
    CHECK(c.model.L == 2 && c.model.C == 32 && c.steps == 200 && c.warmup == 20);
    CHECK(c.lr == 3e-3 && c.min_lr == 3e-4);
}

/* --lr without --min-lr keeps the presets' ratio of ten; with both, both. */
static void test_min_lr(void)
{
    const char *a[] = {"preset", "tiny", "lr", "1e-2"};
    struct bg_train_config c = resolve(a, 4);
    CHECK(c.lr == 1e-2 && c.min_lr == 1e-2 / 10);
    const char *b[] = {"preset", "tiny", "lr", "1e-2", "min-lr", "5e-3"};
    c = resolve(b, 6);
    CHECK(c.min_lr == 5e-3);
}

/* --warmup not given: at most a tenth of --steps; given: as given. */
static void test_warmup(void)
{
    const char *a[] = {"preset", "tiny", "steps", "50"};
    struct bg_train_config c = resolve(a, 4);
    CHECK(c.steps == 50 && c.warmup == 5);
    const char *b[] = {"preset", "tiny", "steps", "50", "warmup", "30"};
    c = resolve(b, 6);
    CHECK(c.warmup == 30);
    const char *d[] = {"preset", "tiny", "steps", "1000"};
    c = resolve(d, 4);
    CHECK(c.warmup == 20); /* the preset's, already below a tenth */
}

/* A time budget alone ends the run by time; with --steps, both bound it. */
static void test_time_budget(void)
{
    const char *a[] = {"preset", "tiny", "time-budget", "2m"};
    struct bg_train_config c = resolve(a, 4);
    CHECK(c.steps == 0 && c.time_budget == 120.0);
    const char *b[] = {"preset", "tiny", "time-budget", "90s", "steps", "40"};
    c = resolve(b, 6);
    CHECK(c.steps == 40 && c.time_budget == 90.0);
    CHECK(!settings_init_only(&c));
}

/* --steps 0 is a run that only initialises: steps stay 0 (config.txt
 * says so) and there is no warmup. */
static void test_init_only(void)
{
    const char *a[] = {"preset", "tiny", "steps", "0"};
    struct bg_train_config c = resolve(a, 4);
    CHECK(c.steps == 0 && c.warmup == 0);
    CHECK(settings_init_only(&c));
}

/* Bad values are refused with the flag named; nothing is recorded. */
static void test_bad_values(void)
{
    struct bg_settings s;
    struct bg_error err;
    memset(&s, 0, sizeof s);
    CHECK(settings_set(&s, "steps", "12x", "train", &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "--steps") != NULL);
    CHECK(settings_set(&s, "steps", "-5", "train", &err) == BG_ERR_INPUT);
    CHECK(settings_set(&s, "batch", "0", "train", &err) == BG_ERR_INPUT);
    CHECK(settings_set(&s, "lr", "nan", "train", &err) == BG_ERR_INPUT);
    CHECK(settings_set(&s, "time-budget", "5x", "train", &err) == BG_ERR_INPUT);
    CHECK(settings_set(&s, "bogus", "1", "sweep", &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "bogus") != NULL);
    CHECK(settings_set(&s, "preset", "huge", "train", &err) == BG_ERR_INPUT);
    CHECK(s.given == 0 && s.preset[0] == '\0');
    /* Values the parser takes but the run cannot: found at resolve. */
    CHECK(settings_set(&s, "dim", "30", "train", &err) == BG_OK);
    CHECK(settings_set(&s, "heads", "4", "train", &err) == BG_OK);
    struct bg_train_config c;
    CHECK(settings_resolve(&s, &c, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "divisible") != NULL);
}

/* A configuration written back as flag values reads back the same. */
static void test_format_round_trip(void)
{
    const char *a[] = {"preset", "default", "lr", "0.0025", "time-budget", "90s", "threads", "2"};
    struct bg_train_config c = resolve(a, 8), d;
    struct bg_settings s;
    struct bg_error err;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < BG_N_SETTINGS; i++) {
        char v[64];
        settings_format(&c, i, v, sizeof v);
        if (i == BG_SET_TIME_BUDGET && c.time_budget <= 0)
            continue;
        CHECK(settings_set(&s, settings_name(i), v, "test", &err) == BG_OK);
    }
    CHECK(settings_resolve(&s, &d, &err) == BG_OK);
    for (int i = 0; i < BG_N_SETTINGS; i++)
        CHECK(settings_same(&c, &d, i));
}

/* Whole-number settings are exactly those that refuse a fraction. */
static void test_whole(void)
{
    for (int i = 0; i < BG_N_SETTINGS; i++) {
        struct bg_settings s;
        struct bg_error err;
        memset(&s, 0, sizeof s);
        int takes_fraction = settings_set(&s, settings_name(i), "0.5", "test", &err) == BG_OK;
        CHECK(settings_whole(i) == !takes_fraction);
    }
    CHECK(settings_whole(BG_SET_DIM) && settings_whole(BG_SET_SEED) && !settings_whole(BG_SET_LR));
}

/* The presets, and the checks of a whole configuration. */
static void test_presets_and_validate(void)
{
    struct bg_train_config cfg;
    struct bg_error err;
    CHECK(settings_preset("huge", &cfg, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "tiny") != NULL);
    settings_preset("tiny", &cfg, &err);
    struct bg_train_config bad = cfg;
    bad.lr = NAN;
    CHECK(settings_validate(&bad, &err) == BG_ERR_INPUT);
    bad = cfg;
    bad.beta2 = 1.0;
    CHECK(settings_validate(&bad, &err) == BG_ERR_INPUT);
    bad = cfg;
    bad.batch = 0;
    CHECK(settings_validate(&bad, &err) == BG_ERR_INPUT);
    bad = cfg;
    bad.clip = -1;
    CHECK(settings_validate(&bad, &err) == BG_ERR_INPUT);
    bad = cfg;
    bad.min_lr = 2 * cfg.lr;
    CHECK(settings_validate(&bad, &err) == BG_ERR_INPUT);
    /* A checkpoint's record can hold what no flag gives (found by
     * tests/fuzz/fuzz_checkpoint): a NaN, infinite or negative budget,
     * threads below 0 or above BG_THREADS_MAX. */
    const double budgets[] = {NAN, INFINITY, -1.0};
    for (int i = 0; i < 3; i++) {
        bad = cfg;
        bad.time_budget = budgets[i];
        CHECK(settings_validate(&bad, &err) == BG_ERR_INPUT);
        CHECK(strstr(err.msg, "--time-budget") != NULL);
    }
    const int threads[] = {-88768511, -1, BG_THREADS_MAX + 1};
    for (int i = 0; i < 3; i++) {
        bad = cfg;
        bad.threads = threads[i];
        CHECK(settings_validate(&bad, &err) == BG_ERR_INPUT);
        CHECK(strstr(err.msg, "--threads") != NULL);
    }
    bad = cfg;
    bad.threads = BG_THREADS_MAX;
    bad.time_budget = 300;
    CHECK(settings_validate(&bad, &err) == BG_OK);
}

int main(void)
{
    RUN_TEST(test_preset_alone);
    RUN_TEST(test_min_lr);
    RUN_TEST(test_warmup);
    RUN_TEST(test_time_budget);
    RUN_TEST(test_init_only);
    RUN_TEST(test_bad_values);
    RUN_TEST(test_format_round_trip);
    RUN_TEST(test_whole);
    RUN_TEST(test_presets_and_validate);
    return TEST_EXIT();
}
