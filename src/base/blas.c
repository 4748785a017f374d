/* blas: the choice of OpenBLAS's kernels for this CPU: the table of
 * kernels, the plan, the restart with the chosen one, and the line that
 * says what happened. See blas.h; the check itself is in blas_check.c. */
#include "bytegpt/blas.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- The kernels ---- */

/* OpenBLAS's x86-64 kernels (the names openblas_get_corename() gives and
 * OPENBLAS_CORETYPE takes), by the widest vector instructions they use.
 * A higher level is faster on a CPU that runs it: each doubles the width
 * of the vectors or adds fused multiply-adds. Zen is Haswell's kernels
 * with AMD's cache sizes; Cooperlake adds BF16 products to SkylakeX and
 * SapphireRapids AMX tiles, which newer OpenBLAS releases have. */
static const struct {
    const char *name;
    int level;
} kernels[] = {
    {"Katmai", 1},         {"Coppermine", 1},   {"Northwood", 1},   {"Prescott", 1},      {"Banias", 1},
    {"Atom", 1},           {"Core2", 1},        {"Penryn", 1},      {"Dunnington", 1},    {"Nehalem", 1},
    {"Athlon", 1},         {"Opteron", 1},      {"Opteron_SSE3", 1}, {"Barcelona", 1},    {"Nano", 1},
    {"Bobcat", 1},         {"Sandybridge", 2},  {"Bulldozer", 2},   {"Piledriver", 2},    {"Steamroller", 2},
    {"Excavator", 2},      {"Haswell", 3},      {"Zen", 3},         {"SkylakeX", 4},      {"Cooperlake", 5},
    {"SapphireRapids", 6},
};

int blas_kernel_level(const char *name)
{
    for (size_t i = 0; name && i < sizeof kernels / sizeof kernels[0]; i++)
        if (strcasecmp(name, kernels[i].name) == 0)
            return kernels[i].level;
    return 0;
}

/* The kernels cpu can run, best first: AVX-512 with BF16 runs Cooperlake's;
 * the four AVX-512 subsets SkylakeX's; AVX2 with FMA Haswell's, or on AMD
 * Zen's first (the same code, tuned for AMD's caches); AVX Sandybridge's.
 * Each is followed by the weaker ones, to fall back to when a check fails.
 * SapphireRapids is left out: its AMX tiles speed up BF16 products only,
 * and bytegpt's are fp32. */
static size_t runnable(const struct bg_cpu *cpu, const char *out[BLAS_MAX_CANDIDATES])
{
    unsigned f = cpu->features;
    size_t n = 0;
    if ((f & BG_CPU_AVX512_CORE) == BG_CPU_AVX512_CORE) {
        if (f & BG_CPU_AVX512_BF16)
            out[n++] = "Cooperlake";
        out[n++] = "SkylakeX";
    }
    if ((f & (BG_CPU_AVX2 | BG_CPU_FMA)) == (BG_CPU_AVX2 | BG_CPU_FMA)) {
        if (strcmp(cpu->vendor, "AuthenticAMD") == 0)
            out[n++] = "Zen";
        out[n++] = "Haswell";
    }
    if ((f & BG_CPU_AVX) && n < BLAS_MAX_CANDIDATES)
        out[n++] = "Sandybridge";
    return n;
}

const char *blas_best_kernel(const struct bg_cpu *cpu)
{
    const char *all[BLAS_MAX_CANDIDATES];
    return runnable(cpu, all) ? all[0] : NULL;
}

