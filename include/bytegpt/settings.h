/* settings: every setting of a training run, by the name its flag has,
 * and the one place where settings derived from others are worked out.
 *
 * `bytegpt train` and `bytegpt sweep` both describe a run as a preset
 * plus the settings someone gave (`--lr 3e-3`, or `lr=3e-3` in a grid).
 * settings_set parses one given value with the messages the CLI shows;
 * settings_resolve lays the given settings over the preset and then
 * derives what the user left to us:
 *   - a time budget without --steps: the budget alone ends the run;
 *   - a FLOP budget (--flop-budget 3e13): the most steps whose training
 *     FLOPs (cost_train_flops, the log's flops column) do not exceed it,
 *     so that the run ends within one step of the budget and its schedule
 *     is exactly that step-counted run's. Every step costs the same, but
 *     a step's tokens are batch * accum * ctx per process, so the steps
 *     depend on the processes that will train (bg_settings.ranks). It
 *     excludes --steps (one budget decides); with --time-budget as well,
 *     whichever ends first ends the run, as with --steps. A budget below
 *     one step is refused, naming what one step costs;
 *   - --warmup not given: the preset's, but at most a tenth of --steps;
 *   - --lr without --min-lr: min-lr = lr / 10 (the presets' ratio);
 *   - --steps 0: initialise only (no warmup, no training step).
 */
#ifndef BYTEGPT_SETTINGS_H
#define BYTEGPT_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/error.h"
#include "bytegpt/train.h"

enum bg_setting {
    BG_SET_LAYERS, BG_SET_HEADS, BG_SET_DIM, BG_SET_CTX, BG_SET_BATCH, BG_SET_ACCUM,
    BG_SET_STEPS, BG_SET_TIME_BUDGET, BG_SET_FLOP_BUDGET, BG_SET_LR, BG_SET_MIN_LR, BG_SET_WARMUP, BG_SET_WD,
    BG_SET_BETA1, BG_SET_BETA2, BG_SET_CLIP, BG_SET_EVAL_EVERY, BG_SET_EVAL_BATCHES,
    BG_SET_SAMPLE_EVERY, BG_SET_CKPT_EVERY, BG_SET_SEED, BG_SET_THREADS,
    /* The recipe: the model's choices, then the optimiser's and the schedule's. */
    BG_SET_NORM, BG_SET_POS, BG_SET_QK_NORM, BG_SET_ACT, BG_SET_HEAD, BG_SET_BIGRAM, BG_SET_SOFTCAP,
    BG_SET_OPTIM, BG_SET_MUON_LR, BG_SET_SCHEDULE, BG_SET_DECAY,
    BG_N_SETTINGS
};

/* ---- Presets ---- */

/* Named configurations: "tiny" (tests, a first look: seconds), "default"
 * (GPT-2's recipe; learns words from the default corpus in a few minutes
 * on 2 cores), "modern" (the default's size with today's recipe), "small"
 * and "medium" (longer runs). Fills cfg, or fails naming the known
 * presets. */
int settings_preset(const char *name, struct bg_train_config *cfg, struct bg_error *err);

/* The preset names, NULL-terminated, for help texts and `info`. */
extern const char *const bg_preset_names[];

/* The most threads a run may ask for (0 means all cores). */
#define BG_THREADS_MAX 4096

/* Checks the optimisation and run settings (the model's are checked by
 * config_validate): finite, positive where they must be, betas in [0,1),
 * a time budget and a FLOP budget of 0 (none) or more, threads in
 * [0, BG_THREADS_MAX]. */
int settings_validate(const struct bg_train_config *cfg, struct bg_error *err);

/* ---- Settings by name ---- */

/* A preset and the settings given over it. */
struct bg_settings {
    char preset[32];              /* "" means "default" */
    struct bg_train_config value; /* the given settings' values */
    uint64_t given;               /* bit (1 << setting) when given */
    size_t ranks;                 /* the processes that will train (0 counts as 1): what a
                                   * FLOP budget buys depends on it; the run sets it */
};

/* The setting's flag name without "--" ("lr", "time-budget"). */
const char *settings_name(enum bg_setting s);

/* The setting called name, or -1. */
int settings_find(const char *name);

/* True when setting i takes whole numbers (counts, steps, the seed,
 * threads), so that a sweep rounds a value it draws from a range. */
int settings_whole(enum bg_setting i);

/* The names setting i chooses between ("layernorm", "rmsnorm"), in the
 * order of their values, NULL-terminated; NULL for a setting that takes a
 * number. */
const char *const *settings_choices(enum bg_setting i);

/* Parses text as the value of setting `name` ("preset" included) and
 * records it as given. cmd names the command in messages, which read like
 * "train: --steps needs a non-negative whole number, got '12x'". */
int settings_set(struct bg_settings *s, const char *name, const char *text, const char *cmd,
                 struct bg_error *err);

static inline int settings_given(const struct bg_settings *s, enum bg_setting i)
{
    return (int)((s->given >> i) & 1u);
}

/* The run's configuration: the preset, the given settings over it, then
 * the derived settings above; validated. */
int settings_resolve(const struct bg_settings *s, struct bg_train_config *cfg, struct bg_error *err);

/* The same over base instead of a preset (a checkpoint's configuration,
 * on resume; a given preset replaces base's model and batch). */
int settings_resolve_over(const struct bg_settings *s, const struct bg_train_config *base,
                          struct bg_train_config *cfg, struct bg_error *err);

/* The value of setting i in cfg as a flag value would spell it ("0.003",
 * "90s"), so that a configuration can be written as a command line. */
void settings_format(const struct bg_train_config *cfg, enum bg_setting i, char *buf, size_t n);

/* Copies setting i from src to dst; compares setting i of a and b. */
void settings_copy(struct bg_train_config *dst, const struct bg_train_config *src, enum bg_setting i);
int settings_same(const struct bg_train_config *a, const struct bg_train_config *b, enum bg_setting i);

/* True when init-only (--steps 0 without a time budget). */
int settings_init_only(const struct bg_train_config *cfg);

#endif
