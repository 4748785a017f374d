/* blas: which of OpenBLAS's kernels bytegpt runs on, chosen for the CPU
 * it lands on, and checked before it is trusted.
 *
 * Why. OpenBLAS is built with kernels for many CPUs (DYNAMIC_ARCH) and
 * picks one when it loads, by the CPU's family and model number. A CPU
 * newer than the OpenBLAS release is a number it does not know, and it
 * falls back to its oldest kernels: Debian 12's OpenBLAS 0.3.21 runs
 * SSE3 ("Prescott") kernels on a 2023 Xeon with AVX-512, five times
 * slower. The CPU's features (cpu.h) say what it can really run, and the
 * variable OPENBLAS_CORETYPE makes OpenBLAS load a named kernel instead.
 *
 * How. OpenBLAS reads OPENBLAS_CORETYPE once, as the program loads, so
 * the choice is made at the top of main, before anything else:
 *   1. blas_plan: from the CPU's features, the kernel OpenBLAS picked and
 *      the environment, the kernels better than OpenBLAS's pick, best
 *      first (or a reason to leave it alone: see enum bg_blas_how).
 *   2. blas_check_kernel: each candidate is tried in a child process,
 *      started as `bytegpt --blas-check KERNEL` with OPENBLAS_CORETYPE
 *      set. It checks that OpenBLAS loaded that kernel and that its
 *      sgemm agrees with a plain loop (blas_check_products). A crash
 *      (a kernel with instructions this CPU lacks), a wrong product or a
 *      child that does not answer rejects the candidate; the next one is
 *      tried. Some OpenBLAS builds compute wrong results or crash on
 *      kernels newer than they know, which is why none is trusted blind.
 *   3. The first candidate that passes is used: the program starts itself
 *      again (execv of /proc/self/exe, same arguments, same process id)
 *      with OPENBLAS_CORETYPE set, and BYTEGPT_BLAS_CHOSEN recording what
 *      was found, so that the new image, and the processes it starts
 *      (sweep trials), know the choice was bytegpt's and do not check
 *      again. Under mpirun every rank does this before MPI starts.
 *
 * A user's OPENBLAS_CORETYPE is never changed. BYTEGPT_BLAS=off turns
 * the choice off (OpenBLAS keeps its own pick); BYTEGPT_BLAS=auto, or
 * no value, is the default. */
#ifndef BYTEGPT_BLAS_H
#define BYTEGPT_BLAS_H

#include <stddef.h>

#include "bytegpt/cpu.h"
#include "bytegpt/error.h"

/* The argument that makes the program a kernel's check (main.c). */
#define BLAS_CHECK_ARG "--blas-check"
/* The variables: OpenBLAS's own, bytegpt's setting, and bytegpt's record
 * of a choice it made ("KERNEL;PICKED;NOTE"). */
#define BLAS_ENV_CORETYPE "OPENBLAS_CORETYPE"
#define BLAS_ENV_SETTING "BYTEGPT_BLAS"
#define BLAS_ENV_CHOSEN "BYTEGPT_BLAS_CHOSEN"
/* Seconds a check may take before it counts as hung. */
#define BLAS_CHECK_TIMEOUT 20.0
#define BLAS_MAX_CANDIDATES 4
#define BLAS_NAME_LEN 32

enum bg_blas_how {
    BG_BLAS_KEPT,     /* OpenBLAS's pick is as good as this CPU allows */
    BG_BLAS_SWITCHED, /* a better kernel passed the check and is in use */
    BG_BLAS_REJECTED, /* better kernels exist, but none passed the check */
    BG_BLAS_USER,     /* OPENBLAS_CORETYPE was set by the user: left alone */
    BG_BLAS_OFF,      /* BYTEGPT_BLAS=off: OpenBLAS's pick kept */
    BG_BLAS_FIXED,    /* an OpenBLAS built for one CPU only: it cannot switch */
    BG_BLAS_UNKNOWN,  /* OpenBLAS picked a kernel bytegpt does not rank: kept */
};

/* What blas_plan decides: how, and for BG_BLAS_SWITCHED the kernels to
 * try, best first (then "switched" means "switch if one passes"). */