void blas_plan(const struct bg_cpu *cpu, const char *picked, int dynamic, const char *user_coretype, int off,
               struct bg_blas_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    int level = blas_kernel_level(picked);
    if (user_coretype && user_coretype[0])
        plan->how = BG_BLAS_USER;
    else if (off)
        plan->how = BG_BLAS_OFF;
    else if (!dynamic)
        plan->how = BG_BLAS_FIXED;
    else if (level == 0)
        plan->how = BG_BLAS_UNKNOWN;
    else
        plan->how = BG_BLAS_KEPT;
    if (plan->how != BG_BLAS_KEPT)
        return;
    /* Only kernels stronger than OpenBLAS's own pick are worth a check:
     * an equal one (Haswell for Zen) would change nothing but the name. */
    const char *all[BLAS_MAX_CANDIDATES];
    size_t n = runnable(cpu, all);
    for (size_t i = 0; i < n; i++)
        if (blas_kernel_level(all[i]) > level)
            plan->candidates[plan->n++] = all[i];
    if (plan->n)
        plan->how = BG_BLAS_SWITCHED;
}

/* OpenBLAS's version and its build options, from openblas_get_config()
 * without its kernel name: "0.3.21" and "NO_LAPACKE DYNAMIC_ARCH ...". */
static void read_config(char *version, size_t nv, char *options, size_t no)
{
    /* "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY USE_OPENMP Zen
     * MAX_THREADS=64": the version is the second word; the kernel's name,
     * which the configuration lists among the options, is left out. */
    const char *config = openblas_get_config(), *core = openblas_get_corename();
    char words[256];
    snprintf(words, sizeof words, "%s", config ? config : "");
    snprintf(version, nv, "?");
    options[0] = '\0';
    size_t at = 0, i = 0;
    char *save = NULL;
    for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save), i++) {
        if (i == 1)
            snprintf(version, nv, "%s", w);
        else if (i > 1 && strcasecmp(w, core) != 0 && at < no)
            at += (size_t)snprintf(options + at, no - at, "%s%s", at ? " " : "", w);
    }
}

/* ---- The choice ---- */

/* A record BYTEGPT_BLAS_CHOSEN holds, "KERNEL;PICKED;NOTE", read into
 * choice when its kernel is the one OPENBLAS_CORETYPE names: the choice
 * was made by bytegpt, in this process before its restart or in the one
 * that started it. */
static int read_record(const char *record, const char *coretype, struct bg_blas_choice *choice)
{
    char buf[BLAS_NAME_LEN * 2 + sizeof choice->note];
    snprintf(buf, sizeof buf, "%s", record);
    char *picked = strchr(buf, ';');
    char *note = picked ? strchr(picked + 1, ';') : NULL;
    if (!note)
        return 0;
    *picked++ = '\0';
    *note++ = '\0';
    if (strcasecmp(buf, coretype) != 0)
        return 0;
    snprintf(choice->picked, sizeof choice->picked, "%s", picked);
    snprintf(choice->note, sizeof choice->note, "%s", note);
    return 1;
}

/* Starts this program again with OPENBLAS_CORETYPE=kernel: returns only
 * when that fails. */
static void restart_with(char **argv, const struct bg_blas_choice *c, const char *kernel)
{
    char record[sizeof c->picked + sizeof c->note + BLAS_NAME_LEN + 2];
    snprintf(record, sizeof record, "%s;%s;%s", kernel, c->picked, c->note);
    if (setenv(BLAS_ENV_CORETYPE, kernel, 1) == 0 && setenv(BLAS_ENV_CHOSEN, record, 1) == 0)
        execv("/proc/self/exe", argv);
    unsetenv(BLAS_ENV_CORETYPE);
    unsetenv(BLAS_ENV_CHOSEN);
}

static void add_note(struct bg_blas_choice *c, const char *kernel, const char *why)
{
    size_t at = strlen(c->note);
    snprintf(c->note + at, sizeof c->note - at, "%s%s rejected: %s", at ? "; " : "", kernel, why);
}

/* The candidates in turn: the first to pass its check is restarted with. */
static void try_candidates(char **argv, const struct bg_blas_plan *plan, struct bg_blas_choice *c)
{
    for (size_t i = 0; i < plan->n; i++) {
        struct bg_error why = {0};
        if (blas_check_kernel("/proc/self/exe", plan->candidates[i], BLAS_CHECK_TIMEOUT, &why) == 0) {
            restart_with(argv, c, plan->candidates[i]);
            add_note(c, plan->candidates[i], "passed its check, but the program could not restart with it");
            continue;
        }
        add_note(c, plan->candidates[i], why.msg);
    }
    c->how = BG_BLAS_REJECTED;
}

