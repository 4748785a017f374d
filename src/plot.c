/* plot: see plot.h.
 *
 * The file reads top to bottom in the order a chart is made: a growing
 * string to draw into, the options and the logs, the series (the points
 * each curve goes through), the axes and their ticks, and then the three
 * outputs: the terminal chart, the comparison table and the SVG. */
#include "bytegpt/plot.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- A growing string ---- */

/* Every renderer appends to one of these. A failed allocation sets oom,
 * after which appends do nothing, so a renderer checks once, at the end,
 * instead of after every line it draws. */
struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static int sb_reserve(struct sbuf *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (b->len + extra + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (!sb_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !sb_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void sb_spaces(struct sbuf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sb_put(b, " ", 1);
}

/* Hands the text to the caller, or frees it and reports the lost memory. */
static int sb_finish(struct sbuf *b, char **out, struct bg_error *err)
{
    sb_reserve(b, 0);
    if (b->oom) {
        free(b->p);
        *out = NULL;
        return bg_fail(err, BG_ERR_RUNTIME, "plot: out of memory drawing the chart");
    }
    *out = b->p;
    return BG_OK;
}

/* ---- Text that fits ---- */

/* The columns a UTF-8 string takes: one per code point. Every character
 * the plot draws (braille, box drawing, the run symbols) is one column
 * wide; run names with wide characters may come out a little long. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* Copies src into dst (n bytes), cut to at most w columns with an
 * ellipsis marking the cut. */
static void text_fit(char *dst, size_t n, const char *src, size_t w)
{
    if (text_width(src) <= w) {
        snprintf(dst, n, "%s", src);
        return;
    }
    size_t cols = 0, i = 0;
    /* Keep w - 1 code points and their continuation bytes, then "…". */
    while (src[i] && i + 4 < n) {
        int lead = ((unsigned char)src[i] & 0xC0) != 0x80;
        if (lead && cols + 1 >= w)
            break;
        cols += lead;
        i++;
    }
    snprintf(dst, n, "%.*s%s", (int)i, src, w > 0 ? "\xe2\x80\xa6" : "");
}

/* Appends s padded with spaces to w columns, on the left when right is set. */
static void sb_pad(struct sbuf *b, const char *s, size_t w, int right)
{
    size_t len = text_width(s), pad = len < w ? w - len : 0;
    if (right)
        sb_spaces(b, pad);
    sb_puts(b, s);
    if (!right)
        sb_spaces(b, pad);
}

/* The length of the valid UTF-8 sequence at s, or 0 when it is not one
 * (bad lead byte, missing continuation, overlong form, surrogate). */
static int utf8_length(const unsigned char *s)
{
    int n = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
          : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) || (s[0] == 0xF0 && s[1] < 0x90) ||
        (s[0] == 0xF4 && s[1] > 0x8F))
        return 0;
    return n;
}

/* Makes a run name safe to print and to put in XML: control characters
 * (which could drive the terminal) and bytes that are not UTF-8 (which
 * would make the SVG invalid) become '?'. */
static void text_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        int n = utf8_length(p);
        int control = n == 1 ? (*p < 0x20 || *p == 0x7F) : n == 2 && p[0] == 0xC2 && p[1] < 0xA0;
        if (n == 0 || control) {
            for (int i = 0; i < (n ? n : 1); i++)
                p[i] = '?';
            n = n ? n : 1;
        }
        p += n;
    }
}

/* ---- Options ---- */

static const char *const x_names[] = {"step", "tokens", "flops", "time"};
static const char *const x_titles[] = {"step", "tokens", "training FLOPs", "time"};

int plot_parse_x(const char *name, enum bg_plot_x *x, struct bg_error *err)
{
    for (int i = 0; i <= BG_PLOT_X_TIME; i++)
        if (strcmp(name, x_names[i]) == 0) {
            *x = (enum bg_plot_x)i;
            return BG_OK;
        }
    return bg_fail(err, BG_ERR_INPUT, "plot: --x must be step, tokens, flops or time, got '%s'", name);
}

int plot_check_options(const struct bg_plot_options *opt, struct bg_error *err)
{
    if ((unsigned)opt->x > BG_PLOT_X_TIME)
        return bg_fail(err, BG_ERR_INPUT, "plot: unknown x axis %d (step, tokens, flops or time)", (int)opt->x);
    /* Written so that NaN fails too. A coefficient of 1 would never move
     * from the first value, so the interval is open at 1. */
    if (!(opt->smooth >= 0.0 && opt->smooth < 1.0))
        return bg_fail(err, BG_ERR_INPUT, "plot: --smooth must be in [0, 1) (e.g. 0.9; 0 for no smoothing), got %g",
                       opt->smooth);
    return BG_OK;
}

/* The options with defaults filled in and sizes brought into range: below
 * 40 columns or 4 rows there is no room for a chart worth reading. */
static struct bg_plot_options options_resolve(const struct bg_plot_options *in)
{
    struct bg_plot_options o = in ? *in : BG_PLOT_OPTIONS_DEFAULT;
    o.width = o.width == 0 ? 80 : o.width < 40 ? 40 : o.width > 1000 ? 1000 : o.width;
    o.height = o.height == 0 ? 16 : o.height < 4 ? 4 : o.height > 200 ? 200 : o.height;
    return o;
}

/* ---- Loading the logs ---- */

/* The folder that holds path, as written: "runs/a/log.csv" -> "runs/a". */
static void parent_of(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, n, ".");
    else if (slash == path)
        snprintf(out, n, "/");
    else
        snprintf(out, n, "%.*s", (int)(slash - path), path);
}

