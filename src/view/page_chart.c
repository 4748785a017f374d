/* page_chart: the loss chart of a web page (page.h), drawn here as an
 * inline SVG so that the page shows it even where scripts are off, with
 * the points it draws also written as JSON for the page's script, which
 * shows the values under the cursor.
 *
 * The axes, their ticks and labels, the smoothing and the run colours are
 * the plot module's (plot_chart.h), so that the page, loss.svg and the
 * terminal chart agree. What the page adds: a second y axis on the right
 * in bits per byte (the same curves read in other units: one bit is ln 2
 * nats), the raw and the smoothed train loss together, the baselines as
 * reference lines, and the thinning (page_thin) that keeps the page of a
 * long run small. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/plot_chart.h"
#include "bytegpt/page.h"
#include "page_chart.h"

/* The picture's coordinates, and the plot area inside them. */
#define VIEW_W 1200
#define VIEW_H 600
#define LEFT 100.0
#define RIGHT 1090.0
#define TOP 24.0
#define BOTTOM 510.0

/* Validation points get a dot up to this many; past it the dots merge. */
#define MAX_DOTS 120

/* The baselines' colours, apart from the runs' blue and red. */
#define ORDER0_COLOR "#6a3d9a"
#define GZIP_COLOR "#1a7a1a"

/* ---- Thinning ---- */

/* The column of [x0, x0 + span] that v falls in, of `columns`. */
static size_t column_of(double v, double x0, double span, size_t columns)
{
    if (!(span > 0))
        return 0;
    size_t c = (size_t)((v - x0) / span * (double)columns);
    return c < columns ? c : columns - 1;
}

size_t page_thin(const double *x, const double *y, size_t n, size_t columns, size_t *keep)
{
    if (columns == 0 || n <= 2 * columns + 2) {
        for (size_t i = 0; i < n; i++)
            keep[i] = i;
        return n;
    }
    double span = x[n - 1] - x[0];
    size_t k = 0, i = 1;
    keep[k++] = 0;
    /* Each run of points in one column gives its lowest and its highest,
     * in the order they come, so the line still goes down and up. */
    while (i < n - 1) {
        size_t col = column_of(x[i], x[0], span, columns), lo = i, hi = i;
        for (; i < n - 1 && column_of(x[i], x[0], span, columns) == col; i++) {
            lo = y[i] < y[lo] ? i : lo;
            hi = y[i] > y[hi] ? i : hi;
        }
        keep[k++] = lo < hi ? lo : hi;
        if (lo != hi)
            keep[k++] = lo < hi ? hi : lo;
    }
    keep[k++] = n - 1;
    return k;
}

/* ---- One run's curves ---- */

/* A run's train points (x, step, raw and smoothed loss) and validation
 * points (x, step, loss), and the indices of each line's points kept. */
struct curves {
    double *mem;
    double *tx, *ts, *ty, *tsm, *vx, *vs, *vy;
    size_t nt, nv;
    size_t *idx;
    size_t *k_raw, *k_sm, *k_val;
    size_t n_raw, n_sm, n_val;
};

static int curves_build(struct curves *c, const struct bg_plot_run *r, const struct page_chart_opts *o)
{
    size_t n = r->n_rows;
    memset(c, 0, sizeof *c);
    c->mem = malloc((7 * n + 1) * sizeof *c->mem);
    c->idx = malloc((3 * n + 1) * sizeof *c->idx);
    if (!c->mem || !c->idx)
        return 0;
    double *m = c->mem;
    c->tx = m, c->ts = m + n, c->ty = m + 2 * n, c->tsm = m + 3 * n;
    c->vx = m + 4 * n, c->vs = m + 5 * n, c->vy = m + 6 * n;
    for (size_t i = 0; i < n; i++) {
        const struct bg_log_row *row = &r->rows[i];
        double x = plot_row_x(row, o->x);
        if (isfinite(x) && isfinite(row->train_loss)) {
            c->tx[c->nt] = x, c->ts[c->nt] = (double)row->step;
            c->ty[c->nt++] = row->train_loss;
        }
        if (isfinite(x) && isfinite(row->val_loss)) {
            c->vx[c->nv] = x, c->vs[c->nv] = (double)row->step;
            c->vy[c->nv++] = row->val_loss;
        }
    }
    memcpy(c->tsm, c->ty, c->nt * sizeof *c->ty);
    plot_smooth(c->tsm, c->nt, o->smooth);
    c->k_raw = c->idx, c->k_sm = c->idx + n, c->k_val = c->idx + 2 * n;
    c->n_raw = page_thin(c->tx, c->ty, c->nt, BG_PAGE_COLUMNS, c->k_raw);
    c->n_sm = page_thin(c->tx, c->tsm, c->nt, BG_PAGE_COLUMNS, c->k_sm);
    c->n_val = page_thin(c->vx, c->vy, c->nv, BG_PAGE_COLUMNS, c->k_val);
    return 1;
}

