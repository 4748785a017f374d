/* plot_chart: see plot_chart.h.
 *
 * The file reads in the order a chart is made: the options, the series
 * (the points each curve goes through, the train loss smoothed), and the
 * axes over their extent with ticks and labels. */
#include "bytegpt/plot_chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/format.h"

/* ---- Options ---- */

/* The options with defaults filled in and sizes brought into range: below
 * 40 columns or 4 rows there is no room for a chart worth reading. */
struct bg_plot_options plot_options_resolve(const struct bg_plot_options *in)
{
    struct bg_plot_options o = in ? *in : BG_PLOT_OPTIONS_DEFAULT;
    o.width = o.width == 0 ? 80 : o.width < 40 ? 40 : o.width > 1000 ? 1000 : o.width;
    o.height = o.height == 0 ? 16 : o.height < 4 ? 4 : o.height > 200 ? 200 : o.height;
    return o;
}

int plot_finish(struct bg_strbuf *b, char **out, struct bg_error *err)
{
    *out = strbuf_take(b);
    return *out ? BG_OK : bg_fail(err, BG_ERR_RUNTIME, "plot: out of memory drawing the chart");
}

int plot_draw(const struct bg_plot *p, const struct bg_plot_options *opt,
              void (*draw)(struct bg_strbuf *b, const struct bg_plot *p, const struct plot_chart *ch,
                           const struct bg_plot_options *o),
              char **out, struct bg_error *err)
{
    struct bg_plot_options o = plot_options_resolve(opt);
    struct plot_chart ch;
    *out = NULL;
    int rc = plot_check_options(&o, err);
    if (rc || (rc = plot_chart_build(&ch, p, &o, err)))
        return rc;
    struct bg_strbuf b = {0};
    draw(&b, p, &ch, &o);
    plot_chart_free(&ch);
    return plot_finish(&b, out, err);
}

/* ---- Smoothing ---- */

double plot_ema_push(struct plot_ema *e, double a, double v)
{
    e->s = a * e->s + (1.0 - a) * v;
    e->w = a * e->w + (1.0 - a);
    return e->s / e->w;
}

void plot_smooth(double *v, size_t n, double a)
{
    struct plot_ema e = {0.0, 0.0};
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            v[i] = plot_ema_push(&e, a, v[i]);
}

/* ---- Series ---- */

double plot_row_x(const struct bg_log_row *r, enum bg_plot_x x)
{
    switch (x) {
    case BG_PLOT_X_TOKENS:
        return (double)r->tokens;
    case BG_PLOT_X_FLOPS:
        return r->flops;
    case BG_PLOT_X_TIME:
        return r->elapsed_s;
    default:
        return (double)r->step;
    }
}

/* Fills a run's two series. Rows whose x or loss is not finite are left
 * out (a NaN loss would have stopped training, but a log can say "nan"). */
static int series_fill(struct plot_series *train, struct plot_series *val, const struct bg_plot_run *r,
                       const struct bg_plot_options *opt)
{
    for (int k = 0; k < 2; k++) {
        struct plot_series *s = k ? val : train;
        s->x = malloc(2 * r->n_rows * sizeof *s->x);
        if (!s->x)
            return 0;
        s->y = s->x + r->n_rows;
    }
    for (size_t i = 0; i < r->n_rows; i++) {
        double x = plot_row_x(&r->rows[i], opt->x);
        if (!isfinite(x))
            continue;
        if (isfinite(r->rows[i].train_loss)) {
            train->x[train->n] = x;
            train->y[train->n++] = r->rows[i].train_loss;
        }
        if (isfinite(r->rows[i].val_loss)) {
            val->x[val->n] = x;
            val->y[val->n++] = r->rows[i].val_loss;
        }
    }
    if (opt->smooth > 0)
        plot_smooth(train->y, train->n, opt->smooth);
    return 1;
}

void plot_chart_free(struct plot_chart *ch)
{
    for (size_t i = 0; i < ch->n; i++)
        free(ch->s[i].x);
    free(ch->s);
    ch->s = NULL;
    ch->n = 0;
}

/* The extent of every point of every series: all runs share the axes. */
static size_t chart_extent(struct plot_chart *ch)
{
    size_t points = 0;
    ch->xlo = ch->ylo = INFINITY;
    ch->xhi = ch->yhi = -INFINITY;
    for (size_t i = 0; i < ch->n; i++)
        for (size_t j = 0; j < ch->s[i].n; j++, points++) {
            ch->xlo = fmin(ch->xlo, ch->s[i].x[j]);
            ch->xhi = fmax(ch->xhi, ch->s[i].x[j]);
            ch->ylo = fmin(ch->ylo, ch->s[i].y[j]);
            ch->yhi = fmax(ch->yhi, ch->s[i].y[j]);
        }
    return points;
}