/* The last component of a folder path, trailing slashes dropped. */
static void last_component(const char *dir, char *out, size_t n)
{
    size_t end = strlen(dir);
    while (end > 1 && dir[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && dir[start - 1] != '/')
        start--;
    snprintf(out, n, "%.*s", (int)(end - start), dir + start);
}

/* Names a run by its folder: "runs/a/log.csv" is "a". A log in the
 * current folder ("log.csv", "./log.csv") or the one above it is named
 * after that folder's real name, which getcwd knows. */
static void run_name(const char *path, char *out, size_t n)
{
    char parent[4096], cwd[4096];
    parent_of(path, parent, sizeof parent);
    last_component(parent, out, n);
    int here = strcmp(parent, ".") == 0, up = strcmp(parent, "..") == 0;
    if ((here || up) && getcwd(cwd, sizeof cwd)) {
        char *slash = strrchr(cwd, '/');
        if (up && slash && slash != cwd)
            *slash = '\0';
        last_component(cwd, out, n);
    }
    if (out[0] == '\0' || strcmp(out, "/") == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
        /* The whole folder path, cut to fit (names are for display). */
        size_t len = strlen(parent) < n ? strlen(parent) : n - 1;
        memcpy(out, parent, len);
        out[len] = '\0';
    }
    text_sanitize(out);
}

/* Two runs with the same folder name (a/run/log.csv, b/run/log.csv) are
 * told apart by their whole folder path. */
static void name_runs(struct bg_plot *p)
{
    for (size_t i = 0; i < p->n_runs; i++)
        run_name(p->runs[i].path, p->runs[i].name, sizeof p->runs[i].name);
    for (size_t i = 0; i < p->n_runs; i++) {
        int dup = 0;
        for (size_t j = 0; j < p->n_runs; j++)
            dup |= j != i && strcmp(p->runs[i].name, p->runs[j].name) == 0;
        if (!dup)
            continue;
        for (size_t j = i + 1; j < p->n_runs; j++)
            if (strcmp(p->runs[i].name, p->runs[j].name) == 0) {
                parent_of(p->runs[j].path, p->runs[j].name, sizeof p->runs[j].name);
                text_sanitize(p->runs[j].name);
            }
        parent_of(p->runs[i].path, p->runs[i].name, sizeof p->runs[i].name);
        text_sanitize(p->runs[i].name);
    }
}

static int load_run(struct bg_plot_run *r, const char *path, struct bg_error *err)
{
    snprintf(r->path, sizeof r->path, "%s", path);
    int rc = trainlog_read(path, &r->rows, &r->n_rows, err);
    if (rc)
        return rc;
    /* One point is no curve, and the table would have nothing to compare. */
    if (r->n_rows == 0)
        return bg_fail(err, BG_ERR_INPUT, "%s: no rows after the header (line 1); a plot needs at least 2 rows",
                       path);
    if (r->n_rows == 1)
        return bg_fail(err, BG_ERR_INPUT,
                       "%s: only 1 row (line 2); a plot needs at least 2 rows, so train a step more", path);
    return BG_OK;
}

int plot_load(struct bg_plot *p, const char *const *log_paths, size_t n_logs, struct bg_error *err)
{
    p->runs = NULL;
    p->n_runs = 0;
    if (n_logs == 0)
        return bg_fail(err, BG_ERR_INPUT, "plot: give at least one log.csv to plot");
    p->runs = calloc(n_logs, sizeof *p->runs);
    if (!p->runs)
        return bg_fail(err, BG_ERR_RUNTIME, "plot: out of memory");
    int rc = BG_OK;
    for (size_t i = 0; i < n_logs && !rc; i++) {
        p->n_runs = i + 1; /* so that plot_free frees a failed run's rows */
        rc = load_run(&p->runs[i], log_paths[i], err);
    }
    if (rc) {
        plot_free(p);
        return rc;
    }
    name_runs(p);
    return BG_OK;
}

void plot_free(struct bg_plot *p)
{
    for (size_t i = 0; i < p->n_runs; i++)
        free(p->runs[i].rows);
    free(p->runs);
    p->runs = NULL;
    p->n_runs = 0;
}

/* ---- Smoothing ---- */

/* A bias-corrected EMA: w is the total weight given so far, 1 - a^t, so
 * that s / w averages the values seen rather than leaning toward the
 * zero s starts from. */
struct ema {
    double s, w;
};

static double ema_push(struct ema *e, double a, double v)
{
    e->s = a * e->s + (1.0 - a) * v;
    e->w = a * e->w + (1.0 - a);
    return e->s / e->w;
}

void plot_smooth(double *v, size_t n, double a)
{
    struct ema e = {0.0, 0.0};
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            v[i] = ema_push(&e, a, v[i]);
}

/* ---- Series ---- */

/* One curve: points (x[i], y[i]) of a run's train or val loss. */
struct series {
    double *x, *y; /* one allocation: y = x + cap */
    size_t n;
    size_t run;
    int val;
};

/* Every curve of a chart, two per run (train, then val), and the extent
 * of their points. */
struct chart {
    struct series *s;
    size_t n;
    double xlo, xhi, ylo, yhi;
};

static double row_x(const struct bg_log_row *r, enum bg_plot_x x)
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
static int series_fill(struct series *train, struct series *val, const struct bg_plot_run *r,
                       const struct bg_plot_options *opt)
{
    for (int k = 0; k < 2; k++) {
        struct series *s = k ? val : train;
        s->x = malloc(2 * r->n_rows * sizeof *s->x);
        if (!s->x)
            return 0;
        s->y = s->x + r->n_rows;
    }
    for (size_t i = 0; i < r->n_rows; i++) {
        double x = row_x(&r->rows[i], opt->x);
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

static void chart_free(struct chart *ch)
{
    for (size_t i = 0; i < ch->n; i++)
        free(ch->s[i].x);
    free(ch->s);
    ch->s = NULL;
    ch->n = 0;
}

/* The extent of every point of every series: all runs share the axes. */
static size_t chart_extent(struct chart *ch)
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

static int chart_build(struct chart *ch, const struct bg_plot *p, const struct bg_plot_options *opt,
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
        struct series *train = &ch->s[2 * r], *val = &ch->s[2 * r + 1];
        *train = (struct series){.run = r, .val = 0};
        *val = (struct series){.run = r, .val = 1};
        if (!series_fill(train, val, &p->runs[r], opt)) {
            rc = bg_fail(err, BG_ERR_RUNTIME, "plot: out of memory");
            goto out;
        }
    }
    if (chart_extent(ch) == 0)
        rc = bg_fail(err, BG_ERR_INPUT, "%s: no finite loss values to plot", p->runs[0].path);
out:
    if (rc)
        chart_free(ch);
    return rc;
}

static int chart_has_val(const struct chart *ch)
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

enum axis_kind {
    AXIS_LOSS,  /* nats per byte, fixed decimals so the labels line up */
    AXIS_COUNT, /* steps, tokens, FLOPs: whole numbers, 1.5k, 2M, 3G */
    AXIS_TIME,  /* seconds, shown in s, m or h */
};

#define AXIS_MAX_TICKS 32

struct axis {
    enum axis_kind kind;
    double lo, hi;      /* the values at the chart's two edges */
    double step;        /* between ticks, in label units */
    double unit;        /* seconds per label unit on a time axis, else 1 */
    const char *suffix; /* "s", "m" or "h" on a time axis, else "" */
    double ticks[AXIS_MAX_TICKS];
    size_t n_ticks;
};

/* Sets up an axis over [lo, hi] with about target ticks. extend widens
 * the range out to whole ticks (the SVG, where ends on ticks look tidy);
 * without it the data fill the range exactly (the terminal, where every
 * row counts, and the top row holds the highest value). */
static void axis_init(struct axis *a, enum axis_kind kind, double lo, double hi, size_t target, int extend)
{
    a->kind = kind;
    a->unit = 1.0;
    a->suffix = "";
    if (kind == AXIS_TIME) {
        a->unit = hi <= 120 ? 1.0 : hi <= 7200 ? 60.0 : 3600.0;
        a->suffix = hi <= 120 ? "s" : hi <= 7200 ? "m" : "h";
    }
    double l = lo / a->unit, h = hi / a->unit;
    /* A flat range (one value everywhere) still needs some height. */
    if (!(h - l > 1e-9 * fmax(1.0, fabs(h)))) {
        double d = kind == AXIS_LOSS ? fmax(0.05 * fabs(l), 0.1) : fmax(0.05 * fabs(l), 1.0);
        l -= d;
        h += d;
    }
    a->step = nice_step(h - l, target);
    /* Steps and tokens are whole numbers: no tick at 2.5 steps. */
    if (kind == AXIS_COUNT && a->step < 1.0)
        a->step = 1.0;
    if (extend) {
        l = floor(l / a->step + 1e-9) * a->step;
        h = ceil(h / a->step - 1e-9) * a->step;
    }
    a->n_ticks = ticks_from(l, h, a->step, a->ticks, AXIS_MAX_TICKS);
    for (size_t i = 0; i < a->n_ticks; i++)
        a->ticks[i] *= a->unit;
    a->lo = l * a->unit;
    a->hi = h * a->unit;
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
 * as a loss rather than a count. Large counts take an SI prefix chosen
 * from the axis' largest value, so that all labels of an axis share it. */
static void axis_label(const struct axis *a, double v, char *buf, size_t n)
{
    if (a->kind == AXIS_LOSS) {
        int d = decimals_for(a->step);
        snprintf(buf, n, "%.*f", d > 1 ? d : 1, v);
        return;
    }
    double u = v / a->unit, top = fmax(fabs(a->lo), fabs(a->hi)) / a->unit;
    int p = 0;
    if (a->kind == AXIS_COUNT && top >= 1e4)
        p = (int)fmin(6.0, floor(log10(top) / 3.0));
    double scale = pow(1000.0, p);
    char num[64];
    snprintf(num, sizeof num, "%.*f", decimals_for(a->step / scale), u / scale);
    strip_zeros(num);
    snprintf(buf, n, "%s%.1s%s", num, p ? &"kMGTPE"[p - 1] : "", a->suffix);
}

static enum axis_kind x_kind(enum bg_plot_x x)
{
    return x == BG_PLOT_X_TIME ? AXIS_TIME : AXIS_COUNT;
}

/* Maps v on the axis to 0 .. n-1 (left to right, or bottom to top). */
static long axis_map(const struct axis *a, double v, long n)
{
    long i = lround((v - a->lo) / (a->hi - a->lo) * (double)(n - 1));
    return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/* The axis' name, with its unit: "step", "time (m)". */
static void x_title(enum bg_plot_x x, const struct axis *a, char *buf, size_t n)
{
    if (x == BG_PLOT_X_TIME)
        snprintf(buf, n, "time (%s)", a->suffix);
    else
        snprintf(buf, n, "%s", x_titles[x]);
}

/* The chart's title: what is drawn, in which units. */
static void chart_title(const struct bg_plot_options *o, const char *xname, char *buf, size_t n)
{
    char ema[48] = "";
    if (o->smooth > 0)
        snprintf(ema, sizeof ema, " (EMA %g)", o->smooth);
    snprintf(buf, n, "train loss%s and val loss, nats per byte, vs %s", ema, xname);
}

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
static void canvas_draw(struct canvas *c, const struct chart *ch, const struct axis *ax, const struct axis *ay)
{
    long w = (long)c->cols * 2, h = (long)c->rows * 4;
    for (size_t i = 0; i < ch->n; i++) {
        const struct series *s = &ch->s[i];
        for (size_t j = 0; j < s->n && !s->val; j++) {
            long x = axis_map(ax, s->x[j], w), y = h - 1 - axis_map(ay, s->y[j], h);
            long px = j ? axis_map(ax, s->x[j - 1], w) : x, py = j ? h - 1 - axis_map(ay, s->y[j - 1], h) : y;
            canvas_line(c, px, py, x, y, (short)s->run);
        }
    }
    for (size_t i = 0; i < ch->n; i++) {
        const struct series *s = &ch->s[i];
        for (size_t j = 0; j < s->n && s->val; j++) {
            long x = axis_map(ax, s->x[j], w), y = h - 1 - axis_map(ay, s->y[j], h);
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
static void term_color(struct sbuf *b, int color, int *cur, int want)
{
    if (!color || want == *cur)
        return;
    sb_puts(b, want < 0 ? ANSI_RESET : run_colors[want % N_RUN_STYLES]);
    *cur = want;
}

static void term_cell(struct sbuf *b, const struct cell *c, int color, int *cur)
{
    if (c->mark) {
        term_color(b, color, cur, c->mark - 1);
        sb_puts(b, run_symbols[(c->mark - 1) % N_RUN_STYLES]);
    } else if (c->dots) {
        term_color(b, color, cur, c->owner);
        char ch[4] = {(char)0xE2, (char)(0xA0 | (c->dots >> 6)), (char)(0x80 | (c->dots & 0x3F)), 0};
        sb_puts(b, ch);
    } else {
        sb_puts(b, " ");
    }
}

/* The plot rows, each behind its y label (where a tick falls on the row)
 * and the axis line. */
static void term_rows(struct sbuf *b, const struct canvas *c, const struct axis *ay, size_t label_w, int color)
{
    long h = (long)c->rows * 4;
    for (size_t r = 0; r < c->rows; r++) {
        char label[32] = "";
        for (size_t t = 0; t < ay->n_ticks; t++)
            if ((size_t)((h - 1 - axis_map(ay, ay->ticks[t], h)) / 4) == r)
                axis_label(ay, ay->ticks[t], label, sizeof label);
        sb_pad(b, label, label_w, 1);
        sb_puts(b, label[0] ? "┤" : "│");
        int cur = -1;
        for (size_t col = 0; col < c->cols; col++)
            term_cell(b, &c->cells[r * c->cols + col], color, &cur);
        term_color(b, color, &cur, -1);
        sb_puts(b, "\n");
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
static void term_x_axis(struct sbuf *b, const struct canvas *c, const struct axis *ax, size_t label_w,
                        size_t width, const char *name)
{
    long w = (long)c->cols * 2;
    char *line = malloc(width + 1);
    if (!line) {
        b->oom = 1;
        return;
    }
    memset(line, ' ', width);
    sb_spaces(b, label_w);
    sb_puts(b, "└");
    size_t t = 0, end = 0;
    for (size_t col = 0; col < c->cols; col++) {
        int tick = 0;
        for (; t < ax->n_ticks && (size_t)(axis_map(ax, ax->ticks[t], w) / 2) == col; t++, tick = 1) {
            char label[32];
            axis_label(ax, ax->ticks[t], label, sizeof label);
            place_label(line, width, label, label_w + 1 + col, &end);
        }
        sb_puts(b, tick ? "┬" : "─");
    }
    size_t len = strlen(name), n = width;
    if (end + 2 + len <= width - 1)
        memcpy(line + width - 1 - len, name, len);
    while (n > 0 && line[n - 1] == ' ')
        n--;
    sb_puts(b, "\n");
    sb_put(b, line, n);
    sb_puts(b, "\n");
    free(line);
}

/* One legend item, laid out greedily onto lines that fit the width. */
static void legend_item(struct sbuf *b, size_t *col, size_t width, const char *text, int color, int run)
{
    size_t w = text_width(text);
    if (*col > 2 && *col + 3 + w > width - 1) {
        sb_puts(b, "\n");
        *col = 0;
    }
    sb_spaces(b, *col == 0 ? 2 : 3);
    *col += *col == 0 ? 2 : 3;
    if (color && run >= 0)
        sb_puts(b, run_colors[run % N_RUN_STYLES]);
    sb_puts(b, text);
    if (color && run >= 0)
        sb_puts(b, ANSI_RESET);
    *col += w;
}

/* The key (what a line and a symbol mean; the symbol only when some run
 * has validation points), then each run's symbol and name. */
static void term_legend(struct sbuf *b, const struct bg_plot *p, const struct chart *ch,
                        const struct bg_plot_options *o)
{
    char text[256], name[160];
    size_t col = 0;
    snprintf(text, sizeof text, "⠤⠤ train%s", o->smooth > 0 ? " (smoothed)" : "");
    legend_item(b, &col, o->width, text, 0, -1);
    snprintf(text, sizeof text, "%s%s%s val", run_symbols[0], p->n_runs > 1 ? run_symbols[1] : "",
             p->n_runs > 2 ? run_symbols[2] : "");
    if (chart_has_val(ch))
        legend_item(b, &col, o->width, text, 0, -1);
    for (size_t r = 0; r < p->n_runs; r++) {
        text_fit(name, sizeof name, p->runs[r].name, o->width - 6);
        snprintf(text, sizeof text, "%s %s", run_symbols[r % N_RUN_STYLES], name);
        legend_item(b, &col, o->width, text, o->color, (int)r);
    }
    sb_puts(b, "\n");
}

/* The widest y label decides where the plot area starts. */
static size_t y_label_width(const struct axis *ay)
{
    size_t w = 1;
    for (size_t t = 0; t < ay->n_ticks; t++) {
        char label[32];
        axis_label(ay, ay->ticks[t], label, sizeof label);
        w = strlen(label) > w ? strlen(label) : w;
    }
    return w;
}

static void term_draw(struct sbuf *b, const struct bg_plot *p, const struct chart *ch,
                      const struct bg_plot_options *o)
{
    struct axis ay, ax;
    axis_init(&ay, AXIS_LOSS, ch->ylo, ch->yhi, o->height / 4 + 1, 0);
    size_t label_w = y_label_width(&ay);
    /* One column for the axis line and one left free at the right edge,
     * where some terminals wrap a line that fills the width. */
    struct canvas c = {o->width - label_w - 2, o->height, NULL};
    axis_init(&ax, x_kind(o->x), ch->xlo, ch->xhi, c.cols / 12, 0);
    c.cells = malloc(c.cols * c.rows * sizeof *c.cells);
    if (!c.cells) {
        b->oom = 1;
        return;
    }
    for (size_t i = 0; i < c.cols * c.rows; i++)
        c.cells[i] = (struct cell){0, -1, 0};
    canvas_draw(&c, ch, &ax, &ay);
    char title[256], fitted[256], xname[64];
    x_title(o->x, &ax, xname, sizeof xname);
    chart_title(o, xname, title, sizeof title);
    text_fit(fitted, sizeof fitted, title, o->width - 1);
    sb_printf(b, "%s\n", fitted);
    term_rows(b, &c, &ay, label_w, o->color);
    term_x_axis(b, &c, &ax, label_w, o->width, xname);
    term_legend(b, p, ch, o);
    free(c.cells);
}

int plot_terminal(const struct bg_plot *p, const struct bg_plot_options *opt, char **out, struct bg_error *err)
{
    struct bg_plot_options o = options_resolve(opt);
    struct chart ch;
    *out = NULL;
    int rc = plot_check_options(&o, err);
    if (rc || (rc = chart_build(&ch, p, &o, err)))
        return rc;
    struct sbuf b = {0};
    term_draw(&b, p, &ch, &o);
    chart_free(&ch);
    return sb_finish(&b, out, err);
}

/* ---- The comparison table ---- */

/* What the table says about one run. */
struct run_summary {
    uint64_t steps, best_step;
    double tokens, elapsed, last_train, best_val, best_bpb;
};

static void run_summarize(const struct bg_plot_run *r, double smooth, struct run_summary *s)
{
    const struct bg_log_row *last = &r->rows[r->n_rows - 1];
    struct ema e = {0.0, 0.0};
    *s = (struct run_summary){last->step, 0, (double)last->tokens, last->elapsed_s, NAN, NAN, NAN};
    for (size_t i = 0; i < r->n_rows; i++) {
        const struct bg_log_row *row = &r->rows[i];
        if (isfinite(row->train_loss))
            s->last_train = ema_push(&e, smooth, row->train_loss);
        if (isfinite(row->val_loss) && !(row->val_loss >= s->best_val)) {
            s->best_val = row->val_loss;
            s->best_bpb = isfinite(row->val_bpb) ? row->val_bpb : row->val_loss / log(2.0);
            s->best_step = row->step;
        }
    }
}

/* 32.8M, 1.2G: three significant digits and an SI prefix. */
static void fmt_si(char *buf, size_t n, double v)
{
    int p = 0;
    while (fabs(v) >= 1000.0 && p < 6) {
        v /= 1000.0;
        p++;
    }
    snprintf(buf, n, p ? "%.3g%.1s" : "%.0f%.0s", v, &"?kMGTPE"[p]);
}

/* 42s, 3m05s, 2h10m, 3.2d. */
static void fmt_duration(char *buf, size_t n, double s)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, n, "-");
    else if (s < 60)
        snprintf(buf, n, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else if (s < 86400 * 2)
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
    else
        snprintf(buf, n, "%.1fd", s / 86400);
}

/* The table's columns, right-aligned numbers after the run's name. When
 * the width is short, the columns of lowest priority are left out. */
enum { COL_STEPS, COL_TOKENS, COL_TIME, COL_TRAIN, COL_VAL, COL_BPB, COL_AT, N_COLS };
static const char *const col_heads[N_COLS] = {"steps", "tokens", "time", "train", "best val", "bpb", "at step"};
static const size_t col_widths[N_COLS] = {8, 8, 8, 8, 10, 7, 9};
static const int col_priority[N_COLS] = {3, 5, 4, 2, 0, 1, 2}; /* 0 is kept first */

static void summary_cells(const struct run_summary *s, char cells[N_COLS][32])
{
    snprintf(cells[COL_STEPS], 32, "%llu", (unsigned long long)s->steps);
    fmt_si(cells[COL_TOKENS], 32, s->tokens);
    fmt_duration(cells[COL_TIME], 32, s->elapsed);
    snprintf(cells[COL_TRAIN], 32, isfinite(s->last_train) ? "%.4f" : "-", s->last_train);
    snprintf(cells[COL_VAL], 32, isfinite(s->best_val) ? "%.4f" : "-", s->best_val);
    snprintf(cells[COL_BPB], 32, isfinite(s->best_bpb) ? "%.3f" : "-", s->best_bpb);
    snprintf(cells[COL_AT], 32, isfinite(s->best_val) ? "%llu" : "-", (unsigned long long)s->best_step);
}

/* Chooses the columns and the name's width so that a row fits: the name
 * gets what it needs (at least 8 columns), numbers of lowest priority go
 * first when there is not room for all. */
static size_t table_layout(const struct bg_plot *p, size_t width, int shown[N_COLS])
{
    size_t name_w = 3;
    for (size_t r = 0; r < p->n_runs; r++)
        name_w = text_width(p->runs[r].name) > name_w ? text_width(p->runs[r].name) : name_w;
    size_t avail = width - 1 - 2; /* the free last column, and the "*" marking the best */
    size_t used = name_w < 8 ? name_w : 8;
    for (int prio = 0; prio <= 5; prio++)
        for (int c = 0; c < N_COLS; c++)
            if (col_priority[c] == prio && (shown[c] = used + col_widths[c] <= avail))
                used += col_widths[c];
    size_t spare = avail - used + (name_w < 8 ? name_w : 8);
    return name_w < spare ? name_w : spare;
}

static void table_row(struct sbuf *b, const char *name, size_t name_w, char cells[N_COLS][32],
                      const int shown[N_COLS], const char *mark)
{
    char fitted[160];
    text_fit(fitted, sizeof fitted, name, name_w);
    sb_pad(b, fitted, name_w, 0);
    for (int c = 0; c < N_COLS; c++)
        if (shown[c])
            sb_pad(b, cells[c], col_widths[c], 1);
    sb_printf(b, "%s\n", mark);
}

/* The run with the lowest validation loss, or -1 when no run has one. */
static long best_run(const struct run_summary *s, size_t n)
{
    long best = -1;
    for (size_t r = 0; r < n; r++)
        if (isfinite(s[r].best_val) && (best < 0 || s[r].best_val < s[best].best_val))
            best = (long)r;
    return best;
}

static void table_footnote(struct sbuf *b, const struct bg_plot *p, const struct run_summary *s, size_t width)
{
    char line[512], fitted[512];
    long best = best_run(s, p->n_runs);
    if (best < 0)
        snprintf(line, sizeof line, "no validation loss in %s yet", p->n_runs > 1 ? "these logs" : "this log");
    else
        snprintf(line, sizeof line, "%slowest validation loss: %s, %.4f (%.3f bpb) at step %llu",
                 p->n_runs > 1 ? "* " : "", p->runs[best].name, s[best].best_val, s[best].best_bpb,
                 (unsigned long long)s[best].best_step);
    text_fit(fitted, sizeof fitted, line, width - 1);
    sb_printf(b, "%s\n", fitted);
}

int plot_table(const struct bg_plot *p, const struct bg_plot_options *opt, char **out, struct bg_error *err)
{
    struct bg_plot_options o = options_resolve(opt);
    *out = NULL;
    int rc = plot_check_options(&o, err);
    if (rc)
        return rc;
    if (p->n_runs == 0)
        return bg_fail(err, BG_ERR_INPUT, "plot: no logs to compare");
    struct run_summary *s = malloc(p->n_runs * sizeof *s);
    if (!s)
        return bg_fail(err, BG_ERR_RUNTIME, "plot: out of memory");
    for (size_t r = 0; r < p->n_runs; r++)
        run_summarize(&p->runs[r], o.smooth, &s[r]);
    int shown[N_COLS];
    size_t name_w = table_layout(p, o.width, shown);
    char cells[N_COLS][32];
    for (int c = 0; c < N_COLS; c++)
        snprintf(cells[c], 32, "%s", col_heads[c]);
    struct sbuf b = {0};
    table_row(&b, "run", name_w, cells, shown, "");
    long best = best_run(s, p->n_runs);
    for (size_t r = 0; r < p->n_runs; r++) {
        summary_cells(&s[r], cells);
        table_row(&b, p->runs[r].name, name_w, cells, shown, (long)r == best && p->n_runs > 1 ? " *" : "");
    }
    table_footnote(&b, p, s, o.width);
    free(s);
    return sb_finish(&b, out, err);
}

/* ---- SVG ---- */

/* The page and the plot area inside it, in SVG user units (pixels). */
#define SVG_W 900
#define SVG_H 560
#define SVG_LEFT 80.0
#define SVG_RIGHT (SVG_W - 30.0)
#define SVG_TOP 50.0
#define SVG_BOTTOM (SVG_H - 70.0)

/* Tableau's ten colours: distinct from each other, and readable on white. */
static const char *const svg_colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                         "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"};
#define N_SVG_COLORS 10

/* Appends text with XML's five special characters escaped. */
static void sb_xml(struct sbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': sb_puts(b, "&amp;"); break;
        case '<': sb_puts(b, "&lt;"); break;
        case '>': sb_puts(b, "&gt;"); break;
        case '"': sb_puts(b, "&quot;"); break;
        case '\'': sb_puts(b, "&apos;"); break;
        default: sb_put(b, s, 1);
        }
    }
}

static double svg_x(const struct axis *ax, double v)
{
    return SVG_LEFT + (v - ax->lo) / (ax->hi - ax->lo) * (SVG_RIGHT - SVG_LEFT);
}

static double svg_y(const struct axis *ay, double v)
{
    return SVG_BOTTOM - (v - ay->lo) / (ay->hi - ay->lo) * (SVG_BOTTOM - SVG_TOP);
}

static void svg_line(struct sbuf *b, double x1, double y1, double x2, double y2)
{
    sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x1, y1, x2, y2);
}

/* Light grid lines at every tick, then the two axes and their ticks. */
static void svg_grid(struct sbuf *b, const struct axis *ax, const struct axis *ay)
{
    sb_puts(b, "<g stroke=\"#e6e6e6\" stroke-width=\"1\">\n");
    for (size_t t = 0; t < ax->n_ticks; t++)
        svg_line(b, svg_x(ax, ax->ticks[t]), SVG_TOP, svg_x(ax, ax->ticks[t]), SVG_BOTTOM);
    for (size_t t = 0; t < ay->n_ticks; t++)
        svg_line(b, SVG_LEFT, svg_y(ay, ay->ticks[t]), SVG_RIGHT, svg_y(ay, ay->ticks[t]));
    sb_puts(b, "</g>\n<g stroke=\"#333333\" stroke-width=\"1\">\n");
    svg_line(b, SVG_LEFT, SVG_BOTTOM, SVG_RIGHT, SVG_BOTTOM);
    svg_line(b, SVG_LEFT, SVG_TOP, SVG_LEFT, SVG_BOTTOM);
    for (size_t t = 0; t < ax->n_ticks; t++)
        svg_line(b, svg_x(ax, ax->ticks[t]), SVG_BOTTOM, svg_x(ax, ax->ticks[t]), SVG_BOTTOM + 5);
    for (size_t t = 0; t < ay->n_ticks; t++)
        svg_line(b, SVG_LEFT - 5, svg_y(ay, ay->ticks[t]), SVG_LEFT, svg_y(ay, ay->ticks[t]));
    sb_puts(b, "</g>\n");
}

/* The tick labels and the names of the two axes. */
static void svg_labels(struct sbuf *b, const struct axis *ax, const struct axis *ay, const char *xname)
{
    char label[32];
    sb_puts(b, "<g fill=\"#333333\" text-anchor=\"middle\">\n");
    for (size_t t = 0; t < ax->n_ticks; t++) {
        axis_label(ax, ax->ticks[t], label, sizeof label);
        sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", svg_x(ax, ax->ticks[t]), SVG_BOTTOM + 20, label);
    }
    sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", (SVG_LEFT + SVG_RIGHT) / 2, SVG_BOTTOM + 45, xname);
    sb_printf(b, "<text transform=\"translate(22 %.1f) rotate(-90)\">loss (nats per byte)</text>\n",
              (SVG_TOP + SVG_BOTTOM) / 2);
    sb_puts(b, "</g>\n<g fill=\"#333333\" text-anchor=\"end\">\n");
    for (size_t t = 0; t < ay->n_ticks; t++) {
        axis_label(ay, ay->ticks[t], label, sizeof label);
        sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", SVG_LEFT - 9, svg_y(ay, ay->ticks[t]) + 4, label);
    }
    sb_puts(b, "</g>\n");
}

/* Up to this many validation points get a dot; past it the dots would
 * merge into a thick line that hides the curve. */
#define SVG_MAX_DOTS 400

/* One polyline per series with as many points as it has: train solid,
 * val dashed with a dot on each point. */
static void svg_series(struct sbuf *b, const struct chart *ch, const struct axis *ax, const struct axis *ay)
{
    sb_puts(b, "<g fill=\"none\" stroke-width=\"1.6\" stroke-linejoin=\"round\" stroke-linecap=\"round\">\n");
    for (size_t i = 0; i < ch->n; i++) {
        const struct series *s = &ch->s[i];
        if (s->n == 0)
            continue;
        sb_printf(b, "<polyline class=\"%s\" stroke=\"%s\"%s points=\"", s->val ? "val" : "train",
                  svg_colors[s->run % N_SVG_COLORS], s->val ? " stroke-dasharray=\"6 4\"" : "");
        for (size_t j = 0; j < s->n; j++)
            sb_printf(b, "%s%.1f,%.1f", j ? " " : "", svg_x(ax, s->x[j]), svg_y(ay, s->y[j]));
        sb_puts(b, "\"/>\n");
    }
    sb_puts(b, "</g>\n");
    for (size_t i = 0; i < ch->n; i++) {
        const struct series *s = &ch->s[i];
        if (!s->val || s->n == 0 || s->n > SVG_MAX_DOTS)
            continue;
        sb_printf(b, "<g fill=\"%s\" stroke=\"white\" stroke-width=\"0.8\">\n", svg_colors[s->run % N_SVG_COLORS]);
        for (size_t j = 0; j < s->n; j++)
            sb_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>\n", svg_x(ax, s->x[j]), svg_y(ay, s->y[j]));
        sb_puts(b, "</g>\n");
    }
}

/* The legend, in the top right corner of the plot area where falling
 * loss curves leave room: a key (solid train, dashed val with dots, the
 * latter only when there are validation points), then one swatch and
 * folder name per run. Text is taken as about 7 units a character. */
static void svg_legend(struct sbuf *b, const struct bg_plot *p, const struct chart *ch,
                       const struct bg_plot_options *o)
{
    size_t chars = 16, keys = chart_has_val(ch) ? 2 : 1;
    for (size_t r = 0; r < p->n_runs; r++)
        chars = text_width(p->runs[r].name) > chars ? text_width(p->runs[r].name) : chars;
    chars = chars > 60 ? 60 : chars;
    double w = 56.0 + 7.0 * (double)chars, h = 12.0 + 18.0 * (double)(keys + p->n_runs);
    double x = SVG_RIGHT - 10 - w, y = SVG_TOP + 10;
    sb_printf(b, "<g class=\"legend\">\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"white\" "
                 "fill-opacity=\"0.9\" stroke=\"#cccccc\"/>\n", x, y, w, h);
    sb_printf(b, "<g stroke=\"#555555\" stroke-width=\"1.6\">\n<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
              x + 10, y + 15, x + 34, y + 15);
    if (keys == 2)
        sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke-dasharray=\"6 4\"/>\n"
                     "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#555555\" stroke=\"none\"/>\n",
                  x + 10, y + 33, x + 34, y + 33, x + 22, y + 33);
    sb_printf(b, "</g>\n<g fill=\"#555555\">\n<text x=\"%.1f\" y=\"%.1f\">train%s</text>\n", x + 40, y + 19,
              o->smooth > 0 ? " (smoothed)" : "");
    if (keys == 2)
        sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\">val</text>\n", x + 40, y + 37);
    sb_puts(b, "</g>\n");
    for (size_t r = 0; r < p->n_runs; r++) {
        char name[160];
        double ry = y + 15 + 18.0 * (double)(keys + r);
        text_fit(name, sizeof name, p->runs[r].name, chars);
        sb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"24\" height=\"8\" fill=\"%s\"/>\n<text x=\"%.1f\" y=\"%.1f\">",
                  x + 10, ry - 4, svg_colors[r % N_SVG_COLORS], x + 40, ry + 4);
        sb_xml(b, name);
        sb_puts(b, "</text>\n");
    }
    sb_puts(b, "</g>\n");
}

static void svg_draw(struct sbuf *b, const struct bg_plot *p, const struct chart *ch, const struct bg_plot_options *o)
{
    struct axis ax, ay;
    axis_init(&ax, x_kind(o->x), ch->xlo, ch->xhi, 8, 1);
    axis_init(&ay, AXIS_LOSS, ch->ylo, ch->yhi, 8, 1);
    char title[256], xname[64];
    x_title(o->x, &ax, xname, sizeof xname);
    chart_title(o, xname, title, sizeof title);
    sb_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                 "font-family=\"sans-serif\" font-size=\"13\">\n<title>bytegpt: %s</title>\n"
                 "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n"
                 "<text x=\"%d\" y=\"30\" text-anchor=\"middle\" font-size=\"16\" fill=\"#222222\">%s</text>\n",
              SVG_W, SVG_H, SVG_W, SVG_H, title, SVG_W, SVG_H, SVG_W / 2, title);
    svg_grid(b, &ax, &ay);
    svg_labels(b, &ax, &ay, xname);
    svg_series(b, ch, &ax, &ay);
    svg_legend(b, p, ch, o);
    sb_puts(b, "</svg>\n");
}

