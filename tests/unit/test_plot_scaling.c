/* plot_scaling: the scaling SVG is well-formed XML (and passes xmllint
 * when installed) with one parabola per budget, a vertex only for the
 * budgets inside, an "outside" label pointing the right way for the
 * others, and the prediction's star where the prediction is: every mark
 * is checked against the axes the runs' own dots give, so a mark drawn at
 * the wrong place fails. Also: the log axes' ticks at powers of ten, the
 * frontier panel, the atomic write and what is refused; the terminal
 * chart's size, and a budget's lowest run and vertex at the columns and
 * rows its numbers give.
 *
 * The fits are made up here (plausible numbers, not fitted): the charts
 * draw what they are handed. `test_plot_scaling --write DIR` writes the
 * made-up scaling.svg and the terminal chart into DIR and exits, for a
 * person to look at. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytegpt/plot_scaling.h"
#include "scaling_fake.h"
#include "test.h"
#include "xml_check.h"

static char dir[] = "/tmp/bg_scaling_XXXXXX";

/* ---- Helpers ---- */

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + strlen(what), what))
        n++;
    return n;
}

/* The centre of the k-th mark of class cls (a circle's centre, a rect's
 * middle, the mean of a polygon's points, which for the symmetric
 * diamond and star is their centre); 0 when there is no such mark. */
static int mark_at(const char *doc, const char *cls, size_t k, double *x, double *y)
{
    char key[64];
    snprintf(key, sizeof key, "class=\"%s\"", cls);
    const char *p = doc;
    for (size_t i = 0; i <= k; i++) {
        p = strstr(p, key);
        if (!p)
            return 0;
        p += strlen(key);
    }
    double w, h;
    if (sscanf(p, " cx=\"%lf\" cy=\"%lf\"", x, y) == 2)
        return 1;
    if (sscanf(p, " x=\"%lf\" y=\"%lf\" width=\"%lf\" height=\"%lf\"", x, y, &w, &h) == 4) {
        *x += w / 2;
        *y += h / 2;
        return 1;
    }
    if (strncmp(p, " points=\"", 9) != 0)
        return 0;
    p += 9;
    double sx = 0, sy = 0, px, py;
    int n = 0;
    while (*p != '"' && sscanf(p, "%lf,%lf", &px, &py) == 2) {
        sx += px;
        sy += py;
        n++;
        p += strcspn(p, " \"");
        p += *p == ' ';
    }
    *x = sx / n;
    *y = sy / n;
    return n > 0;
}

/* A panel's mapping, recovered from two of its marks: x = x0 + xs * ln(u)
 * (a log axis), y = y0 + ys * v (linear) or ys * ln(v) (log). */
struct mapping {
    double x0, xs, y0, ys;
    int ylog;
};

static struct mapping mapping_from(double u1, double v1, double x1, double y1, double u2, double v2, double x2,
                                   double y2, int ylog)
{
    struct mapping m = {.ylog = ylog};
    double a1 = ylog ? log(v1) : v1, a2 = ylog ? log(v2) : v2;
    m.xs = (x2 - x1) / (log(u2) - log(u1));
    m.x0 = x1 - m.xs * log(u1);
    m.ys = (y2 - y1) / (a2 - a1);
    m.y0 = y1 - m.ys * a1;
    return m;
}

/* Whether the k-th mark of class cls is at (u, v) under m, within tol
 * units: the SVG rounds to 0.1, and m, made from rounded marks, carries
 * that rounding further the farther it reaches. */
static int mark_is_at(const char *doc, const char *cls, size_t k, const struct mapping *m, double u, double v,
                      double tol)
{
    double x, y;
    if (!mark_at(doc, cls, k, &x, &y))
        return 0;
    double ex = m->x0 + m->xs * log(u), ey = m->y0 + m->ys * (m->ylog ? log(v) : v);
    int ok = fabs(x - ex) < tol && fabs(y - ey) < tol;
    if (!ok)
        printf("  %s %zu at (%.1f, %.1f), expected (%.1f, %.1f)\n", cls, k, x, y, ex, ey);
    return ok;
}