static void curves_free(struct curves *c)
{
    free(c->mem);
    free(c->idx);
}

/* Widens [*lo, *hi] to hold the kept points of v. */
static void widen(double *lo, double *hi, const double *v, const size_t *keep, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        *lo = fmin(*lo, v[keep[i]]);
        *hi = fmax(*hi, v[keep[i]]);
    }
}

/* ---- Axes ---- */

struct frame {
    struct plot_axis ax, ay, ab; /* x; loss in nats; the same in bits */
    size_t n_runs;
};

static double fx(const struct frame *f, double v)
{
    return LEFT + (v - f->ax.lo) / (f->ax.hi - f->ax.lo) * (RIGHT - LEFT);
}

static double fy(const struct frame *f, double v)
{
    return BOTTOM - (v - f->ay.lo) / (f->ay.hi - f->ay.lo) * (BOTTOM - TOP);
}

/* The axes over every point drawn and the baselines. Returns 0 when
 * there is no point at all. */
static int frame_init(struct frame *f, const struct curves *c, size_t n, const struct page_chart_opts *o)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY, ln2 = log(2.0);
    for (size_t r = 0; r < n; r++) {
        if (o->raw)
            widen(&ylo, &yhi, c[r].ty, c[r].k_raw, c[r].n_raw);
        widen(&ylo, &yhi, c[r].tsm, c[r].k_sm, c[r].n_sm);
        widen(&ylo, &yhi, c[r].vy, c[r].k_val, c[r].n_val);
        widen(&xlo, &xhi, c[r].tx, c[r].k_raw, c[r].n_raw);
        widen(&xlo, &xhi, c[r].vx, c[r].k_val, c[r].n_val);
    }
    if (!isfinite(xlo))
        return 0;
    const double base[2] = {o->order0_bpb * ln2, o->gzip_bpb * ln2};
    for (int i = 0; i < 2; i++)
        if (isfinite(base[i]))
            ylo = fmin(ylo, base[i]), yhi = fmax(yhi, base[i]);
    /* A little room above and below, so that no line runs along the frame. */
    double pad = 0.03 * (yhi - ylo);
    ylo -= pad, yhi += pad;
    plot_axis_init(&f->ax, plot_x_kind(o->x), xlo, xhi, 8, 1);
    plot_axis_init(&f->ay, PLOT_AXIS_LOSS, ylo, yhi, 6, 1);
    plot_axis_init(&f->ab, PLOT_AXIS_LOSS, f->ay.lo / ln2, f->ay.hi / ln2, 6, 0);
    f->n_runs = n;
    return 1;
}

static void svg_text(struct bg_strbuf *b, double x, double y, const char *text)
{
    strbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x, y, text);
}

