/* dist: the processes of a data-parallel run, behind one small interface.
 *
 * `mpirun -np N bytegpt train ...` starts N copies of the program, the
 * ranks 0 .. N-1, possibly on several machines. They train one model
 * together: each computes the gradient of its share of every batch, and
 * an all-reduce (every rank gives a buffer, every rank gets back the
 * element-wise sum over all ranks) turns the shares into the gradient of
 * the whole batch. This module is the only one that includes mpi.h.
 *
 * Built without MPI (the CMake option BYTEGPT_MPI off), or built with it
 * but started without a launcher such as mpirun, the program is one
 * process: rank 0 of 1, and every operation below leaves its buffer as it
 * is, which is what a sum, a max or a broadcast over one process does.
 *
 * Every operation but the queries is collective: every rank must call it,
 * in the same order, with buffers of the same size, or the ranks wait for
 * each other forever. A failure inside MPI ends the whole job (MPI's
 * default error handler), so these calls return nothing to check. Ranks
 * exchange raw bytes, so all of them must run the same build on the same
 * kind of machine. */
#ifndef BYTEGPT_DIST_H
#define BYTEGPT_DIST_H

#include <stddef.h>

#include "bytegpt/error.h"

/* Joins the job when a launcher started this process (mpirun sets
 * OMPI_COMM_WORLD_SIZE, MPICH and Slurm set PMI_SIZE). A build without
 * MPI started as one of several processes refuses (BG_ERR_INPUT), before
 * anything else happens: the copies would each train alone and all write
 * one run folder. Call it first in main, and dist_finalize last. */
int dist_init(int *argc, char ***argv, struct bg_error *err);
void dist_finalize(void);

/* True when this build has MPI, whether or not this process uses it. */
int dist_built_with_mpi(void);

int dist_rank(void);       /* 0 .. dist_size()-1; rank 0 reads and writes files */
int dist_size(void);       /* the processes in the job; 1 without a launcher */
int dist_local_size(void); /* of those, the processes on this machine */

/* The threads a process should use when --threads is not given: this
 * machine's cores shared among its processes, and no more than the CPUs
 * the launcher bound this process to. One process alone gets every core. */
int dist_default_threads(void);

/* In place over every rank: element-wise sums and maxima. A buffer of
 * more than INT_MAX elements (MPI counts in int) goes in pieces. */
void dist_sum_floats(float *buf, size_t n);
void dist_sum_doubles(double *buf, size_t n);
void dist_max_doubles(double *buf, size_t n);

/* Makes every later all-reduce and broadcast go in pieces of at most n
 * elements (0, or n of INT_MAX or more: as large as MPI allows), so that
 * a test can drive the piecewise path on a small model. The result is the
 * same whatever the pieces: each element's depends on that element alone. */
void dist_set_chunk(size_t n);

/* Copies rank 0's bytes into every other rank's buffer. */
void dist_broadcast(void *buf, size_t bytes);

/* Seconds this process has spent in the all-reduces so far, waiting for
 * the other ranks included: what data parallelism costs on top of the
 * computing. */
double dist_reduce_seconds(void);

/* Ends every process of the job with exit code `code`, at once: for a
 * failure on one rank that the others cannot know of and would otherwise
 * wait for. Without MPI it exits. */
void dist_abort(int code);

#endif