/* The x of the first and the last point of the k-th parabola. */
static int polyline_ends(const char *doc, size_t k, double *first, double *last)
{
    const char *p = doc;
    for (size_t i = 0; i <= k && p; i++)
        p = strstr(p + (i > 0), "class=\"parabola\"");
    if (!p || !(p = strstr(p, "points=\"")))
        return 0;
    p += 8;
    double y;
    int n = 0;
    while (*p != '"' && sscanf(p, "%lf,%lf", n ? last : first, &y) == 2) {
        n++;
        p += strcspn(p, " \"");
        p += *p == ' ';
    }
    if (n == 1)
        *last = *first;
    return n > 0;
}

/* The place and anchor of the k-th "outside" label. */
static int outside_label(const char *doc, size_t k, double *x, double *y, char anchor[8])
{
    const char *p = doc;
    for (size_t i = 0; i <= k && p; i++)
        p = strstr(p + (i > 0), "class=\"outside\"");
    return p && sscanf(p, "class=\"outside\" x=\"%lf\" y=\"%lf\" text-anchor=\"%7[a-z]\"", x, y, anchor) == 3;
}

static int has_xmllint(void)
{
    return system("command -v xmllint >/dev/null 2>&1") == 0;
}

/* The made-up grid's SVG (NULL, and a failed check, when it is not
 * drawn), the grid left in fk. */
static char *fake_svg(struct scaling_fake *fk, int with_check)
{
    struct bg_error err;
    char *doc = NULL;
    scaling_fake_init(fk, with_check);
    CHECK(plot_scaling_svg(&fk->view, &doc, &err) == BG_OK && doc);
    return doc;
}

/* The x of the first tick label reading `label` ("1M"): the <text> that
 * holds it. */
static double label_x(const char *doc, const char *label)
{
    char key[64];
    double x = NAN, y;
    snprintf(key, sizeof key, ">%s</text>", label);
    const char *p = strstr(doc, key);
    while (p && p > doc && strncmp(p, "<text", 5) != 0)
        p--;
    if (!p || sscanf(p, "<text x=\"%lf\" y=\"%lf\"", &x, &y) != 2)
        return NAN;
    return x;
}

/* ---- The SVG ---- */

/* Four budgets, three inside, the last outside above; a check. */
static void test_svg_structure(void)
{
    struct scaling_fake fk;
    char *doc = fake_svg(&fk, 1);
    if (!doc)
        return;
    CHECK(xml_ok(doc));
    CHECK(strncmp(doc, "<?xml", 5) == 0 && strstr(doc, "xmlns=\"http://www.w3.org/2000/svg\""));
    CHECK(count(doc, "class=\"parabola\"") == 4);
    CHECK(count(doc, "class=\"run\"") == fk.n_pts);
    CHECK(count(doc, "class=\"vertex\"") == 3 && count(doc, "class=\"frontier\"") == 3);
    CHECK(count(doc, "class=\"outside\"") == 1 && strstr(doc, ">outside \xe2\x86\x92</text>"));
    CHECK(count(doc, "class=\"prediction\"") == 2 && count(doc, "class=\"check\"") == 3);
    CHECK(count(doc, "class=\"check-best\"") == 1 && count(doc, "class=\"fitline\"") == 1);
    /* The legend names each budget, the one outside as such. */
    CHECK(strstr(doc, ">1e12 FLOPs</text>") && strstr(doc, ">3e12 FLOPs</text>"));
    CHECK(strstr(doc, ">3e13 FLOPs (outside)</text>") && strstr(doc, ">prediction at 1e14 FLOPs</text>"));
    CHECK(strstr(doc, ">a budget&apos;s best size</text>") != NULL);
    /* The tooltips say what a mark is. */
    CHECK(strstr(doc, "<title>prediction at 1e14 FLOPs: 2M parameters, 2.050 bpb</title>") != NULL);
    /* The frontier's exponent and its spread, and the tokens per parameter. */
    CHECK(strstr(doc, ">n = k C^a, a = 0.50 (0.45\xe2\x80\x93" "0.55)</text>") != NULL);
    CHECK(strstr(doc, ">20.5 tokens per parameter</text>") != NULL);
    free(doc);
}

