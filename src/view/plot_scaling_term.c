/* plot_scaling_term: the scaling chart for a terminal
 * (plot_scaling_terminal in plot_scaling.h): the IsoFLOP panel drawn on
 * the loss chart's braille grid (plot_canvas.h), and under it a table of
 * the budgets: where each one's best size lies, and what it scores.
 *
 * A terminal has no colours to spare for sixteen budgets, so each budget
 * is a letter: its runs are the lowercase letter, its vertex the
 * uppercase one, and its parabola a braille line. The check's runs are
 * '+' and the prediction '*'. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bytegpt/format.h"
#include "plot_canvas.h"
#include "plot_scaling_parts.h"

/* The chart's size when the caller gives no options. */
#define TERM_WIDTH 72
#define TERM_HEIGHT 14

/* One letter per budget, for its runs and for its vertex. */
static const char *const run_letters[BG_SCALING_MAX_BUDGETS] = {"a", "b", "c", "d", "e", "f", "g", "h",
                                                                "i", "j", "k", "l", "m", "n", "o", "p"};
static const char *const vertex_letters[BG_SCALING_MAX_BUDGETS] = {"A", "B", "C", "D", "E", "F", "G", "H",
                                                                   "I", "J", "K", "L", "M", "N", "O", "P"};

/* ---- The chart ---- */

static void mark(struct plot_canvas *c, const struct plot_axis *ax, const struct plot_axis *ay, double n, double bpb,
                 const char *m, short color)
{
    if (n > 0 && isfinite(n) && isfinite(bpb))
        plot_canvas_mark(c, plot_canvas_x(c, ax, n), plot_canvas_y(c, ay, bpb), m, color);
}

/* A parabola as braille lines between points along it. */
static void draw_parabola(struct plot_canvas *c, const struct plot_axis *ax, const struct plot_axis *ay,
                          const struct bg_scaling_parabola *p, short color)
{
    long px = 0, py = 0;
    for (int k = 0; k < PLOT_SCALING_SAMPLES; k++) {
        double n = p->n_lo * pow(p->n_hi / p->n_lo, k / (PLOT_SCALING_SAMPLES - 1.0));
        long x = plot_canvas_x(c, ax, n), y = plot_canvas_y(c, ay, plot_scaling_parabola_at(p, n));
        plot_canvas_line(c, k ? px : x, k ? py : y, x, y, color);
        px = x;
        py = y;
    }
}

/* The curves first, then the runs over them, then the vertices and the
 * prediction, which matter most, over everything. */
static void draw(struct plot_canvas *c, const struct plot_axis *ax, const struct plot_axis *ay,
                 const struct bg_scaling_view *v)
{
    const struct bg_scaling_fit *f = v->fit;
    for (size_t k = 0; k < f->n_budgets; k++)
        if (plot_scaling_parabola_ok(&f->par[k]))
            draw_parabola(c, ax, ay, &f->par[k], (short)k);
    for (size_t i = 0; i < v->n_pts; i++)
        if (plot_scaling_point_ok(v, &v->pts[i]))
            mark(c, ax, ay, v->pts[i].n, v->pts[i].bpb, run_letters[v->pts[i].budget], (short)v->pts[i].budget);
    for (int i = 0; v->check && i < 3; i++)
        mark(c, ax, ay, v->check->n[i], v->check->bpb[i], "+", -1);
    for (size_t k = 0; k < f->n_budgets; k++)
        if (plot_scaling_vertex_ok(&f->par[k]))
            mark(c, ax, ay, f->par[k].n_opt, f->par[k].bpb_opt, vertex_letters[k], (short)k);
    if (plot_scaling_has_prediction(f))
        mark(c, ax, ay, f->n_pred.value, f->bpb_pred.value, "*", -1);
}

/* Appends a line cut to the width, as every line of the output is. */
static void put_line(struct bg_strbuf *b, const char *text, size_t width)
{
    char fitted[256];
    strbuf_fit(fitted, sizeof fitted, text, width - 1);
    strbuf_printf(b, "%s\n", fitted);
}

