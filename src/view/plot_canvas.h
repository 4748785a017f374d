/* plot_canvas: the character grid the terminal charts are drawn on
 * (plot_canvas.c), private to the view module: lines of Unicode braille
 * dots, symbols on top of them, the y labels and axis at the left, the x
 * axis and its labels below. The loss chart (plot_term.c) and the
 * scaling chart (plot_scaling_term.c) both draw on it, so that the two
 * read alike. */
#ifndef BYTEGPT_VIEW_PLOT_CANVAS_H
#define BYTEGPT_VIEW_PLOT_CANVAS_H

#include <stddef.h>

#include "bytegpt/plot_chart.h"
#include "bytegpt/strbuf.h"

/* One character cell: 2 x 4 braille dots, so that a curve moves in steps
 * of a quarter row. A cell remembers the colour of the line that crossed
 * it last, and a symbol drawn on top (a data point) with its colour. */
struct plot_cell {
    unsigned char dots;
    short owner;      /* colour index of the dots, -1 for none */
    const char *mark; /* a symbol of one column ("●", "a"), or NULL */
    short mark_color; /* its colour index, -1 for none */
};

/* The plot area, cols x rows cells, or 2 cols x 4 rows dots. */
struct plot_canvas {
    size_t cols, rows;
    struct plot_cell *cells;
};

/* Allocates an empty canvas; 0 when memory ran out. */
int plot_canvas_init(struct plot_canvas *c, size_t cols, size_t rows);
void plot_canvas_free(struct plot_canvas *c);

/* The dot column of v on the x axis, and the dot row of v on the y axis
 * (row 0 at the top), clamped to the canvas. */
long plot_canvas_x(const struct plot_canvas *c, const struct plot_axis *ax, double v);
long plot_canvas_y(const struct plot_canvas *c, const struct plot_axis *ay, double v);

/* A line of dots between two dots, in colour `color`. */
void plot_canvas_line(struct plot_canvas *c, long x0, long y0, long x1, long y1, short color);

/* Puts mark on the cell holding the dot (x, y), over what was there. */
void plot_canvas_mark(struct plot_canvas *c, long x, long y, const char *mark, short color);

/* The plot rows, each behind its y label (where a tick falls on the row)
 * and the axis line, label_w columns for the labels. */
void plot_canvas_rows(struct bg_strbuf *b, const struct plot_canvas *c, const struct plot_axis *ay, size_t label_w,
                      int color);

/* The x axis line with a tick under each tick value, the labels under
 * their ticks, and the axis' name at the right when there is room. */
void plot_canvas_x_axis(struct bg_strbuf *b, const struct plot_canvas *c, const struct plot_axis *ax, size_t label_w,
                        size_t width, const char *name);

/* The widest label of the y axis: where the plot area starts. */
size_t plot_canvas_label_width(const struct plot_axis *ay);

/* The ANSI escape of colour index k (cycling through eight), and the one
 * that ends a colour. */
const char *plot_canvas_ansi(int k);
#define PLOT_ANSI_RESET "\x1b[0m"

#endif
