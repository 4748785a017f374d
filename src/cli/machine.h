/* machine: what the CLI knows of the machine it runs on: the choice of
 * OpenBLAS's kernels main made (blas.h), the line that reports it, and
 * `bytegpt info`'s machine section. */
#ifndef BYTEGPT_CLI_MACHINE_H
#define BYTEGPT_CLI_MACHINE_H

#include "bytegpt/blas.h"

/* Main records the choice here, once, before any command runs. */
void machine_set_blas(const struct bg_blas_choice *choice);
const struct bg_blas_choice *machine_blas(void);

/* "blas: ..." on standard error, once for the whole job: rank 0 prints
 * it, adding whether every process made the same choice; a process whose
 * choice differs prints its own. Collective under mpirun: every rank
 * calls it. */
void machine_announce_blas(void);

/* The kernel in use as a few words for a summary, e.g. "OpenBLAS's
 * Cooperlake kernels". Returns buf. */
const char *machine_kernel_words(char *buf, size_t n);

/* `bytegpt info`'s machine section: the CPU, OpenBLAS and its kernels,
 * and sgemm's rate measured at one thread and at all (returned in
 * *rate_all, FLOP/s). */
void machine_print_section(double *rate_all);

#endif
