/* sweep_loop: the experiment loop. Runs are started while there are
 * free jobs, in trial order; trials are decided strictly in order as
 * their runs end, so that --jobs changes how fast a sweep goes and not
 * what it decides; and the strategies that depend on what was decided
 * (greedy, the proposer) plan their next trial once every trial before
 * it is decided. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/fsutil.h"
#include "sweep_child.h"
#include "sweep_plan.h"
#include "sweep_propose.h"
#include "sweep_results.h"

static size_t running(const struct bg_sweep *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_trials; i++)
        for (size_t k = 0; k < BG_SWEEP_MAX_SEEDS; k++)
            n += s->trials[i].runs[k].state == RUN_RUNNING;
    return n;
}

/* ---- Deciding ---- */

/* The score to beat: the best so far, by more than twice the baseline's
 * spread over its seeds (the noise a seed alone makes). */
static double bar(const struct bg_sweep *s)
{
    return s->rows[s->best].val_bpb - 2.0 * s->rows[0].spread;
}

static int runs_done(const struct sweep_trial *t)
{
    for (size_t k = 0; k < t->wanted; k++)
        if (t->runs[k].state != RUN_DONE)
            return 0;
    return 1;
}

/* Decides trial t, every trial before it decided; 0 while it waits for
 * runs (its first, or the repeats its first made it a candidate for). */
static int decide_new(struct bg_sweep *s, struct sweep_trial *t, struct bg_sweep_row *row)
{
    int baseline = t->id == 1;
    if (!runs_done(t))
        return 0;
    const struct sweep_result *first = &t->runs[0].res;
    if (!baseline && t->wanted == 1 && s->def.seeds > 1 && !first->crashed && first->bpb < bar(s)) {
        t->wanted = s->def.seeds;
        return 0;
    }
    sweep_row_fill(t, row);
    if (baseline && t->wanted == 1)
        row->spread = 0; /* one seed measures no noise */
    sweep_row_canon(row);
    if (!isfinite(row->val_bpb)) {
        row->status = BG_SWEEP_CRASH;
    } else if (baseline) {
        row->status = BG_SWEEP_BASELINE;
        row->target_share = 1.0;
    } else if (row->val_bpb < bar(s)) {
        row->status = BG_SWEEP_KEEP;
        sweep_row_target(s, t, row);
    } else {
        row->status = BG_SWEEP_DISCARD;
    }
    sweep_row_canon(row);
    return 1;
}

/* Decides every trial that can be, in order: from results.tsv for those
 * an earlier session decided, else from their runs. */
static int decide_ready(struct bg_sweep *s, struct bg_error *err)
{
    while (s->n_rows < s->n_trials) {
        struct sweep_trial *t = &s->trials[s->n_rows];
        struct bg_sweep_row row;
        int fresh = s->n_rows >= s->n_old;
        if (!fresh) {
            row = s->old[s->n_rows];
            if (strcmp(row.flags, t->flags_text) != 0)
                return bg_fail(err, BG_ERR_INPUT,
                               "%s/results.tsv has trial %zu as '%.100s', this sweep plans '%.100s' (was the file "
                               "edited?)", s->dir, t->id, row.flags, t->flags_text);
        } else if (!decide_new(s, t, &row)) {
            return BG_OK;
        }
        t->decided = 1;
        s->rows[s->n_rows++] = row;
        if (row.status == BG_SWEEP_KEEP || row.status == BG_SWEEP_BASELINE)
            s->best = s->n_rows - 1;
        int rc = fresh ? sweep_results_write(s, err) : BG_OK;
        if (rc)
            return rc;
        struct bg_sweep_event e = {.kind = BG_SWEEP_DECIDED, .trial = t->id, .flags = t->flags_text, .row = &row,
                                   .resumed = !fresh};
        sweep_emit(s, &e);
        if (t->id == 1 && row.status == BG_SWEEP_CRASH)
            return bg_fail(err, BG_ERR_RUNTIME, "the baseline (trial 1) crashed, so nothing can be compared to it: %s",
                           row.note);
    }
    return BG_OK;
}

/* ---- Greedy: one setting at a time, from the best so far ---- */

/* The values a factor up and down from setting's value in cfg, into v;
 * returns how many (whole numbers move by at least 1; 0 has no
 * multiplicative neighbours). */
static int neighbours(const struct bg_train_config *cfg, int setting, double factor, char v[2][BG_SWEEP_VALUE_LEN])
{
    char text[64];
    settings_format(cfg, setting, text, sizeof text);
    double x = strtod(text, NULL);
    int n = 0;
    if (settings_whole(setting)) {
        double up = fmax(round(x * factor), x + 1), down = fmin(round(x / factor), x - 1);
        snprintf(v[n++], BG_SWEEP_VALUE_LEN, "%.0f", up);
        if (down >= 0)
            snprintf(v[n++], BG_SWEEP_VALUE_LEN, "%.0f", down);
    } else if (x > 0) {
        snprintf(v[n++], BG_SWEEP_VALUE_LEN, "%.4g", x * factor);
        snprintf(v[n++], BG_SWEEP_VALUE_LEN, "%.4g", x / factor);
    }
    return n;
}

/* Plans the next setting's neighbours of the best trial so far (which
 * is where greedy has moved to, when a neighbour was kept). A value
 * train refuses, or a trial already run, is passed over; a whole round
 * of the settings with nothing new ends greedy. */
