/* common: see common.h. */
#include "common.h"

#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytegpt/checkpoint.h"
#include "bytegpt/format.h"

int common_apply_model(const struct common_model_flags *f, const struct arg_spec *specs, size_t n_specs,
                       struct bg_train_config *cfg, struct bg_error *err)
{
    int rc = train_preset(f->preset ? f->preset : "default", cfg, err);
    if (rc)
        return rc;
    /* A flag given on the command line wins over the preset. */
    if (args_find(specs, n_specs, "layers")->seen)
        cfg->model.L = f->layers;
    if (args_find(specs, n_specs, "heads")->seen)
        cfg->model.NH = f->heads;
    if (args_find(specs, n_specs, "dim")->seen)
        cfg->model.C = f->dim;
    if (args_find(specs, n_specs, "ctx")->seen)
        cfg->model.ctx = f->ctx;
    if (args_find(specs, n_specs, "batch")->seen)
        cfg->batch = f->batch;
    return config_validate(&cfg->model, err);
}

/* ---- Compatibility: cmd_train.c and train_loop.c still call these ----
 *
 * Thin forwards to format.h, kept only until those two files call
 * format_* themselves; nothing else may use them. common_si with no unit
 * was a count ("5.08M tokens"), so it forwards to format_count. */

const char *common_bytes(char *buf, size_t n, double bytes)
{
    return format_bytes(buf, n, bytes);
}

const char *common_si(char *buf, size_t n, double value, const char *unit)
{
    return unit[0] ? format_si(buf, n, value, unit) : format_count(buf, n, value);
}

const char *common_duration(char *buf, size_t n, double s)
{
    return format_duration(buf, n, s);
}

uint64_t common_machine_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

int common_check_memory(const struct bg_config *cfg, size_t batch, struct bg_error *err)
{
    struct bg_memory mem;
    model_memory(cfg, batch, &mem);
    uint64_t have = common_machine_memory();
    char a[FORMAT_LEN], b[FORMAT_LEN];
    if (have > 0 && (double)mem.total > 0.9 * (double)have)
        return bg_fail(err, BG_ERR_INPUT,
                       "the model needs %s of memory (parameters, gradients, AdamW moments and activations for batch %zu) "
                       "but this machine has %s; use a smaller --dim, --layers, --ctx or --batch",
                       format_bytes(a, sizeof a, (double)mem.total), batch, format_bytes(b, sizeof b, (double)have));
    return BG_OK;
}

int common_model_path(const char *path, char *used_path, size_t used_n, struct bg_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return bg_fail(err, BG_ERR_INPUT, "--model %s: %s; give a run folder or a checkpoint file", path,
                       strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        snprintf(used_path, used_n, "%s", path);
        return BG_OK;
    }
    /* A run folder: the best validation checkpoint if there is one. */
    snprintf(used_path, used_n, "%s/best.bin", path);
    if (stat(used_path, &st) != 0)
        snprintf(used_path, used_n, "%s/ckpt.bin", path);
    if (stat(used_path, &st) != 0)
        return bg_fail(err, BG_ERR_INPUT, "--model %s is a folder without best.bin or ckpt.bin; is it a run folder?",
                       path);
    return BG_OK;
}

int common_load_model(const char *path, size_t max_B, struct bg_model *m, struct bg_ckpt_state *state,
                      char *used_path, size_t used_n, struct bg_error *err)
{
    struct bg_ckpt_state s;
    int rc = common_model_path(path, used_path, used_n, err);
    if (!rc)
        rc = checkpoint_peek(used_path, &s, err);
    if (!rc)
        rc = model_init(m, &s.cfg.model, max_B, err);
    if (!rc && (rc = checkpoint_load(used_path, &s, m, err)))
        model_free(m);
    if (!rc && state)
        *state = s;
    return rc;
}
