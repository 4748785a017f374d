/* plot_scaling_svg: the scaling SVG (plot_scaling_svg and
 * plot_scaling_svg_inline and plot_scaling_svg_write in plot_scaling.h):
 * the legend under the panels and the picture put together; the panels
 * are drawn in plot_scaling_panels.c, with the marks of
 * plot_scaling_marks.c.
 *
 * The axes, their ticks and labels and the budgets' colours are the loss
 * chart's (plot_chart.h), so that scaling.svg reads like loss.svg. Every
 * mark carries a <title>, which a browser shows as a tooltip: hovering a
 * dot says which run it is and what it scored. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/format.h"
#include "bytegpt/fsutil.h"
#include "plot_scaling_parts.h"
#include "plot_scaling_svg.h"

/* The legend's rows under the panels, and what a character takes in
 * them (half the type's size: sans-serif text is about that wide). */
#define LEGEND_LEFT 30.0
#define LEGEND_TOP 592.0
#define LEGEND_ROW 32.0
#define CHAR_W (FONT / 2.0)
#define KEY_DY (FONT / 3.0) /* from a row's baseline up to its marks' centres */

/* ---- The legend ---- */

/* Items laid out left to right in rows under the panels. */
struct flow {
    double x, y;
};

/* Where an item of `chars` characters starts: on a new row when it
 * would pass the right edge. */
static double flow_item(struct flow *fl, size_t chars)
{
    double w = 30.0 + CHAR_W * (double)chars;
    if (fl->x > LEGEND_LEFT && fl->x + w > VIEW_W - 20) {
        fl->x = LEGEND_LEFT;
        fl->y += LEGEND_ROW;
    }
    double at = fl->x;
    fl->x += w + 20;
    return at;
}

static void flow_text(struct bg_strbuf *b, double x, double y, const char *text)
{
    strbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">", x + 28, y);
    plot_svg_escape(b, text);
    strbuf_puts(b, "</text>\n");
}

/* Each budget: its colour as a stroke with a dot, its FLOPs, and whether
 * its vertex is outside. */
static void legend_budgets(struct bg_strbuf *b, struct flow *fl, const struct bg_scaling_fit *f)
{
    for (size_t k = 0; k < f->n_budgets; k++) {
        char name[FORMAT_LEN], text[96];
        const struct bg_scaling_parabola *par = &f->par[k];
        snprintf(text, sizeof text, "%s FLOPs%s", plot_sci_label(name, sizeof name, par->c),
                 par->where == BG_SCALING_INSIDE ? "" : par->where == BG_SCALING_FLAT ? " (no minimum)" : " (outside)");
        double x = flow_item(fl, strbuf_columns(text));
        strbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"/>\n",
                      x, fl->y - KEY_DY, x + 18, fl->y - KEY_DY, plot_color(k));
        scaling_dot(b, NULL, x + 9, fl->y - KEY_DY, plot_color(k), NULL);
        flow_text(b, x, fl->y, text);
    }
}

/* What each kind of mark means, on a row of its own. */
static void legend_key(struct bg_strbuf *b, struct flow *fl, const struct bg_scaling_view *v)
{
    char text[96], budget[FORMAT_LEN];
    double x = flow_item(fl, 17);
    scaling_dot(b, NULL, x + 9, fl->y - KEY_DY, "#777777", NULL);
    flow_text(b, x, fl->y, "a run (each seed)");
    if (plot_scaling_vertices(v->fit) > 0) {
        x = flow_item(fl, 22);
        scaling_diamond(b, NULL, x + 9, fl->y - KEY_DY, "#777777", NULL);
        flow_text(b, x, fl->y, "a budget's best size");
    }
    if (plot_scaling_has_prediction(v->fit)) {
        snprintf(text, sizeof text, "prediction at %s FLOPs", plot_sci_label(budget, sizeof budget, v->fit->c_pred));
        x = flow_item(fl, strbuf_columns(text));
        scaling_star(b, NULL, x + 9, fl->y - KEY_DY, NULL);
        flow_text(b, x, fl->y, text);
    }
    if (v->check) {
        snprintf(text, sizeof text, "check run at %s FLOPs", plot_sci_label(budget, sizeof budget, v->check->c));
        x = flow_item(fl, strbuf_columns(text));
        scaling_square(b, NULL, x + 9, fl->y - KEY_DY, NULL);
        flow_text(b, x, fl->y, text);
        x = flow_item(fl, 21);
        scaling_box(b, NULL, x + 9, fl->y - KEY_DY, 8, NULL);
        flow_text(b, x, fl->y, "best size of the check");
    }
}

/* The legend; returns the baseline of its last row. */
static double legend(struct bg_strbuf *b, const struct bg_scaling_view *v)
{
    struct flow fl = {LEGEND_LEFT, LEGEND_TOP};
    strbuf_puts(b, "<g class=\"scaling-legend\" fill=\"#222222\">\n");
    legend_budgets(b, &fl, v->fit);
    fl = (struct flow){LEGEND_LEFT, fl.y + LEGEND_ROW};
    legend_key(b, &fl, v);
    strbuf_puts(b, "</g>\n");
    return fl.y;
}

/* ---- The picture ---- */

/* The whole picture; standalone adds what a file of its own needs. The
 * legend is drawn first, aside, because its rows decide the height. */
static void picture(struct bg_strbuf *b, const struct bg_scaling_view *v, int standalone)
{
    struct bg_strbuf key = {0};
    int h = (int)ceil(legend(&key, v) + 18);
    if (standalone)
        strbuf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
                         "width=\"%d\" height=\"%d\" ", VIEW_W, h);
    else
        strbuf_puts(b, "<svg class=\"scaling-svg\" role=\"img\" aria-label=\"IsoFLOP curves and frontier\" ");
    strbuf_printf(b, "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"%d\">\n"
                     "<title>bytegpt scaling: IsoFLOP curves and the compute-optimal frontier</title>\n"
                     "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n"
                     "<text x=\"%d\" y=\"38\" text-anchor=\"middle\" font-size=\"%d\" fill=\"#222222\">"
                     "The best model size for each compute budget</text>\n",
                  VIEW_W, h, FONT, VIEW_W, h, VIEW_W / 2, FONT + 4);
    scaling_iso_panel(b, v);
    scaling_front_panel(b, v);
    if (key.oom)
        b->oom = 1;
    else if (key.len)
        strbuf_put(b, key.p, key.len);
    free(key.p);
    strbuf_puts(b, "</svg>\n");
}

int plot_scaling_svg(const struct bg_scaling_view *v, char **out, struct bg_error *err)
{
    *out = NULL;
    int rc = plot_scaling_check_view(v, err);
    if (rc)
        return rc;
    struct bg_strbuf b = {0};
    picture(&b, v, 1);
    return plot_finish(&b, out, err);
}

int plot_scaling_svg_inline(struct bg_strbuf *b, const struct bg_scaling_view *v, struct bg_error *err)
{
    int rc = plot_scaling_check_view(v, err);
    if (!rc)
        picture(b, v, 0);
    return rc;
}

/* ---- Writing the SVG ---- */

/* Through fsutil's one atomic write, as loss.svg is: a reader sees the
 * old picture or the new one, and a path the user can fix is an input
 * error naming it. */
int plot_scaling_svg_write(const char *path, const struct bg_scaling_view *v, struct bg_error *err)
{
    char *doc = NULL;
    int rc = plot_scaling_svg(v, &doc, err);
    if (!rc)
        rc = fsutil_write_file(path, doc, strlen(doc), "SVG", err);
    free(doc);
    return rc;
}
