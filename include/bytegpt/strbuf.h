/* strbuf: a string that grows as text is appended, for code that draws
 * a whole document in memory before anything is printed or written (the
 * plot's terminal chart, its table and its SVG), and the width of UTF-8
 * text in terminal columns, which laying such text out needs.
 *
 * A failed allocation sets oom, after which appends do nothing, so that
 * a renderer checks once, at the end (strbuf_take), instead of after
 * every line it draws. Start from `struct bg_strbuf b = {0};`. */
#ifndef BYTEGPT_STRBUF_H
#define BYTEGPT_STRBUF_H

#include <stddef.h>

struct bg_strbuf {
    char *p;         /* the text, NUL-terminated once anything is appended */
    size_t len, cap;
    int oom;         /* an allocation failed: the text is incomplete */
};

void strbuf_put(struct bg_strbuf *b, const char *s, size_t n);
void strbuf_puts(struct bg_strbuf *b, const char *s);
void strbuf_printf(struct bg_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_spaces(struct bg_strbuf *b, size_t n);

/* Appends s padded with spaces to w columns, on the left when right is set. */
void strbuf_pad(struct bg_strbuf *b, const char *s, size_t w, int right);

/* The text (the caller frees it; "" when nothing was appended), or NULL
 * when an allocation failed, in which case the text is freed. */
char *strbuf_take(struct bg_strbuf *b);

/* The columns a UTF-8 string takes: one per code point. Every character
 * bytegpt draws (braille, box drawing, the run symbols) is one column
 * wide; names with wide characters may come out a little long. */
size_t strbuf_columns(const char *s);

/* The length of the valid UTF-8 sequence at s (1 to 4 bytes), or 0 when
 * it is not one: a bad lead byte, a missing continuation byte (a NUL
 * included, so that the end of a string stops it), an overlong form or a
 * surrogate. What a name or a text must pass before it goes into an SVG
 * or a web page, where invalid UTF-8 makes the document invalid. */
int strbuf_utf8_length(const unsigned char *s);

/* Copies src into dst (n bytes), cut to at most w columns with an
 * ellipsis marking the cut. */
void strbuf_fit(char *dst, size_t n, const char *src, size_t w);

#endif