/* Grid lines, the frame, tick labels on three sides and the axes' names. */
static void draw_axes(struct bg_strbuf *b, const struct frame *f, enum bg_plot_x x)
{
    char label[48];
    strbuf_puts(b, "<g class=\"grid\">\n");
    for (size_t t = 0; t < f->ax.n_ticks; t++)
        strbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", fx(f, f->ax.ticks[t]), TOP,
                      fx(f, f->ax.ticks[t]), BOTTOM);
    for (size_t t = 0; t < f->ay.n_ticks; t++)
        strbuf_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", LEFT, fy(f, f->ay.ticks[t]),
                      RIGHT, fy(f, f->ay.ticks[t]));
    strbuf_printf(b, "</g>\n<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", LEFT,
                  TOP, RIGHT - LEFT, BOTTOM - TOP);
    strbuf_puts(b, "<g class=\"ticks\" text-anchor=\"middle\">\n");
    for (size_t t = 0; t < f->ax.n_ticks; t++) {
        plot_axis_label(&f->ax, f->ax.ticks[t], label, sizeof label);
        svg_text(b, fx(f, f->ax.ticks[t]), BOTTOM + 32, label);
    }
    plot_x_title(x, &f->ax, label, sizeof label);
    svg_text(b, (LEFT + RIGHT) / 2, BOTTOM + 74, label);
    strbuf_printf(b, "<text transform=\"translate(26 %.1f) rotate(-90)\">loss, nats per byte</text>\n"
                     "<text transform=\"translate(%.1f %.1f) rotate(90)\">bits per byte</text>\n",
                  (TOP + BOTTOM) / 2, (double)VIEW_W - 26, (TOP + BOTTOM) / 2);
    strbuf_puts(b, "</g>\n<g class=\"ticks\" text-anchor=\"end\">\n");
    for (size_t t = 0; t < f->ay.n_ticks; t++) {
        plot_axis_label(&f->ay, f->ay.ticks[t], label, sizeof label);
        svg_text(b, LEFT - 12, fy(f, f->ay.ticks[t]) + 7, label);
    }
    strbuf_puts(b, "</g>\n<g class=\"ticks\" text-anchor=\"start\">\n");
    for (size_t t = 0; t < f->ab.n_ticks; t++) {
        plot_axis_label(&f->ab, f->ab.ticks[t], label, sizeof label);
        svg_text(b, RIGHT + 12, fy(f, f->ab.ticks[t] * log(2.0)) + 7, label);
    }
    strbuf_puts(b, "</g>\n");
}

/* The y of a baseline, or NaN when there is none. */
static double baseline_y(const struct frame *f, double bpb)
{
    return isfinite(bpb) ? fy(f, bpb * log(2.0)) : NAN;
}

/* The two baselines as dotted lines across the plot, under the curves. */
static void draw_baselines(struct bg_strbuf *b, const struct frame *f, const struct page_chart_opts *o)
{
    const double y[2] = {baseline_y(f, o->order0_bpb), baseline_y(f, o->gzip_bpb)};
    const char *color[2] = {ORDER0_COLOR, GZIP_COLOR};
    for (int i = 0; i < 2; i++)
        if (isfinite(y[i]))
            strbuf_printf(b, "<line class=\"base\" stroke=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                          color[i], LEFT, y[i], RIGHT, y[i]);
}

/* Their names, over the curves (with a white halo, so that a curve
 * passing under a name does not hide it), at the right end of each
 * line: above it, or below when the name would leave the plot or run
 * into the other name. */
static void draw_baseline_names(struct bg_strbuf *b, const struct frame *f, const struct page_chart_opts *o)
{
    const double bpb[2] = {o->order0_bpb, o->gzip_bpb};
    const double y[2] = {baseline_y(f, bpb[0]), baseline_y(f, bpb[1])};
    const char *color[2] = {ORDER0_COLOR, GZIP_COLOR}, *name[2] = {"order-0 entropy", "gzip -9"};
    for (int i = 0; i < 2; i++) {
        if (!isfinite(y[i]))
            continue;
        int below = y[i] - 36 < TOP || (i == 1 && isfinite(y[0]) && y[0] < y[i] && y[i] - y[0] < 40);
        strbuf_printf(b, "<text class=\"base-name\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" style=\"fill:%s\">%s %.2f bpb"
                         "</text>\n", RIGHT - 10, below ? y[i] + 30 : y[i] - 12, color[i], name[i], bpb[i]);
    }
}

/* ---- Curves ---- */

static void draw_line(struct bg_strbuf *b, const struct frame *f, const char *cls, const char *color,
                      const double *x, const double *y, const size_t *keep, size_t n)
{
    if (n == 0)
        return;
    strbuf_printf(b, "<polyline class=\"%s\" stroke=\"%s\" points=\"", cls, color);
    for (size_t i = 0; i < n; i++)
        strbuf_printf(b, "%s%.1f,%.1f", i ? " " : "", fx(f, x[keep[i]]), fy(f, y[keep[i]]));
    strbuf_puts(b, "\"/>\n");
}

static const char *val_color(size_t run, size_t n_runs)
{
    /* One run: the validation curve in a colour of its own, red against
     * the train loss's blue; several: each run in its colour, dashed. */
    return plot_color(n_runs == 1 ? 1 : run);
}

static void draw_run(struct bg_strbuf *b, const struct frame *f, const struct curves *c, size_t run,
                     const struct page_chart_opts *o)
{
    const char *tc = plot_color(run), *vc = val_color(run, f->n_runs);
    if (o->raw)
        draw_line(b, f, "raw", tc, c->tx, c->ty, c->k_raw, c->n_raw);
    draw_line(b, f, "smooth", tc, c->tx, c->tsm, c->k_sm, c->n_sm);
    draw_line(b, f, "val", vc, c->vx, c->vy, c->k_val, c->n_val);
    if (c->n_val == 0 || c->n_val > MAX_DOTS)
        return;
    strbuf_printf(b, "<g class=\"dots\" fill=\"%s\">\n", vc);
    for (size_t i = 0; i < c->n_val; i++)
        strbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\"/>\n", fx(f, c->vx[c->k_val[i]]),
                      fy(f, c->vy[c->k_val[i]]));
    strbuf_puts(b, "</g>\n");
}

