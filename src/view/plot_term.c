/* plot_term: the terminal chart (plot_terminal in plot.h).
 *
 * The train curves are drawn on plot_canvas.c's grid as lines of Unicode
 * braille dots (2 x 4 dots a character cell), each validation point as
 * its run's symbol on top, with the y labels on the left, the x axis and
 * its labels below, and a legend. Colours are ANSI escapes, one per run, and only when asked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/plot.h"
#include "bytegpt/plot_chart.h"
#include "bytegpt/strbuf.h"
#include "plot_canvas.h"

/* ---- Terminal: the chart ---- */

/* One symbol per run, repeating after eight runs (as the colours do). */
static const char *const run_symbols[] = {"●", "■", "▲", "◆", "▼", "○", "□", "△"};
#define N_RUN_STYLES 8

/* Draws every train curve as braille lines, then every val point as its
 * run's symbol on top, so that no line hides a validation point. */
static void canvas_draw(struct plot_canvas *c, const struct plot_chart *ch, const struct plot_axis *ax,
                        const struct plot_axis *ay)
{
    for (size_t i = 0; i < ch->n; i++) {
        const struct plot_series *s = &ch->s[i];
        for (size_t j = 0; j < s->n && !s->val; j++) {
            long x = plot_canvas_x(c, ax, s->x[j]), y = plot_canvas_y(c, ay, s->y[j]);
            long px = j ? plot_canvas_x(c, ax, s->x[j - 1]) : x, py = j ? plot_canvas_y(c, ay, s->y[j - 1]) : y;
            plot_canvas_line(c, px, py, x, y, (short)s->run);
        }
    }
    for (size_t i = 0; i < ch->n; i++) {
        const struct plot_series *s = &ch->s[i];
        for (size_t j = 0; j < s->n && s->val; j++)
            plot_canvas_mark(c, plot_canvas_x(c, ax, s->x[j]), plot_canvas_y(c, ay, s->y[j]),
                             run_symbols[s->run % N_RUN_STYLES], (short)s->run);
    }
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
        strbuf_puts(b, plot_canvas_ansi(run));
    strbuf_puts(b, text);
    if (color && run >= 0)
        strbuf_puts(b, PLOT_ANSI_RESET);
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

static void term_draw(struct bg_strbuf *b, const struct bg_plot *p, const struct plot_chart *ch,
                      const struct bg_plot_options *o)
{
    struct plot_axis ay, ax;
    plot_axis_init(&ay, PLOT_AXIS_LOSS, ch->ylo, ch->yhi, o->height / 4 + 1, 0);
    size_t label_w = plot_canvas_label_width(&ay);
    /* One column for the axis line and one left free at the right edge,
     * where some terminals wrap a line that fills the width. */
    struct plot_canvas c;
    if (!plot_canvas_init(&c, o->width - label_w - 2, o->height)) {
        b->oom = 1;
        return;
    }
    plot_axis_init(&ax, plot_x_kind(o->x), ch->xlo, ch->xhi, c.cols / 12, 0);
    canvas_draw(&c, ch, &ax, &ay);
    char title[256], fitted[256], xname[64];
    plot_x_title(o->x, &ax, xname, sizeof xname);
    plot_chart_title(o, xname, title, sizeof title);
    strbuf_fit(fitted, sizeof fitted, title, o->width - 1);
    strbuf_printf(b, "%s\n", fitted);
    plot_canvas_rows(b, &c, &ay, label_w, o->color);
    plot_canvas_x_axis(b, &c, &ax, label_w, o->width, xname);
    term_legend(b, p, ch, o);
    plot_canvas_free(&c);
}

int plot_terminal(const struct bg_plot *p, const struct bg_plot_options *opt, char **out, struct bg_error *err)
{
    return plot_draw(p, opt, term_draw, out, err);
}