int plot_chart_build(struct plot_chart *ch, const struct bg_plot *p, const struct bg_plot_options *opt,
                     struct bg_error *err)
{
    int rc = BG_OK;
    if (p->n_runs == 0)
        return bg_fail(err, BG_ERR_INPUT, "plot: no logs to plot");
    ch->n = 2 * p->n_runs;
    ch->s = calloc(ch->n, sizeof *ch->s);
    if (!ch->s) {
        ch->n = 0;
        return bg_fail(err, BG_ERR_RUNTIME, "plot: out of memory");
    }
    for (size_t r = 0; r < p->n_runs; r++) {
        struct plot_series *train = &ch->s[2 * r], *val = &ch->s[2 * r + 1];
        *train = (struct plot_series){.run = r, .val = 0};
        *val = (struct plot_series){.run = r, .val = 1};
        if (!series_fill(train, val, &p->runs[r], opt)) {
            rc = bg_fail(err, BG_ERR_RUNTIME, "plot: out of memory");
            goto out;
        }
    }
    if (chart_extent(ch) == 0)
        rc = bg_fail(err, BG_ERR_INPUT, "%s: no finite loss values to plot", p->runs[0].path);
out:
    if (rc)
        plot_chart_free(ch);
    return rc;
}

int plot_chart_has_val(const struct plot_chart *ch)
{
    for (size_t i = 0; i < ch->n; i++)
        if (ch->s[i].val && ch->s[i].n > 0)
            return 1;
    return 0;
}

/* ---- Axes and ticks ---- */

/* A step of 1, 2 or 5 times a power of ten that cuts span into about
 * target pieces: the steps people read without effort. */
static double nice_step(double span, size_t target)
{
    double raw = span / (double)(target ? target : 1);
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    return (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * mag;
}

/* The multiples of step inside [lo, hi]. The small slack keeps a tick
 * that lands on an edge from being lost to rounding, and a tick within
 * rounding of zero is printed as 0, not -0. */
static size_t ticks_from(double lo, double hi, double step, double *ticks, size_t max)
{
    size_t n = 0;
    for (double k = ceil(lo / step - 1e-9); n < max; k++) {
        double t = k * step;
        if (t > hi + step * 1e-9)
            break;
        ticks[n++] = fabs(t) < step * 1e-9 ? 0.0 : t;
    }
    return n;
}

size_t plot_nice_ticks(double lo, double hi, size_t target, double *ticks, size_t max_ticks)
{
    if (!(hi > lo) || !isfinite(lo) || !isfinite(hi) || max_ticks == 0)
        return 0;
    return ticks_from(lo, hi, nice_step(hi - lo, target), ticks, max_ticks);
}

void plot_axis_init(struct plot_axis *a, enum plot_axis_kind kind, double lo, double hi, size_t target, int extend)
{
    a->kind = kind;
    a->log = 0;
    a->unit = 1.0;
    a->suffix = "";
    if (kind == PLOT_AXIS_TIME) {
        a->unit = hi <= 120 ? 1.0 : hi <= 7200 ? 60.0 : 3600.0;
        a->suffix = hi <= 120 ? "s" : hi <= 7200 ? "m" : "h";
    }
    double l = lo / a->unit, h = hi / a->unit;
    /* A flat range (one value everywhere) still needs some height. */
    if (!(h - l > 1e-9 * fmax(1.0, fabs(h)))) {
        double d = kind == PLOT_AXIS_LOSS ? fmax(0.05 * fabs(l), 0.1) : fmax(0.05 * fabs(l), 1.0);
        l -= d;
        h += d;
    }
    a->step = nice_step(h - l, target);
    /* Steps and tokens are whole numbers: no tick at 2.5 steps. */
    if (kind != PLOT_AXIS_LOSS && kind != PLOT_AXIS_TIME && a->step < 1.0)
        a->step = 1.0;
    if (extend) {
        l = floor(l / a->step + 1e-9) * a->step;
        h = ceil(h / a->step - 1e-9) * a->step;
    }
    a->n_ticks = ticks_from(l, h, a->step, a->ticks, PLOT_AXIS_MAX_TICKS);
    for (size_t i = 0; i < a->n_ticks; i++)
        a->ticks[i] *= a->unit;
    a->lo = l * a->unit;
    a->hi = h * a->unit;
}

/* The ticks of a log axis from 10^l to 10^h: m times each power of ten,
 * for each m of mults (in increasing order), that falls inside. */
static size_t log_ticks(double l, double h, const double *mults, size_t n_mults, double *ticks, size_t max)
{
    size_t n = 0;
    for (double k = floor(l); k <= ceil(h); k++)
        for (size_t m = 0; m < n_mults && n < max; m++) {
            double t = mults[m] * pow(10.0, k), e = log10(t);
            if (e >= l - 1e-9 && e <= h + 1e-9)
                ticks[n++] = t;
        }
    return n;
}

void plot_axis_init_log(struct plot_axis *a, enum plot_axis_kind kind, double lo, double hi, double pad)
{
    static const double decades[] = {1.0}, one_two_five[] = {1.0, 2.0, 5.0};
    *a = (struct plot_axis){.kind = kind, .log = 1, .unit = 1.0, .suffix = ""};
    double l = log10(lo), h = log10(hi);
    /* One value everywhere still needs some width: a factor of two each way. */
    if (!(h - l > 1e-9)) {
        l -= log10(2.0);
        h += log10(2.0);
    }
    double d = (h - l) * pad;
    l -= d;
    h += d;
    a->lo = pow(10.0, l);
    a->hi = pow(10.0, h);
    a->step = 1.0;
    a->n_ticks = log_ticks(l, h, decades, 1, a->ticks, PLOT_AXIS_MAX_TICKS);
    if (a->n_ticks < 3)
        a->n_ticks = log_ticks(l, h, one_two_five, 3, a->ticks, PLOT_AXIS_MAX_TICKS);
}

/* Decimals that tell apart ticks step apart: 1 for 0.5, 2 for 0.05. */
static int decimals_for(double step)
{
    int d = (int)ceil(-log10(step) - 1e-9);
    return d < 0 ? 0 : d > 9 ? 9 : d;
}

/* Drops trailing zeros after a decimal point: "1.50" -> "1.5", "2.0" -> "2". */
static void strip_zeros(char *s)
{
    if (!strchr(s, '.'))
        return;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '0')
        s[--n] = '\0';
    if (n > 0 && s[n - 1] == '.')
        s[n - 1] = '\0';
}

