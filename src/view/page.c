/* page: see page.h. This file writes what every page shares: the
 * document around the sections, its head with the style and the reload
 * settings, and the escaping of text. The pages themselves are built on
 * it: a run's sections in page_run.c, the sweep page in page_sweep.c, the
 * page that compares runs in page_compare.c; the chart is in
 * page_chart.c, the style sheet and script in page_style.c. */
#include <stdlib.h>
#include <string.h>

#include "bytegpt/page.h"

#include "bytegpt/fsutil.h"
#include "bytegpt/plot_chart.h"
#include "page_style.h"

/* ---- Escaping ---- */

/* The character that stands in for a byte that is not text. */
#define REPLACEMENT "\xef\xbf\xbd"

void page_escape_n(struct bg_strbuf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        /* A sequence cut by the end of the text counts as invalid. */
        int len = strbuf_utf8_length(p);
        if (len == 0 || p + len > end || (len == 1 && *p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F) {
            strbuf_puts(b, REPLACEMENT);
            p += 1;
            continue;
        }
        switch (*p) {
        case '&': strbuf_puts(b, "&amp;"); break;
        case '<': strbuf_puts(b, "&lt;"); break;
        case '>': strbuf_puts(b, "&gt;"); break;
        case '"': strbuf_puts(b, "&quot;"); break;
        case '\'': strbuf_puts(b, "&#39;"); break;
        default: strbuf_put(b, (const char *)p, (size_t)len);
        }
        p += len;
    }
}

void page_escape(struct bg_strbuf *b, const char *s)
{
    page_escape_n(b, s, strlen(s));
}

void page_json_string(struct bg_strbuf *b, const char *s)
{
    strbuf_puts(b, "\"");
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int len = strbuf_utf8_length(p);
        if (len == 0)
            strbuf_puts(b, "\\ufffd"); /* not UTF-8: the replacement character */
        else if (*p == '"' || *p == '\\')
            strbuf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&')
            strbuf_printf(b, "\\u%04x", *p);
        else
            strbuf_put(b, (const char *)p, (size_t)len);
        p += len ? len : 1;
    }
    strbuf_puts(b, "\"");
}

/* ---- The document ---- */

void page_begin(struct bg_strbuf *b, const struct page_head *h, const char *state, const char *label,
                const char *note)
{
    strbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    /* Without scripts a live page still reloads, by the meta refresh
     * (which loses the scroll position: the script keeps it). */
    if (h->live)
        strbuf_printf(b, "<noscript><meta http-equiv=\"refresh\" content=\"%d\"></noscript>\n", BG_PAGE_RELOAD_S);
    strbuf_puts(b, "<title>");
    page_escape(b, h->title);
    strbuf_printf(b, " - bytegpt</title>\n<style>\n%s</style>\n</head>\n", page_css);
    strbuf_printf(b, "<body data-live=\"%d\" data-reload=\"%d\" data-written=\"%.0f\" data-stale=\"%.0f\">\n",
                  h->live, BG_PAGE_RELOAD_S, h->written_at, h->stale_after);
    strbuf_printf(b, "<header>\n<h1><span class=\"kind\">bytegpt %s</span> ", h->kind);
    page_escape(b, h->title);
    strbuf_printf(b, "</h1>\n<p class=\"status\"><span id=\"state\" class=\"state %s\">", state);
    page_escape(b, label);
    strbuf_puts(b, "</span><span id=\"age\" class=\"age\"></span></p>\n");
    if (note && note[0]) {
        strbuf_puts(b, "<p id=\"note\" class=\"note\">");
        page_escape(b, note);
        strbuf_puts(b, "</p>\n");
    }
    strbuf_puts(b, "</header>\n<main>\n");
}

int page_end(struct bg_strbuf *b, int rc, char **out, struct bg_error *err)
{
    strbuf_printf(b, "</main>\n<footer>Written by bytegpt; this page needs no network. While the run is live it "
                     "reloads itself every %d s.</footer>\n<script>\n%s</script>\n</body>\n</html>\n",
                  BG_PAGE_RELOAD_S, page_js);
    if (rc) {
        free(strbuf_take(b));
        return rc;
    }
    return plot_finish(b, out, err);
}

void page_section(struct bg_strbuf *b, const char *id, const char *title)
{
    strbuf_printf(b, "<h2 id=\"%s\">%s</h2>\n", id, title);
}

int page_commit(const char *path, int rc, char *doc, struct bg_error *err)
{
    if (!rc)
        rc = fsutil_write_file(path, doc, strlen(doc), "page", err);
    free(doc);
    return rc;
}