/* Every mark at the place its numbers give, on the axes the runs' dots
 * give: the vertices, the prediction's star and bars, the check. */
static void test_svg_positions(void)
{
    struct scaling_fake fk;
    char *doc = fake_svg(&fk, 1);
    if (!doc)
        return;
    /* The runs of the smallest and the largest size fix the left panel's
     * x axis, the lowest and the highest score its y axis: far apart, so
     * that the SVG's rounding hardly moves the mapping. */
    const struct bg_scaling_point *p = fk.pts;
    size_t nlo = 0, nhi = 0, blo = 0, bhi = 0;
    for (size_t i = 0; i < fk.n_pts; i++) {
        nlo = p[i].n < p[nlo].n ? i : nlo;
        nhi = p[i].n > p[nhi].n ? i : nhi;
        blo = p[i].bpb < p[blo].bpb ? i : blo;
        bhi = p[i].bpb > p[bhi].bpb ? i : bhi;
    }
    double x1 = NAN, y1 = NAN, x2 = NAN, y2 = NAN, ya, yb;
    CHECK(mark_at(doc, "run", nlo, &x1, &ya) && mark_at(doc, "run", nhi, &x2, &yb));
    CHECK(mark_at(doc, "run", blo, &ya, &y1) && mark_at(doc, "run", bhi, &yb, &y2));
    struct mapping iso = mapping_from(p[nlo].n, p[blo].bpb, x1, y1, p[nhi].n, p[bhi].bpb, x2, y2, 0);
    for (size_t i = 0; i < fk.n_pts; i++)
        CHECK(mark_is_at(doc, "run", i, &iso, p[i].n, p[i].bpb, 0.3));
    for (size_t k = 0; k < 3; k++)
        CHECK(mark_is_at(doc, "vertex", k, &iso, fk.fit.par[k].n_opt, fk.fit.par[k].bpb_opt, 0.3));
    for (int i = 0; i < 3; i++)
        CHECK(mark_is_at(doc, "check", (size_t)i, &iso, fk.check.n[i], fk.check.bpb[i], 0.3));
    CHECK(mark_is_at(doc, "prediction", 0, &iso, fk.fit.n_pred.value, fk.fit.bpb_pred.value, 0.3));
    /* The frontier: dots 0 and 2 fix its log-log axes. */
    const struct bg_scaling_parabola *par = fk.fit.par;
    CHECK(mark_at(doc, "frontier", 0, &x1, &y1) && mark_at(doc, "frontier", 2, &x2, &y2));
    struct mapping fr = mapping_from(par[0].c, par[0].n_opt, x1, y1, par[2].c, par[2].n_opt, x2, y2, 1);
    CHECK(mark_is_at(doc, "frontier", 1, &fr, par[1].c, par[1].n_opt, 0.5));
    CHECK(mark_is_at(doc, "prediction", 1, &fr, fk.fit.c_pred, fk.fit.n_pred.value, 0.5));
    CHECK(mark_is_at(doc, "check-best", 0, &fr, fk.check.c, fk.check.n[1], 0.5));
    /* The star's bar in the left panel spans the spread of its score. */
    const char *bar = strstr(doc, "class=\"spread\"");
    bar = bar ? strstr(bar + 1, "class=\"spread\"") : NULL;
    double bx1, by1 = NAN, bx2, by2 = NAN;
    CHECK(bar && sscanf(bar, "class=\"spread\" d=\"M%lf %lfL%lf %lf", &bx1, &by1, &bx2, &by2) == 4);
    CHECK_NEAR(by1, iso.y0 + iso.ys * fk.fit.bpb_pred.lo, 0.2);
    CHECK_NEAR(by2, iso.y0 + iso.ys * fk.fit.bpb_pred.hi, 0.2);
    free(doc);
}

