/* blas_check: whether a kernel of OpenBLAS computes right on this CPU,
 * tried in a child process so that a crash costs the child only. See
 * blas.h. */
#include "bytegpt/blas.h"

#include <cblas.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bytegpt/clock.h"
#include "bytegpt/rng.h"

extern char **environ;

/* ---- The products ---- */

void blas_openblas_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                         const float *B, int ldb, float beta, float *C, int ldc)
{
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K,
                alpha, A, lda, B, ldb, beta, C, ldc);
}

/* One product of the check: C (M,N) = alpha op(A) op(B) + beta C. */
struct check_shape {
    int M, N, K, trans_a, trans_b;
    float alpha, beta;
    int threads; /* 1, or 0 for all of OpenBLAS's */
};

/* Odd sizes that fit no kernel's blocking, in all four transposes; an
 * accumulating product (beta 1, as the backward passes do); and the
 * model's three kinds of product at a default-preset width (C = 384):
 * out = inp . W^T, dinp = dout . W, dW += dout^T . inp, the last large
 * enough that OpenBLAS splits it over its threads. Small, so that the
 * whole check (its plain loops most of all) takes a few tens of ms. */
static const struct check_shape shapes[] = {
    {33, 17, 129, 0, 0, 1.0f, 0.0f, 1},  {33, 17, 129, 0, 1, 1.0f, 0.0f, 1},
    {33, 17, 129, 1, 0, 1.0f, 0.0f, 1},  {33, 17, 129, 1, 1, 1.0f, 0.0f, 1},
    {7, 300, 65, 0, 1, 0.5f, 1.0f, 1},   {8, 1152, 384, 0, 1, 1.0f, 0.0f, 1},
    {8, 384, 1152, 0, 0, 1.0f, 0.0f, 1}, {384, 192, 48, 1, 0, 1.0f, 1.0f, 0},
};

/* C (M,N) as a plain loop in double precision: the reference. Also
 * returns, per element, alpha sum |a||b| + |beta c|, which bounds the
 * rounding error of any order of summation. */
static void reference(const struct check_shape *s, const float *A, const float *B, const float *C0, double *ref,
                      double *mag)
{
    int lda = s->trans_a ? s->M : s->K, ldb = s->trans_b ? s->K : s->N;
    for (int i = 0; i < s->M; i++)
        for (int j = 0; j < s->N; j++) {
            double sum = 0, abs_sum = 0;
            for (int k = 0; k < s->K; k++) {
                double a = s->trans_a ? A[k * lda + i] : A[i * lda + k];
                double b = s->trans_b ? B[j * ldb + k] : B[k * ldb + j];
                sum += a * b;
                abs_sum += fabs(a * b);
            }
            ref[i * s->N + j] = s->alpha * sum + s->beta * C0[i * s->N + j];
            mag[i * s->N + j] = fabs(s->alpha) * abs_sum + fabs(s->beta * C0[i * s->N + j]);
        }
}

static int check_one(blas_sgemm_fn sgemm, const struct check_shape *s, struct bg_rng *rng, float *A, float *B,
                     float *C, float *C0, double *ref, double *mag, struct bg_error *err)
{
    size_t na = (size_t)s->M * s->K, nb = (size_t)s->K * s->N, nc = (size_t)s->M * s->N;
    for (size_t i = 0; i < na; i++)
        A[i] = rng_normal(rng, 0.0f, 1.0f);
    for (size_t i = 0; i < nb; i++)
        B[i] = rng_normal(rng, 0.0f, 1.0f);
    for (size_t i = 0; i < nc; i++)
        C[i] = C0[i] = rng_normal(rng, 0.0f, 1.0f);
    reference(s, A, B, C0, ref, mag);
    openblas_set_num_threads(s->threads ? s->threads : openblas_get_num_procs());
    sgemm(s->trans_a, s->trans_b, s->M, s->N, s->K, s->alpha, A, s->trans_a ? s->M : s->K, B,
          s->trans_b ? s->K : s->N, s->beta, C, s->N);
    /* fp32 sums of K products, scaled by alpha and added to beta C, in any
     * order: each result is within gamma_{K+2} = (K+2)u / (1 - (K+2)u)
     * of the exact value, relative to the sum of magnitudes (u = 2^-24,
     * the unit roundoff); the reference's own error is far below. */
    double u = ldexp(1.0, -24), gamma = (s->K + 2) * u / (1 - (s->K + 2) * u);
    for (size_t i = 0; i < nc; i++)
        if (!(fabs(C[i] - ref[i]) <= gamma * mag[i]))
            return bg_fail(err, BG_ERR_RUNTIME,
                           "wrong product: element (%zu,%zu) of a %dx%dx%d product (%s%s) is %g, a plain loop gives %g",
                           i / (size_t)s->N, i % (size_t)s->N, s->M, s->N, s->K, s->trans_a ? "A^T" : "A",
                           s->trans_b ? " B^T" : " B", (double)C[i], ref[i]);
    return BG_OK;
}