/* A tick's label. A loss keeps at least one decimal ("2.0"), which reads
 * as a loss rather than a count. Counts of 10,000 and more take the
 * suffix format_count gives the axis' largest value (k, M, B, T), FLOPs
 * the SI prefix format_si gives it (k, M, G, T, P), so that all labels of
 * an axis share one; below 10,000 "2000" reads better than "2k". */
void plot_axis_label(const struct plot_axis *a, double v, char *buf, size_t n)
{
    if (a->log) {
        if (a->kind == PLOT_AXIS_COUNT)
            format_count(buf, n, v);
        else if (a->kind == PLOT_AXIS_FLOPS)
            plot_sci_label(buf, n, v);
        else
            snprintf(buf, n, "%g", v);
        return;
    }
    if (a->kind == PLOT_AXIS_LOSS) {
        int d = decimals_for(a->step);
        snprintf(buf, n, "%.*f", d > 1 ? d : 1, v);
        return;
    }
    double u = v / a->unit, top = fmax(fabs(a->lo), fabs(a->hi)) / a->unit;
    double scale = 1.0;
    const char *prefix = "";
    if (a->kind == PLOT_AXIS_COUNT && top >= 1e4)
        prefix = format_count_suffix(top, &scale);
    else if (a->kind == PLOT_AXIS_FLOPS && top >= 1e4)
        prefix = format_si_prefix(top, &scale);
    char num[64];
    snprintf(num, sizeof num, "%.*f", decimals_for(a->step / scale), u / scale);
    strip_zeros(num);
    snprintf(buf, n, "%s%s%s", num, prefix, a->suffix);
}

enum plot_axis_kind plot_x_kind(enum bg_plot_x x)
{
    return x == BG_PLOT_X_TIME ? PLOT_AXIS_TIME : x == BG_PLOT_X_FLOPS ? PLOT_AXIS_FLOPS : PLOT_AXIS_COUNT;
}

/* On a log axis a length stands for a ratio, so a value's place is its
 * ratio to the low edge over the ratio of the two edges. */
double plot_axis_frac(const struct plot_axis *a, double v)
{
    if (a->log)
        return v > 0 ? log(v / a->lo) / log(a->hi / a->lo) : NAN;
    return (v - a->lo) / (a->hi - a->lo);
}

/* Maps v on the axis to 0 .. n-1 (left to right, or bottom to top); a
 * value beyond an edge (or one that has no place) goes to the edge. */
long plot_axis_map(const struct plot_axis *a, double v, long n)
{
    double f = plot_axis_frac(a, v);
    if (!(f > 0))
        return 0;
    return f >= 1 ? n - 1 : lround(f * (double)(n - 1));
}

const char *plot_sci_label(char *buf, size_t n, double v)
{
    char s[FORMAT_LEN];
    format_sci(s, sizeof s, v);
    char *e = strchr(s, 'e');
    if (e)
        *e++ = '\0';
    strip_zeros(s);
    snprintf(buf, n, "%s%s%s", s, e ? "e" : "", e ? e : "");
    return buf;
}

static const char *const x_titles[] = {"step", "tokens", "training FLOPs", "time"};

/* The axis' name, with its unit: "step", "time (m)". */
void plot_x_title(enum bg_plot_x x, const struct plot_axis *a, char *buf, size_t n)
{
    if (x == BG_PLOT_X_TIME)
        snprintf(buf, n, "time (%s)", a->suffix);
    else
        snprintf(buf, n, "%s", x_titles[x]);
}

/* The chart's title: what is drawn, in which units. */
void plot_chart_title(const struct bg_plot_options *o, const char *xname, char *buf, size_t n)
{
    char ema[48] = "";
    if (o->smooth > 0)
        snprintf(ema, sizeof ema, " (EMA %g)", o->smooth);
    snprintf(buf, n, "train loss%s and val loss, nats per byte, vs %s", ema, xname);
}