/* Budgets below, above and flat: no vertex, each labelled at the end of
 * its curve the vertex lies beyond; with none inside, no frontier. */
static void test_svg_outside(void)
{
    struct scaling_fake fk;
    scaling_fake_init(&fk, 0);
    fk.fit.par[0].where = BG_SCALING_BELOW;
    fk.fit.par[1].where = BG_SCALING_ABOVE;
    fk.fit.par[2].where = BG_SCALING_FLAT;
    fk.fit.par[2].n_opt = fk.fit.par[2].bpb_opt = NAN;
    fk.fit.n_inside = 0;
    fk.fit.has_frontier = 0;
    struct bg_error err;
    char *doc = NULL;
    CHECK(plot_scaling_svg(&fk.view, &doc, &err) == BG_OK && doc);
    if (!doc)
        return;
    CHECK(xml_ok(doc));
    CHECK(count(doc, "class=\"parabola\"") == 4 && count(doc, "class=\"vertex\"") == 0);
    CHECK(count(doc, "class=\"outside\"") == 4);
    CHECK(count(doc, ">\xe2\x86\x90 outside</text>") == 1 && count(doc, ">outside \xe2\x86\x92</text>") == 2);
    CHECK(count(doc, ">no minimum</text>") == 1 && strstr(doc, ">1e12 FLOPs (outside)</text>"));
    CHECK(strstr(doc, "3e12 FLOPs (outside)") && strstr(doc, "1e13 FLOPs (no minimum)"));
    CHECK(strstr(doc, "budget&apos;s best size") == NULL); /* no diamond to explain */
    CHECK(!strstr(doc, "class=\"prediction\"") && !strstr(doc, "class=\"fitline\"") && !strstr(doc, "class=\"check"));
    CHECK(strstr(doc, "No frontier yet") != NULL && strstr(doc, "tokens per parameter") == NULL);
    /* Budget 0's label (below) starts at its curve's left end, budget
     * 1's (above) ends at its curve's right end. */
    double first = NAN, last = NAN, x = NAN, y;
    char anchor[8] = "";
    CHECK(polyline_ends(doc, 0, &first, &last) && outside_label(doc, 0, &x, &y, anchor));
    CHECK(fabs(x - first) < 0.01 && strcmp(anchor, "start") == 0);
    CHECK(polyline_ends(doc, 1, &first, &last) && outside_label(doc, 1, &x, &y, anchor));
    CHECK(fabs(x - last) < 0.01 && strcmp(anchor, "end") == 0);
    free(doc);
}

/* The left panel's x axis has a tick at each power of ten the sizes
 * span, labelled as counts; the frontier's x axis in FLOPs. */
static void test_svg_log_ticks(void)
{
    struct scaling_fake fk;
    char *doc = fake_svg(&fk, 1);
    if (!doc)
        return;
    /* Sizes 50k to 5M: 100k and 1M, with 200k 500k 2M between them. */
    const char *labels[] = {">100k</text>", ">200k</text>", ">500k</text>", ">1M</text>", ">2M</text>"};
    for (int i = 0; i < 5; i++)
        CHECK(strstr(doc, labels[i]) != NULL);
    CHECK(strstr(doc, ">1e12</text>") && strstr(doc, ">1e13</text>") && strstr(doc, ">1e14</text>"));
    /* Equal ratios take equal lengths: 200k lies log10(2) of the way
     * from 100k to 1M (a linear axis would put it a ninth of the way). */
    double x100k = label_x(doc, "100k"), x1m = label_x(doc, "1M"), x200k = label_x(doc, "200k");
    CHECK_NEAR((x200k - x100k) / (x1m - x100k), log10(2.0), 0.002);
    free(doc);
}

