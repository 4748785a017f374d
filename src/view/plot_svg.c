/* plot_svg: the chart as a standalone SVG document, and the file it is
 * written to (plot_svg, plot_svg_write and plot_svg_file in plot.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/fsutil.h"
#include "bytegpt/plot.h"
#include "bytegpt/plot_chart.h"
#include "bytegpt/strbuf.h"

/* ---- SVG ---- */

/* The page and the plot area inside it, in SVG user units (pixels). */
#define SVG_W 900
#define SVG_H 560
#define SVG_LEFT 80.0
#define SVG_RIGHT (SVG_W - 30.0)
#define SVG_TOP 50.0
#define SVG_BOTTOM (SVG_H - 70.0)
#define SVG_FONT 13

/* Tableau's ten colours: distinct from each other, and readable on white. */
static const char *const svg_colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                         "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"};
#define N_SVG_COLORS 10

const char *plot_color(size_t run)
{
    return svg_colors[run % N_SVG_COLORS];
}

void plot_svg_escape(struct bg_strbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': strbuf_puts(b, "&amp;"); break;
        case '<': strbuf_puts(b, "&lt;"); break;
        case '>': strbuf_puts(b, "&gt;"); break;
        case '"': strbuf_puts(b, "&quot;"); break;
        case '\'': strbuf_puts(b, "&apos;"); break;
        default: strbuf_put(b, s, 1);
        }
    }
}

double plot_frame_x(const struct plot_frame *f, double v)
{
    return f->left + plot_axis_frac(f->ax, v) * (f->right - f->left);
}

double plot_frame_y(const struct plot_frame *f, double v)
{
    return f->bottom - plot_axis_frac(f->ay, v) * (f->bottom - f->top);
}

static void svg_line(struct bg_strbuf *b, double x1, double y1, double x2, double y2)
{
    strbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x1, y1, x2, y2);
}

/* Light grid lines at every tick, then the two axes and their ticks. */
static void svg_grid(struct bg_strbuf *b, const struct plot_frame *f)
{
    const struct plot_axis *ax = f->ax, *ay = f->ay;
    strbuf_puts(b, "<g stroke=\"#e6e6e6\" stroke-width=\"1\">\n");
    for (size_t t = 0; t < ax->n_ticks; t++)
        svg_line(b, plot_frame_x(f, ax->ticks[t]), f->top, plot_frame_x(f, ax->ticks[t]), f->bottom);
    for (size_t t = 0; t < ay->n_ticks; t++)
        svg_line(b, f->left, plot_frame_y(f, ay->ticks[t]), f->right, plot_frame_y(f, ay->ticks[t]));
    strbuf_puts(b, "</g>\n<g stroke=\"#333333\" stroke-width=\"1\">\n");
    svg_line(b, f->left, f->bottom, f->right, f->bottom);
    svg_line(b, f->left, f->top, f->left, f->bottom);
    for (size_t t = 0; t < ax->n_ticks; t++)
        svg_line(b, plot_frame_x(f, ax->ticks[t]), f->bottom, plot_frame_x(f, ax->ticks[t]), f->bottom + 5);
    for (size_t t = 0; t < ay->n_ticks; t++)
        svg_line(b, f->left - 5, plot_frame_y(f, ay->ticks[t]), f->left, plot_frame_y(f, ay->ticks[t]));
    strbuf_puts(b, "</g>\n");
}

/* The tick labels and the names of the two axes. The distances were
 * set for 13-unit type (loss.svg's) and grow with the frame's type. */