/* The cursor the script moves: a vertical line and, per run, a dot on
 * the smoothed train curve and one on the validation curve. */
static void draw_cursor(struct bg_strbuf *b, const struct frame *f)
{
    strbuf_printf(b, "<g id=\"cursor\" visibility=\"hidden\">\n<line id=\"cursor-line\" x1=\"%.1f\" y1=\"%.1f\" "
                     "x2=\"%.1f\" y2=\"%.1f\"/>\n", LEFT, TOP, LEFT, BOTTOM);
    for (size_t r = 0; r < f->n_runs; r++)
        strbuf_printf(b, "<circle class=\"cursor-dot\" r=\"8\" fill=\"%s\"/>\n<circle class=\"cursor-dot\" r=\"8\" "
                         "fill=\"%s\"/>\n", plot_color(r), val_color(r, f->n_runs));
    strbuf_puts(b, "</g>\n");
}

/* ---- The data for the script ---- */

/* One array of the JSON: the kept points' values, null where not finite. */
struct json_column {
    const char *name;
    const double *v;
    const size_t *keep;
    size_t n;
};

static void json_array(struct bg_strbuf *b, const struct json_column *c)
{
    strbuf_printf(b, ",\"%s\":[", c->name);
    for (size_t i = 0; i < c->n; i++)
        strbuf_printf(b, isfinite(c->v[c->keep[i]]) ? "%s%.10g" : "%snull", i ? "," : "", c->v[c->keep[i]]);
    strbuf_puts(b, "]");
}

/* What the hover needs: how data map to the picture, and for each run
 * the points drawn (the raw train line's, which hold every extreme). */
static void draw_data(struct bg_strbuf *b, const struct frame *f, const struct bg_plot_run *runs,
                      const struct curves *c, enum bg_plot_x x)
{
    char xname[48];
    plot_x_title(x, &f->ax, xname, sizeof xname);
    strbuf_printf(b, "<script type=\"application/json\" id=\"chart-data\">{\"view\":%d,\"x0\":%.10g,\"x1\":%.10g,"
                     "\"px0\":%.1f,\"px1\":%.1f,\"y0\":%.10g,\"y1\":%.10g,\"py0\":%.1f,\"py1\":%.1f,\"xname\":",
                  VIEW_W, f->ax.lo, f->ax.hi, LEFT, RIGHT, f->ay.lo, f->ay.hi, BOTTOM, TOP);
    page_json_string(b, xname);
    strbuf_puts(b, ",\"runs\":[");
    for (size_t r = 0; r < f->n_runs; r++) {
        strbuf_puts(b, r ? ",\n{\"name\":" : "\n{\"name\":");
        page_json_string(b, runs[r].name);
        const struct json_column cols[7] = {
            {"x", c[r].tx, c[r].k_raw, c[r].n_raw},       {"step", c[r].ts, c[r].k_raw, c[r].n_raw},
            {"train", c[r].ty, c[r].k_raw, c[r].n_raw},   {"smooth", c[r].tsm, c[r].k_raw, c[r].n_raw},
            {"vx", c[r].vx, c[r].k_val, c[r].n_val},      {"vstep", c[r].vs, c[r].k_val, c[r].n_val},
            {"val", c[r].vy, c[r].k_val, c[r].n_val},
        };
        for (int k = 0; k < 7; k++)
            json_array(b, &cols[k]);
        strbuf_puts(b, "}");
    }
    strbuf_puts(b, "]}</script>\n");
}