int blas_choose(char **argv, struct bg_blas_choice *c, struct bg_error *err)
{
    memset(c, 0, sizeof *c);
    cpu_read(&c->cpu);
    read_config(c->version, sizeof c->version, c->options, sizeof c->options);
    snprintf(c->in_use, sizeof c->in_use, "%s", openblas_get_corename());
    snprintf(c->picked, sizeof c->picked, "%s", c->in_use);
    const char *best = blas_best_kernel(&c->cpu);
    snprintf(c->best, sizeof c->best, "%s", best ? best : "");
    const char *setting = getenv(BLAS_ENV_SETTING), *user = getenv(BLAS_ENV_CORETYPE);
    const char *record = getenv(BLAS_ENV_CHOSEN);
    if (setting && setting[0] && strcmp(setting, "off") != 0 && strcmp(setting, "auto") != 0)
        return bg_fail(err, BG_ERR_INPUT, "%s must be 'off' (keep OpenBLAS's own kernels) or 'auto' (choose), got '%s'",
                       BLAS_ENV_SETTING, setting);
    if (user && record && read_record(record, user, c)) {
        c->how = BG_BLAS_SWITCHED;
        return BG_OK;
    }
#ifdef BYTEGPT_TEST_SEAMS
    /* The test build only: pretend OpenBLAS picked another kernel, so that
     * the tests can make the switch happen on a CPU OpenBLAS knows. */
    const char *pretend = getenv("BYTEGPT_TEST_BLAS_PICKED");
    if (pretend && !user)
        snprintf(c->picked, sizeof c->picked, "%s", pretend);
#endif
    struct bg_blas_plan plan;
    blas_plan(&c->cpu, c->picked, strstr(c->options, "DYNAMIC_ARCH") != NULL, user,
              setting && strcmp(setting, "off") == 0, &plan);
    c->how = plan.how;
    if (plan.how == BG_BLAS_SWITCHED)
        try_candidates(argv, &plan, c);
    return BG_OK;
}

/* ---- The line ---- */

const char *blas_describe(const struct bg_blas_choice *c, char *buf, size_t n)
{
    char found[160];
    snprintf(found, sizeof found, "OpenBLAS %s picked %s kernels for this CPU (%s)", c->version, c->picked,
             cpu_vector_class(&c->cpu));
    const char *note_sep = c->note[0] ? "; " : "";
    switch (c->how) {
    case BG_BLAS_SWITCHED:
        snprintf(buf, n, "%s; using %s (checked%s%s)", found, c->in_use, note_sep, c->note);
        break;
    case BG_BLAS_REJECTED:
        snprintf(buf, n, "%s; kept them: no better kernel passed its check (%s)", found, c->note);
        break;
    case BG_BLAS_USER:
        snprintf(buf, n, "%s=%s set in the environment: left as it is (OpenBLAS %s runs %s kernels; "
                 "the best for this CPU (%s) would be %s)", BLAS_ENV_CORETYPE, getenv(BLAS_ENV_CORETYPE) ?
                 getenv(BLAS_ENV_CORETYPE) : "", c->version, c->in_use, cpu_vector_class(&c->cpu),
                 c->best[0] ? c->best : c->in_use);
        break;
    case BG_BLAS_OFF:
        snprintf(buf, n, "%s; kept them (%s=off)", found, BLAS_ENV_SETTING);
        break;
    case BG_BLAS_FIXED:
        snprintf(buf, n, "%s; kept them: this OpenBLAS was built for one CPU (no DYNAMIC_ARCH) and cannot switch",
                 found);
        break;
    case BG_BLAS_UNKNOWN:
        snprintf(buf, n, "%s; kept them: a kernel bytegpt does not rank", found);
        break;
    default:
        snprintf(buf, n, "%s; kept them: the best this CPU runs", found);
    }
    return buf;
}
