/* plot_term: the terminal chart (plot_terminal in plot.h).
 *
 * The train curves are drawn as lines of Unicode braille dots (2 x 4 dots
 * a character cell), each validation point as its run's symbol on top,
 * with the y labels on the left, the x axis and its labels below, and a
 * legend. Colours are ANSI escapes, one per run, and only when asked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/plot.h"
#include "bytegpt/plot_chart.h"
#include "bytegpt/strbuf.h"

/* ---- Terminal: the canvas ---- */

/* The plot area as cells of 2 x 4 braille dots, so that a curve moves in
 * steps of a quarter row. Each cell remembers the run whose line crossed
 * it last (its colour) and the run with a validation point in it. */
struct cell {
    unsigned char dots;
    short owner; /* run index, -1 for none */
    short mark;  /* 1 + run index, 0 for none */
};

struct canvas {
    size_t cols, rows;
    struct cell *cells;
};

/* The braille bit of the dot at column dx (0..1) and row dy (0..3) of a
 * cell: U+2800 + bits. Dots 1-3 and 4-6 run down the two columns, and
 * dots 7 and 8 were added below them later, hence the order. */
static const unsigned char braille_bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

static void canvas_dot(struct canvas *c, long x, long y, short run)
{
    struct cell *cell = &c->cells[(size_t)(y / 4) * c->cols + (size_t)(x / 2)];
    cell->dots |= braille_bit[y % 4][x % 2];
    cell->owner = run;
}

/* Bresenham's line between two dots, so that a curve stays connected
 * where it falls faster than one dot per column. */
