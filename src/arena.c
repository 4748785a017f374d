/* Arena: see arena.h. */
#include "bytegpt/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/format.h"

size_t arena_round(size_t n)
{
    return (n + BG_ARENA_ALIGN - 1) / BG_ARENA_ALIGN * BG_ARENA_ALIGN;
}

int arena_init(struct bg_arena *a, size_t size, struct bg_error *err)
{
    a->base = NULL;
    a->size = 0;
    a->used = 0;
    if (size == 0)
        size = BG_ARENA_ALIGN;
    /* aligned_alloc wants a size that is a multiple of the alignment. */
    size = arena_round(size);
    a->base = aligned_alloc(BG_ARENA_ALIGN, size);
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
