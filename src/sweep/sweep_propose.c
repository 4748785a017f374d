/* sweep_propose: --propose CMD, any outside program (a script, an AI
 * coding agent) as the strategy. The protocol:
 *   - CMD runs through /bin/sh -c, with results.tsv so far on its
 *     standard input and BYTEGPT_SWEEP_DIR naming the sweep folder (its
 *     run folders and logs are there to read);
 *   - it prints the next trial's flags on standard output, as they
 *     would be given to train ("--lr 3e-3 --dim 128"), relative to the
 *     base, or nothing to end the sweep;
 *   - its standard error is the sweep's, for the user to see.
 * A proposer that fails, or prints what is not flags, stops the sweep
 * with an error naming it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sweep_plan.h"
#include "sweep_propose.h"

#define MAX_OUTPUT (64 << 10)

/* An answer an earlier session got: the decided row's flags, or those
 * in trial.txt of the trial it started. */
static int earlier_answer(const struct bg_sweep *s, char *text, size_t n)
{
    size_t id = s->n_trials + 1;
    if (id <= s->n_old) {
        snprintf(text, n, "%s", s->old[id - 1].flags);
        return 1;
    }
    char path[BG_PATH_MAX + 128], line[700];
    snprintf(path, sizeof path, "%s/trial-%03zu/trial.txt", s->dir, id);
    FILE *f = fopen(path, "r");
    int found = 0;
    if (f) {
        found = fgets(line, sizeof line, f) && strncmp(line, "flags\t", 6) == 0;
        line[strcspn(line, "\n")] = '\0';
        if (found)
            snprintf(text, n, "%s", line + 6);
        fclose(f);
    }
    return found;
}

/* Starts the command through /bin/sh with results.tsv as its standard
 * input: *pid, and *fd, the read end of its standard output. */
static int spawn(const struct bg_sweep *s, pid_t *pid, int *fd, struct bg_error *err)
{
    char results[BG_PATH_MAX + 128];
    snprintf(results, sizeof results, "%s/results.tsv", s->dir);
    int in = open(results, O_RDONLY | O_CLOEXEC), fds[2] = {-1, -1};
    if (in < 0 || pipe(fds) != 0) {
        int e = errno;
        if (in >= 0)
            close(in);
        return bg_fail(err, BG_ERR_RUNTIME, "cannot run the --propose command: %s", strerror(e));
    }
    fflush(stdout);
    fflush(stderr);
    *pid = fork();
    if (*pid == 0) {
        dup2(in, STDIN_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        setenv("BYTEGPT_SWEEP_DIR", s->dir, 1);
        execl("/bin/sh", "sh", "-c", s->def.propose, (char *)NULL);
        _exit(127);
    }
    int e = errno;
    close(in);
    close(fds[1]);
    if (*pid < 0) {
        close(fds[0]);
        return bg_fail(err, BG_ERR_RUNTIME, "cannot run the --propose command: %s", strerror(e));
    }
    *fd = fds[0];
    return BG_OK;
}

/* Reads fd to its end, or until max bytes; returns how many. */
static size_t read_output(int fd, char *buf, size_t max)
{
    size_t len = 0;
    while (len < max) {
        ssize_t got = read(fd, buf + len, max - len);
        if (got > 0)
            len += (size_t)got;
        else if (got == 0 || errno != EINTR)
            break;
    }
    return len;
}

/* What the proposer's exit and output come to: BG_OK, -1 when the sweep
 * is stopping (its answer no longer matters), or the error naming it. */
static int verdict(const struct bg_sweep *s, int status, const char *buf, size_t len, struct bg_error *err)
{
    const char *cmd = s->def.propose;
    if (s->opt.stop && *s->opt.stop)
        return -1;
    if (WIFSIGNALED(status))
        return bg_fail(err, BG_ERR_INPUT, "--propose command '%.80s' was killed by signal %d", cmd, WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        return bg_fail(err, BG_ERR_INPUT, "--propose command '%.80s' failed (exit status %d)", cmd,
                       WEXITSTATUS(status));
    if (len == MAX_OUTPUT)
        return bg_fail(err, BG_ERR_INPUT, "--propose command '%.80s' printed more than %d KiB; it should print one "
                       "trial's flags", cmd, MAX_OUTPUT >> 10);
    if (memchr(buf, '\0', len))
        return bg_fail(err, BG_ERR_INPUT, "--propose command '%.80s' printed a NUL byte, which is not flags", cmd);
    return BG_OK;
}

/* Runs the command; its output into *out (the caller frees it), or NULL
 * when the sweep is stopping. */
static int ask(const struct bg_sweep *s, char **out, struct bg_error *err)
{
    char *buf = malloc(MAX_OUTPUT + 1);
    pid_t pid = -1;
    int fd = -1, status = 0;
    *out = NULL;
    if (!buf)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    int rc = spawn(s, &pid, &fd, err);
    if (rc) {
        free(buf);
        return rc;
    }
    size_t len = read_output(fd, buf, MAX_OUTPUT);
    close(fd);
    if (len == MAX_OUTPUT)
        kill(pid, SIGKILL); /* it would wait forever to write the rest */
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        if (s->opt.stop && *s->opt.stop)
            kill(pid, *s->opt.stop); /* the sweep is stopping: so does the proposer */
    rc = verdict(s, status, buf, len, err);
    if (rc) {
        free(buf);
        return rc < 0 ? BG_OK : rc;
    }
    buf[len] = '\0';
    *out = buf;
    return BG_OK;
}

int sweep_propose(struct bg_sweep *s, struct bg_sweep_flags *f, int *end, struct bg_error *err)
{
    char what[160], earlier[700];
    snprintf(what, sizeof what, "--propose command '%.80s' printed", s->def.propose);
    *end = 0;
    f->n = 0;
    if (earlier_answer(s, earlier, sizeof earlier))
        return sweep_flags_parse(earlier, what, f, err);
    char *out = NULL;
    int rc = ask(s, &out, err);
    if (rc || !out)
        return rc;
    if (strspn(out, " \t\r\n") == strlen(out))
        *end = 1;
    else
        rc = sweep_flags_parse(out, what, f, err);
    free(out);
    return rc;
}
