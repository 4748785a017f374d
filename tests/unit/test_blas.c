/* Tests of the choice of OpenBLAS's kernels: the CPU as CPUID reads it
 * against /proc/cpuinfo, the plan for every kind of CPU and pick, the
 * product check with right and wrong products, and the child process
 * that rejects a kernel which crashes, computes wrong or hangs. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytegpt/blas.h"
#include "test.h"

/* ---- The CPU ---- */

/* Whether /proc/cpuinfo's first "flags" line lists flag: the kernel's
 * own reading of CPUID (and of what it enables), to check ours against. */
static int linux_has_flag(const char *flag)
{
    static char buf[1 << 16];
    if (test_read_file("/proc/cpuinfo", buf, sizeof buf) < 0)
        return -1;
    char *line = strstr(buf, "\nflags");
    if (!line)
        return -1;
    char *end = strchr(line + 1, '\n');
    char want[64];
    snprintf(want, sizeof want, " %s", flag);
    for (char *p = strstr(line, want); p && (!end || p < end); p = strstr(p + 1, want))
        if (p[strlen(want)] == ' ' || p[strlen(want)] == '\n')
            return 1;
    return 0;
}

static int linux_field(const char *name)
{
    static char buf[1 << 16];
    if (test_read_file("/proc/cpuinfo", buf, sizeof buf) < 0)
        return -1;
    char *p = strstr(buf, name);
    return p && (p = strchr(p, ':')) ? atoi(p + 1) : -1;
}

static void test_cpu_read(void)
{
    struct bg_cpu cpu;
    cpu_read(&cpu);
    CHECK(cpu.cores >= 1);
    CHECK(cpu.cores == (int)sysconf(_SC_NPROCESSORS_ONLN));
    const struct {
        const char *flag;
        unsigned bit;
    } flags[] = {{"avx", BG_CPU_AVX},         {"avx2", BG_CPU_AVX2},         {"fma", BG_CPU_FMA},
                 {"avx512f", BG_CPU_AVX512F}, {"avx512bw", BG_CPU_AVX512BW}, {"avx512vl", BG_CPU_AVX512VL},
                 {"avx512dq", BG_CPU_AVX512DQ}, {"avx512_bf16", BG_CPU_AVX512_BF16},
                 {"avx512_fp16", BG_CPU_AVX512_FP16}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        int linux_says = linux_has_flag(flags[i].flag);
        if (linux_says < 0)
            continue;
        if (linux_says != !!(cpu.features & flags[i].bit))
            printf("  %s: /proc/cpuinfo says %d, cpu_read %d\n", flags[i].flag, linux_says,
                   !!(cpu.features & flags[i].bit));
        CHECK(linux_says == !!(cpu.features & flags[i].bit));
    }
    if (linux_field("cpu family") >= 0) {
        CHECK(cpu.family == linux_field("cpu family"));
        CHECK(cpu.model == linux_field("\nmodel\t"));
        CHECK(cpu.name[0] != '\0' && cpu.name[0] != ' ');
    }
    char buf[160];
    cpu_describe_features(&cpu, buf, sizeof buf);
    CHECK(buf[0] != '\0');
    struct bg_cpu none = {0};
    CHECK(strcmp(cpu_describe_features(&none, buf, sizeof buf), "none of AVX, AVX2, AVX-512") == 0);
    CHECK(strcmp(cpu_vector_class(&none), "SSE") == 0);
}

/* ---- The plan ---- */

#define AVX2_CPU (BG_CPU_AVX | BG_CPU_AVX2 | BG_CPU_FMA)
#define AVX512_CPU (AVX2_CPU | BG_CPU_AVX512_CORE)
#define BF16_CPU (AVX512_CPU | BG_CPU_AVX512_BF16 | BG_CPU_AVX512_FP16 | BG_CPU_AMX)

static void test_kernel_level(void)
{
    CHECK(blas_kernel_level("Prescott") == 1);
    CHECK(blas_kernel_level("prescott") == 1); /* as OpenBLAS compares them */
    CHECK(blas_kernel_level("Sandybridge") == 2);
    CHECK(blas_kernel_level("Haswell") == 3 && blas_kernel_level("Zen") == 3);
    CHECK(blas_kernel_level("SkylakeX") == 4);
    CHECK(blas_kernel_level("COOPERLAKE") == 5);
    CHECK(blas_kernel_level("SapphireRapids") == 6);
    CHECK(blas_kernel_level("Zen9") == 0 && blas_kernel_level("") == 0 && blas_kernel_level(NULL) == 0);
}