/* ---- Legend ---- */

static void legend_key(struct bg_strbuf *b, const char *cls, const char *color, const char *text)
{
    strbuf_printf(b, "<li><span class=\"key %s\" style=\"border-color:%s\"></span>%s</li>\n", cls, color, text);
}

/* Below the chart, in the page's large type: what each line is, and with
 * several runs which colour is which. */
static void draw_legend(struct bg_strbuf *b, const struct bg_plot_run *runs, size_t n, const struct page_chart_opts *o)
{
    char text[96];
    const char *one = n == 1 ? plot_color(0) : "#444444";
    strbuf_puts(b, "<ul class=\"legend\">\n");
    if (o->raw)
        legend_key(b, "raw", one, "train loss");
    snprintf(text, sizeof text, "train loss, smoothed (EMA %g)", o->smooth);
    legend_key(b, "", one, text);
    legend_key(b, "dash", n == 1 ? val_color(0, 1) : one, "validation loss");
    if (isfinite(o->order0_bpb))
        legend_key(b, "dot", ORDER0_COLOR, "order-0 entropy of the validation text");
    if (isfinite(o->gzip_bpb))
        legend_key(b, "dot", GZIP_COLOR, "gzip -9 of the validation text");
    for (size_t r = 0; n > 1 && r < n; r++) {
        strbuf_printf(b, "<li><span class=\"swatch\" style=\"background:%s\"></span>", plot_color(r));
        page_escape(b, runs[r].name);
        strbuf_puts(b, "</li>\n");
    }
    strbuf_puts(b, "</ul>\n");
}

/* ---- The chart ---- */

static void draw_chart(struct bg_strbuf *b, const struct frame *f, const struct bg_plot_run *runs,
                       const struct curves *c, const struct page_chart_opts *o)
{
    strbuf_printf(b, "<figure class=\"chart\">\n<svg id=\"chart-svg\" viewBox=\"0 0 %d %d\" role=\"img\" "
                     "aria-label=\"loss curves\">\n", VIEW_W, VIEW_H);
    draw_axes(b, f, o->x);
    draw_baselines(b, f, o);
    for (size_t r = 0; r < f->n_runs; r++)
        draw_run(b, f, &c[r], r, o);
    draw_baseline_names(b, f, o);
    draw_cursor(b, f);
    strbuf_puts(b, "</svg>\n<figcaption>\n");
    draw_legend(b, runs, f->n_runs, o);
    strbuf_puts(b, "</figcaption>\n<div id=\"readout\" class=\"readout\">Point at the chart: the step and the losses "
                   "under the cursor appear here.</div>\n");
    draw_data(b, f, runs, c, o->x);
    strbuf_puts(b, "</figure>\n");
}

int page_chart(struct bg_strbuf *b, const struct bg_plot_run *runs, size_t n_runs, const struct page_chart_opts *o,
               struct bg_error *err)
{
    struct curves *c = calloc(n_runs + 1, sizeof *c);
    int ok = c != NULL;
    for (size_t r = 0; r < n_runs && ok; r++)
        ok = curves_build(&c[r], &runs[r], o);
    struct frame f;
    if (ok && frame_init(&f, c, n_runs, o))
        draw_chart(b, &f, runs, c, o);
    else if (ok)
        strbuf_puts(b, "<p class=\"empty\">Nothing to draw yet: the chart appears once the log has a step.</p>\n");
    for (size_t r = 0; c && r < n_runs; r++)
        curves_free(&c[r]);
    free(c);
    return ok ? BG_OK : bg_fail(err, BG_ERR_RUNTIME, "page: out of memory");
}
