/* settings: each derived setting is worked out in one place, and each
 * rule is checked here with the preset's values it starts from. */
#include <math.h>
#include <string.h>

#include "bytegpt/cost.h"
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

/* The settings given as name, value pairs, resolved for `ranks`
 * processes; the status, with the configuration in *c. */
static int resolve_ranks(const char *const *pairs, size_t n, size_t ranks, struct bg_train_config *c,
                         struct bg_error *err)
{
    struct bg_settings s;
    memset(&s, 0, sizeof s);
    s.ranks = ranks;
    for (size_t i = 0; i + 1 < n; i += 2)
        CHECK(settings_set(&s, pairs[i], pairs[i + 1], "test", err) == BG_OK);
    return settings_resolve(&s, c, err);
}

/* The FLOPs the log shows after k steps of c with `ranks` processes. */
static double flops_after(const struct bg_train_config *c, size_t ranks, uint64_t k)
{
    double tokens = (double)(c->batch * c->accum * ranks * c->model.ctx);
    return cost_train_flops(c, (double)k * tokens, (double)k);
}

/* True when c's steps are the most whose FLOPs fit in its budget: the run
 * ends within one step of it, never past it. */
static int fills_budget(const struct bg_train_config *c, size_t ranks)
{
    return c->steps > 0 && flops_after(c, ranks, c->steps) <= c->flop_budget &&
           flops_after(c, ranks, c->steps + 1) > c->flop_budget;
}

/* A FLOP budget is the step count whose FLOPs fit in it, and the rest of
 * the run is that step-counted run's (warmup a tenth of it, the same
 * schedule). A budget that is exactly k steps' FLOPs buys k steps, and one
 * FLOP less buys k - 1. Under Muon each step also pays the Newton-Schulz
 * products. */
static void test_flop_budget(void)
{
    struct bg_error err;
    struct bg_train_config c, d;
    const char *a[] = {"preset", "tiny", "flop-budget", "3e9"};
    CHECK(resolve_ranks(a, 4, 1, &c, &err) == BG_OK);
    CHECK(c.flop_budget == 3e9 && fills_budget(&c, 1) && c.steps < 200);
    char steps[32];
    snprintf(steps, sizeof steps, "%llu", (unsigned long long)c.steps);
    const char *b[] = {"preset", "tiny", "steps", steps};
    CHECK(resolve_ranks(b, 4, 1, &d, &err) == BG_OK);
    CHECK(c.warmup == c.steps / 10 && c.warmup == d.warmup);
    for (int i = 0; i < BG_N_SETTINGS; i++)
        CHECK(i == BG_SET_FLOP_BUDGET || settings_same(&c, &d, i));

    char exact[64];
    snprintf(exact, sizeof exact, "%.17g", flops_after(&c, 1, 50));
    const char *e[] = {"preset", "tiny", "flop-budget", exact};
    CHECK(resolve_ranks(e, 4, 1, &d, &err) == BG_OK && d.steps == 50);
    snprintf(exact, sizeof exact, "%.17g", nextafter(flops_after(&c, 1, 50), 0));
    CHECK(resolve_ranks(e, 4, 1, &d, &err) == BG_OK && d.steps == 49);

    const char *m[] = {"preset", "tiny", "optim", "muon", "flop-budget", "3e9"};
    CHECK(resolve_ranks(m, 6, 1, &d, &err) == BG_OK);
    CHECK(fills_budget(&d, 1) && d.steps < c.steps);

    /* With --time-budget as well both hold: the steps bought, and the time. */
    const char *t[] = {"preset", "tiny", "flop-budget", "3e9", "time-budget", "90s"};
    CHECK(resolve_ranks(t, 6, 1, &d, &err) == BG_OK);
    CHECK(d.steps == c.steps && d.time_budget == 90.0);
}

/* A step's tokens are batch * accum * ctx on every process, so with two
 * processes a budget buys half the steps of one (rounded down), under
 * AdamW, whose FLOPs are all per token; Muon's per-step products are not,
 * and its steps are the most that fit for two all the same. */
static void test_flop_budget_ranks(void)
{
    struct bg_error err;
    const char *budgets[] = {"3e9", "1e10", "2.9e9"};
    for (int i = 0; i < 3; i++) {
        struct bg_train_config one, two;
        const char *a[] = {"preset", "tiny", "flop-budget", budgets[i]};
        CHECK(resolve_ranks(a, 4, 1, &one, &err) == BG_OK);
        CHECK(resolve_ranks(a, 4, 2, &two, &err) == BG_OK);
        CHECK(two.steps == one.steps / 2 && fills_budget(&two, 2));
    }
    struct bg_train_config m;
    const char *b[] = {"preset", "tiny", "optim", "muon", "flop-budget", "3e9"};
    CHECK(resolve_ranks(b, 6, 2, &m, &err) == BG_OK && fills_budget(&m, 2));
    /* No ranks given counts as one process. */
    struct bg_train_config zero, one;
    const char *a[] = {"preset", "tiny", "flop-budget", "3e9"};
    CHECK(resolve_ranks(a, 4, 0, &zero, &err) == BG_OK && resolve_ranks(a, 4, 1, &one, &err) == BG_OK);
    CHECK(zero.steps == one.steps);
}

