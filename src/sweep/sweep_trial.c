/* sweep_trial: what a sweep holds (sweep_trial.h): its trials and their
 * runs, the settings and the folder of each run, the result.txt a run
 * leaves, and the events the sweep reports. Every other file of the
 * sweep stands on this one. */
#include "sweep_trial.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/fsutil.h"
#include "sweep_plan.h"

/* ---- Trials and their runs ---- */

static int same_config(const struct bg_train_config *a, const struct bg_train_config *b)
{
    for (int i = 0; i < BG_N_SETTINGS; i++)
        if (!settings_same(a, b, i))
            return 0;
    return 1;
}

int sweep_add_trial(struct bg_sweep *s, const struct bg_sweep_flags *f, const char *what, size_t *dup_of,
                    struct bg_error *err)
{
    struct sweep_trial t;
    memset(&t, 0, sizeof t);
    t.flags = *f;
    sweep_flags_format(f, t.flags_text, sizeof t.flags_text);
    struct bg_settings set = s->def.base;
    struct bg_error e;
    int rc = sweep_flags_apply(f, &set, &e);
    if (!rc)
        rc = settings_resolve(&set, &t.cfg, &e);
    if (rc)
        return bg_fail(err, rc, "%s: the trial %s is refused: %s", what, t.flags_text, e.msg);
    *dup_of = 0;
    for (size_t i = 0; i < s->n_trials; i++)
        if (same_config(&s->trials[i].cfg, &t.cfg)) {
            *dup_of = s->trials[i].id;
            return BG_OK;
        }
    if (s->n_trials == BG_SWEEP_MAX_TRIALS)
        return bg_fail(err, BG_ERR_INPUT, "%s: a sweep holds at most %d trials", what, BG_SWEEP_MAX_TRIALS);
    if (s->n_trials == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        struct sweep_trial *nt = realloc(s->trials, cap * sizeof *nt);
        struct bg_sweep_row *nr = nt ? realloc(s->rows, cap * sizeof *nr) : NULL;
        if (nt)
            s->trials = nt;
        if (!nr)
            return bg_fail(err, BG_ERR_RUNTIME, "out of memory");
        s->rows = nr;
        s->cap = cap;
    }
    t.id = s->n_trials + 1;
    /* The baseline's seeds all run, to measure the noise; a trial's
     * repeats only when its first seed would be kept, unless every trial
     * is to have all its seeds (a caller that uses each seed's score). */
    t.wanted = t.id == 1 || s->def.every_seed ? s->def.seeds : 1;
    s->trials[s->n_trials++] = t;
    return BG_OK;
}

uint64_t sweep_run_seed(const struct sweep_trial *t, size_t k)
{
    return t->cfg.seed + k;
}

void sweep_run_folder(const struct bg_sweep *s, const struct sweep_trial *t, size_t k, char *buf, size_t n)
{
    if (k == 0)
        snprintf(buf, n, "%s/trial-%03zu", s->dir, t->id);
    else
        snprintf(buf, n, "%s/trial-%03zu-seed%llu", s->dir, t->id, (unsigned long long)sweep_run_seed(t, k));
}

/* True when the sweep sets how often trial t evaluates: the base and the
 * trial's flags leave --eval-every to it. */
static int sweep_sets_evals(const struct bg_sweep *s, const struct sweep_trial *t)
{
    for (size_t k = 0; k < t->flags.n; k++)
        if (t->flags.c[k].setting == BG_SET_EVAL_EVERY)
            return 0;
    return !settings_given(&s->def.base, BG_SET_EVAL_EVERY);
}

int sweep_paced(const struct bg_sweep *s, const struct sweep_trial *t)
{
    return sweep_sets_evals(s, t) && t->cfg.time_budget > 0;
}

/* What the sweep fixes in every run: its seed, its share of the threads,
 * and evaluations often enough to draw its curve: BG_SWEEP_EVALS of them
 * on one batch each (the curve; the score is the eval rule's), unless
 * the definition gives --eval-every or --eval-batches. A run under a
 * time budget is paced by its child once it has taken a few steps. */
int sweep_run_settings(const struct bg_sweep *s, const struct sweep_trial *t, size_t k, struct bg_settings *out,
                       struct bg_error *err)
{
    *out = s->def.base;
    int rc = sweep_flags_apply(&t->flags, out, err);
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)sweep_run_seed(t, k));
    if (!rc)
        rc = settings_set(out, "seed", v, "sweep", err);
    snprintf(v, sizeof v, "%d", s->threads);
    if (!rc)
        rc = settings_set(out, "threads", v, "sweep", err);
    if (!rc && sweep_sets_evals(s, t)) {
        uint64_t every = t->cfg.time_budget > 0 ? 0 : t->cfg.steps / BG_SWEEP_EVALS;
        snprintf(v, sizeof v, "%llu", (unsigned long long)(t->cfg.time_budget > 0 || every > 0 ? every : 1));
        rc = settings_set(out, "eval-every", v, "sweep", err);
    }
    if (!rc && !settings_given(out, BG_SET_EVAL_BATCHES))
        rc = settings_set(out, "eval-batches", "1", "sweep", err);
    return rc;
}

/* ---- What a run came to: result.txt ---- */

int sweep_run_result_write(const char *folder, const struct sweep_result *r, struct bg_error *err)
{
    char path[BG_PATH_MAX + 256], text[1024];
    snprintf(path, sizeof path, "%s/result.txt", folder);
    int len = snprintf(text, sizeof text,
                       "# this run's result in the sweep (bytegpt sweep)\nstatus\t%s\nval_bpb\t%.6f\nsteps\t%.0f\n"
                       "tokens\t%.0f\nseconds\t%.3f\nparams\t%.0f\nflops\t%.6g\nnote\t%s\n",
                       r->crashed ? "crash" : "ok", r->bpb, r->steps, r->tokens, r->seconds, r->params, r->flops,
                       r->note);
    return fsutil_write_file(path, text, (size_t)len, "result", err);
}

int sweep_run_result_read(const char *folder, struct sweep_result *r, struct bg_error *err)
{
    char path[BG_PATH_MAX + 256], line[512];
    snprintf(path, sizeof path, "%s/result.txt", folder);
    FILE *f = fopen(path, "r");
    if (!f)
        return bg_fail(err, BG_ERR_INPUT, "run %s has no result.txt: it has not finished", folder);
    memset(r, 0, sizeof *r);
    int fields = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab++ = '\0';
        double *num[] = {&r->bpb, &r->steps, &r->tokens, &r->seconds, &r->params, &r->flops};
        const char *names[] = {"val_bpb", "steps", "tokens", "seconds", "params", "flops"};
        for (int i = 0; i < 6; i++)
            if (strcmp(line, names[i]) == 0) {
                *num[i] = strtod(tab, NULL);
                fields++;
            }
        if (strcmp(line, "status") == 0) {
            r->crashed = strcmp(tab, "crash") == 0;
            fields++;
        } else if (strcmp(line, "note") == 0) {
            snprintf(r->note, sizeof r->note, "%s", tab);
        }
    }
    fclose(f);
    if (fields != 7)
        return bg_fail(err, BG_ERR_INPUT, "%s holds %d of the 7 fields of a result; the run has not finished",
                       path, fields);
    return BG_OK;
}

/* ---- Telling the caller ---- */

void sweep_emit(const struct bg_sweep *s, struct bg_sweep_event *e)
{
    e->planned = s->n_trials;
    if (s->opt.on_event)
        s->opt.on_event(s->opt.ctx, e);
}