int plot_svg(const struct bg_plot *p, const struct bg_plot_options *opt, char **out, struct bg_error *err)
{
    struct bg_plot_options o = options_resolve(opt);
    struct chart ch;
    *out = NULL;
    int rc = plot_check_options(&o, err);
    if (rc || (rc = chart_build(&ch, p, &o, err)))
        return rc;
    struct sbuf b = {0};
    svg_draw(&b, p, &ch, &o);
    chart_free(&ch);
    return sb_finish(&b, out, err);
}

/* ---- Writing the SVG ---- */

/* A path the user can fix (no such folder, a file where a folder should
 * be, no permission, a folder where the file should be) is an input
 * error; anything else (a full or failing disk) is the machine's. */
static int path_error(int e)
{
    return e == ENOENT || e == ENOTDIR || e == EACCES || e == EPERM || e == EISDIR || e == EROFS ||
                   e == ENAMETOOLONG || e == ELOOP
               ? BG_ERR_INPUT
               : BG_ERR_RUNTIME;
}

/* Writes data to a temporary file beside path, syncs it, and renames it
 * over path: a reader (a browser reloading loss.svg mid-run) sees the old
 * file or the new one, never half of one, and a failure leaves nothing. */
static int write_atomic(const char *path, const char *data, size_t n, struct bg_error *err)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return bg_fail(err, BG_ERR_INPUT, "plot: the SVG path is too long: %.200s...", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return bg_fail(err, path_error(errno), "plot: cannot write %s: %s; check that its folder exists and is writable",
                       path, strerror(errno));
    int e = 0;
    if (fwrite(data, 1, n, f) != n || fflush(f) != 0 || fsync(fileno(f)) != 0)
        e = errno ? errno : EIO;
    if (fclose(f) != 0 && !e)
        e = errno ? errno : EIO;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        remove(tmp);
        return bg_fail(err, path_error(e), "plot: cannot write %s: %s", path, strerror(e));
    }
    return BG_OK;
}

int plot_svg_write(const char *svg_path, const struct bg_plot *p, const struct bg_plot_options *opt,
                   struct bg_error *err)
{
    char *doc = NULL;
    int rc = plot_svg(p, opt, &doc, err);
    if (!rc)
        rc = write_atomic(svg_path, doc, strlen(doc), err);
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
