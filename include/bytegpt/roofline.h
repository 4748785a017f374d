/* roofline: how fast a training step could possibly run on this machine,
 * phase by phase, for `bytegpt bench`.
 *
 * A phase cannot run faster than the slowest of the things it must do:
 *
 *   matrix products  each product of the step timed alone, with the same
 *                    shapes, transposes and thread count, best of
 *                    ROOFLINE_REPS (the model's matmuls, attention's
 *                    products without its softmax, and under --optim
 *                    muon each Muon matrix's Newton-Schulz iteration);
 *   memory           the bytes the phase must at least read and write,
 *                    over the bandwidth this machine streams a buffer of
 *                    the phase's size at (a read-modify-write sweep, best
 *                    of ROOFLINE_REPS; the largest buffer, far bigger than
 *                    the caches, gives the memory's own bandwidth);
 *   arithmetic       the vector operations the phase must do, over the
 *                    rate at which this machine's vector units multiply
 *                    and add (no fused multiply-adds: the build has none).
 *
 * A phase's limit is its products' time plus the larger of the other two
 * (bytes and arithmetic overlap; products do their own memory traffic).
 * The step's limit is the sum of the phases' limits; zeroing the
 * gradients and the calls between kernels have none (0). The counts of
 * bytes and operations per element are written out in roofline.c. */
#ifndef BYTEGPT_ROOFLINE_H
#define BYTEGPT_ROOFLINE_H

#include <stddef.h>

#include "bytegpt/error.h"
#include "bytegpt/profile.h"

#define ROOFLINE_REPS 5
#define ROOFLINE_PASSES 3 /* all of it measured this many times, the best kept */
#define ROOFLINE_N_SIZES 6 /* buffer sizes the bandwidth is measured at */

struct bg_roofline {
    size_t bw_size[ROOFLINE_N_SIZES]; /* bytes swept, both buffers */
    double bw[ROOFLINE_N_SIZES];      /* bytes per second at each size */
    double vector_ops;                /* vector operations per second, all threads */
    /* Per step, for each phase: */
    double products[BG_N_PHASES];     /* seconds of matrix products timed alone */
    double bytes[BG_N_PHASES];        /* bytes it must at least read and write */
    double ops[BG_N_PHASES];          /* arithmetic operations it must do */
    double call_bytes[BG_N_PHASES];   /* bytes of one call: picks the bandwidth */
    double bandwidth[BG_N_PHASES];    /* bytes per second: the one picked */
    int memory_bound[BG_N_PHASES];    /* 1: its bytes, 0: its arithmetic set the limit */
    double limit[BG_N_PHASES];        /* seconds: the phase's limit */
    double step_limit;                /* seconds: the sum */
};

/* Measures the bandwidths and the vector rate, times the step's products
 * on p's scratch (the shapes and threads of the trainer p was made for),
 * all of it ROOFLINE_PASSES times over keeping the best, and fills every
 * limit. Takes a few seconds (about 20 step times for a large model). */
int roofline_measure(struct bg_roofline *r, struct bg_profile *p, struct bg_error *err);

/* The bandwidth measured at the smallest size holding bytes (the largest
 * size's when none does). */
double roofline_bandwidth(const struct bg_roofline *r, double bytes);

/* The sgemm rate, GFLOP/s: the best of reps n x n x n products on the
 * threads OpenBLAS has now, after an untimed one that warms the caches
 * and threads. The peak bench's MFU is measured against. */
double roofline_sgemm_gflops(int n, int reps);

#endif