static int greedy_plan(struct bg_sweep *s, struct bg_error *err)
{
    struct sweep_greedy *g = &s->greedy;
    struct bg_sweep_flags at = s->trials[s->best].flags;
    struct bg_train_config cfg = s->trials[s->best].cfg;
    for (size_t tries = 0; tries < s->def.n_vary; tries++) {
        int setting = s->def.vary[g->next];
        g->next = (g->next + 1) % s->def.n_vary;
        char v[2][BG_SWEEP_VALUE_LEN];
        int n = neighbours(&cfg, setting, s->def.factor, v), added = 0;
        for (int i = 0; i < n && g->made < s->def.greedy_n; i++) {
            struct bg_sweep_flags f = at;
            size_t dup = 1;
            struct bg_error e;
            int rc = sweep_flags_put(&f, settings_name(setting), v[i], "sweep --greedy", &e);
            if (!rc)
                rc = sweep_add_trial(s, &f, "sweep --greedy", &dup, &e);
            if (rc == BG_ERR_RUNTIME)
                return bg_fail(err, rc, "%s", e.msg);
            if (!rc && !dup) {
                g->made++;
                added++;
            }
        }
        if (added)
            return BG_OK;
    }
    g->made = s->def.greedy_n;
    return BG_OK;
}

/* ---- Planning what depends on the decisions ---- */

static int stop_asked(const struct bg_sweep *s)
{
    return s->opt.stop && *s->opt.stop;
}

/* Once every trial so far is decided: greedy's next trials, then the
 * proposer's. *done when neither will plan any more. */
static int plan_more(struct bg_sweep *s, int *done, struct bg_error *err)
{
    *done = 0;
    if (s->n_rows < s->n_trials)
        return BG_OK;
    size_t before = s->n_trials;
    while (s->greedy.made < s->def.greedy_n && s->n_trials == before) {
        int rc = greedy_plan(s, err);
        if (rc)
            return rc;
    }
    if (s->n_trials > before)
        return BG_OK;
    if (s->def.propose[0] && !s->propose_done) {
        struct bg_sweep_flags f = {.n = 0};
        int end = 0;
        size_t dup = 0;
        int rc = sweep_propose(s, &f, &end, err);
        if (rc || stop_asked(s))
            return rc;
        if (end) {
            s->propose_done = 1;
        } else {
            if (!(rc = sweep_add_trial(s, &f, "sweep --propose", &dup, err)) && dup) {
                char text[BG_SWEEP_FLAGS_LEN];
                sweep_flags_format(&f, text, sizeof text);
                rc = bg_fail(err, BG_ERR_INPUT,
                             "--propose command '%.60s' proposed %.80s, the same run as trial %zu; propose something "
                             "new, or print nothing to end the sweep", s->def.propose, text, dup);
            }
            return rc;
        }
    }
    *done = 1;
    return BG_OK;
}

/* ---- Starting runs ---- */

/* trial.txt in a trial's folder: its flags, so that a resumed sweep
 * knows what a proposer proposed without asking again. */
static int write_trial_file(const char *folder, const struct sweep_trial *t, struct bg_error *err)
{
    char path[BG_PATH_MAX + 256], text[700];
    snprintf(path, sizeof path, "%s/trial.txt", folder);
    FILE *f = fopen(path, "r");
    if (f) {
        fclose(f);
        return BG_OK;
    }
    int n = snprintf(text, sizeof text, "flags\t%s\n", t->flags_text);
    return fsutil_write_file(path, text, (size_t)n, "trial", err);
}

/* Starts the runs that are wanted, in trial order, while jobs are free.
 * A run an earlier session finished is not run again: its result.txt is
 * its result. */
static int start_runs(struct bg_sweep *s, struct bg_error *err)
{
    for (size_t i = 0; i < s->n_trials && running(s) < s->opt.jobs; i++) {
        struct sweep_trial *t = &s->trials[i];
        for (size_t k = 0; !t->decided && k < t->wanted && running(s) < s->opt.jobs; k++) {
            if (t->runs[k].state != RUN_PENDING)
                continue;
            char folder[BG_PATH_MAX + 128];
            sweep_run_folder(s, t, k, folder, sizeof folder);
            struct bg_error unfinished; /* not an error: the run is still to do */
            if (sweep_run_result_read(folder, &t->runs[k].res, &unfinished) == BG_OK) {
                t->runs[k].state = RUN_DONE;
                continue;
            }
            int rc = fsutil_make_dirs(folder, err);
            if (!rc && k == 0)
                rc = write_trial_file(folder, t, err);
            if (!rc)
                rc = sweep_child_start(s, t, k, err);
            if (rc)
                return rc;
        }
    }
    return BG_OK;
}

/* ---- The loop ---- */

/* After an error: the runs going are stopped as a signal would stop
 * them, with their checkpoints saved, so that the sweep can resume. */
static void wind_down(struct bg_sweep *s)
{
    struct bg_error ignore;
    sweep_child_signal(s, SIGTERM);
    while (running(s) > 0)
        sweep_child_poll(s, 200, &ignore);
}

int sweep_run(struct bg_sweep *s, struct bg_error *err)
{
    int rc = BG_OK, done = 0, told = 0;
    while (!rc) {
        rc = decide_ready(s, err);
        if (!s->stopped && stop_asked(s))
            s->stopped = *s->opt.stop;
        if (!rc && !s->stopped)
            rc = plan_more(s, &done, err);
        if (!rc && !s->stopped)
            rc = start_runs(s, err);
        if (s->stopped && !told) {
            sweep_child_signal(s, s->stopped);
            told = 1;
        }
        if (running(s) == 0 && (s->stopped || (done && s->n_rows == s->n_trials)))
            break;
        if (!rc && running(s) > 0)
            rc = sweep_child_poll(s, 200, err);
    }
    if (rc)
        wind_down(s);
    return rc;
}
