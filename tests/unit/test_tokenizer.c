/* tokenizer: the teaching rendering shows each byte unambiguously. */
#include <string.h>

#include "bytegpt/tokenizer.h"
#include "test.h"

static void test_render(void)
{
    char buf[BG_TOKEN_RENDER_MAX];
    CHECK(strcmp(tokenizer_render(buf, 'a'), "a") == 0);
    CHECK(strcmp(tokenizer_render(buf, ' '), " ") == 0);
    CHECK(strcmp(tokenizer_render(buf, '\n'), "\\n") == 0);
    CHECK(strcmp(tokenizer_render(buf, '\t'), "\\t") == 0);
    CHECK(strcmp(tokenizer_render(buf, 0xE2), "<E2>") == 0);
    CHECK(strcmp(tokenizer_render(buf, 0x7f), "<7F>") == 0);
    CHECK(strcmp(tokenizer_render(buf, BG_DOC_BOUNDARY), "<doc>") == 0);
}

static void test_render_distinct(void)
{
    /* No two bytes may look alike in the teaching views. */
    char seen[BG_VOCAB][BG_TOKEN_RENDER_MAX];
    int distinct = 1;
    for (int i = 0; i < BG_VOCAB; i++) {
        tokenizer_render(seen[i], (uint8_t)i);
        for (int j = 0; j < i; j++)
            distinct &= strcmp(seen[i], seen[j]) != 0;
    }
    CHECK(distinct);
}

int main(void)
{
    RUN_TEST(test_render);
    RUN_TEST(test_render_distinct);
    return TEST_EXIT();
}
