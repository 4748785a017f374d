/* dist: see dist.h. One file holds both versions, with MPI and without,
 * so that the two can be read side by side; BYTEGPT_WITH_MPI is defined
 * for this file alone when the build has MPI. */

/* sched_getaffinity (the CPUs this process may run on) is a GNU
 * extension. */
#define _GNU_SOURCE
#include "bytegpt/dist.h"

#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytegpt/clock.h"
#include "bytegpt/parse.h"

#ifdef BYTEGPT_WITH_MPI
#include <mpi.h>
#endif

static int g_rank = 0, g_size = 1, g_local_size = 1;
static double g_reduce_seconds;

#ifdef BYTEGPT_WITH_MPI
static int g_mpi; /* MPI_Init was called */

/* The largest piece one MPI call moves: MPI counts elements in an int.
 * A test makes it smaller (dist_set_chunk) to run the piecewise path on a
 * small model. */
static size_t g_chunk = INT_MAX;
#endif

void dist_set_chunk(size_t n)
{
#ifdef BYTEGPT_WITH_MPI
    g_chunk = n > 0 && n < INT_MAX ? n : INT_MAX;
#else
    (void)n; /* one process reduces nothing */
#endif
}

/* The number of processes a launcher says the job has, or 0 when no
 * launcher started this one: OpenMPI's mpirun sets OMPI_COMM_WORLD_SIZE,
 * MPICH's and Intel's mpiexec and Slurm's srun set PMI_SIZE. */
static long launcher_size(void)
{
    const char *names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        uint64_t n;
        if (v && parse_u64(v, &n) == BG_OK)
            return n > LONG_MAX ? LONG_MAX : (long)n;
    }
    return 0;
}

int dist_built_with_mpi(void)
{
#ifdef BYTEGPT_WITH_MPI
    return 1;
#else
    return 0;
#endif
}

/* ---- Starting and ending ---- */

#ifdef BYTEGPT_WITH_MPI
/* The processes on this machine: those that can share memory with this
 * one, as MPI itself groups them. */
static int count_local(void)
{
    MPI_Comm local;
    int n = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local) == MPI_SUCCESS) {
        MPI_Comm_size(local, &n);
        MPI_Comm_free(&local);
    }
    return n;
}
#endif

int dist_init(int *argc, char ***argv, struct bg_error *err)
{
    long launched = launcher_size();
#ifdef BYTEGPT_WITH_MPI
    (void)err; /* joining cannot fail here: MPI ends the job if it does */
    /* Started without a launcher, the program stays one process and does
     * not start MPI at all: a plain `bytegpt` is then as quick and quiet
     * as a build without MPI (starting MPI alone still brings up its
     * runtime) and leaves nothing of MPI's to clean up. */
    if (launched == 0)
        return BG_OK;
    int provided;
    /* FUNNELED: OpenMP and OpenBLAS run threads, but only the main thread
     * calls MPI. */
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    g_mpi = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    g_local_size = count_local();
    return BG_OK;
#else
    (void)argc;
    (void)argv;
    if (launched > 1)
        return bg_fail(err, BG_ERR_INPUT,
                       "this bytegpt was built without MPI but was started as one of %ld processes (by mpirun?): "
                       "each would train alone and all would write one run folder. Install MPI "
                       "(scripts/setup.sh) and rebuild, or run bytegpt without mpirun",
                       launched);
    return BG_OK;
#endif
}

void dist_finalize(void)
{
#ifdef BYTEGPT_WITH_MPI
    if (g_mpi)
        MPI_Finalize();
    g_mpi = 0;
#endif
}

void dist_abort(int code)
{
#ifdef BYTEGPT_WITH_MPI
    if (g_mpi)
        MPI_Abort(MPI_COMM_WORLD, code);
#endif
    exit(code);
}

int dist_rank(void)
{
    return g_rank;
}

int dist_size(void)
{
    return g_size;
}

int dist_local_size(void)
{
    return g_local_size;
}

int dist_default_threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = cores > 0 ? (int)(cores / g_local_size) : 1;
    /* A launcher may bind each process to a few cores (OpenMPI binds each
     * of two processes to one core by default): more threads than those
     * would only take turns on them. */
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < n)
        n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

/* ---- Collective operations ---- */

double dist_reduce_seconds(void)
{
    return g_reduce_seconds;
}

#ifdef BYTEGPT_WITH_MPI
/* An all-reduce in place, in pieces of at most g_chunk elements. Each
 * element's result depends on that element alone, so the pieces give the
 * same result as one call would. */
static void allreduce(void *buf, size_t n, size_t elem, MPI_Datatype type, MPI_Op op)
{
    double t0 = clock_now();
    for (size_t done = 0; done < n;) {
        size_t piece = n - done < g_chunk ? n - done : g_chunk;
        MPI_Allreduce(MPI_IN_PLACE, (char *)buf + done * elem, (int)piece, type, op, MPI_COMM_WORLD);
        done += piece;
    }
    g_reduce_seconds += clock_now() - t0;
}
#endif

void dist_sum_floats(float *buf, size_t n)
{
#ifdef BYTEGPT_WITH_MPI
    if (g_size > 1)
        allreduce(buf, n, sizeof *buf, MPI_FLOAT, MPI_SUM);
#else
    (void)buf;
    (void)n;
#endif
}

void dist_sum_doubles(double *buf, size_t n)
{
#ifdef BYTEGPT_WITH_MPI
    if (g_size > 1)
        allreduce(buf, n, sizeof *buf, MPI_DOUBLE, MPI_SUM);
#else
    (void)buf;
    (void)n;
#endif
}

void dist_max_doubles(double *buf, size_t n)
{
#ifdef BYTEGPT_WITH_MPI
    if (g_size > 1)
        allreduce(buf, n, sizeof *buf, MPI_DOUBLE, MPI_MAX);
#else
    (void)buf;
    (void)n;
#endif
}

void dist_broadcast(void *buf, size_t bytes)
{
#ifdef BYTEGPT_WITH_MPI
    for (size_t done = 0; g_size > 1 && done < bytes;) {
        size_t piece = bytes - done < g_chunk ? bytes - done : g_chunk;
        MPI_Bcast((char *)buf + done, (int)piece, MPI_BYTE, 0, MPI_COMM_WORLD);
        done += piece;
    }
#else
    (void)buf;
    (void)bytes;
#endif
}
