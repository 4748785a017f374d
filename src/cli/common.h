/* common: what several commands share: the model and run flags with
 * their presets, the machine's memory, and finding and loading --model.
 * Numbers, sizes and durations are formatted by bytegpt/format.h. */
#ifndef BYTEGPT_CLI_COMMON_H
#define BYTEGPT_CLI_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "bytegpt/train.h"

/* The model flags --preset --layers --heads --dim --ctx --batch, parsed
 * into these fields, then laid over the preset by common_apply_model. */
struct common_model_flags {
    const char *preset;
    size_t layers, heads, dim, ctx, batch;
};

#define COMMON_MODEL_SPECS(f)                                                  \
    {"preset", ARG_STRING, &(f).preset, 0, 0}, {"layers", ARG_SIZE, &(f).layers, 0, 0}, \
    {"heads", ARG_SIZE, &(f).heads, 0, 0},     {"dim", ARG_SIZE, &(f).dim, 0, 0},       \
    {"ctx", ARG_SIZE, &(f).ctx, 0, 0},         {"batch", ARG_SIZE, &(f).batch, 0, 0}

/* The help lines for the model flags. */
#define COMMON_MODEL_HELP                                                                 \
    "  --preset NAME    tiny | default | small | medium (default: default)\n"            \
    "  --layers N       transformer blocks (overrides the preset)\n"                     \
    "  --heads N        attention heads; dim must be divisible by heads\n"               \
    "  --dim N          embedding width (channels)\n"                                    \
    "  --ctx N          context length in bytes\n"                                       \
    "  --batch N        rows per forward pass (micro-batch)\n"

/* Fills cfg from the preset (default "default") and the given flags,
 * then validates the model. */
int common_apply_model(const struct common_model_flags *f, const struct arg_spec *specs, size_t n_specs,
                       struct bg_train_config *cfg, struct bg_error *err);

/* Deprecated forwards to bytegpt/format.h, kept only for cmd_train.c and
 * train_loop.c until they call format_bytes, format_si (format_count
 * where the unit is "") and format_duration directly. */
const char *common_bytes(char *buf, size_t n, double bytes);
const char *common_si(char *buf, size_t n, double value, const char *unit);
const char *common_duration(char *buf, size_t n, double seconds);

/* The memory this machine has (physical RAM), or 0 when unknown. */
uint64_t common_machine_memory(void);

/* Refuses a model whose memory estimate exceeds the machine's memory,
 * before anything is allocated, with the estimate and the limit. */
int common_check_memory(const struct bg_config *cfg, size_t batch, struct bg_error *err);

/* The checkpoint file --model PATH names: PATH itself, or a run folder's
 * best.bin, else its ckpt.bin. Fails when PATH is missing or a folder
 * without either. */
int common_model_path(const char *path, char *used_path, size_t used_n, struct bg_error *err);

/* Loads the model of --model PATH: a run folder (its best.bin, else its
 * ckpt.bin) or a checkpoint file, into m (built here for batch max_B).
 * The checkpoint's state goes to *state when not NULL. */
struct bg_ckpt_state;
int common_load_model(const char *path, size_t max_B, struct bg_model *m, struct bg_ckpt_state *state,
                      char *used_path, size_t used_n, struct bg_error *err);

#endif
