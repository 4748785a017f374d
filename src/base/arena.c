/* Arena: see arena.h. */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE, a Linux extension of madvise */
#include "bytegpt/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bytegpt/format.h"

size_t arena_round(size_t n)
{
    return (n + BG_ARENA_ALIGN - 1) / BG_ARENA_ALIGN * BG_ARENA_ALIGN;
}

/* The size of a huge page on x86-64 Linux. */
#define HUGE_PAGE ((size_t)2 << 20)

int arena_init(struct bg_arena *a, size_t size, struct bg_error *err)
{
    a->base = NULL;
    a->size = 0;
    a->used = 0;
    if (size == 0)
        size = BG_ARENA_ALIGN;
    /* aligned_alloc wants a size that is a multiple of the alignment. An
     * arena of several MB starts on a 2 MiB boundary and asks Linux for
     * huge pages (where transparent huge pages are on "madvise"): a step
     * walks the whole activation arena, and with 4 KiB pages the
     * processor's address cache (the TLB) misses on most of it. */
    size_t align = size >= HUGE_PAGE ? HUGE_PAGE : BG_ARENA_ALIGN;
    size = (size + align - 1) / align * align;
    a->base = aligned_alloc(align, size);
#ifdef MADV_HUGEPAGE
    if (a->base && align == HUGE_PAGE)
        madvise(a->base, size, MADV_HUGEPAGE); /* a hint: nothing to do if refused */
#endif
    if (!a->base) {
        char human[FORMAT_LEN];
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory allocating %zu bytes (%s)", size,
                       format_bytes(human, sizeof human, (double)size));
    }
    memset(a->base, 0, size);
    a->size = size;
    return BG_OK;
}

void *arena_carve(struct bg_arena *a, size_t n)
{
    size_t need = arena_round(n);
    if (!a->base || need > a->size - a->used)
        return NULL;
    void *p = a->base + a->used;
    a->used += need;
    return p;
}

void arena_free(struct bg_arena *a)
{
    free(a->base);
    a->base = NULL;
    a->size = 0;
    a->used = 0;
}
