/* cpu: what this processor is and which vector instructions it may run,
 * read with the CPUID instruction.
 *
 * bytegpt needs this for one decision: which of OpenBLAS's kernels to use
 * (blas.h). OpenBLAS picks its kernels by the CPU's family and model
 * number, and an OpenBLAS older than the CPU does not know its number and
 * falls back to its oldest kernels. The features CPUID reports do not
 * depend on knowing the model, so they tell what the CPU can really run.
 *
 * A feature counts only when the operating system saves its registers on
 * a task switch too (the XCR0 register, read with XGETBV): a CPU with
 * AVX-512 under a kernel that does not enable it cannot use it. On a
 * processor other than x86-64 every feature reads as absent. */
#ifndef BYTEGPT_CPU_H
#define BYTEGPT_CPU_H

#include <stddef.h>

/* The features, as bits of struct bg_cpu's features. */
enum bg_cpu_feature {
    BG_CPU_AVX = 1u << 0,
    BG_CPU_AVX2 = 1u << 1,
    BG_CPU_FMA = 1u << 2,
    BG_CPU_AVX512F = 1u << 3,
    BG_CPU_AVX512BW = 1u << 4,
    BG_CPU_AVX512VL = 1u << 5,
    BG_CPU_AVX512DQ = 1u << 6,
    BG_CPU_AVX512_BF16 = 1u << 7,
    BG_CPU_AVX512_FP16 = 1u << 8,
    BG_CPU_AMX = 1u << 9, /* AMX tiles with BF16 */
};

/* The four AVX-512 subsets OpenBLAS's SkylakeX kernels are built with. */
#define BG_CPU_AVX512_CORE (BG_CPU_AVX512F | BG_CPU_AVX512BW | BG_CPU_AVX512VL | BG_CPU_AVX512DQ)

struct bg_cpu {
    char vendor[13]; /* "GenuineIntel", "AuthenticAMD", or "" when unknown */
    char name[49];   /* the brand string, e.g. "AMD EPYC 7B13" */
    int family;      /* the display family and model, as Linux shows them */
    int model;
    unsigned features; /* enum bg_cpu_feature bits */
    int cores;         /* processors online */
};

/* Reads this machine's CPU. Never fails: what cannot be read is left
 * empty or zero. */
void cpu_read(struct bg_cpu *cpu);

/* The features as words, e.g. "AVX2, FMA, AVX-512 (F BW VL DQ), BF16,
 * FP16, AMX", or "none of AVX, AVX2, AVX-512". Returns buf. */
const char *cpu_describe_features(const struct bg_cpu *cpu, char *buf, size_t n);

/* The widest vector class in a few words: "AVX-512 with BF16",
 * "AVX-512", "AVX2", "AVX" or "SSE". */
const char *cpu_vector_class(const struct bg_cpu *cpu);

#endif
