/* gradcheck.h: helpers the ops tests share, header-only (static inline, so
 * a test that uses only some of them gets no warning): buffers and random
 * fills, the floating-point error bound gamma(n), a comparison of two
 * arrays against per-element bounds that reports how close it came, and a
 * central finite-difference driver. Include it after test.h.
 *
 * How the ops tests choose their tolerances. Every basic fp32 operation
 * (+ - * / sqrt) is correctly rounded: fl(x op y) = (x op y)(1 + d) with
 * |d| <= u = 2^-24. Chaining n such roundings multiplies by at most
 * (1 + u)^n - 1 <= gamma(n) = n u / (1 - n u). In particular a dot product
 * of length n, summed in any order (as BLAS does, blocked and with FMA),
 * satisfies
 *     |fl(sum_i a_i b_i) - sum_i a_i b_i| <= gamma(n) sum_i |a_i b_i|
 * (Higham, Accuracy and Stability of Numerical Algorithms, eq. 3.5). Each
 * test derives, element by element, the bound for the fast fp32 kernel
 * from this rule and the actual data, and compares the kernel with its
 * _ref twin, which computes in double and rounds once to float, so it is
 * within u |result| of the exact value; that u |ref| is added too. These
 * are worst-case bounds: the printed "worst |diff|/bound" shows how far
 * inside them the kernels really are. Library functions are not correctly
 * rounded; glibc's manual lists expf and logf within 1 ulp and tanhf within
 * 2 ulp, and 1 ulp of y is at most 2u |y|. */
#ifndef BYTEGPT_GRADCHECK_H
#define BYTEGPT_GRADCHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/rng.h"
#include "test.h"

/* The unit roundoff of fp32. */
#define U32 0x1p-24

/* The bound for n roundings in sequence; see above. */
static inline double gam(double n)
{
    return n * U32 / (1.0 - n * U32);
}

/* ops_expf (src/core/ops_expf.h) is within EXP_REL of e^x, relatively: the
 * argument split costs about 3 U32 of |r| <= ln2/2 (about U32), the Taylor
 * truncation 6e-9 (0.1 U32), and Horner's rule over 8 terms at most
 * gamma(16) sum|a_i r^i| / p(r) <= gamma(16) e^{2|r|} <= 2 gamma(16)
 * (Higham, "Accuracy and Stability of Numerical Algorithms", eq. 5.3).
 * Below -80 it returns e^-80 (EXP_CLAMP) instead of e^x. */
#define EXP_REL (2 * gam(16) + 1.2 * U32)
#define EXP_CLAMP 1.8048513878454153e-35 /* e^-80 */

static inline float *fbuf(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    if (!p) {
        printf("out of memory\n");
        exit(1);
    }
    return p;
}

static inline double *dbuf(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof(double));
    if (!p) {
        printf("out of memory\n");
        exit(1);
    }
    return p;
}

/* Fills x with uniform values in [lo, hi). */
static inline void fill_uniform(float *x, size_t n, struct bg_rng *r, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * rng_uniform(r);
}

/* A uniform size in [lo, hi]. */
static inline size_t rand_size(struct bg_rng *r, size_t lo, size_t hi)
{
    return lo + (size_t)rng_range(r, hi - lo + 1);
}

/* One CHECK: every |got_i - want_i| is within tol_i (a NaN fails). Prints
 * the worst ratio |diff|/bound, and the first element that failed. */
static inline void check_close(const char *what, const float *got, const float *want,
                               const double *tol, size_t n)
{
    double worst = 0.0;
    size_t bad = n;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        if (!(d <= tol[i])) {
            if (bad == n)
                bad = i;
            worst = INFINITY;
        } else if (tol[i] > 0.0 && d / tol[i] > worst) {
            worst = d / tol[i];
        }
    }
    printf("    %-46s worst |diff|/bound %.3g\n", what, worst);
    if (bad < n)
        printf("    first failure at %zu: got %.9g, want %.9g, bound %.3g\n", bad,
               (double)got[bad], (double)want[bad], tol[bad]);
    CHECK(bad == n);
}

/* One CHECK: a and b are the same floats, bit for bit. */
static inline void check_same(const char *what, const float *a, const float *b, size_t n)
{
    int same = memcmp(a, b, n * sizeof(float)) == 0;
    printf("    %-46s %s\n", what, same ? "bitwise equal" : "DIFFERENT");
    CHECK(same);
}

