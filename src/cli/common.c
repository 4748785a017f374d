/* common: see common.h. */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytegpt/checkpoint.h"

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

const char *common_bytes(char *buf, size_t n, double bytes)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024.0 && u < 4) {
        bytes /= 1024.0;
        u++;
    }
    snprintf(buf, n, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
    return buf;
}

const char *common_si(char *buf, size_t n, double value, const char *unit)
{
    const char *prefix[] = {"", "k", "M", "G", "T", "P", "E", "Z", "Y"};
    int p = 0;
    while (fabs(value) >= 1000.0 && p < 8) {
        value /= 1000.0;
        p++;
    }
    snprintf(buf, n, p == 0 ? "%.0f %s%s" : "%.3g %s%s", value, prefix[p], unit);
    return buf;
}

const char *common_duration(char *buf, size_t n, double s)
{
    if (s < 60)
        snprintf(buf, n, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else if (s < 86400 * 2)
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    else if (s < 86400 * 365.25 * 2)
        snprintf(buf, n, "%.1f days", s / 86400);
    else
        snprintf(buf, n, "%.3g years", s / (86400 * 365.25));
    return buf;
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
    char a[32], b[32];
    if (have > 0 && (double)mem.total > 0.9 * (double)have)
        return bg_fail(err, BG_ERR_INPUT,
                       "the model needs %s of memory (parameters, gradients, AdamW moments and activations for batch %zu) "
                       "but this machine has %s; use a smaller --dim, --layers, --ctx or --batch",
                       common_bytes(a, sizeof a, (double)mem.total), batch, common_bytes(b, sizeof b, (double)have));
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