/* One row of the table: the CPU (vendor, features), OpenBLAS's pick, a
 * DYNAMIC_ARCH build or not, the user's OPENBLAS_CORETYPE, BYTEGPT_BLAS=off;
 * then the decision and the candidates, best first, joined by spaces. */
struct plan_case {
    const char *vendor;
    unsigned features;
    const char *picked;
    int dynamic;
    const char *user;
    int off;
    enum bg_blas_how how;
    const char *candidates;
};

static const struct plan_case plan_cases[] = {
    /* Today's Xeon (family 6, model 207) on OpenBLAS 0.3.21: Prescott. */
    {"GenuineIntel", BF16_CPU, "Prescott", 1, NULL, 0, BG_BLAS_SWITCHED, "Cooperlake SkylakeX Haswell Sandybridge"},
    {"GenuineIntel", AVX512_CPU, "Prescott", 1, NULL, 0, BG_BLAS_SWITCHED, "SkylakeX Haswell Sandybridge"},
    {"GenuineIntel", BF16_CPU, "SkylakeX", 1, NULL, 0, BG_BLAS_SWITCHED, "Cooperlake"},
    {"GenuineIntel", BF16_CPU, "Cooperlake", 1, NULL, 0, BG_BLAS_KEPT, ""},
    {"GenuineIntel", BF16_CPU, "SapphireRapids", 1, NULL, 0, BG_BLAS_KEPT, ""},
    {"GenuineIntel", AVX2_CPU, "Prescott", 1, NULL, 0, BG_BLAS_SWITCHED, "Haswell Sandybridge"},
    {"GenuineIntel", AVX2_CPU, "Haswell", 1, NULL, 0, BG_BLAS_KEPT, ""},
    {"GenuineIntel", BG_CPU_AVX, "Prescott", 1, NULL, 0, BG_BLAS_SWITCHED, "Sandybridge"},
    {"GenuineIntel", 0, "Prescott", 1, NULL, 0, BG_BLAS_KEPT, ""},
    /* AMD: Zen's kernels first (Haswell's, tuned for AMD's caches). */
    {"AuthenticAMD", AVX2_CPU, "Zen", 1, NULL, 0, BG_BLAS_KEPT, ""},
    {"AuthenticAMD", AVX2_CPU, "Haswell", 1, NULL, 0, BG_BLAS_KEPT, ""},
    {"AuthenticAMD", AVX2_CPU, "Prescott", 1, NULL, 0, BG_BLAS_SWITCHED, "Zen Haswell Sandybridge"},
    {"AuthenticAMD", AVX2_CPU, "Barcelona", 1, NULL, 0, BG_BLAS_SWITCHED, "Zen Haswell Sandybridge"},
    /* A Zen 5, with AVX-512 and BF16, which OpenBLAS 0.3.21 calls Zen. */
    {"AuthenticAMD", BF16_CPU, "Zen", 1, NULL, 0, BG_BLAS_SWITCHED, "Cooperlake SkylakeX"},
    /* The user's variable beats everything, BYTEGPT_BLAS=off included. */
    {"AuthenticAMD", BF16_CPU, "Haswell", 1, "Haswell", 0, BG_BLAS_USER, ""},
    {"GenuineIntel", BF16_CPU, "Prescott", 1, "Prescott", 1, BG_BLAS_USER, ""},
    {"GenuineIntel", BF16_CPU, "Prescott", 1, NULL, 1, BG_BLAS_OFF, ""},
    {"GenuineIntel", BF16_CPU, "Prescott", 0, NULL, 0, BG_BLAS_FIXED, ""},
    {"GenuineIntel", BF16_CPU, "Zen9", 1, NULL, 0, BG_BLAS_UNKNOWN, ""},
    {"GenuineIntel", BF16_CPU, "prescott", 1, "", 0, BG_BLAS_SWITCHED, "Cooperlake SkylakeX Haswell Sandybridge"},
};