struct bg_blas_plan {
    enum bg_blas_how how;
    size_t n;
    const char *candidates[BLAS_MAX_CANDIDATES];
};

/* The choice as made, for the line on stderr, `bytegpt info` and the
 * bench and training summaries. */
struct bg_blas_choice {
    enum bg_blas_how how;
    char picked[BLAS_NAME_LEN]; /* the kernel OpenBLAS picked by itself */
    char in_use[BLAS_NAME_LEN]; /* the kernel running now */
    char best[BLAS_NAME_LEN];   /* the best kernel this CPU runs, by the table ("" when none) */
    char version[16];           /* OpenBLAS's version, e.g. "0.3.21" */
    char options[200];          /* its build options, e.g. "DYNAMIC_ARCH USE_OPENMP ..." */
    char note[200];             /* the candidates rejected, and why */
    struct bg_cpu cpu;
};

/* How strong a kernel is: its place in the order of OpenBLAS's x86-64
 * kernels by the vector instructions they use (SSE 1, AVX 2, AVX2 3,
 * AVX-512 4, AVX-512 with BF16 5, AMX 6), or 0 for a name not in the
 * table. Names compare without regard to case, as OpenBLAS's do. */
int blas_kernel_level(const char *name);

/* The decision, from what was found: the CPU; the kernel OpenBLAS picked;
 * whether OpenBLAS can switch at all (its configuration says
 * DYNAMIC_ARCH); the user's OPENBLAS_CORETYPE (NULL when unset); and
 * whether BYTEGPT_BLAS=off. Pure: no CPU, no environment, no OpenBLAS. */
void blas_plan(const struct bg_cpu *cpu, const char *picked, int dynamic, const char *user_coretype, int off,
               struct bg_blas_plan *plan);

/* The best kernel cpu runs by the table (NULL when none is better than
 * SSE's). */
const char *blas_best_kernel(const struct bg_cpu *cpu);

/* ---- The check (blas_check.c) ---- */

/* A row-major sgemm: C (M,N) = alpha op(A) op(B) + beta C, op(X) = X or
 * X^T. The check is given the function, so that a test can hand it a
 * wrong one. */
typedef void (*blas_sgemm_fn)(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                              const float *B, int ldb, float beta, float *C, int ldc);

/* OpenBLAS's cblas_sgemm behind that signature. */
void blas_openblas_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                         const float *B, int ldb, float beta, float *C, int ldc);

/* Runs sgemm at the check's shapes (odd sizes, all four transposes, beta
 * 0 and 1, the shapes of a model's products, one and all threads) and
 * compares each element with a plain loop in double precision, within
 * the bound of fp32 rounding. BG_ERR_RUNTIME naming the first wrong
 * element otherwise. */
int blas_check_products(blas_sgemm_fn sgemm, struct bg_error *err);

/* What `bytegpt --blas-check KERNEL` does in the child: checks that
 * OpenBLAS loaded KERNEL (BG_ERR_INPUT when it loaded another), then
 * blas_check_products with OpenBLAS's sgemm. */
int blas_check_child(const char *kernel, struct bg_error *err);

/* Runs `exe --blas-check kernel` with OPENBLAS_CORETYPE=kernel and waits
 * up to timeout seconds. 0 when it exits 0; otherwise BG_ERR_RUNTIME, err
 * saying why (its own line, a crash with its signal, no answer). */
int blas_check_kernel(const char *exe, const char *kernel, double timeout, struct bg_error *err);

/* ---- The choice (blas.c) ---- */

/* The whole choice, at the top of main (argv: main's, for the restart).
 * When a better kernel passes its check this does not return: the
 * program starts again with it. Fills *choice otherwise. BG_ERR_INPUT
 * for a BYTEGPT_BLAS that is neither off nor auto. */
int blas_choose(char **argv, struct bg_blas_choice *choice, struct bg_error *err);

/* The one line that says what was found and done, without "blas: ",
 * e.g. "OpenBLAS 0.3.21 picked Prescott kernels for this CPU (AVX-512
 * with BF16); using Cooperlake (checked)". Returns buf. */
const char *blas_describe(const struct bg_blas_choice *choice, char *buf, size_t n);

#endif
