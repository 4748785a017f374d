/* cpu: the processor's name, family, model and vector features, from the
 * CPUID instruction and the XCR0 register. See cpu.h. */
#include "bytegpt/cpu.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* The registers CPUID leaf `leaf`, subleaf `sub` answers with, or zeros
 * for a leaf above the CPU's highest. */
static void cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
    r[0] = r[1] = r[2] = r[3] = 0;
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}

/* XCR0: which register states the operating system saves. Read with the
 * XGETBV instruction written out as bytes, so that the file needs no
 * -mxsave; callers check OSXSAVE first, without which it faults. */
static uint64_t xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

/* The XCR0 bits each class of registers needs: SSE and AVX state; the
 * AVX-512 mask, upper-256 and upper-16 registers; AMX's tile config and
 * tile data. */
#define XCR0_AVX 0x6u
#define XCR0_AVX512 0xe0u
#define XCR0_AMX 0x60000u

static unsigned read_features(unsigned max_leaf)
{
    unsigned r[4], f = 0;
    cpuid(1, 0, r);
    int osxsave = (r[2] >> 27) & 1;
    uint64_t os = osxsave ? xcr0() : 0;
    int avx_os = (os & XCR0_AVX) == XCR0_AVX, avx512_os = avx_os && (os & XCR0_AVX512) == XCR0_AVX512;
    if (avx_os && ((r[2] >> 28) & 1))
        f |= BG_CPU_AVX;
    if (avx_os && ((r[2] >> 12) & 1))
        f |= BG_CPU_FMA;
    if (max_leaf < 7)
        return f;
    cpuid(7, 0, r);
    unsigned ebx = r[1], edx = r[3], max_sub = r[0];
    if (avx_os && ((ebx >> 5) & 1))
        f |= BG_CPU_AVX2;
    const struct {
        unsigned bit, feature;
    } avx512[4] = {{16, BG_CPU_AVX512F}, {17, BG_CPU_AVX512DQ}, {30, BG_CPU_AVX512BW}, {31, BG_CPU_AVX512VL}};
    for (int i = 0; i < 4 && avx512_os; i++)
        if ((ebx >> avx512[i].bit) & 1)
            f |= avx512[i].feature;
    if (avx512_os && ((edx >> 23) & 1))
        f |= BG_CPU_AVX512_FP16;
    if ((os & XCR0_AMX) == XCR0_AMX && ((edx >> 24) & 1) && ((edx >> 22) & 1))
        f |= BG_CPU_AMX;
    if (max_sub >= 1) {
        cpuid(7, 1, r);
        if (avx512_os && ((r[0] >> 5) & 1))
            f |= BG_CPU_AVX512_BF16;
    }
    return f;
}

static void read_identity(struct bg_cpu *cpu, unsigned *max_leaf)
{
    unsigned r[4];
    cpuid(0, 0, r);
    *max_leaf = r[0];
    memcpy(cpu->vendor, &r[1], 4);
    memcpy(cpu->vendor + 4, &r[3], 4);
    memcpy(cpu->vendor + 8, &r[2], 4);
    cpu->vendor[12] = '\0';
    cpuid(1, 0, r);
    /* The extended family and model extend the base ones as Intel's and
     * AMD's manuals say: the family only from 15 up, the model for
     * families 6 and 15 up. */
    unsigned base_family = (r[0] >> 8) & 0xf, base_model = (r[0] >> 4) & 0xf;
    cpu->family = (int)(base_family == 0xf ? base_family + ((r[0] >> 20) & 0xff) : base_family);
    cpu->model = (int)(base_family == 6 || base_family == 0xf ? base_model + (((r[0] >> 16) & 0xf) << 4) : base_model);
    cpuid(0x80000000u, 0, r);
    if (r[0] >= 0x80000004u) {
        unsigned brand[12];
        for (unsigned i = 0; i < 3; i++)
            cpuid(0x80000002u + i, 0, brand + 4 * i);
        memcpy(cpu->name, brand, 48);
        cpu->name[48] = '\0';
    }
}
#endif

/* The brand string with the padding some CPUs put around it taken off. */
static void trim_name(char *s)
{
    size_t start = strspn(s, " "), len = strlen(s);
    while (len > start && s[len - 1] == ' ')
        len--;
    memmove(s, s + start, len - start);
    s[len - start] = '\0';
}

void cpu_read(struct bg_cpu *cpu)
{
    memset(cpu, 0, sizeof *cpu);
#if defined(__x86_64__) || defined(__i386__)
    unsigned max_leaf = 0;
    read_identity(cpu, &max_leaf);
    cpu->features = read_features(max_leaf);
#endif
    trim_name(cpu->name);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu->cores = n > 0 ? (int)n : 1;
}

const char *cpu_describe_features(const struct bg_cpu *cpu, char *buf, size_t n)
{
    const struct {
        unsigned bits;
        const char *word;
    } words[] = {{BG_CPU_AVX, "AVX"},
                 {BG_CPU_AVX2, "AVX2"},
                 {BG_CPU_FMA, "FMA"},
                 {BG_CPU_AVX512_CORE, "AVX-512 (F BW VL DQ)"},
                 {BG_CPU_AVX512_BF16, "BF16"},
                 {BG_CPU_AVX512_FP16, "FP16"},
                 {BG_CPU_AMX, "AMX"}};
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if ((cpu->features & words[i].bits) == words[i].bits && at < n)
            at += (size_t)snprintf(buf + at, n - at, "%s%s", at ? ", " : "", words[i].word);
    /* Some AVX-512 subsets without the four SkylakeX needs. */
    if ((cpu->features & BG_CPU_AVX512F) && (cpu->features & BG_CPU_AVX512_CORE) != BG_CPU_AVX512_CORE && at < n)
        at += (size_t)snprintf(buf + at, n - at, "%spart of AVX-512", at ? ", " : "");
    if (!at)
        snprintf(buf, n, "none of AVX, AVX2, AVX-512");
    return buf;
}

const char *cpu_vector_class(const struct bg_cpu *cpu)
{
    unsigned f = cpu->features;
    if ((f & BG_CPU_AVX512_CORE) == BG_CPU_AVX512_CORE)
        return f & BG_CPU_AVX512_BF16 ? "AVX-512 with BF16" : "AVX-512";
    if ((f & (BG_CPU_AVX2 | BG_CPU_FMA)) == (BG_CPU_AVX2 | BG_CPU_FMA))
        return "AVX2";
    return f & BG_CPU_AVX ? "AVX" : "SSE";
}
