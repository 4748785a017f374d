/* sweep: opening a sweep (the plan made ahead, the held-out bytes, the
 * folder) and its end (the command line of a trial, the chart). What a
 * trial and its runs are is in sweep_trial.c, the loop in sweep_loop.c. */
#include "bytegpt/sweep.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bytegpt/clock.h"
#include "bytegpt/corpus.h"
#include "bytegpt/fsutil.h"
#include "bytegpt/strbuf.h"
#include "sweep_def.h"
#include "sweep_plan.h"
#include "sweep_results.h"
#include "sweep_trial.h"

/* ---- The plan made ahead: baseline, list, grid, random draws ---- */

static int plan_ahead(struct bg_sweep *s, struct bg_error *err)
{
    struct bg_sweep_flags none = {.n = 0};
    size_t dup;
    int rc = sweep_add_trial(s, &none, "sweep", &dup, err);
    /* The list's trials in the order given; an item that repeats the base
     * or an earlier item is planned once, as a grid's point would be. */
    for (size_t i = 0; i < s->def.list_n && !rc; i++) {
        struct bg_sweep_flags f;
        char what[48];
        snprintf(what, sizeof what, "sweep --list item %zu", i + 1);
        rc = sweep_list_item(s->def.list, i, &f, err);
        if (!rc)
            rc = sweep_add_trial(s, &f, what, &dup, err);
    }
    size_t combos = s->def.has_grid ? sweep_grid_size(&s->def.grid) : 0;
    for (size_t i = 0; i < combos && !rc; i++) {
        struct bg_sweep_flags f = {.n = 0};
        rc = sweep_grid_point(&s->def.grid, i, &f, err);
        if (!rc)
            rc = sweep_add_trial(s, &f, "sweep --grid", &dup, err);
    }
    /* Draws that repeat a trial are drawn again, up to a point: a small
     * space may hold fewer distinct trials than asked for. */
    struct bg_rng rng;
    rng_seed(&rng, s->def.space_seed, BG_STREAM_SWEEP);
    for (size_t made = 0, tries = 0; made < s->def.random_n && tries < 50 * s->def.random_n && !rc; tries++) {
        struct bg_sweep_flags f = {.n = 0};
        rc = sweep_space_draw(&s->def.space, &rng, &f, err);
        if (!rc)
            rc = sweep_add_trial(s, &f, "sweep --random", &dup, err);
        made += !rc && !dup;
    }
    return rc;
}

/* The held-out bytes: the first BG_SWEEP_HELDOUT_BYTES of the validation
 * stream, the same for every trial, and the corpus' fingerprint. */
static int read_heldout(struct bg_sweep *s, struct bg_error *err)
{
    struct bg_corpus *c;
    struct bg_corpus_options copt = {.ctx = s->base.model.ctx, .seed = s->base.seed};
    int rc = corpus_open(&c, s->def.corpus, &copt, err);
    if (rc)
        return rc;
    size_t n;
    const uint8_t *val = corpus_val_text(c, &n);
    struct bg_corpus_info info;
    corpus_get_info(c, &info);
    s->def.fingerprint = info.fingerprint;
    s->heldout_n = n < BG_SWEEP_HELDOUT_BYTES ? n : BG_SWEEP_HELDOUT_BYTES;
    s->heldout = malloc(s->heldout_n);
    if (s->heldout)
        memcpy(s->heldout, val, s->heldout_n);
    corpus_close(c);
    return s->heldout ? BG_OK : bg_fail(err, BG_ERR_RUNTIME, "out of memory");
}

/* ---- The folder ---- */

/* True when dir holds nothing but (perhaps) its lock file. */
static int folder_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int empty = 1;
    for (struct dirent *e; empty && (e = readdir(d)) != NULL;)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || strcmp(e->d_name, "lock") == 0;
    closedir(d);
    return empty;
}

/* A new sweep in a missing or empty folder writes sweep.txt; a folder
 * holding a sweep continues it if the definition is the same. A refusal
 * writes nothing: the definition is compared before the lock is taken
 * (sweep.txt is written once, whole, so it can be read unlocked). */
