/* tokenizer: see tokenizer.h. */
#include "bytegpt/tokenizer.h"

#include <stdio.h>

const char *tokenizer_render(char buf[BG_TOKEN_RENDER_MAX], uint8_t token)
{
    switch (token) {
    case BG_DOC_BOUNDARY: snprintf(buf, BG_TOKEN_RENDER_MAX, "<doc>"); break;
    case '\n': snprintf(buf, BG_TOKEN_RENDER_MAX, "\\n"); break;
    case '\t': snprintf(buf, BG_TOKEN_RENDER_MAX, "\\t"); break;
    case '\r': snprintf(buf, BG_TOKEN_RENDER_MAX, "\\r"); break;
    default:
        if (token >= 0x20 && token < 0x7f)
            snprintf(buf, BG_TOKEN_RENDER_MAX, "%c", token);
        else
            snprintf(buf, BG_TOKEN_RENDER_MAX, "<%02X>", token);
    }
    return buf;
}
