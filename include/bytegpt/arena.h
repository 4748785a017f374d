/* Arena: one aligned allocation, sized first, then carved into tensors.
 * Sizing and carving walk the same list of sizes, so the estimate printed
 * before allocating is exactly what gets allocated. */
#ifndef BYTEGPT_ARENA_H
#define BYTEGPT_ARENA_H

#include <stddef.h>

#include "bytegpt/error.h"

/* Every piece carved from an arena starts on a 64-byte boundary: one cache
 * line, and the width of an AVX-512 register. */
#define BG_ARENA_ALIGN 64

struct bg_arena {
    unsigned char *base;
    size_t size; /* bytes allocated */
    size_t used; /* bytes carved so far */
};

/* The bytes a piece of n bytes takes in an arena, padding included. Sum
 * arena_round over the pieces to know an arena's size before allocating. */
size_t arena_round(size_t n);

/* Allocates size bytes, zeroed and aligned. */
int arena_init(struct bg_arena *a, size_t size, struct bg_error *err);

/* Hands out the next n bytes (aligned). Carving more than was sized is a
 * programming error, reported as NULL so that tests catch it. */
void *arena_carve(struct bg_arena *a, size_t n);

void arena_free(struct bg_arena *a);

#endif