static void canvas_line(struct canvas *c, long x0, long y0, long x1, long y1, short run)
{
    long dx = labs(x1 - x0), dy = -labs(y1 - y0);
    long sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, e = dx + dy;
    for (;;) {
        canvas_dot(c, x0, y0, run);
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

/* Draws every train curve as braille lines, then every val point as its
 * run's symbol on top, so that no line hides a validation point. */
static void canvas_draw(struct canvas *c, const struct plot_chart *ch, const struct plot_axis *ax,
                        const struct plot_axis *ay)
{
    long w = (long)c->cols * 2, h = (long)c->rows * 4;
    for (size_t i = 0; i < ch->n; i++) {
        const struct plot_series *s = &ch->s[i];
        for (size_t j = 0; j < s->n && !s->val; j++) {
            long x = plot_axis_map(ax, s->x[j], w), y = h - 1 - plot_axis_map(ay, s->y[j], h);
            long px = j ? plot_axis_map(ax, s->x[j - 1], w) : x, py = j ? h - 1 - plot_axis_map(ay, s->y[j - 1], h) : y;
            canvas_line(c, px, py, x, y, (short)s->run);
        }
    }
    for (size_t i = 0; i < ch->n; i++) {
        const struct plot_series *s = &ch->s[i];
        for (size_t j = 0; j < s->n && s->val; j++) {
            long x = plot_axis_map(ax, s->x[j], w), y = h - 1 - plot_axis_map(ay, s->y[j], h);
            c->cells[(size_t)(y / 4) * c->cols + (size_t)(x / 2)].mark = (short)(s->run + 1);
        }
    }
}

/* ---- Terminal: the chart ---- */

/* One symbol and one colour per run, repeating after eight runs. */
static const char *const run_symbols[] = {"●", "■", "▲", "◆", "▼", "○", "□", "△"};
static const char *const run_colors[] = {"\x1b[34m", "\x1b[31m", "\x1b[32m", "\x1b[35m",
                                         "\x1b[36m", "\x1b[33m", "\x1b[94m", "\x1b[91m"};
#define N_RUN_STYLES 8
#define ANSI_RESET "\x1b[0m"

/* Switches the colour when a cell's run differs from the last one's. */
static void term_color(struct bg_strbuf *b, int color, int *cur, int want)
{
    if (!color || want == *cur)
        return;
    strbuf_puts(b, want < 0 ? ANSI_RESET : run_colors[want % N_RUN_STYLES]);
    *cur = want;
}

static void term_cell(struct bg_strbuf *b, const struct cell *c, int color, int *cur)
{
    if (c->mark) {
        term_color(b, color, cur, c->mark - 1);
        strbuf_puts(b, run_symbols[(c->mark - 1) % N_RUN_STYLES]);
    } else if (c->dots) {
        term_color(b, color, cur, c->owner);
        char ch[4] = {(char)0xE2, (char)(0xA0 | (c->dots >> 6)), (char)(0x80 | (c->dots & 0x3F)), 0};
        strbuf_puts(b, ch);
    } else {
        strbuf_puts(b, " ");
    }
}

/* The plot rows, each behind its y label (where a tick falls on the row)
 * and the axis line. */
static void term_rows(struct bg_strbuf *b, const struct canvas *c, const struct plot_axis *ay, size_t label_w,
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

/* The x axis line with a tick under each tick value, then the labels
 * under their ticks, then the axis name at the right when there is room
 * (the title names it too). */
static void term_x_axis(struct bg_strbuf *b, const struct canvas *c, const struct plot_axis *ax, size_t label_w,
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

/* One legend item, laid out greedily onto lines that fit the width. */
static void legend_item(struct bg_strbuf *b, size_t *col, size_t width, const char *text, int color, int run)
{
    size_t w = strbuf_columns(text);
    if (*col > 2 && *col + 3 + w > width - 1) {
        strbuf_puts(b, "\n");
        *col = 0;
    }
    strbuf_spaces(b, *col == 0 ? 2 : 3);
    *col += *col == 0 ? 2 : 3;
    if (color && run >= 0)
        strbuf_puts(b, run_colors[run % N_RUN_STYLES]);
    strbuf_puts(b, text);
    if (color && run >= 0)
        strbuf_puts(b, ANSI_RESET);
    *col += w;
}

/* The key (what a line and a symbol mean; the symbol only when some run
 * has validation points), then each run's symbol and name. */
static void term_legend(struct bg_strbuf *b, const struct bg_plot *p, const struct plot_chart *ch,
                        const struct bg_plot_options *o)
{
    char text[256], name[160];
    size_t col = 0;
    snprintf(text, sizeof text, "⠤⠤ train%s", o->smooth > 0 ? " (smoothed)" : "");
    legend_item(b, &col, o->width, text, 0, -1);
    snprintf(text, sizeof text, "%s%s%s val", run_symbols[0], p->n_runs > 1 ? run_symbols[1] : "",
             p->n_runs > 2 ? run_symbols[2] : "");
    if (plot_chart_has_val(ch))
        legend_item(b, &col, o->width, text, 0, -1);
    for (size_t r = 0; r < p->n_runs; r++) {
        strbuf_fit(name, sizeof name, p->runs[r].name, o->width - 6);
        snprintf(text, sizeof text, "%s %s", run_symbols[r % N_RUN_STYLES], name);
        legend_item(b, &col, o->width, text, o->color, (int)r);
    }
    strbuf_puts(b, "\n");
}

/* The widest y label decides where the plot area starts. */
static size_t y_label_width(const struct plot_axis *ay)
{
    size_t w = 1;
    for (size_t t = 0; t < ay->n_ticks; t++) {
        char label[32];
        plot_axis_label(ay, ay->ticks[t], label, sizeof label);
        w = strlen(label) > w ? strlen(label) : w;
    }
    return w;
}

static void term_draw(struct bg_strbuf *b, const struct bg_plot *p, const struct plot_chart *ch,
                      const struct bg_plot_options *o)
{
    struct plot_axis ay, ax;
    plot_axis_init(&ay, PLOT_AXIS_LOSS, ch->ylo, ch->yhi, o->height / 4 + 1, 0);
    size_t label_w = y_label_width(&ay);
    /* One column for the axis line and one left free at the right edge,
     * where some terminals wrap a line that fills the width. */
    struct canvas c = {o->width - label_w - 2, o->height, NULL};
    plot_axis_init(&ax, plot_x_kind(o->x), ch->xlo, ch->xhi, c.cols / 12, 0);
    c.cells = malloc(c.cols * c.rows * sizeof *c.cells);
    if (!c.cells) {
        b->oom = 1;
        return;
    }
    for (size_t i = 0; i < c.cols * c.rows; i++)
        c.cells[i] = (struct cell){0, -1, 0};
    canvas_draw(&c, ch, &ax, &ay);
    char title[256], fitted[256], xname[64];
    plot_x_title(o->x, &ax, xname, sizeof xname);
    plot_chart_title(o, xname, title, sizeof title);
    strbuf_fit(fitted, sizeof fitted, title, o->width - 1);
    strbuf_printf(b, "%s\n", fitted);
    term_rows(b, &c, &ay, label_w, o->color);
    term_x_axis(b, &c, &ax, label_w, o->width, xname);
    term_legend(b, p, ch, o);
    free(c.cells);
}

int plot_terminal(const struct bg_plot *p, const struct bg_plot_options *opt, char **out, struct bg_error *err)
{
    return plot_draw(p, opt, term_draw, out, err);
}