static void test_plan_table(void)
{
    for (size_t i = 0; i < sizeof plan_cases / sizeof plan_cases[0]; i++) {
        const struct plan_case *c = &plan_cases[i];
        struct bg_cpu cpu = {0};
        snprintf(cpu.vendor, sizeof cpu.vendor, "%s", c->vendor);
        cpu.features = c->features;
        struct bg_blas_plan plan;
        blas_plan(&cpu, c->picked, c->dynamic, c->user, c->off, &plan);
        char got[128] = "";
        for (size_t k = 0; k < plan.n; k++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", k ? " " : "", plan.candidates[k]);
        if (plan.how != c->how || strcmp(got, c->candidates) != 0)
            printf("  case %zu (%s, %s): how %d, candidates '%s'; want %d, '%s'\n", i, c->vendor, c->picked, plan.how,
                   got, c->how, c->candidates);
        CHECK(plan.how == c->how);
        CHECK(strcmp(got, c->candidates) == 0);
    }
}

static void test_describe(void)
{
    struct bg_blas_choice c = {0};
    snprintf(c.version, sizeof c.version, "0.3.21");
    snprintf(c.picked, sizeof c.picked, "Prescott");
    snprintf(c.in_use, sizeof c.in_use, "Cooperlake");
    c.cpu.features = BF16_CPU;
    c.how = BG_BLAS_SWITCHED;
    char line[512];
    blas_describe(&c, line, sizeof line);
    CHECK(strcmp(line, "OpenBLAS 0.3.21 picked Prescott kernels for this CPU (AVX-512 with BF16); "
                       "using Cooperlake (checked)") == 0);
    snprintf(c.in_use, sizeof c.in_use, "SkylakeX");
    snprintf(c.note, sizeof c.note, "Cooperlake rejected: crashed (signal 4, Illegal instruction)");
    blas_describe(&c, line, sizeof line);
    CHECK(strstr(line, "using SkylakeX (checked; Cooperlake rejected: crashed (signal 4") != NULL);
    c.how = BG_BLAS_OFF;
    CHECK(strstr(blas_describe(&c, line, sizeof line), "kept them (BYTEGPT_BLAS=off)") != NULL);
    c.how = BG_BLAS_FIXED;
    CHECK(strstr(blas_describe(&c, line, sizeof line), "no DYNAMIC_ARCH") != NULL);
}

/* ---- The product check ---- */

static void right_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                        int ldb, float beta, float *C, int ldc)
{
    blas_openblas_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* A product with one element off by 1e-3: the elements are sums of K =
 * 129 products of normal numbers, of magnitude about 10, and the check's
 * bound, (K+2) u times the sum of magnitudes (about 100), is about 1e-6:
 * far below the error, far above honest rounding. */
static void one_wrong_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                            const float *B, int ldb, float beta, float *C, int ldc)
{
    blas_openblas_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    C[(M - 1) * ldc + N - 1] += 1e-3f;
}

/* A kernel that forgets beta, as a broken accumulate would. */
static void no_beta_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                          int ldb, float beta, float *C, int ldc)
{
    (void)beta;
    blas_openblas_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, 0.0f, C, ldc);
}

/* A kernel that forgets alpha. */
static void no_alpha_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                           const float *B, int ldb, float beta, float *C, int ldc)
{
    (void)alpha;
    blas_openblas_sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

/* A product computed with half precision's 11 bits of significand: what a
 * kernel rounding through the wrong type would give. */
static void coarse_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                         int ldb, float beta, float *C, int ldc)
{
    blas_openblas_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float *c = &C[i * ldc + j];
            int e;
            float m = frexpf(*c, &e);
            *c = ldexpf(roundf(m * 2048.0f) / 2048.0f, e);
        }
}

static void test_check_products(void)
{
    struct bg_error err = {0};
    CHECK(blas_check_products(right_sgemm, &err) == BG_OK);
    CHECK(blas_check_products(one_wrong_sgemm, &err) == BG_ERR_RUNTIME);
    CHECK(strstr(err.msg, "wrong product: element (32,16) of a 33x17x129 product (A B)") != NULL);
    CHECK(blas_check_products(no_beta_sgemm, &err) == BG_ERR_RUNTIME);
    CHECK(strstr(err.msg, "7x300x65") != NULL); /* the first product with beta 1 */
    CHECK(blas_check_products(no_alpha_sgemm, &err) == BG_ERR_RUNTIME);
    CHECK(strstr(err.msg, "7x300x65") != NULL); /* the product with alpha 0.5 */
    CHECK(blas_check_products(coarse_sgemm, &err) == BG_ERR_RUNTIME);
}

/* ---- The child process ---- */

