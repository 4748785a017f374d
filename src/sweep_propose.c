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

#include "sweep_internal.h"

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
    char path[4200], line[700];
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

/* Runs the command with results.tsv as its input; its output into *out
 * (the caller frees it). */
static int ask(const struct bg_sweep *s, char **out, struct bg_error *err)
{
    char results[4200];
    snprintf(results, sizeof results, "%s/results.tsv", s->dir);
    int in = open(results, O_RDONLY | O_CLOEXEC), fds[2] = {-1, -1};
    if (in < 0 || pipe(fds) != 0) {
        if (in >= 0)
            close(in);
        return bg_fail(err, BG_ERR_RUNTIME, "cannot run the --propose command: %s", strerror(errno));
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in, STDIN_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        setenv("BYTEGPT_SWEEP_DIR", s->dir, 1);
        execl("/bin/sh", "sh", "-c", s->def.propose, (char *)NULL);
        _exit(127);
    }
    close(in);
    close(fds[1]);
    char *buf = malloc(MAX_OUTPUT + 1);
    size_t len = 0;
    ssize_t got = 0;
    while (buf && len < MAX_OUTPUT && ((got = read(fds[0], buf + len, MAX_OUTPUT - len)) > 0 || errno == EINTR))
        len += got > 0 ? (size_t)got : 0;
    close(fds[0]);
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        if (s->opt.stop && *s->opt.stop)
            kill(pid, *s->opt.stop); /* the sweep is stopping: so does the proposer */
    int rc = BG_OK;
    if (pid < 0 || !buf)
        rc = bg_fail(err, BG_ERR_RUNTIME, "cannot run the --propose command: %s", buf ? strerror(errno) : "no memory");
    else if (s->opt.stop && *s->opt.stop)
        rc = -1; /* the sweep is stopping: its answer no longer matters */
    else if (WIFSIGNALED(status))
        rc = bg_fail(err, BG_ERR_INPUT, "--propose command '%.80s' was killed by signal %d", s->def.propose,
                     WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        rc = bg_fail(err, BG_ERR_INPUT, "--propose command '%.80s' failed (exit status %d)", s->def.propose,
                     WEXITSTATUS(status));
    else if (len == MAX_OUTPUT)
        rc = bg_fail(err, BG_ERR_INPUT, "--propose command '%.80s' printed more than %d KiB; it should print one "
                     "trial's flags", s->def.propose, MAX_OUTPUT >> 10);
    else if (memchr(buf, '\0', len))
        rc = bg_fail(err, BG_ERR_INPUT, "--propose command '%.80s' printed a NUL byte, which is not flags",
                     s->def.propose);
    if (rc) {
        free(buf);
        buf = NULL;
    } else {
        buf[len] = '\0';
    }
    *out = buf;
    return rc < 0 ? BG_OK : rc;
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
