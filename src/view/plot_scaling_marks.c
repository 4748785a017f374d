/* plot_scaling_marks: the marks both panels of the scaling SVG draw
 * with (dots, diamonds, squares, stars, spreads), a panel's mapping from
 * numbers to the picture and its title (declared in plot_scaling_svg.h).
 * They sit below the panels (plot_scaling_panels.c) and the picture
 * (plot_scaling_svg.c), which both use them. Every mark carries a <title>,
 * which a browser shows as a tooltip. */
#include <math.h>
#include <stdio.h>

#include "plot_scaling_svg.h"

/* pi, written out: M_PI is not part of standard C. */
#define PI 3.14159265358979323846

/* ---- Marks ---- */

/* Opens a shape, with its class when it has one (the legend's samples
 * have none, so that counting a class counts the data's marks). */
static void shape_open(struct bg_strbuf *b, const char *tag, const char *cls)
{
    strbuf_printf(b, "<%s", tag);
    if (cls)
        strbuf_printf(b, " class=\"%s\"", cls);
}

/* Closes a shape, with its tooltip when it has one. */
static void shape_close(struct bg_strbuf *b, const char *tag, const char *tip)
{
    if (!tip) {
        strbuf_puts(b, "/>\n");
        return;
    }
    strbuf_puts(b, "><title>");
    plot_svg_escape(b, tip);
    strbuf_printf(b, "</title></%s>\n", tag);
}

void scaling_dot(struct bg_strbuf *b, const char *cls, double x, double y, const char *color, const char *tip)
{
    shape_open(b, "circle", cls);
    strbuf_printf(b, " cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" stroke=\"white\" stroke-width=\"1\"", x, y,
                  color);
    shape_close(b, "circle", tip);
}

void scaling_diamond(struct bg_strbuf *b, const char *cls, double x, double y, const char *color,
                     const char *tip)
{
    shape_open(b, "polygon", cls);
    strbuf_printf(b, " points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\" stroke=\"%s\" "
                     "stroke-width=\"1.5\"", x, y - 8, x + 8, y, x, y + 8, x - 8, y, color, INK);
    shape_close(b, "polygon", tip);
}

void scaling_square(struct bg_strbuf *b, const char *cls, double x, double y, const char *tip)
{
    shape_open(b, "rect", cls);
    strbuf_printf(b, " x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\" stroke=\"white\" "
                     "stroke-width=\"1\"", x - 5, y - 5, INK);
    shape_close(b, "rect", tip);
}

/* An open square of half-side r; on the chart large enough to frame a
 * star drawn at the same place: where the check's best size is the
 * predicted one, both show. */
void scaling_box(struct bg_strbuf *b, const char *cls, double x, double y, double r, const char *tip)
{
    shape_open(b, "rect", cls);
    strbuf_printf(b, " x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"%s\" "
                     "stroke-width=\"2\"", x - r, y - r, 2 * r, 2 * r, INK);
    shape_close(b, "rect", tip);
}

/* A five-pointed star: its points alternate between two radii, the
 * first straight above the centre. */
void scaling_star(struct bg_strbuf *b, const char *cls, double x, double y, const char *tip)
{
    shape_open(b, "polygon", cls);
    strbuf_puts(b, " points=\"");
    for (int k = 0; k < 10; k++) {
        double r = k % 2 ? 4.8 : 12.0, t = PI * (k / 5.0 - 0.5);
        strbuf_printf(b, "%s%.1f,%.1f", k ? " " : "", x + r * cos(t), y + r * sin(t));
    }
    strbuf_printf(b, "\" fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\"", STAR_FILL, INK);
    shape_close(b, "polygon", tip);
}

/* An error bar from (x1, y1) to (x2, y2), level or upright, with a cap
 * across each end; left out when an end is not a number. */
void scaling_spread(struct bg_strbuf *b, double x1, double y1, double x2, double y2)
{
    if (!isfinite(x1) || !isfinite(y1) || !isfinite(x2) || !isfinite(y2))
        return;
    double cx = y1 == y2 ? 0 : 6, cy = y1 == y2 ? 6 : 0;
    strbuf_printf(b, "<path class=\"spread\" d=\"M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\" "
                     "fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
                  x1, y1, x2, y2, x1 - cx, y1 - cy, x1 + cx, y1 + cy, x2 - cx, y2 - cy, x2 + cx, y2 + cy, INK);
}

/* A value's place on a frame's axis, NaN for one a log axis cannot place. */
double scaling_x(const struct scaling_panel *p, double v)
{
    return plot_frame_x(&p->f, v);
}

double scaling_y(const struct scaling_panel *p, double v)
{
    return plot_frame_y(&p->f, v);
}

void scaling_panel_title(struct bg_strbuf *b, const struct scaling_panel *p, const char *title)
{
    strbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"%d\" font-weight=\"bold\" "
                     "fill=\"#222222\">", (p->f.left + p->f.right) / 2, PANEL_TOP - 18, FONT);
    plot_svg_escape(b, title);
    strbuf_puts(b, "</text>\n");
}
