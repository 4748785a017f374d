/* arena: sizes known before allocating, aligned pieces, and no carving
 * past the end. */
#include <stdint.h>

#include "bytegpt/arena.h"
#include "test.h"

static void test_round(void)
{
    CHECK(arena_round(0) == 0);
    CHECK(arena_round(1) == BG_ARENA_ALIGN);
    CHECK(arena_round(64) == 64);
    CHECK(arena_round(65) == 128);
}

static void test_carve_aligned_and_bounded(void)
{
    const size_t sizes[] = {3, 100, 64, 1, 1000};
    size_t total = 0;
    for (int i = 0; i < 5; i++)
        total += arena_round(sizes[i]);
    struct bg_arena a;
    struct bg_error err;
    CHECK(arena_init(&a, total, &err) == BG_OK);
    unsigned char *prev = NULL;
    int aligned = 1, ordered = 1;
    for (int i = 0; i < 5; i++) {
        unsigned char *p = arena_carve(&a, sizes[i]);
        aligned &= p && ((uintptr_t)p % BG_ARENA_ALIGN) == 0;
        ordered &= !prev || p > prev;
        prev = p;
    }
    CHECK(aligned);
    CHECK(ordered);
    CHECK(a.used == a.size);
    CHECK(arena_carve(&a, 1) == NULL);
    arena_free(&a);
    CHECK(a.base == NULL);
}

static void test_too_large_fails_cleanly(void)
{
    struct bg_arena a;
    struct bg_error err = {0};
    CHECK(arena_init(&a, SIZE_MAX / 2, &err) == BG_ERR_RUNTIME);
    CHECK(err.msg[0] != '\0');
    CHECK(a.base == NULL);
}

int main(void)
{
    RUN_TEST(test_round);
    RUN_TEST(test_carve_aligned_and_bounded);
    RUN_TEST(test_too_large_fails_cleanly);
    return TEST_EXIT();
}
