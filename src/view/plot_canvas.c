/* plot_canvas: see plot_canvas.h. The file reads in the order a chart is
 * drawn: the dots and symbols of the plot area, then its rows with the y
 * labels, then the x axis under them. */
#include "plot_canvas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The plot area ---- */

int plot_canvas_init(struct plot_canvas *c, size_t cols, size_t rows)
{
    c->cols = cols;
    c->rows = rows;
    c->cells = malloc(cols * rows * sizeof *c->cells);
    if (!c->cells)
        return 0;
    for (size_t i = 0; i < cols * rows; i++)
        c->cells[i] = (struct plot_cell){0, -1, NULL, -1};
    return 1;
}

void plot_canvas_free(struct plot_canvas *c)
{
    free(c->cells);
    c->cells = NULL;
}

long plot_canvas_x(const struct plot_canvas *c, const struct plot_axis *ax, double v)
{
    return plot_axis_map(ax, v, (long)c->cols * 2);
}

long plot_canvas_y(const struct plot_canvas *c, const struct plot_axis *ay, double v)
{
    long h = (long)c->rows * 4;
    return h - 1 - plot_axis_map(ay, v, h);
}

static struct plot_cell *cell_at(struct plot_canvas *c, long x, long y)
{
    return &c->cells[(size_t)(y / 4) * c->cols + (size_t)(x / 2)];
}

/* The braille bit of the dot at column dx (0..1) and row dy (0..3) of a
 * cell: U+2800 + bits. Dots 1-3 and 4-6 run down the two columns, and
 * dots 7 and 8 were added below them later, hence the order. */
static const unsigned char braille_bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

static void canvas_dot(struct plot_canvas *c, long x, long y, short color)
{
    struct plot_cell *cell = cell_at(c, x, y);
    cell->dots |= braille_bit[y % 4][x % 2];
    cell->owner = color;
}

/* Bresenham's line between two dots, so that a curve stays connected
 * where it falls faster than one dot per column. */
void plot_canvas_line(struct plot_canvas *c, long x0, long y0, long x1, long y1, short color)
{
    long dx = labs(x1 - x0), dy = -labs(y1 - y0);
    long sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, e = dx + dy;
    for (;;) {
        canvas_dot(c, x0, y0, color);
        if (x0 == x1 && y0 == y1)
            break;
        long e2 = 2 * e;
        if (e2 >= dy) {
            e += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            e += dx;
            y0 += sy;
        }
    }
}

void plot_canvas_mark(struct plot_canvas *c, long x, long y, const char *mark, short color)
{
    struct plot_cell *cell = cell_at(c, x, y);
    cell->mark = mark;
    cell->mark_color = color;
}

/* ---- The rows ---- */

static const char *const ansi_colors[] = {"\x1b[34m", "\x1b[31m", "\x1b[32m", "\x1b[35m",
                                          "\x1b[36m", "\x1b[33m", "\x1b[94m", "\x1b[91m"};
#define N_ANSI_COLORS 8

const char *plot_canvas_ansi(int k)
{
    return ansi_colors[k % N_ANSI_COLORS];
}

/* Switches the colour when a cell's differs from the last one's. */
static void term_color(struct bg_strbuf *b, int color, int *cur, int want)
{
    if (!color || want == *cur)
        return;
    strbuf_puts(b, want < 0 ? PLOT_ANSI_RESET : plot_canvas_ansi(want));
    *cur = want;
}

static void term_cell(struct bg_strbuf *b, const struct plot_cell *c, int color, int *cur)
{
    if (c->mark) {
        term_color(b, color, cur, c->mark_color);
        strbuf_puts(b, c->mark);
    } else if (c->dots) {
        term_color(b, color, cur, c->owner);
        char ch[4] = {(char)0xE2, (char)(0xA0 | (c->dots >> 6)), (char)(0x80 | (c->dots & 0x3F)), 0};
        strbuf_puts(b, ch);
    } else {
        strbuf_puts(b, " ");
    }
}

void plot_canvas_rows(struct bg_strbuf *b, const struct plot_canvas *c, const struct plot_axis *ay, size_t label_w,
                      int color)
{
    long h = (long)c->rows * 4;
    for (size_t r = 0; r < c->rows; r++) {
        char label[32] = "";
        for (size_t t = 0; t < ay->n_ticks; t++)
            if ((size_t)((h - 1 - plot_axis_map(ay, ay->ticks[t], h)) / 4) == r)
                plot_axis_label(ay, ay->ticks[t], label, sizeof label);
        strbuf_pad(b, label, label_w, 1);
        strbuf_puts(b, label[0] ? "┤" : "│");
        int cur = -1;
        for (size_t col = 0; col < c->cols; col++)
            term_cell(b, &c->cells[r * c->cols + col], color, &cur);
        term_color(b, color, &cur, -1);
        strbuf_puts(b, "\n");
    }
}

/* ---- The x axis ---- */

/* Writes label into line centred on column mid, unless it would touch
 * the label before it (which ends at *end); a label at the right edge
 * moves left to stay inside the width. */
static void place_label(char *line, size_t width, const char *label, size_t mid, size_t *end)
{
    size_t len = strlen(label);
    size_t start = mid >= len / 2 ? mid - len / 2 : 0;
    start = start + len > width - 1 ? width - 1 - len : start;
    if (*end == 0 || start > *end) {
        memcpy(line + start, label, len);
        *end = start + len;
    }
}

/* The axis line, then the labels under their ticks, then the axis name
 * (the title names it too, so it may be left out). */
void plot_canvas_x_axis(struct bg_strbuf *b, const struct plot_canvas *c, const struct plot_axis *ax, size_t label_w,
                        size_t width, const char *name)
{
    long w = (long)c->cols * 2;
    char *line = malloc(width + 1);
    if (!line) {
        b->oom = 1;
        return;
    }
    memset(line, ' ', width);
    strbuf_spaces(b, label_w);
    strbuf_puts(b, "└");
    size_t t = 0, end = 0;
    for (size_t col = 0; col < c->cols; col++) {
        int tick = 0;
        for (; t < ax->n_ticks && (size_t)(plot_axis_map(ax, ax->ticks[t], w) / 2) == col; t++, tick = 1) {
            char label[32];
            plot_axis_label(ax, ax->ticks[t], label, sizeof label);
            place_label(line, width, label, label_w + 1 + col, &end);
        }
        strbuf_puts(b, tick ? "┬" : "─");
    }
    size_t len = strlen(name), n = width;
    if (end + 2 + len <= width - 1)
        memcpy(line + width - 1 - len, name, len);
    while (n > 0 && line[n - 1] == ' ')
        n--;
    strbuf_puts(b, "\n");
    strbuf_put(b, line, n);
    strbuf_puts(b, "\n");
    free(line);
}

size_t plot_canvas_label_width(const struct plot_axis *ay)
{
    size_t w = 1;
    for (size_t t = 0; t < ay->n_ticks; t++) {
        char label[32];
        plot_axis_label(ay, ay->ticks[t], label, sizeof label);
        w = strlen(label) > w ? strlen(label) : w;
    }
    return w;
}