/* This test program is also the child the checks below start: called
 * with --blas-check KERNEL it plays a kernel that crashes, computes a
 * wrong product or hangs, or checks OpenBLAS's real one. */
static int child(const char *kernel)
{
    struct bg_error err = {0};
    int rc;
    if (strcmp(kernel, "crash") == 0)
        raise(SIGILL);
    if (strcmp(kernel, "hang") == 0)
        sleep(60);
    if (strcmp(kernel, "wrong") == 0)
        rc = blas_check_products(one_wrong_sgemm, &err);
    else
        rc = blas_check_child(kernel, &err);
    printf("%s\n", rc ? err.msg : "ok");
    return rc ? 1 : 0;
}

static void test_check_kernel(void)
{
    struct bg_error err = {0};
    CHECK(blas_check_kernel("/proc/self/exe", "crash", 20, &err) == BG_ERR_RUNTIME);
    CHECK(strstr(err.msg, "crashed (signal 4") != NULL);
    CHECK(blas_check_kernel("/proc/self/exe", "wrong", 20, &err) == BG_ERR_RUNTIME);
    CHECK(strstr(err.msg, "wrong product: element (32,16)") != NULL);
    CHECK(blas_check_kernel("/proc/self/exe", "hang", 1, &err) == BG_ERR_RUNTIME);
    CHECK(strstr(err.msg, "did not answer in 1 s") != NULL);
    CHECK(blas_check_kernel("/nonexistent/bytegpt", "Haswell", 20, &err) == BG_ERR_RUNTIME);
    /* The real program, with OpenBLAS's real kernels: one that does not
     * exist, and the best this CPU runs. */
    CHECK(blas_check_kernel(BG_CLI, "NoSuchKernel", 20, &err) == BG_ERR_RUNTIME);
    CHECK(strstr(err.msg, "loaded") && strstr(err.msg, "instead"));
    struct bg_cpu cpu;
    cpu_read(&cpu);
    const char *best = blas_best_kernel(&cpu);
    if (best) {
        int rc = blas_check_kernel(BG_CLI, best, 20, &err);
        if (rc)
            printf("  %s: %s\n", best, err.msg);
        CHECK(rc == BG_OK);
    }
    /* SkylakeX's kernels use AVX-512: on a CPU without it, this OpenBLAS
     * loads them when asked and dies of SIGILL in the first product (or
     * refuses them): the check must reject them. With it, they pass. */
    int avx512 = (cpu.features & BG_CPU_AVX512_CORE) == BG_CPU_AVX512_CORE;
    int rc = blas_check_kernel(BG_CLI, "SkylakeX", 20, &err);
    if (!avx512)
        printf("  SkylakeX on a CPU without AVX-512: %s\n", err.msg);
    CHECK(avx512 ? rc == BG_OK : rc == BG_ERR_RUNTIME);
}

/* A user's OPENBLAS_CORETYPE is read, never changed: blas_choose leaves
 * it as it found it, and says so. */
static void test_choose_user(void)
{
    setenv(BLAS_ENV_CORETYPE, "Haswell", 1);
    struct bg_blas_choice c;
    struct bg_error err = {0};
    char *argv[] = {"test_blas", NULL};
    CHECK(blas_choose(argv, &c, &err) == BG_OK);
    CHECK(c.how == BG_BLAS_USER);
    CHECK(strcmp(getenv(BLAS_ENV_CORETYPE), "Haswell") == 0);
    CHECK(getenv(BLAS_ENV_CHOSEN) == NULL);
    char line[512];
    CHECK(strstr(blas_describe(&c, line, sizeof line), "OPENBLAS_CORETYPE=Haswell set in the environment: left as it is"));
    unsetenv(BLAS_ENV_CORETYPE);
    setenv(BLAS_ENV_SETTING, "fast", 1);
    CHECK(blas_choose(argv, &c, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "BYTEGPT_BLAS must be 'off'") != NULL);
    unsetenv(BLAS_ENV_SETTING);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], BLAS_CHECK_ARG) == 0)
        return child(argv[2]);
    RUN_TEST(test_cpu_read);
    RUN_TEST(test_kernel_level);
    RUN_TEST(test_plan_table);
    RUN_TEST(test_describe);
    RUN_TEST(test_check_products);
    RUN_TEST(test_check_kernel);
    RUN_TEST(test_choose_user);
    return TEST_EXIT();
}
