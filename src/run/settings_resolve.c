/* settings_resolve: a run's configuration from a preset and the settings
 * given (see settings.h): the given settings over the base, the derived
 * settings worked out, and the whole checked. The table of settings and
 * the presets are settings.c's. */
#include "bytegpt/settings.h"

#include <math.h>

#include "bytegpt/cost.h"

/* ---- Resolving a configuration ---- */

/* The steps a FLOP budget buys with `ranks` processes. Beyond 2^52
 * tokens a double no longer counts them exactly, and neither would the
 * log's FLOPs: a budget that large is refused. */
static int flop_budget_steps(struct bg_train_config *c, size_t ranks, struct bg_error *err)
{
    if (c->batch == 0 || c->accum == 0 || !isfinite(c->flop_budget))
        return BG_OK; /* settings_validate refuses these (a checkpoint's), naming the flag */
    double step = cost_step_flops(c, ranks);
    double tokens = (double)c->batch * (double)c->accum * (double)ranks * (double)c->model.ctx;
    if (!(c->flop_budget >= step))
        return bg_fail(err, BG_ERR_INPUT,
                       "--flop-budget %g is less than one step, which costs %.4g FLOP (%.0f tokens); give at least "
                       "that, or a smaller model or batch",
                       c->flop_budget, step, tokens);
    if (!(c->flop_budget / step * tokens < 4503599627370496.0))
        return bg_fail(err, BG_ERR_INPUT, "--flop-budget %g buys more than 2^52 tokens; give a smaller one",
                       c->flop_budget);
    c->steps = cost_steps_within(c, ranks, c->flop_budget);
    return BG_OK;
}

/* The derived settings, in the order settings.h lists them. */
static int derive(const struct bg_settings *s, struct bg_train_config *c, struct bg_error *err)
{
    if (settings_given(s, BG_SET_FLOP_BUDGET) && settings_given(s, BG_SET_STEPS))
        return bg_fail(err, BG_ERR_INPUT,
                       "--flop-budget and --steps exclude each other: give one of them (--time-budget may join "
                       "either, and the first budget spent ends the run)");
    /* Steps given over a base that had a FLOP budget (a checkpoint's)
     * replace it: the budget no longer decides. */
    if (settings_given(s, BG_SET_STEPS))
        c->flop_budget = 0;
    if (settings_given(s, BG_SET_TIME_BUDGET) && !settings_given(s, BG_SET_STEPS))
        c->steps = 0;
    if (c->flop_budget > 0) {
        int rc = flop_budget_steps(c, s->ranks > 0 ? s->ranks : 1, err);
        if (rc)
            return rc;
    }
    if (!settings_given(s, BG_SET_WARMUP) && c->steps > 0 && c->warmup > c->steps / 10)
        c->warmup = c->steps / 10;
    if (settings_given(s, BG_SET_LR) && !settings_given(s, BG_SET_MIN_LR))
        c->min_lr = c->lr / 10;
    if (settings_init_only(c))
        c->warmup = 0;
    return BG_OK;
}

int settings_resolve_over(const struct bg_settings *s, const struct bg_train_config *base,
                          struct bg_train_config *cfg, struct bg_error *err)
{
    struct bg_train_config c = *base;
    if (s->preset[0]) {
        struct bg_train_config p;
        int rc = settings_preset(s->preset, &p, err);
        if (rc)
            return rc;
        c.model = p.model;
        c.batch = p.batch;
        /* A preset names a whole recipe: the optimiser and schedule too. */
        c.optim = p.optim;
        c.muon_lr = p.muon_lr;
        c.schedule = p.schedule;
        c.decay = p.decay;
    }
    for (int i = 0; i < BG_N_SETTINGS; i++)
        if (settings_given(s, i))
            settings_copy(&c, &s->value, i);
    int rc = config_validate(&c.model, err);
    if (!rc)
        rc = derive(s, &c, err);
    if (!rc)
        rc = settings_validate(&c, err);
    if (!rc)
        *cfg = c;
    return rc;
}

int settings_resolve(const struct bg_settings *s, struct bg_train_config *cfg, struct bg_error *err)
{
    struct bg_train_config base;
    int rc = settings_preset(s->preset[0] ? s->preset : "default", &base, err);
    return rc ? rc : settings_resolve_over(s, &base, cfg, err);
}