static void svg_labels(struct bg_strbuf *b, const struct plot_frame *f, const char *xname, const char *yname)
{
    const struct plot_axis *ax = f->ax, *ay = f->ay;
    double s = f->font / 13.0;
    char label[32];
    strbuf_puts(b, "<g fill=\"#333333\" text-anchor=\"middle\">\n");
    for (size_t t = 0; t < ax->n_ticks; t++) {
        plot_axis_label(ax, ax->ticks[t], label, sizeof label);
        strbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", plot_frame_x(f, ax->ticks[t]),
                      f->bottom + 20 * s, label);
    }
    strbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", (f->left + f->right) / 2, f->bottom + 45 * s, xname);
    strbuf_printf(b, "<text transform=\"translate(%.0f %.1f) rotate(-90)\">%s</text>\n", f->left - 58 * s,
                  (f->top + f->bottom) / 2, yname);
    strbuf_puts(b, "</g>\n<g fill=\"#333333\" text-anchor=\"end\">\n");
    for (size_t t = 0; t < ay->n_ticks; t++) {
        plot_axis_label(ay, ay->ticks[t], label, sizeof label);
        strbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", f->left - 9 * s,
                      plot_frame_y(f, ay->ticks[t]) + 4 * s, label);
    }
    strbuf_puts(b, "</g>\n");
}

void plot_svg_axes(struct bg_strbuf *b, const struct plot_frame *f, const char *xname, const char *yname)
{
    svg_grid(b, f);
    svg_labels(b, f, xname, yname);
}

/* Up to this many validation points get a dot; past it the dots would
 * merge into a thick line that hides the curve. */
#define SVG_MAX_DOTS 400

/* One polyline per series with as many points as it has: train solid,
 * val dashed with a dot on each point. */
static void svg_series(struct bg_strbuf *b, const struct plot_chart *ch, const struct plot_frame *f)
{
    strbuf_puts(b, "<g fill=\"none\" stroke-width=\"1.6\" stroke-linejoin=\"round\" stroke-linecap=\"round\">\n");
    for (size_t i = 0; i < ch->n; i++) {
        const struct plot_series *s = &ch->s[i];
        if (s->n == 0)
            continue;
        strbuf_printf(b, "<polyline class=\"%s\" stroke=\"%s\"%s points=\"", s->val ? "val" : "train",
                      plot_color(s->run), s->val ? " stroke-dasharray=\"6 4\"" : "");
        for (size_t j = 0; j < s->n; j++)
            strbuf_printf(b, "%s%.1f,%.1f", j ? " " : "", plot_frame_x(f, s->x[j]), plot_frame_y(f, s->y[j]));
        strbuf_puts(b, "\"/>\n");
    }
    strbuf_puts(b, "</g>\n");
    for (size_t i = 0; i < ch->n; i++) {
        const struct plot_series *s = &ch->s[i];
        if (!s->val || s->n == 0 || s->n > SVG_MAX_DOTS)
            continue;
        strbuf_printf(b, "<g fill=\"%s\" stroke=\"white\" stroke-width=\"0.8\">\n", plot_color(s->run));
        for (size_t j = 0; j < s->n; j++)
            strbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>\n", plot_frame_x(f, s->x[j]), plot_frame_y(f, s->y[j]));
        strbuf_puts(b, "</g>\n");
    }
}

/* The legend, in the top right corner of the plot area where falling
 * loss curves leave room: a key (solid train, dashed val with dots, the
 * latter only when there are validation points), then one swatch and
 * folder name per run. Text is taken as about 7 units a character. */
