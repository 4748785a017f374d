/* common: what several commands share: the model and run flags with
 * their presets, the machine's memory, and finding and loading --model.
 * Numbers, sizes and durations are formatted by bytegpt/format.h. */
#ifndef BYTEGPT_CLI_COMMON_H
#define BYTEGPT_CLI_COMMON_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "bytegpt/modelfile.h"
#include "bytegpt/settings.h"
#include "bytegpt/train.h"

/* The recipe's settings (settings.h, BG_SET_NORM on), as model flags. */
#define COMMON_N_RECIPE (BG_N_SETTINGS - BG_SET_NORM)

/* The model flags --preset --layers --heads --dim --ctx --batch and the
 * recipe's (--norm ... --optim ...), parsed into these fields, then laid
 * over the preset by common_apply_model. */
struct common_model_flags {
    const char *preset;
    size_t layers, heads, dim, ctx, batch;
    const char *recipe[COMMON_N_RECIPE]; /* as given, by setting from BG_SET_NORM */
};

#define COMMON_RECIPE_SPEC(f, name, i) {name, ARG_STRING, &(f).recipe[(i) - BG_SET_NORM], 0, 0}
#define COMMON_MODEL_SPECS(f)                                                                            \
    {"preset", ARG_STRING, &(f).preset, 0, 0}, {"layers", ARG_SIZE, &(f).layers, 0, 0},                     \
    {"heads", ARG_SIZE, &(f).heads, 0, 0},     {"dim", ARG_SIZE, &(f).dim, 0, 0},                           \
    {"ctx", ARG_SIZE, &(f).ctx, 0, 0},         {"batch", ARG_SIZE, &(f).batch, 0, 0},                       \
    COMMON_RECIPE_SPEC(f, "norm", BG_SET_NORM), COMMON_RECIPE_SPEC(f, "pos", BG_SET_POS),                   \
    COMMON_RECIPE_SPEC(f, "qk-norm", BG_SET_QK_NORM), COMMON_RECIPE_SPEC(f, "act", BG_SET_ACT),             \
    COMMON_RECIPE_SPEC(f, "head", BG_SET_HEAD), COMMON_RECIPE_SPEC(f, "bigram", BG_SET_BIGRAM),             \
    COMMON_RECIPE_SPEC(f, "softcap", BG_SET_SOFTCAP), COMMON_RECIPE_SPEC(f, "optim", BG_SET_OPTIM),         \
    COMMON_RECIPE_SPEC(f, "muon-lr", BG_SET_MUON_LR), COMMON_RECIPE_SPEC(f, "schedule", BG_SET_SCHEDULE),   \
    COMMON_RECIPE_SPEC(f, "decay", BG_SET_DECAY)

/* The help lines for the model flags. */
#define COMMON_MODEL_HELP                                                                 \
    "  --preset NAME    tiny | default | modern | small | medium (default: default)\n"   \
    "  --layers N       transformer blocks (overrides the preset)\n"                     \
    "  --heads N        attention heads; dim must be divisible by heads\n"               \
    "  --dim N          embedding width (channels)\n"                                    \
    "  --ctx N          context length in bytes\n"                                       \
    "  --batch N        rows per forward pass (micro-batch)\n"                           \
    "  --norm --pos --qk-norm --act --head --bigram --softcap --optim (and\n"           \
    "                   --muon-lr --schedule --decay): the recipe, as train takes it\n"

/* Fills cfg from the preset (default "default") and the given flags,
 * then validates the model. cmd names the command in messages. */
int common_apply_model(const char *cmd, const struct common_model_flags *f, const struct arg_spec *specs,
                       size_t n_specs, struct bg_train_config *cfg, struct bg_error *err);

/* The flag --model RUN|CKPT every command that reads a trained model takes. */
#define COMMON_MODELFILE_SPEC(model) {"model", ARG_STRING, &(model), 0, 0}

/* Opens --model for command cmd (a run folder or a checkpoint file, as
 * modelfile.h says), refusing a missing flag, and builds the model for
 * batch_bytes bytes of windows per forward pass: batch_bytes / ctx rows,
 * at least one (batch_bytes 0: one row). On success close it with
 * modelfile_close; on failure nothing is held. */
int common_open_model(const char *cmd, const char *model, size_t batch_bytes, struct bg_modelfile *mf,
                      struct bg_error *err);

/* The one line that says which model a command read: its checkpoint file,
 * step and shape, on standard error. */
void common_print_model(const struct bg_modelfile *mf);

/* ---- Stopping on a signal ----
 * train and sweep stop at a safe point instead of dying: SIGINT and
 * SIGTERM only set common_stop_signal to the signal's number (a second
 * signal sets it again), the loop sees it after the step, saves, and the
 * command exits 128 + the signal. */
extern volatile sig_atomic_t common_stop_signal;
void common_catch_stop(void);

/* Runs of a sweep with more than one thread each wait passively at
 * OpenMP's barriers (the reason is at the function, common.c): starts the
 * command again with OMP_WAIT_POLICY=PASSIVE unless the user chose a
 * policy or each run has one thread (jobs runs over threads, 0: all cores). */
void common_passive_openmp(int argc, char **argv, size_t jobs, size_t threads);

#endif
