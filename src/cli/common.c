/* common: see common.h. */
#include "common.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytegpt/format.h"
#include "bytegpt/settings.h"

int common_apply_model(const char *cmd, const struct common_model_flags *f, const struct arg_spec *specs,
                       size_t n_specs, struct bg_train_config *cfg, struct bg_error *err)
{
    /* The flags given are settings over the preset, resolved by the same
     * function train uses, so info and bench cost the model train builds. */
    struct bg_settings s;
    memset(&s, 0, sizeof s);
    const char *names[5] = {"layers", "heads", "dim", "ctx", "batch"};
    const enum bg_setting ids[5] = {BG_SET_LAYERS, BG_SET_HEADS, BG_SET_DIM, BG_SET_CTX, BG_SET_BATCH};
    const size_t values[5] = {f->layers, f->heads, f->dim, f->ctx, f->batch};
    int rc = f->preset ? settings_set(&s, "preset", f->preset, cmd, err) : BG_OK;
    for (int i = 0; i < 5 && !rc; i++)
        if (args_find(specs, n_specs, names[i])->seen) {
            char v[32];
            snprintf(v, sizeof v, "%zu", values[i]);
            rc = settings_set(&s, settings_name(ids[i]), v, cmd, err);
        }
    for (int i = 0; i < COMMON_N_RECIPE && !rc; i++)
        if (f->recipe[i])
            rc = settings_set(&s, settings_name(BG_SET_NORM + i), f->recipe[i], cmd, err);
    return rc ? rc : settings_resolve(&s, cfg, err);
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
    char shape[BG_CONFIG_DESCRIBE_LEN];
    fprintf(stderr, "model        %s (step %llu): %s\n", mf->path, (unsigned long long)mf->state.step,
            config_describe(c, shape, sizeof shape));
}

/* ---- Stopping on a signal ---- */

volatile sig_atomic_t common_stop_signal;

static void on_stop_signal(int sig)
{
    common_stop_signal = sig;
}

void common_catch_stop(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- OpenMP's waiting ---- */

/* A thread that waits at one of OpenMP's barriers spins for a while by
 * default. On cores shared with other work (a second job, other people's
 * processes) the spinning threads take the cores the working ones need:
 * on the 2-core machine under load, a 2-thread run took 10 steps in 15 s
 * spinning and 47 passive. So every run of a sweep with more than one
 * thread waits passively (OMP_WAIT_POLICY=PASSIVE), unless the user chose
 * a policy. OpenMP (libgomp) reads the variable once, as the program
 * loads, before main: setting it in a forked child would come too late,
 * so the command starts itself again with it set. */
void common_passive_openmp(int argc, char **argv, size_t jobs, size_t threads)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t total = threads > 0 ? threads : cores > 0 ? (size_t)cores : 1;
    if (total / jobs < 2 || getenv("OMP_WAIT_POLICY"))
        return;
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args)
        return;
    args[0] = "bytegpt";
    memcpy(args + 1, argv, (size_t)argc * sizeof *argv);
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", args);
    free(args); /* no /proc: go on with OpenMP's default */
}
