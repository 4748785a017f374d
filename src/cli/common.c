/* common: see common.h. */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

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

int common_open_model(const char *cmd, const char *model, size_t batch_bytes, struct bg_modelfile *mf,
                      struct bg_error *err)
{
    if (!model)
        return bg_fail(err, BG_ERR_INPUT, "%s: --model RUN|CKPT is required (see bytegpt %s --help)", cmd, cmd);
    int rc = modelfile_open(mf, model, err);
    if (rc)
        return rc;
    /* The header passed config_validate, so ctx is at least 1. */
    size_t rows = batch_bytes / mf->state.cfg.model.ctx;
    return modelfile_load(mf, rows > 0 ? rows : 1, err);
}

void common_print_model(const struct bg_modelfile *mf)
{
    /* Standard error, for every command, so that standard output carries
     * only what the command makes: sample's text, predict's chart, eval's
     * table, export's report. A pipe or a file then gets the data alone,
     * while a terminal shows the banner above it as before. */
    const struct bg_config *c = &mf->model.cfg;
    fprintf(stderr, "model        %s (step %llu): %zu layers, %zu heads, dim %zu, ctx %zu\n", mf->path,
            (unsigned long long)mf->state.step, c->L, c->NH, c->C, c->ctx);
}
