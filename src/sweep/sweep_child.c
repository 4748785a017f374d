/* sweep_child: one run of a trial in a child process of its own.
 *
 * The child is a fork of the sweep. It trains through the run module,
 * exactly as `bytegpt train` does (run_open, run_step until finished,
 * run_finish), scores the final model by the eval rule on the held-out
 * bytes, writes result.txt into the run folder, and exits. A crash of
 * any kind (a NaN loss, a model too large, an abort, the out-of-memory
 * killer) ends only the child: the sweep records it and goes on.
 *
 * The child tells the parent how it is doing through a pipe, in
 * fixed-size messages of fewer than PIPE_BUF bytes, which the kernel
 * writes whole, so the parent never reads half of one. The parent never
 * trains anything itself: OpenMP must not have started in a process that
 * forks, or the child would wait forever for threads it does not have. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bytegpt/clock.h"
#include "bytegpt/cost.h"
#include "bytegpt/evaluate.h"
#include "bytegpt/fsutil.h"
#include "bytegpt/run.h"
#include "bytegpt/trainlog.h"
#include "sweep_child.h"

enum { MSG_PROGRESS = 1, MSG_FAILED = 2 };

struct child_msg {
    int kind;
    uint64_t step;
    double progress, val_bpb;
    struct bg_error err;
};

/* ---- The child ---- */

static void send_msg(int fd, const struct child_msg *m)
{
    ssize_t w = write(fd, m, sizeof *m);
    (void)w; /* a parent gone is a child killed (PR_SET_PDEATHSIG) */
}

/* Under a time budget the steps a run will take are not known ahead, so
 * after a few steps of this session the child works out how many the
 * budget holds and evaluates BG_SWEEP_EVALS times over them. */
struct pacing {
    int on;
    uint64_t step0;
    double t0;
};

static void pace(struct bg_run *r, struct pacing *p)
{
    const struct bg_train_config *c = &r->trainer.cfg;
    if (!p->on)
        return;
    if (p->step0 == 0) { /* after the first step, which warms the caches up */
        p->step0 = r->trainer.step;
        p->t0 = run_elapsed(r);
        return;
    }
    uint64_t done = r->trainer.step - p->step0;
    if (done < 3)
        return;
    double per_step = (run_elapsed(r) - p->t0) / (double)done;
    double total = (double)r->trainer.step + (c->time_budget - run_elapsed(r)) / per_step;
    if (c->steps > 0 && total > (double)c->steps)
        total = (double)c->steps;
    double every = floor(total / BG_SWEEP_EVALS);
    run_set_eval_every(r, every < 1 ? 1 : (uint64_t)every);
    p->on = 0;
}

/* Trains to the end, telling the parent how it goes (at most a few
 * times a second, and at each evaluation). */
static int train(struct bg_run *r, int paced, int fd, struct bg_error *err)
{
    struct pacing p = {paced, 0, 0};
    double last_sent = 0;
    struct child_msg m = {.kind = MSG_PROGRESS, .val_bpb = NAN};
    while (!run_finished(r)) {
        struct bg_run_report rep;
        int rc = run_step(r, &rep, err);
        if (rc)
            return rc;
        pace(r, &p);
        if (rep.events & BG_RUN_EVALUATED)
            m.val_bpb = rep.row.val_bpb;
        if (clock_now() - last_sent > 0.25 || (rep.events & BG_RUN_EVALUATED)) {
            m.step = rep.row.step;
            m.progress = rep.progress;
            send_msg(fd, &m);
            last_sent = clock_now();
        }
    }
    struct bg_error warning;
    return run_finish(r, &warning, err);
}

/* The final model's score on the held-out bytes, and the run's figures. */
static int score(struct bg_run *r, const struct bg_sweep *s, struct sweep_result *res, struct bg_error *err)
{
    struct bg_eval_result ev;
    struct bg_error e;
    int rc = evaluate_text(&r->trainer.model, s->heldout, s->heldout_n, 0, &ev, &e);
    if (rc)
        return bg_fail(err, rc, "scoring on the held-out bytes: %s", e.msg);
    const struct bg_config *m = &r->trainer.cfg.model;
    *res = (struct sweep_result){.bpb = ev.nats / log(2.0),
                                 .steps = (double)r->trainer.step,
                                 .tokens = (double)r->trainer.tokens,
                                 .seconds = r->state.elapsed,
                                 .params = (double)config_num_params(m),
                                 .flops = cost_train_flops(&r->trainer.cfg, (double)r->trainer.tokens,
                                                           (double)r->trainer.step)};
    return BG_OK;
}