/* What a FLOP budget refuses, naming the flag: a value that is not a
 * positive number, a budget below one step (naming that step's FLOPs),
 * --steps beside it, a record's NaN or negative budget; and a base's
 * budget gives way to --steps given over it (a resume that names steps). */
static void test_flop_budget_refused(void)
{
    struct bg_settings s;
    struct bg_error err;
    const char *bad[] = {"-1", "nan", "inf", "abc", "0", ""};
    for (int i = 0; i < 6; i++) {
        memset(&s, 0, sizeof s);
        CHECK(settings_set(&s, "flop-budget", bad[i], "train", &err) == BG_ERR_INPUT);
        CHECK(strstr(err.msg, "--flop-budget") != NULL && s.given == 0);
    }
    struct bg_train_config c, tiny;
    settings_preset("tiny", &tiny, &err);
    char one_step[32];
    snprintf(one_step, sizeof one_step, "%.4g FLOP", cost_step_flops(&tiny, 1));
    const char *small[] = {"preset", "tiny", "flop-budget", "1e6"};
    CHECK(resolve_ranks(small, 4, 1, &c, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "--flop-budget") != NULL && strstr(err.msg, one_step) != NULL);
    const char *both[] = {"preset", "tiny", "flop-budget", "3e9", "steps", "10"};
    CHECK(resolve_ranks(both, 6, 1, &c, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "--flop-budget") != NULL && strstr(err.msg, "--steps") != NULL);
    const char *huge[] = {"preset", "tiny", "flop-budget", "1e300"};
    CHECK(resolve_ranks(huge, 4, 1, &c, &err) == BG_ERR_INPUT && strstr(err.msg, "--flop-budget") != NULL);

    const double records[] = {NAN, INFINITY, -1.0};
    for (int i = 0; i < 3; i++) {
        c = tiny;
        c.flop_budget = records[i];
        CHECK(settings_validate(&c, &err) == BG_ERR_INPUT && strstr(err.msg, "--flop-budget") != NULL);
    }
    const char *budgeted[] = {"preset", "tiny", "flop-budget", "3e9"};
    struct bg_train_config base, over;
    CHECK(resolve_ranks(budgeted, 4, 1, &base, &err) == BG_OK);
    memset(&s, 0, sizeof s);
    CHECK(settings_set(&s, "steps", "20", "train", &err) == BG_OK);
    CHECK(settings_resolve_over(&s, &base, &over, &err) == BG_OK && over.steps == 20 && over.flop_budget == 0);
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

/* The recipe's settings: each choice by name, GPT-2's by default, a
 * value outside the list refused naming both choices, a number refused,
 * and the checks resolve makes across settings. */
static void test_recipe(void)
{
    const char *a[] = {"norm", "rmsnorm", "pos", "rotary", "qk-norm", "on", "act", "relu2", "head", "untied",
                       "bigram", "on", "softcap", "15", "optim", "muon", "schedule", "wsd", "decay", "0.2"};
    struct bg_train_config c = resolve(a, 20), d = resolve(a, 0);
    CHECK(c.model.norm == BG_NORM_RMS && c.model.pos == BG_POS_ROTARY && c.model.qk_norm == 1);
    CHECK(c.model.act == BG_ACT_RELU2 && c.model.head == BG_HEAD_UNTIED && c.model.bigram == 1);
    CHECK(c.model.softcap == 15 && c.optim == BG_OPT_MUON && c.schedule == BG_SCHEDULE_WSD && c.decay == 0.2);
    CHECK(c.muon_lr == BG_MUON_LR_DEFAULT);
    CHECK(config_is_gpt2(&d.model) && !config_is_gpt2(&c.model));
    CHECK(d.optim == BG_OPT_ADAMW && d.schedule == BG_SCHEDULE_COSINE);
    char v[64];
    settings_format(&c, BG_SET_NORM, v, sizeof v);
    CHECK(strcmp(v, "rmsnorm") == 0);
    settings_format(&d, BG_SET_QK_NORM, v, sizeof v);
    CHECK(strcmp(v, "off") == 0);

    struct bg_settings s;
    struct bg_error err;
    memset(&s, 0, sizeof s);
    CHECK(settings_set(&s, "norm", "batchnorm", "train", &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "--norm is layernorm or rmsnorm, got 'batchnorm'") != NULL);
    CHECK(settings_set(&s, "qk-norm", "1", "train", &err) == BG_ERR_INPUT);
    CHECK(settings_set(&s, "optim", "", "train", &err) == BG_ERR_INPUT);
    CHECK(s.given == 0);
    const char *bad[][2] = {{"softcap", "-1"}, {"muon-lr", "0"}, {"muon-lr", "2"}, {"decay", "1.5"},
                            {"decay", "-0.1"}};
    for (int i = 0; i < 5; i++) {
        memset(&s, 0, sizeof s);
        struct bg_train_config out;
        CHECK(settings_set(&s, bad[i][0], bad[i][1], "train", &err) == BG_OK);
        CHECK(settings_resolve(&s, &out, &err) == BG_ERR_INPUT);
        CHECK(strstr(err.msg, bad[i][0]) != NULL);
    }
    /* The modern preset: the default's size with the recipe the ablation
     * kept (Muon). */
    const char *pm[] = {"preset", "modern"};
    struct bg_train_config mo = resolve(pm, 2), de = resolve(a, 0);
    CHECK(mo.model.L == de.model.L && mo.model.C == de.model.C && mo.model.ctx == de.model.ctx &&
          mo.batch == de.batch);
    CHECK(mo.optim == BG_OPT_MUON && mo.schedule == de.schedule && mo.lr == de.lr);
    /* Over a checkpoint's GPT-2 configuration, a given preset brings its
     * whole recipe, optimiser and schedule included. */
    memset(&s, 0, sizeof s);
    CHECK(settings_set(&s, "preset", "modern", "train", &err) == BG_OK);
    struct bg_train_config over;
    CHECK(settings_resolve_over(&s, &de, &over, &err) == BG_OK);
    CHECK(over.optim == mo.optim && over.schedule == mo.schedule &&
          memcmp(&over.model, &mo.model, sizeof over.model) == 0);

    /* Rotary turns pairs: a head size of 3 (dim 12, heads 4) is refused. */
    memset(&s, 0, sizeof s);
    const char *odd[] = {"dim", "12", "heads", "4", "pos", "rotary"};
    for (int i = 0; i < 6; i += 2)
        CHECK(settings_set(&s, odd[i], odd[i + 1], "train", &err) == BG_OK);
    struct bg_train_config out;
    CHECK(settings_resolve(&s, &out, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "even") != NULL);
}

/* A configuration written back as flag values reads back the same. */
static void test_format_round_trip(void)
{
    const char *a[] = {"preset", "default", "lr", "0.0025", "time-budget", "90s", "threads", "2", "norm", "rmsnorm",
                       "optim", "muon", "softcap", "30"};
    struct bg_train_config c = resolve(a, 14), d;
    struct bg_settings s;
    struct bg_error err;
    memset(&s, 0, sizeof s);
    for (int i = 0; i < BG_N_SETTINGS; i++) {
        char v[64];
        settings_format(&c, i, v, sizeof v);
        if ((i == BG_SET_TIME_BUDGET && c.time_budget <= 0) || (i == BG_SET_FLOP_BUDGET && c.flop_budget <= 0))
            continue;
        CHECK(settings_set(&s, settings_name(i), v, "test", &err) == BG_OK);
    }
    CHECK(settings_resolve(&s, &d, &err) == BG_OK);
    for (int i = 0; i < BG_N_SETTINGS; i++)
        CHECK(settings_same(&c, &d, i));
    /* A FLOP budget is written as short as reads back the same double:
     * a sweep's definition, written and read again, is the same sweep. */
    const double budgets[] = {3e13, 1234567891.5, 0.1 + 0.2};
    const char *want[] = {"3e+13", "1234567891.5", "0.30000000000000004"};
    for (int i = 0; i < 3; i++) {
        char v[64];
        c.flop_budget = budgets[i];
        settings_format(&c, BG_SET_FLOP_BUDGET, v, sizeof v);
        CHECK(strcmp(v, want[i]) == 0);
        memset(&s, 0, sizeof s);
        CHECK(settings_set(&s, "flop-budget", v, "test", &err) == BG_OK && s.value.flop_budget == budgets[i]);
    }
}

/* Whole-number settings are exactly those that refuse a fraction and are
 * not a choice between names. */
static void test_whole(void)
{
    for (int i = 0; i < BG_N_SETTINGS; i++) {
        struct bg_settings s;
        struct bg_error err;
        memset(&s, 0, sizeof s);
        int takes_fraction = settings_set(&s, settings_name(i), "0.5", "test", &err) == BG_OK;
        CHECK(settings_whole(i) == (!takes_fraction && !settings_choices(i)));
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
    RUN_TEST(test_flop_budget);
    RUN_TEST(test_flop_budget_ranks);
    RUN_TEST(test_flop_budget_refused);
    RUN_TEST(test_bad_values);
    RUN_TEST(test_format_round_trip);
    RUN_TEST(test_whole);
    RUN_TEST(test_recipe);
    RUN_TEST(test_presets_and_validate);
    return TEST_EXIT();
}