static int open_folder(struct bg_sweep *s, struct bg_error *err)
{
    char path[BG_PATH_MAX + 128];
    snprintf(path, sizeof path, "%s/sweep.txt", s->dir);
    struct stat st;
    int exists = stat(s->dir, &st) == 0;
    if (exists && !S_ISDIR(st.st_mode))
        return bg_fail(err, BG_ERR_INPUT, "--out %s exists and is not a folder", s->dir);
    char *now = sweep_def_text(&s->def), *was = NULL;
    int rc = now ? BG_OK : bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    int has_sweep = !rc && (was = fsutil_read_tail(path, LONG_MAX)) != NULL;
    if (has_sweep)
        rc = sweep_def_compare(was, now, s->dir, err);
    else if (!rc && exists && !folder_empty(s->dir))
        rc = bg_fail(err, BG_ERR_INPUT, "%s is not empty and holds no sweep (no sweep.txt); pick a new --out", s->dir);
    if (!rc && !exists)
        rc = fsutil_make_dirs(s->dir, err);
    if (!rc)
        rc = fsutil_lock_folder(s->dir, "sweep folder", &s->lock_fd, err);
    if (!rc && !has_sweep)
        rc = fsutil_write_file(path, now, strlen(now), "sweep definition", err);
    free(now);
    free(was);
    return rc;
}

/* ---- Open and close ---- */

int sweep_open(struct bg_sweep **out, const struct bg_sweep_def *d, const struct bg_sweep_options *o,
               struct bg_error *err)
{
    struct bg_sweep *s = calloc(1, sizeof *s);
    if (!s)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    s->def = *d;
    s->opt = *o;
    s->lock_fd = -1;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int total = o->threads > 0 ? o->threads : cores > 0 ? (int)cores : 1;
    s->threads = o->jobs > 0 && total / (int)o->jobs > 1 ? total / (int)o->jobs : 1;
    int rc = snprintf(s->dir, sizeof s->dir, "%s", o->out) >= (int)sizeof s->dir - 32
                 ? bg_fail(err, BG_ERR_INPUT, "--out path is too long")
                 : BG_OK;
    if (!rc && o->jobs == 0)
        rc = bg_fail(err, BG_ERR_INPUT, "sweep: --jobs must be at least 1");
    if (!rc)
        rc = sweep_def_check(&s->def, err);
    if (!rc)
        rc = settings_resolve(&s->def.base, &s->base, err);
    if (!rc)
        rc = plan_ahead(s, err);
    if (!rc)
        rc = read_heldout(s, err);
    /* Only now, with everything checked, is anything written. */
    if (!rc)
        rc = open_folder(s, err);
    if (!rc)
        rc = sweep_results_read(s->dir, &s->old, &s->n_old, err);
    if (rc) {
        sweep_close(s);
        return rc;
    }
    s->session_t0 = clock_now();
    *out = s;
    return BG_OK;
}

void sweep_close(struct bg_sweep *s)
{
    if (!s)
        return;
    /* A sweep closed with runs going (an error on the way) takes them down. */
    for (size_t i = 0; i < s->n_trials; i++)
        for (size_t j = 0; j < BG_SWEEP_MAX_SEEDS; j++)
            if (s->trials[i].runs[j].state == RUN_RUNNING) {
                kill(s->trials[i].runs[j].pid, SIGKILL);
                waitpid(s->trials[i].runs[j].pid, NULL, 0);
                close(s->trials[i].runs[j].fd);
            }
    fsutil_unlock_folder(&s->lock_fd);
    free(s->trials);
    free(s->rows);
    free(s->old);
    free(s->heldout);
    free(s);
}

int sweep_stopped(const struct bg_sweep *s)
{
    return s->stopped;
}

const struct bg_sweep_row *sweep_rows(const struct bg_sweep *s, size_t *n)
{
    *n = s->n_rows;
    return s->rows;
}

void sweep_info(const struct bg_sweep *s, struct bg_sweep_info *info)
{
    *info = (struct bg_sweep_info){s->n_trials, s->heldout_n, s->threads, s->session_runs,
                                   clock_now() - s->session_t0};
}

/* ---- Each trial and each run ---- */

size_t sweep_trial_count(const struct bg_sweep *s)
{
    return s->n_trials;
}

const char *sweep_trial_flags(const struct bg_sweep *s, size_t trial)
{
    return trial >= 1 && trial <= s->n_trials ? s->trials[trial - 1].flags_text : NULL;
}

const struct bg_train_config *sweep_trial_config(const struct bg_sweep *s, size_t trial)
{
    return trial >= 1 && trial <= s->n_trials ? &s->trials[trial - 1].cfg : NULL;
}