/* The child's whole life: returns its exit code. */
static int child_run(struct bg_sweep *s, struct sweep_trial *t, size_t k, int fd, struct bg_error *err)
{
    char folder[BG_PATH_MAX + 128], ckpt[BG_PATH_MAX + 256];
    sweep_run_folder(s, t, k, folder, sizeof folder);
    snprintf(ckpt, sizeof ckpt, "%s/ckpt.bin", folder);
    struct bg_settings set;
    struct bg_run *r = calloc(1, sizeof *r);
    if (!r)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    int rc = sweep_run_settings(s, t, k, &set, err);
    struct bg_run_options o = {folder, s->def.corpus, NULL, fsutil_exists(ckpt), &set, s->opt.stop, s->opt.seams};
    if (!rc && !(rc = run_open(r, &o, err))) {
        rc = train(r, sweep_paced(s, t), fd, err);
        struct sweep_result res;
        if (!rc && s->opt.stop && *s->opt.stop)
            rc = 128 + *s->opt.stop; /* stopped: the checkpoint is saved, there is nothing to score */
        else if (!rc && !(rc = score(r, s, &res, err)))
            rc = sweep_run_result_write(folder, &res, err);
        struct bg_error ignore;
        run_close(r, &ignore);
    }
    free(r);
    return rc;
}

static void child_main(struct bg_sweep *s, struct sweep_trial *t, size_t k, int fd, pid_t parent)
{
    /* Dies with the sweep, so that a killed sweep leaves no run behind
     * holding a trial's folder. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    /* The other children's pipes are not this child's business. */
    for (size_t i = 0; i < s->n_trials; i++)
        for (size_t j = 0; j < BG_SWEEP_MAX_SEEDS; j++)
            if (s->trials[i].runs[j].state == RUN_RUNNING)
                close(s->trials[i].runs[j].fd);
    struct child_msg m = {.kind = MSG_FAILED};
    int code = child_run(s, t, k, fd, &m.err);
    if (code > 0 && code < 128)
        send_msg(fd, &m);
    _exit(code);
}

/* ---- The parent's side ---- */

int sweep_child_start(struct bg_sweep *s, struct sweep_trial *t, size_t k, struct bg_error *err)
{
    char folder[BG_PATH_MAX + 128], ckpt[BG_PATH_MAX + 256];
    sweep_run_folder(s, t, k, folder, sizeof folder);
    snprintf(ckpt, sizeof ckpt, "%s/ckpt.bin", folder);
    int fds[2];
    if (pipe(fds) != 0)
        return bg_fail(err, BG_ERR_RUNTIME, "cannot make a pipe for a trial: %s", strerror(errno));
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return bg_fail(err, BG_ERR_RUNTIME, "cannot start a trial: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(s, t, k, fds[1], parent);
    }
    close(fds[1]);
    struct sweep_trial_run *run = &t->runs[k];
    *run = (struct sweep_trial_run){.state = RUN_RUNNING, .pid = pid, .fd = fds[0], .val_bpb = NAN};
    struct bg_sweep_event e = {.kind = BG_SWEEP_RUN_START, .trial = t->id, .flags = t->flags_text,
                               .folder = folder, .seed = sweep_run_seed(t, k), .resumed = fsutil_exists(ckpt)};
    sweep_emit(s, &e);
    return BG_OK;
}

void sweep_child_signal(struct bg_sweep *s, int sig)
{
    for (size_t i = 0; i < s->n_trials; i++)
        for (size_t j = 0; j < BG_SWEEP_MAX_SEEDS; j++)
            if (s->trials[i].runs[j].state == RUN_RUNNING)
                kill(s->trials[i].runs[j].pid, sig);
}

/* A crashed run's figures come from its log, as far as it got. */
static void crash_result(const struct sweep_trial *t, const char *folder, struct sweep_result *r)
{
    char log[BG_PATH_MAX + 256];
    snprintf(log, sizeof log, "%s/log.csv", folder);
    struct bg_log_row *rows = NULL;
    size_t n = 0;
    struct bg_error ignore;
    r->crashed = 1;
    r->bpb = NAN;
    r->params = (double)config_num_params(&t->cfg.model);
    if (trainlog_read(log, &rows, &n, &ignore) == BG_OK && n > 0) {
        r->steps = (double)rows[n - 1].step;
        r->tokens = (double)rows[n - 1].tokens;
        r->seconds = rows[n - 1].elapsed_s;
        r->flops = rows[n - 1].flops;
    }
    free(rows);
}

