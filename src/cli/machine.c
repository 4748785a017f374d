/* machine: the choice of OpenBLAS's kernels as the CLI reports it, and
 * info's machine section. See machine.h. */
#include "machine.h"

#include <stdio.h>
#include <string.h>

#include "bytegpt/dist.h"
#include "bytegpt/roofline.h"
#include "bytegpt/train.h"

static struct bg_blas_choice blas_choice;

void machine_set_blas(const struct bg_blas_choice *choice)
{
    blas_choice = *choice;
}

const struct bg_blas_choice *machine_blas(void)
{
    return &blas_choice;
}

void machine_announce_blas(void)
{
    char line[512];
    blas_describe(&blas_choice, line, sizeof line);
    if (dist_size() == 1) {
        fprintf(stderr, "blas: %s\n", line);
        return;
    }
    /* Rank 0's choice, in words, goes to every rank; each says whether
     * its own is the same, and rank 0 counts them. */
    char mine[sizeof line], ours[sizeof line];
    snprintf(mine, sizeof mine, "%s", line);
    memcpy(ours, mine, sizeof ours);
    dist_broadcast(ours, sizeof ours);
    double same = strcmp(mine, ours) == 0;
    dist_sum_doubles(&same, 1);
    if (dist_rank() == 0)
        fprintf(stderr, "blas: %s; %s\n", line,
                (int)same == dist_size() ? "the same in every process" : "other processes chose otherwise: see their lines");
    else if (strcmp(mine, ours) != 0)
        fprintf(stderr, "blas (process %d): %s\n", dist_rank(), line);
}

const char *machine_kernel_words(char *buf, size_t n)
{
    snprintf(buf, n, "OpenBLAS's %s kernels", blas_choice.in_use);
    return buf;
}

/* Why the kernel in use is the one it is, in a few words. */
static const char *why_in_use(const struct bg_blas_choice *c)
{
    switch (c->how) {
    case BG_BLAS_SWITCHED:
        return "chosen by bytegpt for this CPU and checked";
    case BG_BLAS_REJECTED:
        return "OpenBLAS's pick: no better kernel passed bytegpt's check";
    case BG_BLAS_USER:
        return "OPENBLAS_CORETYPE, set in the environment";
    case BG_BLAS_OFF:
        return "OpenBLAS's pick (BYTEGPT_BLAS=off)";
    case BG_BLAS_FIXED:
        return "the only one: this OpenBLAS was built for one CPU";
    case BG_BLAS_UNKNOWN:
        return "OpenBLAS's pick, which bytegpt does not rank";
    default:
        return "OpenBLAS's pick, the best this CPU runs";
    }
}

void machine_print_section(double *rate_all)
{
    const struct bg_blas_choice *c = &blas_choice;
    char features[160];
    printf("machine\n");
    printf("  CPU        %s (%s, family %d, model %d), %d core%s\n", c->cpu.name[0] ? c->cpu.name : "unknown",
           c->cpu.vendor[0] ? c->cpu.vendor : "unknown vendor", c->cpu.family, c->cpu.model, c->cpu.cores,
           c->cpu.cores == 1 ? "" : "s");
    printf("  vectors    %s\n", cpu_describe_features(&c->cpu, features, sizeof features));
    printf("  OpenBLAS   %s, built with %s\n", c->version, c->options);
    printf("  kernels    OpenBLAS picked %s; in use: %s (%s)\n", c->picked, c->in_use, why_in_use(c));
    if (c->note[0])
        printf("             %s\n", c->note);
    /* One product of 1024: large enough to reach the kernel's rate, small
     * enough that info answers in well under a second. */
    train_set_threads(1);
    double one = roofline_sgemm_gflops(1024, 3);
    train_set_threads(0);
    double all = roofline_sgemm_gflops(1024, 3);
    int threads = dist_default_threads();
    printf("  sgemm      %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %d (1024 x 1024 x 1024, best of 3): the\n"
           "             ceiling a training step can reach; bytegpt bench measures MFU against it\n",
           one, all, threads);
    *rate_all = all * 1e9;
}
