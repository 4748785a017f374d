/* strbuf: appends of every kind build the expected text, an empty
 * buffer gives "", padding and fitting count UTF-8 code points as
 * columns, and a cut is marked with an ellipsis. */
#include <stdlib.h>
#include <string.h>

#include "bytegpt/strbuf.h"
#include "test.h"

static void test_append(void)
{
    struct bg_strbuf b = {0};
    strbuf_puts(&b, "loss ");
    strbuf_printf(&b, "%.2f at step %d", 1.5, 30);
    strbuf_put(&b, "!?", 1);
    strbuf_spaces(&b, 2);
    strbuf_pad(&b, "ab", 4, 1);
    strbuf_pad(&b, "cd", 4, 0);
    strbuf_puts(&b, "|");
    char *s = strbuf_take(&b);
    CHECK(s && strcmp(s, "loss 1.50 at step 30!    abcd  |") == 0);
    CHECK(b.p == NULL && b.len == 0);
    free(s);
    /* A long text grows the buffer past its first allocation. */
    for (int i = 0; i < 2000; i++)
        strbuf_printf(&b, "%04d", i);
    s = strbuf_take(&b);
    CHECK(s && strlen(s) == 8000 && strncmp(s + 7996, "1999", 4) == 0);
    free(s);
    /* Nothing appended: an empty string, not NULL. */
    s = strbuf_take(&b);
    CHECK(s && s[0] == '\0');
    free(s);
}

static void test_columns(void)
{
    CHECK(strbuf_columns("") == 0);
    CHECK(strbuf_columns("abc") == 3);
    CHECK(strbuf_columns("\xe2\xa0\xa4\xe2\x94\x82x") == 3); /* braille, a box line, x */
    char out[32];
    strbuf_fit(out, sizeof out, "short", 5);
    CHECK(strcmp(out, "short") == 0);
    strbuf_fit(out, sizeof out, "a-long-name", 6);
    CHECK(strcmp(out, "a-lon\xe2\x80\xa6") == 0 && strbuf_columns(out) == 6);
    /* A cut never splits a multi-byte character. */
    strbuf_fit(out, sizeof out, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3);
    CHECK(strcmp(out, "\xc3\xa9\xc3\xa9\xe2\x80\xa6") == 0);
    struct bg_strbuf b = {0};
    strbuf_pad(&b, "\xc3\xa9t\xc3\xa9", 5, 1);
    char *s = strbuf_take(&b);
    CHECK(s && strcmp(s, "  \xc3\xa9t\xc3\xa9") == 0);
    free(s);
}

int main(void)
{
    RUN_TEST(test_append);
    RUN_TEST(test_columns);
    return TEST_EXIT();
}
