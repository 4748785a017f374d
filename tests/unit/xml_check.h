/* xml_check: a structural check of the SVG documents the plot tests draw
 * (test_plot.c, test_plot_scaling.c), for machines without xmllint.
 * (inline: a test that does not use it gets no unused-function warning.) */
#ifndef BYTEGPT_TEST_XML_CHECK_H
#define BYTEGPT_TEST_XML_CHECK_H

#include <stdio.h>
#include <string.h>

/* A structural check of an XML document, enough to catch what a renderer
 * gets wrong: every tag closed in order, attribute values quoted, no raw
 * '<' or stray '&' in text, one root element and it is <svg>. */
static inline int xml_ok(const char *doc)
{
    char stack[64][32];
    int depth = 0, roots = 0, root_svg = 0;
    for (const char *p = doc; *p; p++) {
        if (*p == '&') {
            const char *ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
            int ok = 0;
            for (int i = 0; i < 5; i++)
                ok |= strncmp(p, ents[i], strlen(ents[i])) == 0;
            if (!ok)
                return 0;
        }
        if (*p != '<')
            continue;
        if (p[1] == '?') {
            p = strstr(p, "?>");
            if (!p)
                return 0;
            p++;
            continue;
        }
        int closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t len = strcspn(name, " \t\n/>");
        if (len == 0 || len >= 32)
            return 0;
        /* Walk to the tag's end, stepping over quoted attribute values. */
        const char *q = name + len;
        while (*q && *q != '>') {
            if (*q == '"') {
                q = strchr(q + 1, '"');
                if (!q || memchr(name, '<', (size_t)(q - name)))
                    return 0;
            }
            q++;
        }
        if (!*q)
            return 0;
        int self_closing = q[-1] == '/';
        if (closing) {
            if (depth == 0 || strncmp(stack[depth - 1], name, len) != 0 || stack[depth - 1][len] != '\0')
                return 0;
            depth--;
        } else if (!self_closing) {
            if (depth == 0) {
                roots++;
                root_svg = len == 3 && strncmp(name, "svg", 3) == 0;
            }
            if (depth == 64)
                return 0;
            snprintf(stack[depth++], 32, "%.*s", (int)len, name);
        } else if (depth == 0) {
            return 0;
        }
        p = q;
    }
    return depth == 0 && roots == 1 && root_svg;
}

#endif