/* The child has closed its pipe: collect its exit and what it left. */
static int reap(struct bg_sweep *s, struct sweep_trial *t, size_t k, struct bg_error *err)
{
    struct sweep_trial_run *run = &t->runs[k];
    char folder[BG_PATH_MAX + 128];
    sweep_run_folder(s, t, k, folder, sizeof folder);
    int status = 0;
    while (waitpid(run->pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(run->fd);
    run->state = RUN_DONE;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == 128 + SIGINT || code == 128 + SIGTERM) {
        /* Stopped after a step with its checkpoint saved: it resumes. */
        run->state = RUN_PENDING;
        if (!s->stopped)
            s->stopped = code - 128;
        return BG_OK;
    }
    struct bg_error unfinished; /* no result is told below, with the exit status, as the note */
    if (code == 0 && sweep_run_result_read(folder, &run->res, &unfinished) == BG_OK && !run->res.crashed) {
        s->session_runs++;
    } else {
        char note[256];
        snprintf(note, sizeof note, "%s", run->res.note);
        if (WIFSIGNALED(status))
            snprintf(note, sizeof note, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
        else if (!note[0])
            snprintf(note, sizeof note, "the run ended (exit status %d) without a result", code);
        crash_result(t, folder, &run->res);
        snprintf(run->res.note, sizeof run->res.note, "%s", note);
        s->session_runs++;
        int rc = sweep_run_result_write(folder, &run->res, err);
        if (rc)
            return rc;
    }
    struct bg_sweep_event e = {.kind = BG_SWEEP_RUN_END, .trial = t->id, .flags = t->flags_text,
                               .folder = folder, .seed = sweep_run_seed(t, k), .val_bpb = run->res.bpb,
                               .note = run->res.note};
    sweep_emit(s, &e);
    return BG_OK;
}

/* A message from run k of trial t, or its end. */
static int hear(struct bg_sweep *s, struct sweep_trial *t, size_t k, struct bg_error *err)
{
    struct sweep_trial_run *run = &t->runs[k];
    struct child_msg m;
    ssize_t n = read(run->fd, &m, sizeof m);
    if (n < 0 && errno == EINTR)
        return BG_OK;
    if (n != (ssize_t)sizeof m)
        return reap(s, t, k, err);
    if (m.kind == MSG_FAILED) {
        snprintf(run->res.note, sizeof run->res.note, "%s", m.err.msg);
        return BG_OK;
    }
    run->val_bpb = m.val_bpb;
    char folder[BG_PATH_MAX + 128];
    sweep_run_folder(s, t, k, folder, sizeof folder);
    struct bg_sweep_event e = {.kind = BG_SWEEP_PROGRESS, .trial = t->id, .flags = t->flags_text,
                               .folder = folder, .seed = sweep_run_seed(t, k), .step = m.step,
                               .progress = m.progress, .val_bpb = m.val_bpb};
    sweep_emit(s, &e);
    return BG_OK;
}

/* Every running child is polled, however many --jobs runs at once: the
 * arrays are as long as the runs that are running now. */
int sweep_child_poll(struct bg_sweep *s, int timeout_ms, struct bg_error *err)
{
    size_t running = 0, n = 0;
    for (size_t i = 0; i < s->n_trials; i++)
        for (size_t j = 0; j < BG_SWEEP_MAX_SEEDS; j++)
            running += s->trials[i].runs[j].state == RUN_RUNNING;
    if (running == 0)
        return BG_OK;
    struct pollfd *fds = malloc(running * sizeof *fds);
    struct sweep_trial_run **who = malloc(running * sizeof *who);
    int rc = fds && who ? BG_OK : bg_fail(err, BG_ERR_RUNTIME, "out of memory watching the sweep's runs");
    for (size_t i = 0; i < s->n_trials && !rc; i++)
        for (size_t j = 0; j < BG_SWEEP_MAX_SEEDS; j++)
            if (s->trials[i].runs[j].state == RUN_RUNNING) {
                fds[n] = (struct pollfd){.fd = s->trials[i].runs[j].fd, .events = POLLIN};
                who[n++] = &s->trials[i].runs[j];
            }
    /* A timeout or a signal hears nothing: the loop looks at the stop flag. */
    if (!rc && poll(fds, (nfds_t)n, timeout_ms) > 0)
        for (size_t i = 0; i < s->n_trials && !rc; i++)
            for (size_t j = 0; j < BG_SWEEP_MAX_SEEDS && !rc; j++)
                for (size_t f = 0; f < n && !rc; f++)
                    if (who[f] == &s->trials[i].runs[j] && fds[f].revents)
                        rc = hear(s, &s->trials[i], j, err);
    free(fds);
    free(who);
    return rc;
}