int settings_init_only(const struct bg_train_config *cfg)
{
    return cfg->steps == 0 && cfg->time_budget <= 0;
}

/* ---- Checking a whole configuration ---- */

int settings_validate(const struct bg_train_config *c, struct bg_error *err)
{
    if (c->batch == 0 || c->accum == 0)
        return bg_fail(err, BG_ERR_INPUT, "--batch and --accum must be at least 1");
    if (c->batch > 65536 || c->accum > 65536)
        return bg_fail(err, BG_ERR_INPUT, "--batch and --accum must be at most 65536");
    /* steps 0 without a time budget is a run that only initialises. */
    if (!isfinite(c->lr) || c->lr <= 0 || c->lr > 1)
        return bg_fail(err, BG_ERR_INPUT, "--lr must be a number in (0, 1], got %g", c->lr);
    if (!isfinite(c->min_lr) || c->min_lr < 0 || c->min_lr > c->lr)
        return bg_fail(err, BG_ERR_INPUT, "--min-lr must be in [0, lr=%g], got %g", c->lr, c->min_lr);
    if (!isfinite(c->weight_decay) || c->weight_decay < 0 || c->weight_decay >= 1.0 / c->lr)
        return bg_fail(err, BG_ERR_INPUT, "--wd must be >= 0 and below 1/lr, got %g", c->weight_decay);
    if (!isfinite(c->beta1) || c->beta1 < 0 || c->beta1 >= 1)
        return bg_fail(err, BG_ERR_INPUT, "--beta1 must be in [0, 1), got %g", c->beta1);
    if (!isfinite(c->beta2) || c->beta2 < 0 || c->beta2 >= 1)
        return bg_fail(err, BG_ERR_INPUT, "--beta2 must be in [0, 1), got %g", c->beta2);
    if (!isfinite(c->clip) || c->clip < 0)
        return bg_fail(err, BG_ERR_INPUT, "--clip must be >= 0 (0 turns clipping off), got %g", c->clip);
    if ((unsigned)c->optim > BG_OPT_MUON || (unsigned)c->schedule > BG_SCHEDULE_WSD)
        return bg_fail(err, BG_ERR_INPUT, "the run's optimiser or schedule is not one this bytegpt has");
    if (!isfinite(c->muon_lr) || c->muon_lr <= 0 || c->muon_lr > 1)
        return bg_fail(err, BG_ERR_INPUT, "--muon-lr must be a number in (0, 1], got %g", c->muon_lr);
    if (c->optim == BG_OPT_MUON && c->weight_decay >= 1.0 / c->muon_lr)
        return bg_fail(err, BG_ERR_INPUT, "--wd must be below 1/muon-lr under Muon, got %g", c->weight_decay);
    if (!isfinite(c->decay) || c->decay < 0 || c->decay > 1)
        return bg_fail(err, BG_ERR_INPUT, "--decay is the share of the run spent decaying, in [0, 1], got %g",
                       c->decay);
    if (c->steps > 0 && c->warmup > c->steps)
        return bg_fail(err, BG_ERR_INPUT, "--warmup %llu is longer than the run (--steps %llu)",
                       (unsigned long long)c->warmup, (unsigned long long)c->steps);
    if (c->eval_batches == 0)
        return bg_fail(err, BG_ERR_INPUT, "--eval-batches must be at least 1");
    /* The flags cannot give these, but a checkpoint's record can (its CRC
     * guards against damage, not against a file made to pass it); a
     * resumed run would train forever with a NaN budget, or ask OpenMP
     * for a billion threads (found by tests/fuzz/fuzz_checkpoint). */
    if (!isfinite(c->time_budget) || c->time_budget < 0)
        return bg_fail(err, BG_ERR_INPUT, "--time-budget must be a positive time, got %g s", c->time_budget);
    if (!isfinite(c->flop_budget) || c->flop_budget < 0)
        return bg_fail(err, BG_ERR_INPUT, "--flop-budget must be a positive number of FLOPs, got %g",
                       c->flop_budget);
    if (c->threads < 0 || c->threads > BG_THREADS_MAX)
        return bg_fail(err, BG_ERR_INPUT, "--threads must be in [0, %d], got %d", BG_THREADS_MAX, c->threads);
    return BG_OK;
}