/* ---- Finite differences ----
 *
 * The objective is L = sum_i out_i R_i for a fixed random R, so that
 * dL/dout = R is the dout given to the backward, and dL/dx_j is what the
 * backward returns for input x_j. The driver estimates dL/dx_j by central
 * differences of the _ref forward, evaluated in double from its fp32
 * outputs:
 *     D(h) = (L(x_j + h) - L(x_j - h)) / (2h).
 * Its error has two parts.
 * - Truncation: D(h) = L' + c h^2 + O(h^4), c = L'''/6. Rather than guess
 *   L''' for each kernel, we also take D(2h) = L' + 4 c h^2 + ...: then
 *   |D(2h) - D(h)| = 3 |c| h^2, three times D(h)'s truncation error (the
 *   Richardson estimate). For the linear kernels it is zero.
 * - Rounding: each output is within e_i = u |out_i| (+ a kernel-specific
 *   absolute part) of its exact value, so L(x + h) - L(x - h) is within
 *   sum_i (e_i(+) + e_i(-)) |R_i| of the exact difference, divided by 2h.
 *   Only outputs that moved count: an output that does not depend on x_j
 *   is computed from the same floats in the same order, so its two values
 *   are equal and cancel exactly. (An output that did not move for any of
 *   the four steps is taken as independent of x_j; it could only be
 *   otherwise if its derivative were below u |out| / h, about 1e-5.)
 * The tolerance is the sum of the two, plus the bound on the analytic
 * gradient's own fp32 error (the same bound as in the fast-vs-ref tests).
 * With h = 1e-2 and values of order 1, truncation is about h^2 = 1e-4
 * and rounding about u / h = 6e-6 per moved output: h balances the two.
 * A real bug (a wrong index, a missing term) moves the gradient by O(1).
 * The step actually taken is (float)(x + h) - x, computed in double, since
 * x + h itself is rounded to float. */

struct fd_problem {
    void (*forward)(void *ctx); /* recomputes out with the _ref forward */
    void *ctx;
    const float *out; /* the forward's output, n_out floats */
    size_t n_out;
    const float *R;     /* L = sum_i out_i R_i */
    double out_abs_err; /* each out_i is within u |out_i| + out_abs_err */
};

/* Evaluates the forward with x = x0 + step into dst; returns the step taken. */
static inline double fd_eval(struct fd_problem *p, float *x, float x0, double step, float *dst)
{
    *x = (float)((double)x0 + step);
    double taken = (double)*x - (double)x0;
    p->forward(p->ctx);
    memcpy(dst, p->out, p->n_out * sizeof(float));
    *x = x0;
    return taken;
}

/* One CHECK over all n elements of x: grad_i (the analytic dL/dx_i) is
 * within the tolerance above of the central difference. grad_tol may be
 * NULL (no analytic error bound). Leaves x as it found it. */
static inline void fd_check(const char *what, struct fd_problem *p, float *x, size_t n,
                            const float *grad, const double *grad_tol, double h)
{
    size_t no = p->n_out;
    float *base = fbuf(no), *o[4];
    for (int k = 0; k < 4; k++)
        o[k] = fbuf(no);
    p->forward(p->ctx);
    memcpy(base, p->out, no * sizeof(float));

    double worst = 0.0;
    size_t bad = n;
    double bad_fd = 0.0, bad_tol = 0.0;
    for (size_t i = 0; i < n; i++) {
        float x0 = x[i];
        double hp1 = fd_eval(p, &x[i], x0, h, o[0]);
        double hm1 = -fd_eval(p, &x[i], x0, -h, o[1]);
        double hp2 = fd_eval(p, &x[i], x0, 2 * h, o[2]);
        double hm2 = -fd_eval(p, &x[i], x0, -2 * h, o[3]);
        double d1 = 0.0, d2 = 0.0, e1 = 0.0, e2 = 0.0;
        for (size_t j = 0; j < no; j++) {
            if (o[0][j] == base[j] && o[1][j] == base[j] && o[2][j] == base[j] &&
                o[3][j] == base[j])
                continue;
            double r = p->R[j];
            d1 += ((double)o[0][j] - (double)o[1][j]) * r;
            d2 += ((double)o[2][j] - (double)o[3][j]) * r;
            e1 += (U32 * (fabs(o[0][j]) + fabs(o[1][j])) + 2 * p->out_abs_err) * fabs(r);
            e2 += (U32 * (fabs(o[2][j]) + fabs(o[3][j])) + 2 * p->out_abs_err) * fabs(r);
        }
        d1 /= hp1 + hm1;
        d2 /= hp2 + hm2;
        e1 /= hp1 + hm1;
        e2 /= hp2 + hm2;
        double tol = fabs(d2 - d1) + e1 + e2 + (grad_tol ? grad_tol[i] : 0.0);
        double err = fabs(d1 - (double)grad[i]);
        if (!(err <= tol)) {
            if (bad == n) {
                bad = i;
                bad_fd = d1;
                bad_tol = tol;
            }
            worst = INFINITY;
        } else if (tol > 0.0 && err / tol > worst) {
            worst = err / tol;
        }
    }
    printf("    %-46s worst |fd-grad|/bound %.3g\n", what, worst);
    if (bad < n)
        printf("    first failure at %zu: grad %.9g, finite difference %.9g, bound %.3g\n", bad,
               (double)grad[bad], bad_fd, bad_tol);
    CHECK(bad == n);
    free(base);
    for (int k = 0; k < 4; k++)
        free(o[k]);
}

#endif