/* The file is written whole through the atomic write; xmllint reads it
 * when installed; a path that cannot be written and a view that cannot be
 * drawn are input errors. */
static void test_svg_write_and_refusals(void)
{
    struct scaling_fake fk;
    scaling_fake_init(&fk, 1);
    struct bg_error err;
    char path[512], cmd[700];
    snprintf(path, sizeof path, "%s/scaling.svg", dir);
    CHECK(plot_scaling_svg_write(path, &fk.view, &err) == BG_OK);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size > 2000);
    if (has_xmllint()) {
        snprintf(cmd, sizeof cmd, "xmllint --noout %s", path);
        CHECK(system(cmd) == 0);
    } else {
        printf("  (xmllint not installed: only the structural check ran)\n");
    }
    CHECK(plot_scaling_svg_write("/nonexistent/dir/scaling.svg", &fk.view, &err) == BG_ERR_INPUT &&
          strstr(err.msg, "/nonexistent/dir/scaling.svg"));
    char *doc = NULL;
    struct bg_scaling_view v = fk.view;
    v.fit = NULL;
    CHECK(plot_scaling_svg(&v, &doc, &err) == BG_ERR_INPUT && !doc);
    fk.fit.n_budgets = 0;
    CHECK(plot_scaling_svg(&fk.view, &doc, &err) == BG_ERR_INPUT && strstr(err.msg, "budgets"));
    fk.fit.n_budgets = 4;
    for (size_t i = 0; i < fk.n_pts; i++)
        fk.pts[i].bpb = NAN;
    CHECK(plot_scaling_svg(&fk.view, &doc, &err) == BG_ERR_INPUT && strstr(err.msg, "no run"));
    CHECK(plot_scaling_terminal(&fk.view, NULL, &doc, &err) == BG_ERR_INPUT && !doc);
}

/* ---- The terminal chart ---- */

/* The code points of a line up to its end, and where in it (in code
 * points) the first occurrence of the ASCII character ch is (-1: none). */
static long line_cols(const char *s, const char **end, char ch, long *at)
{
    long w = 0;
    *at = -1;
    for (; *s && *s != '\n'; s++) {
        if (*s == ch && *at < 0)
            *at = w;
        w += ((unsigned char)*s & 0xC0) != 0x80;
    }
    *end = s;
    return w;
}

/* Every line within the width; a title, `height` plot rows, the x axis
 * and its labels, the key, a blank line, the table's head and a row per
 * budget. */
static void check_size(const char *text, size_t width, size_t height, size_t budgets)
{
    size_t lines = 0, widest = 0;
    for (const char *p = text; *p;) {
        const char *end;
        long at;
        size_t w = (size_t)line_cols(p, &end, ' ', &at);
        widest = w > widest ? w : widest;
        lines++;
        p = *end ? end + 1 : end;
    }
    CHECK(widest <= width);
    CHECK(lines == 1 + height + 2 + 1 + 1 + 1 + budgets);
    CHECK(count(text, "└") == 1 && count(text, "│") + count(text, "┤") == height);
}

static void test_terminal_size(void)
{
    struct scaling_fake fk;
    scaling_fake_init(&fk, 1);
    struct bg_error err;
    char *text = NULL;
    CHECK(plot_scaling_terminal(&fk.view, NULL, &text, &err) == BG_OK && text);
    if (!text)
        return;
    check_size(text, 72, 14, 4);
    CHECK(strstr(text, "a  1e12            200k       2.900     inside") != NULL);
    CHECK(strstr(text, "d  3e13            -          -         outside: add larger sizes") != NULL);
    CHECK(strstr(text, "a-d: runs (each seed)   A-D: best size   +: check   *: prediction") != NULL);
    free(text);
    struct bg_plot_options o = BG_PLOT_OPTIONS_DEFAULT;
    o.width = 100;
    o.height = 24;
    CHECK(plot_scaling_terminal(&fk.view, &o, &text, &err) == BG_OK && text);
    if (text)
        check_size(text, 100, 24, 4);
    free(text);
}