int blas_check_products(blas_sgemm_fn sgemm, struct bg_error *err)
{
    size_t max = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        size_t m = (size_t)shapes[i].K * (shapes[i].M > shapes[i].N ? shapes[i].M : shapes[i].N);
        size_t c = (size_t)shapes[i].M * shapes[i].N;
        max = m > max ? m : max;
        max = c > max ? c : max;
    }
    float *A = malloc(max * sizeof *A), *B = malloc(max * sizeof *B), *C = malloc(max * sizeof *C);
    float *C0 = malloc(max * sizeof *C0);
    double *ref = malloc(max * sizeof *ref), *mag = malloc(max * sizeof *mag);
    int rc = A && B && C && C0 && ref && mag ? BG_OK : bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    struct bg_rng rng;
    rng_seed(&rng, 1, BG_STREAM_BLAS_CHECK);
    for (size_t i = 0; !rc && i < sizeof shapes / sizeof shapes[0]; i++)
        rc = check_one(sgemm, &shapes[i], &rng, A, B, C, C0, ref, mag, err);
    free(A);
    free(B);
    free(C);
    free(C0);
    free(ref);
    free(mag);
    return rc;
}

#ifdef BYTEGPT_TEST_SEAMS
/* The test build only: OpenBLAS's sgemm with one element made wrong. */
static void wrong_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                        const float *B, int ldb, float beta, float *C, int ldc)
{
    blas_openblas_sgemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    C[(M / 2) * ldc + N / 2] += 1e-3f;
}

/* BYTEGPT_TEST_BLAS_REJECT=KERNEL:crash or KERNEL:wrong: the check of
 * KERNEL dies of SIGILL, as a kernel with instructions the CPU lacks
 * does, or finds a wrong product. Returns 0 when it does not apply. */
static int test_reject(const char *kernel, struct bg_error *err)
{
    const char *r = getenv("BYTEGPT_TEST_BLAS_REJECT");
    size_t len = strlen(kernel);
    if (!r || strncasecmp(r, kernel, len) != 0 || r[len] != ':')
        return 0;
    if (strcmp(r + len + 1, "crash") == 0)
        raise(SIGILL);
    return blas_check_products(wrong_sgemm, err);
}
#endif

int blas_check_child(const char *kernel, struct bg_error *err)
{
#ifdef BYTEGPT_TEST_SEAMS
    int rc = test_reject(kernel, err);
    if (rc)
        return rc;
#endif
    const char *loaded = openblas_get_corename();
    if (strcasecmp(loaded, kernel) != 0)
        return bg_fail(err, BG_ERR_INPUT, "this OpenBLAS loaded %s kernels instead (it has none by that name, "
                       "or not for this CPU)", loaded);
    return blas_check_products(blas_openblas_sgemm, err);
}

/* ---- The child ---- */

/* This process's environment with OPENBLAS_CORETYPE=kernel in place of
 * any other, in storage the caller frees: built before fork, since only
 * async-signal-safe calls may follow fork in a process with threads. */
static char **child_environment(const char *kernel, char *setting, size_t n)
{
    size_t count = 0;
    while (environ[count])
        count++;
    char **env = malloc((count + 2) * sizeof *env);
    if (!env)
        return NULL;
    size_t m = 0, len = strlen(BLAS_ENV_CORETYPE);
    for (size_t i = 0; i < count; i++)
        if (!(strncmp(environ[i], BLAS_ENV_CORETYPE, len) == 0 && environ[i][len] == '='))
            env[m++] = environ[i];
    snprintf(setting, n, "%s=%s", BLAS_ENV_CORETYPE, kernel);
    env[m++] = setting;
    env[m] = NULL;
    return env;
}

/* Reads the child's answer (one line) until it closes the pipe or the
 * deadline passes. Returns 0 on time, -1 when it ran out. */
static int read_answer(int fd, char *line, size_t n, double deadline)
{
    size_t got = 0;
    for (;;) {
        double left = deadline - clock_now();
        if (left <= 0)
            return -1;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        ssize_t k = read(fd, line + got, n - 1 - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0 || (got += (size_t)k) >= n - 1)
            break;
    }
    line[got] = '\0';
    line[strcspn(line, "\n")] = '\0';
    return 0;
}

/* The verdict from how the child ended and what it said. */
static int verdict(int status, const char *line, struct bg_error *err)
{
    if (WIFSIGNALED(status))
        return bg_fail(err, BG_ERR_RUNTIME, "crashed (signal %d, %s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return bg_fail(err, BG_ERR_RUNTIME, "%s", line[0] ? line : "its check failed without saying why");
    return BG_OK;
}

int blas_check_kernel(const char *exe, const char *kernel, double timeout, struct bg_error *err)
{
    char setting[BLAS_NAME_LEN + sizeof BLAS_ENV_CORETYPE + 1], line[200];
    char **env = child_environment(kernel, setting, sizeof setting);
    int fds[2];
    if (!env || pipe(fds) != 0) {
        free(env);
        return bg_fail(err, BG_ERR_RUNTIME, "cannot start a check: %s", strerror(errno));
    }
    char *const argv[] = {(char *)exe, BLAS_CHECK_ARG, (char *)kernel, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        /* The child answers on the pipe; what OpenBLAS might print on
         * standard error is not the user's business. */
        dup2(fds[1], STDOUT_FILENO);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, STDERR_FILENO);
        close(fds[0]);
        execve(exe, argv, env);
        _exit(127);
    }
    free(env);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return bg_fail(err, BG_ERR_RUNTIME, "cannot start a check: %s", strerror(errno));
    }
    int late = read_answer(fds[0], line, sizeof line, clock_now() + timeout);
    close(fds[0]);
    if (late)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (late)
        return bg_fail(err, BG_ERR_RUNTIME, "its check did not answer in %.0f s", timeout);
    return verdict(status, line, err);
}