/* What the letters and symbols stand for: "a-e" for five budgets. */
static void key(struct bg_strbuf *b, const struct bg_scaling_view *v, size_t width)
{
    char runs[8] = "a", best[32] = "", text[256];
    size_t last = v->fit->n_budgets - 1;
    if (last > 0)
        snprintf(runs, sizeof runs, "a-%s", run_letters[last]);
    if (plot_scaling_vertices(v->fit) > 0)
        snprintf(best, sizeof best, "   %s%s%s: best size", vertex_letters[0], last > 0 ? "-" : "",
                 last > 0 ? vertex_letters[last] : "");
    snprintf(text, sizeof text, "  %s: runs (each seed)%s%s%s", runs, best, v->check ? "   +: check" : "",
             plot_scaling_has_prediction(v->fit) ? "   *: prediction" : "");
    put_line(b, text, width);
}

/* ---- The table ---- */

static void table(struct bg_strbuf *b, const struct bg_scaling_fit *f, size_t width)
{
    char line[256];
    snprintf(line, sizeof line, "   %-15s %-10s %-9s %s", "budget (FLOPs)", "best size", "best bpb", "where");
    put_line(b, line, width);
    for (size_t k = 0; k < f->n_budgets; k++) {
        const struct bg_scaling_parabola *p = &f->par[k];
        char budget[FORMAT_LEN], size[FORMAT_LEN] = "-", bpb[FORMAT_LEN] = "-";
        if (plot_scaling_vertex_ok(p)) {
            format_count(size, sizeof size, p->n_opt);
            snprintf(bpb, sizeof bpb, "%.3f", p->bpb_opt);
        }
        snprintf(line, sizeof line, "%s  %-15s %-10s %-9s %s", run_letters[k],
                 plot_sci_label(budget, sizeof budget, p->c), size, bpb, plot_scaling_where(p->where));
        put_line(b, line, width);
    }
}

/* ---- The whole ---- */

/* The options with this chart's own default size. */
static struct bg_plot_options term_options(const struct bg_plot_options *opt)
{
    struct bg_plot_options o = BG_PLOT_OPTIONS_DEFAULT;
    o.width = TERM_WIDTH;
    o.height = TERM_HEIGHT;
    return plot_options_resolve(opt ? opt : &o);
}

int plot_scaling_terminal(const struct bg_scaling_view *v, const struct bg_plot_options *opt, char **out,
                          struct bg_error *err)
{
    *out = NULL;
    int rc = plot_scaling_check_view(v, err);
    if (rc)
        return rc;
    struct bg_plot_options o = term_options(opt);
    struct plot_scaling_extent e;
    struct plot_axis ax, ay;
    struct plot_canvas c;
    struct bg_strbuf b = {0};
    plot_scaling_extent(v, 0, &e);
    plot_axis_init(&ay, PLOT_AXIS_LOSS, e.blo, e.bhi, o.height / 4 + 1, 0);
    plot_axis_init_log(&ax, PLOT_AXIS_COUNT, e.nlo, e.nhi, 0);
    size_t label_w = plot_canvas_label_width(&ay);
    /* One column for the axis line and one left free at the right edge,
     * where some terminals wrap a line that fills the width. */
    if (!plot_canvas_init(&c, o.width - label_w - 2, o.height))
        return bg_fail(err, BG_ERR_RUNTIME, "scaling chart: out of memory");
    draw(&c, &ax, &ay, v);
    put_line(&b, "IsoFLOP curves: validation bits per byte vs parameters (log scale)", o.width);
    plot_canvas_rows(&b, &c, &ay, label_w, o.color);
    plot_canvas_x_axis(&b, &c, &ax, label_w, o.width, "parameters");
    plot_canvas_free(&c);
    key(&b, v, o.width);
    strbuf_puts(&b, "\n");
    table(&b, v->fit, o.width);
    return plot_finish(&b, out, err);
}