/* One budget, runs at 10k, 100k and 1M scoring 3.0, 2.5 and 2.9: on a log
 * axis the runs fill the width, 100k in the middle column; the highest
 * score on the top row and the vertex, the lowest, on the bottom one. */
static void test_terminal_columns(void)
{
    struct bg_scaling_point pts[3] = {{1e12, 1e4, 1.7e7, 3.0, 0, 0, 0},
                                      {1e12, 1e5, 1.7e6, 2.5, 0, 1, 0},
                                      {1e12, 1e6, 1.7e5, 2.9, 0, 2, 0}};
    struct bg_scaling_fit fit = {.n_budgets = 1};
    /* The parabola through the three runs, in x = ln n - ln 1e5. */
    double d = log(10.0), q2 = (3.0 + 2.9 - 2 * 2.5) / (2 * d * d), q1 = (2.9 - 3.0) / (2 * d), x0 = log(1e5);
    struct bg_scaling_parabola *p = &fit.par[0];
    *p = (struct bg_scaling_parabola){.c = 1e12, .n_lo = 1e4, .n_hi = 1e6, .where = BG_SCALING_INSIDE};
    p->q2 = q2;
    p->q1 = q1 - 2 * q2 * x0;
    p->q0 = 2.5 - q1 * x0 + q2 * x0 * x0;
    p->n_opt = exp(x0 - q1 / (2 * q2));
    p->bpb_opt = 2.5 - q1 * q1 / (4 * q2);
    CHECK_NEAR(plot_scaling_parabola_at(p, 1e4), 3.0, 1e-12);
    CHECK_NEAR(plot_scaling_parabola_at(p, 1e6), 2.9, 1e-12);
    struct bg_scaling_view v = {pts, 3, &fit, NULL};
    struct bg_error err;
    char *text = NULL;
    CHECK(plot_scaling_terminal(&v, NULL, &text, &err) == BG_OK && text);
    if (!text)
        return;
    /* Row by row, the plot area's column of the first 'a' and of 'A' (-1:
     * none). The labels are ASCII; the axis, │ or ┤, is the first
     * character of more than one byte. */
    long a_col[14], v_col[14], label_w = 0;
    const char *line = strchr(text, '\n') + 1, *end;
    for (long r = 0; r < 14; r++, line = end + 1) {
        long at_a, at_v;
        line_cols(line, &end, 'A', &at_v);
        line_cols(line, &end, 'a', &at_a);
        label_w = (long)strcspn(line, "\xe2");
        a_col[r] = at_a < 0 ? -1 : at_a - label_w - 1;
        v_col[r] = at_v < 0 ? -1 : at_v - label_w - 1;
    }
    /* The dots' columns of 10k, 100k and 1M: 0, the middle, the last. */
    long cols = 72 - label_w - 2, dots = 2 * cols;
    CHECK(a_col[0] == 0);
    CHECK(a_col[13] == lround(0.5 * (double)(dots - 1)) / 2);
    long row_29 = lround((3.0 - 2.9) / (3.0 - p->bpb_opt) * (4 * 14 - 1)) / 4;
    CHECK(a_col[row_29] == cols - 1);
    /* The vertex, 0.001 below the 100k run, shares the bottom row with
     * it, in a column of its own. */
    double frac = (log(p->n_opt) - log(1e4)) / (log(1e6) - log(1e4));
    CHECK(v_col[13] == lround(frac * (double)(dots - 1)) / 2 && v_col[13] != a_col[13]);
    free(text);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write") == 0)
        return scaling_fake_write(argv[2]);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN_TEST(test_svg_structure);
    RUN_TEST(test_svg_positions);
    RUN_TEST(test_svg_outside);
    RUN_TEST(test_svg_log_ticks);
    RUN_TEST(test_svg_write_and_refusals);
    RUN_TEST(test_terminal_size);
    RUN_TEST(test_terminal_columns);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("could not remove %s\n", dir);
    return TEST_EXIT();
}