int sweep_run_score(const struct bg_sweep *s, size_t trial, size_t k, struct bg_sweep_score *out,
                    struct bg_error *err)
{
    if (trial < 1 || trial > s->n_trials)
        return bg_fail(err, BG_ERR_INPUT, "sweep: no trial %zu (the sweep has %zu)", trial, s->n_trials);
    if (k >= s->def.seeds)
        return bg_fail(err, BG_ERR_INPUT, "sweep: no run %zu of trial %zu (it has %zu seeds)", k, trial,
                       s->def.seeds);
    const struct sweep_trial *t = &s->trials[trial - 1];
    *out = (struct bg_sweep_score){.seed = sweep_run_seed(t, k), .bpb = NAN};
    /* result.txt, not what this session holds in memory: a trial decided
     * in an earlier session has its runs on disk only, and the file is
     * what every session reads alike. */
    char folder[BG_PATH_MAX + 128];
    struct sweep_result r;
    struct bg_error unfinished; /* not an error: the run has not ended */
    sweep_run_folder(s, t, k, folder, sizeof folder);
    if (sweep_run_result_read(folder, &r, &unfinished) != BG_OK)
        return BG_OK;
    out->finished = 1;
    out->crashed = r.crashed;
    out->bpb = r.crashed ? NAN : r.bpb;
    out->steps = r.steps;
    out->tokens = r.tokens;
    out->flops = r.flops;
    out->params = r.params;
    return BG_OK;
}

/* ---- The end ---- */

/* Appends an argument, quoted for a shell when it needs to be. */
static void put_arg(struct bg_strbuf *b, const char *a)
{
    if (a[strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=+:,")] == '\0') {
        strbuf_printf(b, " %s", a);
        return;
    }
    strbuf_puts(b, " '");
    for (; *a; a++)
        strbuf_puts(b, *a == '\'' ? "'\\''" : (char[2]){*a, 0});
    strbuf_puts(b, "'");
}

void sweep_command(const struct bg_sweep *s, size_t trial, char *buf, size_t n)
{
    const struct sweep_trial *t = &s->trials[trial - 1];
    struct bg_strbuf b = {0};
    strbuf_puts(&b, "bytegpt train --corpus");
    put_arg(&b, s->def.corpus);
    if (s->def.base.preset[0])
        strbuf_printf(&b, " --preset %s", s->def.base.preset);
    for (int i = 0; i < BG_N_SETTINGS; i++) {
        int in_trial = 0;
        for (size_t k = 0; k < t->flags.n; k++)
            in_trial |= t->flags.c[k].setting == i;
        if (!settings_given(&s->def.base, i) || in_trial)
            continue;
        char v[64];
        settings_format(&s->def.base.value, i, v, sizeof v);
        strbuf_printf(&b, " --%s", settings_name(i));
        put_arg(&b, v);
    }
    for (size_t k = 0; k < t->flags.n; k++) {
        strbuf_printf(&b, " --%s", settings_name(t->flags.c[k].setting));
        put_arg(&b, t->flags.c[k].value);
    }
    sweep_take_text(&b, buf, n);
}

/* The logs worth drawing: each trial's first run with 2 rows or more. */
static size_t chart_logs(const struct bg_sweep *s, char (*paths)[BG_PATH_MAX + 256], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_trials && n < max; i++) {
        char folder[BG_PATH_MAX + 128];
        sweep_run_folder(s, &s->trials[i], 0, folder, sizeof folder);
        snprintf(paths[n], sizeof paths[n], "%s/log.csv", folder);
        struct bg_log_row *rows = NULL;
        size_t rows_n = 0;
        struct bg_error ignore;
        if (trainlog_read(paths[n], &rows, &rows_n, &ignore) == BG_OK && rows_n >= 2)
            n++;
        free(rows);
    }
    return n;
}

int sweep_chart(const struct bg_sweep *s, const struct bg_plot_options *opt, char **text, struct bg_error *err)
{
    *text = NULL;
    char (*paths)[BG_PATH_MAX + 256] = malloc(s->n_trials * sizeof *paths);
    const char **logs = malloc(s->n_trials * sizeof *logs);
    int rc = paths && logs ? BG_OK : bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    size_t n = rc ? 0 : chart_logs(s, paths, s->n_trials);
    for (size_t i = 0; i < n; i++)
        logs[i] = paths[i];
    if (!rc && n == 0)
        rc = bg_fail(err, BG_ERR_INPUT, "no trial has a curve to draw yet");
    struct bg_plot p = {0};
    if (!rc)
        rc = plot_load(&p, logs, n, err);
    if (!rc) {
        /* The validation curves alone: the train loss is left out, so that
         * many trials stay readable on one chart. */
        for (size_t r = 0; r < p.n_runs; r++)
            for (size_t i = 0; i < p.runs[r].n_rows; i++)
                p.runs[r].rows[i].train_loss = NAN;
        char svg[BG_PATH_MAX + 128];
        snprintf(svg, sizeof svg, "%s/sweep.svg", s->dir);
        rc = plot_svg_write(svg, &p, opt, err);
        if (!rc)
            rc = plot_terminal(&p, opt, text, err);
        plot_free(&p);
    }
    free(paths);
    free(logs);
    return rc;
}