static void svg_legend(struct bg_strbuf *b, const struct bg_plot *p, const struct plot_chart *ch,
                       const struct bg_plot_options *o)
{
    size_t chars = 16, keys = plot_chart_has_val(ch) ? 2 : 1;
    for (size_t r = 0; r < p->n_runs; r++)
        chars = strbuf_columns(p->runs[r].name) > chars ? strbuf_columns(p->runs[r].name) : chars;
    chars = chars > 60 ? 60 : chars;
    double w = 56.0 + 7.0 * (double)chars, h = 12.0 + 18.0 * (double)(keys + p->n_runs);
    double x = SVG_RIGHT - 10 - w, y = SVG_TOP + 10;
    strbuf_printf(b, "<g class=\"legend\">\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"white\" "
                     "fill-opacity=\"0.9\" stroke=\"#cccccc\"/>\n", x, y, w, h);
    strbuf_printf(b, "<g stroke=\"#555555\" stroke-width=\"1.6\">\n"
                     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                  x + 10, y + 15, x + 34, y + 15);
    if (keys == 2)
        strbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke-dasharray=\"6 4\"/>\n"
                         "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#555555\" stroke=\"none\"/>\n",
                      x + 10, y + 33, x + 34, y + 33, x + 22, y + 33);
    strbuf_printf(b, "</g>\n<g fill=\"#555555\">\n<text x=\"%.1f\" y=\"%.1f\">train%s</text>\n", x + 40, y + 19,
                  o->smooth > 0 ? " (smoothed)" : "");
    if (keys == 2)
        strbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">val</text>\n", x + 40, y + 37);
    strbuf_puts(b, "</g>\n");
    for (size_t r = 0; r < p->n_runs; r++) {
        char name[160];
        double ry = y + 15 + 18.0 * (double)(keys + r);
        strbuf_fit(name, sizeof name, p->runs[r].name, chars);
        strbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"24\" height=\"8\" fill=\"%s\"/>\n"
                         "<text x=\"%.1f\" y=\"%.1f\">",
                      x + 10, ry - 4, plot_color(r), x + 40, ry + 4);
        plot_svg_escape(b, name);
        strbuf_puts(b, "</text>\n");
    }
    strbuf_puts(b, "</g>\n");
}

static void svg_draw(struct bg_strbuf *b, const struct bg_plot *p, const struct plot_chart *ch,
                     const struct bg_plot_options *o)
{
    struct plot_axis ax, ay;
    plot_axis_init(&ax, plot_x_kind(o->x), ch->xlo, ch->xhi, 8, 1);
    plot_axis_init(&ay, PLOT_AXIS_LOSS, ch->ylo, ch->yhi, 8, 1);
    char title[256], xname[64];
    plot_x_title(o->x, &ax, xname, sizeof xname);
    plot_chart_title(o, xname, title, sizeof title);
    strbuf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                     "font-family=\"sans-serif\" font-size=\"%d\">\n<title>bytegpt: %s</title>\n"
                     "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n"
                     "<text x=\"%d\" y=\"30\" text-anchor=\"middle\" font-size=\"16\" fill=\"#222222\">%s</text>\n",
                  SVG_W, SVG_H, SVG_W, SVG_H, SVG_FONT, title, SVG_W, SVG_H, SVG_W / 2, title);
    struct plot_frame f = {SVG_LEFT, SVG_RIGHT, SVG_TOP, SVG_BOTTOM, &ax, &ay, SVG_FONT};
    plot_svg_axes(b, &f, xname, "loss (nats per byte)");
    svg_series(b, ch, &f);
    svg_legend(b, p, ch, o);
    strbuf_puts(b, "</svg>\n");
}

int plot_svg(const struct bg_plot *p, const struct bg_plot_options *opt, char **out, struct bg_error *err)
{
    return plot_draw(p, opt, svg_draw, out, err);
}

/* ---- Writing the SVG ---- */

/* The document goes through fsutil's one atomic write: a browser
 * reloading loss.svg mid-run sees the old file or the new one, never half
 * of one, and a path the user can fix (no such folder, a file where a
 * folder should be, no permission) is an input error naming it. */
int plot_svg_write(const char *svg_path, const struct bg_plot *p, const struct bg_plot_options *opt,
                   struct bg_error *err)
{
    char *doc = NULL;
    int rc = plot_svg(p, opt, &doc, err);
    if (!rc)
        rc = fsutil_write_file(svg_path, doc, strlen(doc), "SVG", err);
    free(doc);
    return rc;
}

int plot_svg_file(const char *svg_path, const char *const *log_paths, size_t n_logs,
                  const struct bg_plot_options *opt, struct bg_error *err)
{
    struct bg_plot p;
    int rc = plot_load(&p, log_paths, n_logs, err);
    if (rc)
        return rc;
    rc = plot_svg_write(svg_path, &p, opt, err);
    plot_free(&p);
    return rc;
}
