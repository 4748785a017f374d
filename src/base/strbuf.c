/* strbuf: see strbuf.h. */
#include "bytegpt/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- A growing string ---- */

static int reserve(struct bg_strbuf *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (b->len + extra + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void strbuf_put(struct bg_strbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void strbuf_puts(struct bg_strbuf *b, const char *s)
{
    strbuf_put(b, s, strlen(s));
}

void strbuf_printf(struct bg_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void strbuf_spaces(struct bg_strbuf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        strbuf_put(b, " ", 1);
}

void strbuf_pad(struct bg_strbuf *b, const char *s, size_t w, int right)
{
    size_t len = strbuf_columns(s), pad = len < w ? w - len : 0;
    if (right)
        strbuf_spaces(b, pad);
    strbuf_puts(b, s);
    if (!right)
        strbuf_spaces(b, pad);
}

char *strbuf_take(struct bg_strbuf *b)
{
    char *p = NULL;
    /* Reserving nothing allocates a text that nothing was appended to,
     * so that it comes back as "", not NULL. */
    if (reserve(b, 0)) {
        p = b->p;
        p[b->len] = '\0';
    } else {
        free(b->p);
    }
    *b = (struct bg_strbuf){0};
    return p;
}

/* ---- Text that fits ---- */

int strbuf_utf8_length(const unsigned char *s)
{
    int n = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
          : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) || (s[0] == 0xF0 && s[1] < 0x90) ||
        (s[0] == 0xF4 && s[1] > 0x8F))
        return 0;
    return n;
}

size_t strbuf_columns(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

void strbuf_fit(char *dst, size_t n, const char *src, size_t w)
{
    if (strbuf_columns(src) <= w) {
        snprintf(dst, n, "%s", src);
        return;
    }
    size_t cols = 0, i = 0;
    /* Keep w - 1 code points and their continuation bytes, then "…". */
    while (src[i] && i + 4 < n) {
        int lead = ((unsigned char)src[i] & 0xC0) != 0x80;
        if (lead && cols + 1 >= w)
            break;
        cols += lead;
        i++;
    }
    snprintf(dst, n, "%.*s%s", (int)i, src, w > 0 ? "\xe2\x80\xa6" : "");
}
