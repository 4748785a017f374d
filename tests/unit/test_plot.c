/* plot: nice ticks, log axes and the EMA; the SVG as XML (balanced tags, an svg
 * root, escaped names, xmllint when installed) with one polyline per
 * series and one point per row; runs sharing one x axis; the terminal
 * chart's highest value on its top row and lowest on its bottom row,
 * inside the width; the comparison table; logs that cannot be plotted;
 * and the CLI's answers to bad input (one error line, exit 2, no file). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bytegpt/plot.h"
#include "bytegpt/plot_chart.h"
#include "test.h"
#include "xml_check.h"

static char dir[] = "/tmp/bg_plot_XXXXXX";

/* ---- Helpers ---- */

/* dir/NAME/log.csv, creating the folder. */
static const char *log_path(const char *name)
{
    static char path[4][512];
    static int next;
    char folder[256];
    snprintf(folder, sizeof folder, "%s/%.200s", dir, name);
    mkdir(folder, 0755);
    char *p = path[next++ % 4];
    snprintf(p, 512, "%s/log.csv", folder);
    return p;
}

/* Writes a log of steps 1..n through the trainlog module, with the train
 * loss loss(step) and a validation every val_every steps (0: none). */
static const char *write_log(const char *name, size_t n, double (*loss)(double), size_t val_every)
{
    const char *path = log_path(name);
    struct bg_trainlog tl;
    struct bg_error err;
    remove(path);
    CHECK(trainlog_create(&tl, path, &err) == BG_OK);
    for (size_t s = 1; s <= n; s++) {
        double l = loss((double)s), v = val_every && s % val_every == 0 ? l + 0.1 : NAN;
        struct bg_log_row r = {s, 1000 * s, 6e6 * (double)s, 1e-3, l, v, v / log(2.0), 0.5, 5000, 0.5 * (double)s};
        CHECK(trainlog_append(&tl, &r, &err) == BG_OK);
    }
    CHECK(trainlog_close(&tl, &err) == BG_OK);
    return path;
}

/* Writes text as a file at dir/NAME/log.csv. */
static const char *write_text(const char *name, const char *text)
{
    const char *path = log_path(name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static double falling(double s)
{
    return 1.0 + 4.0 * exp(-s / 10.0);
}

/* Up from 2 at step 1 to 5 at step 20, then down to 1 at step 60. */
static double triangle(double s)
{
    return s <= 20 ? 2.0 + 3.0 * (s - 1) / 19.0 : 5.0 - 4.0 * (s - 20) / 40.0;
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + strlen(what), what))
        n++;
    return n;
}

/* Code points in a line up to its end, skipping ANSI colour sequences. */
static size_t line_width(const char *s, const char **end)
{
    size_t w = 0;
    for (; *s && *s != '\n'; s++) {
        if (*s == '\x1b') {
            while (*s && *s != 'm')
                s++;
            continue;
        }
        w += ((unsigned char)*s & 0xC0) != 0x80;
    }
    *end = s;
    return w;
}

static size_t widest_line(const char *text)
{
    size_t w = 0;
    for (const char *p = text; *p;) {
        const char *end;
        size_t lw = line_width(p, &end);
        w = lw > w ? lw : w;
        p = *end ? end + 1 : end;
    }
    return w;
}

/* The points attribute of the k-th polyline: its point count, and the x
 * of its first and last point. */
static size_t polyline_points(const char *doc, size_t k, double *first_x, double *last_x)
{
    const char *p = doc;
    for (size_t i = 0; i <= k; i++) {
        p = strstr(p, "<polyline");
        if (!p)
            return 0;
        p++;
    }
    p = strstr(p, "points=\"") + 8;
    size_t n = 0;
    double x, y;
    while (*p != '"') {
        if (sscanf(p, "%lf,%lf", &x, &y) != 2)
            return 0;
        if (n++ == 0)
            *first_x = x;
        *last_x = x;
        p += strcspn(p, " \"");
        if (*p == ' ')
            p++;
    }
    return n;
}

/* ---- Ticks and smoothing ---- */

static void test_nice_ticks(void)
{
    double t[32];
    /* A loss from 0.93 to 5.55 in about 5 ticks: the whole numbers. */
    size_t n = plot_nice_ticks(0.93, 5.55, 5, t, 32);
    CHECK(n == 5);
    for (size_t i = 0; i < n; i++)
        CHECK_NEAR(t[i], (double)(i + 1), 1e-12);
    /* Steps 1..400 in about 8: every 50, the edge at 400 kept. */
    n = plot_nice_ticks(1, 400, 8, t, 32);
    CHECK(n == 8 && t[0] == 50 && t[7] == 400);
    /* Across zero, the middle tick is exactly 0, not -0 or 1e-17. */
    n = plot_nice_ticks(-0.3, 0.3, 6, t, 32);
    CHECK(n == 7 && t[3] == 0.0 && !signbit(t[3]));
    /* No range, no ticks. */
    CHECK(plot_nice_ticks(2, 2, 5, t, 32) == 0);
}

/* A log axis: ticks at the powers of ten, 2 and 5 times them too when a
 * range holds fewer than three powers; labels that stand alone; equal
 * ratios at equal lengths; the padding and a range of one value. */
static void test_log_axis(void)
{
    struct plot_axis a;
    char label[32];
    plot_axis_init_log(&a, PLOT_AXIS_FLOPS, 1e12, 3e14, 0);
    CHECK(a.log && a.n_ticks == 3 && a.ticks[0] == 1e12 && a.ticks[1] == 1e13 && a.ticks[2] == 1e14);
    plot_axis_label(&a, a.ticks[0], label, sizeof label);
    CHECK(strcmp(label, "1e12") == 0);
    CHECK_NEAR(plot_axis_frac(&a, sqrt(1e12 * 3e14)), 0.5, 1e-12);
    CHECK(plot_axis_map(&a, 1e12, 101) == 0 && plot_axis_map(&a, 3e14, 101) == 100);
    CHECK(plot_axis_map(&a, sqrt(1e12 * 3e14), 101) == 50 && plot_axis_map(&a, 0.0, 101) == 0);
    /* Two decades hold two powers: 50k 100k 200k 500k 1M 2M 5M. */
    const char *want[] = {"50k", "100k", "200k", "500k", "1M", "2M", "5M"};
    plot_axis_init_log(&a, PLOT_AXIS_COUNT, 5e4, 5e6, 0);
    CHECK(a.n_ticks == 7);
    for (size_t i = 0; i < a.n_ticks && i < 7; i++) {
        plot_axis_label(&a, a.ticks[i], label, sizeof label);
        CHECK(strcmp(label, want[i]) == 0);
    }
    /* A tenth of the two decades on each side. */
    plot_axis_init_log(&a, PLOT_AXIS_COUNT, 1e4, 1e6, 0.1);
    CHECK_NEAR(log10(a.lo), 3.8, 1e-12);
    CHECK_NEAR(log10(a.hi), 6.2, 1e-12);
    plot_axis_init_log(&a, PLOT_AXIS_COUNT, 1e5, 1e5, 0);
    CHECK_NEAR(a.lo, 5e4, 1e-6);
    CHECK_NEAR(a.hi, 2e5, 1e-6);
    CHECK(strcmp(plot_sci_label(label, sizeof label, 1.5e12), "1.5e12") == 0);
    CHECK(strcmp(plot_sci_label(label, sizeof label, 3e13), "3e13") == 0);
}

static void test_smooth(void)
{
    double v[5] = {1, 2, NAN, 3, 4}, w[5] = {1, 2, NAN, 3, 4};
    /* Coefficient 0 leaves the values as they are. */
    plot_smooth(v, 5, 0.0);
    for (int i = 0; i < 5; i++)
        CHECK(isnan(w[i]) ? isnan(v[i]) : v[i] == w[i]);
    /* Bias-corrected: the first value stays, the second is (a x1 + x2) /
     * (1 + a), and the NaN is skipped and kept. */
    plot_smooth(v, 5, 0.5);
    CHECK_NEAR(v[0], 1.0, 1e-15);
    CHECK_NEAR(v[1], (0.5 * 1 + 2) / 1.5, 1e-15);
    CHECK(isnan(v[2]));
    CHECK_NEAR(v[3], (0.25 * 1 + 0.5 * 2 + 3) / 1.75, 1e-15);
    /* A constant stays constant. */
    double c[4] = {3, 3, 3, 3};
    plot_smooth(c, 4, 0.9);
    CHECK_NEAR(c[3], 3.0, 1e-14);
}

static void test_options(void)
{
    struct bg_error err;
    enum bg_plot_x x;
    CHECK(plot_parse_x("tokens", &x, &err) == BG_OK && x == BG_PLOT_X_TOKENS);
    CHECK(plot_parse_x("time", &x, &err) == BG_OK && x == BG_PLOT_X_TIME);
    CHECK(plot_parse_x("epoch", &x, &err) == BG_ERR_INPUT && strstr(err.msg, "epoch"));
    struct bg_plot_options o = BG_PLOT_OPTIONS_DEFAULT;
    double bad[] = {-0.1, 1.0, 1.5, NAN}, good[] = {0.0, 0.9, 0.999};
    for (int i = 0; i < 4; i++) {
        o.smooth = bad[i];
        CHECK(plot_check_options(&o, &err) == BG_ERR_INPUT && strstr(err.msg, "--smooth"));
    }
    for (int i = 0; i < 3; i++) {
        o.smooth = good[i];
        CHECK(plot_check_options(&o, &err) == BG_OK);
    }
}

/* ---- SVG ---- */

/* Two runs, one with XML's special characters in its folder name: the
 * document parses, has one polyline per series with one point per row
 * (train) or per evaluation (val), and names both runs. */
static void test_svg_structure(void)
{
    const char *paths[2] = {write_log("run-a", 40, falling, 5), write_log("a&b<c>", 25, falling, 5)};
    struct bg_plot p;
    struct bg_error err;
    CHECK(plot_load(&p, paths, 2, &err) == BG_OK);
    CHECK(strcmp(p.runs[0].name, "run-a") == 0 && strcmp(p.runs[1].name, "a&b<c>") == 0);
    char *doc = NULL;
    CHECK(plot_svg(&p, NULL, &doc, &err) == BG_OK);
    CHECK(strncmp(doc, "<?xml", 5) == 0);
    CHECK(strstr(doc, "<svg xmlns=\"http://www.w3.org/2000/svg\"") != NULL);
    CHECK(xml_ok(doc));
    CHECK(strstr(doc, "a&amp;b&lt;c&gt;") != NULL && strstr(doc, ">run-a<") != NULL);
    CHECK(count(doc, "<polyline") == 4);
    double f, l;
    size_t want[4] = {40, 8, 25, 5};
    for (size_t k = 0; k < 4; k++)
        CHECK(polyline_points(doc, k, &f, &l) == want[k]);
    /* The structural check itself refuses broken documents. */
    CHECK(!xml_ok("<svg><g></svg></g>") && !xml_ok("<svg>a < b</svg>") && !xml_ok("<g></g>"));
    CHECK(!xml_ok("<svg>AT&T</svg>") && xml_ok("<svg><g a=\"1\"/>x &amp; y</svg>"));
    free(doc);
    plot_free(&p);
}

/* Runs of 40 and 20 steps share the x axis: the short run ends halfway
 * along the long one, by the long run's own mapping of steps to x. */
static void test_svg_shared_axis(void)
{
    const char *paths[2] = {write_log("long", 40, falling, 0), write_log("short", 20, falling, 0)};
    struct bg_plot p;
    struct bg_error err;
    CHECK(plot_load(&p, paths, 2, &err) == BG_OK);
    char *doc = NULL;
    CHECK(plot_svg(&p, NULL, &doc, &err) == BG_OK);
    CHECK(count(doc, "<polyline") == 2); /* no val series without evaluations */
    double a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    CHECK(polyline_points(doc, 0, &a0, &a1) == 40);
    CHECK(polyline_points(doc, 1, &b0, &b1) == 20);
    double per_step = (a1 - a0) / 39.0;
    /* Coordinates are written to 0.1, so they agree to 0.1. */
    CHECK_NEAR(b0, a0, 0.1);
    CHECK_NEAR(b1, a0 + 19.0 * per_step, 0.1 + 1e-9);
    free(doc);
    plot_free(&p);
}

static int has_xmllint(void)
{
    return system("command -v xmllint >/dev/null 2>&1") == 0;
}

/* plot_svg_file writes loss.svg whole, leaves no temporary file, and
 * refuses paths it cannot write with an input error naming them. */
static void test_svg_file(void)
{
    const char *log = write_log("file", 30, falling, 10);
    char svg[512], cmd[1100], bad[600];
    snprintf(svg, sizeof svg, "%s/file/loss.svg", dir);
    struct bg_error err;
    struct bg_plot_options o = BG_PLOT_OPTIONS_DEFAULT;
    o.smooth = 0.9;
    CHECK(plot_svg_file(svg, &log, 1, &o, &err) == BG_OK);
    struct stat st;
    CHECK(stat(svg, &st) == 0 && st.st_size > 1000);
    snprintf(cmd, sizeof cmd, "ls %s/file | grep -c tmp >/dev/null", dir);
    CHECK(system(cmd) != 0);
    if (has_xmllint()) {
        snprintf(cmd, sizeof cmd, "xmllint --noout %s", svg);
        CHECK(system(cmd) == 0);
    } else {
        printf("  (xmllint not installed: only the structural check ran)\n");
    }
    /* A folder that does not exist, a path through a file, a folder. */
    const char *bad_paths[3] = {"/nonexistent/dir/x.svg", bad, dir};
    snprintf(bad, sizeof bad, "%s/x.svg", log);
    for (int i = 0; i < 3; i++) {
        CHECK(plot_svg_file(bad_paths[i], &log, 1, NULL, &err) == BG_ERR_INPUT);
        CHECK(strstr(err.msg, bad_paths[i]) != NULL);
    }
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp >/dev/null", dir);
    CHECK(system(cmd) != 0);
}

/* ---- Terminal ---- */

/* The rows of the plot area: the lines after the title up to the x axis,
 * each cut after its axis character, as code points. */
static size_t chart_rows(const char *text, unsigned rows[32][200], size_t *n_cols)
{
    const char *p = strchr(text, '\n') + 1;
    size_t r = 0;
    for (;;) {
        const char *nl = strchr(p, '\n'), *corner = strstr(p, "└");
        if (!nl || (corner && corner < nl) || r == 32)
            break;
        const char *axis = strstr(p, "┤");
        const char *bar = strstr(p, "│");
        axis = axis && (!bar || axis < bar) ? axis : bar;
        const char *q = axis + 3;
        size_t c = 0;
        while (*q != '\n' && c < 200) {
            unsigned cp = (unsigned char)*q;
            int len = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
            cp = len == 3 ? (cp & 0x0F) << 12 | ((unsigned char)q[1] & 0x3F) << 6 | ((unsigned char)q[2] & 0x3F) : cp;
            rows[r][c++] = cp;
            q += len;
        }
        *n_cols = c;
        p = q + 1;
        r++;
    }
    return r;
}

/* The columns of row r that hold something. */
static void row_span(unsigned rows[32][200], size_t r, size_t cols, size_t *first, size_t *last)
{
    *first = cols;
    *last = 0;
    for (size_t c = 0; c < cols; c++)
        if (rows[r][c] != ' ') {
            *first = c < *first ? c : *first;
            *last = c;
        }
}

/* A known log rising to 5 at step 20 and falling to 1 at step 60: the top
 * row holds the peak (at a third of the width, with the few steps either
 * side whose loss rounds into the same row) and is labelled 5.0; the
 * bottom row holds the minimum at the right edge (and the last steps
 * within a row of it). */
static void test_terminal_min_max(void)
{
    const char *log = write_log("triangle", 60, triangle, 0);
    struct bg_plot p;
    struct bg_error err;
    CHECK(plot_load(&p, &log, 1, &err) == BG_OK);
    struct bg_plot_options o = BG_PLOT_OPTIONS_DEFAULT;
    char *text = NULL;
    CHECK(plot_terminal(&p, &o, &text, &err) == BG_OK);
    static unsigned rows[32][200];
    size_t cols = 0, n = chart_rows(text, rows, &cols);
    CHECK(n == o.height);
    size_t first, last;
    /* Step 20 of 1..60 sits at dot column 19/59 of the 2*cols. */
    double peak = 19.0 / 59.0 * (double)(2 * cols - 1) / 2.0;
    row_span(rows, 0, cols, &first, &last);
    CHECK(first <= peak + 1 && last + 1 >= peak && last - first <= 8);
    row_span(rows, n - 1, cols, &first, &last);
    CHECK(last == cols - 1 && first + 4 >= cols);
    /* Every row in between holds some of the curve. */
    for (size_t r = 1; r + 1 < n; r++) {
        row_span(rows, r, cols, &first, &last);
        CHECK(first <= last);
    }
    const char *second = strchr(text, '\n') + 1;
    CHECK(strncmp(second, "5.0┤", strlen("5.0┤")) == 0);
    CHECK(strstr(text, "1.0┤") != NULL);
    CHECK(widest_line(text) <= 79);
    CHECK(strchr(text, '\x1b') == NULL);
    free(text);
    plot_free(&p);
}

/* Chart and table fit every width, with and without colour, and colour
 * appears only when asked for. */
static void test_terminal_width(void)
{
    const char *paths[3] = {write_log("run-20240101-120000", 50, falling, 10),
                            write_log("a-run-with-a-name-much-longer-than-any-column-could-hold", 30, triangle, 7),
                            write_log("c", 70, falling, 0)};
    struct bg_plot p;
    struct bg_error err;
    CHECK(plot_load(&p, paths, 3, &err) == BG_OK);
    size_t widths[4] = {40, 60, 80, 200};
    for (int i = 0; i < 4; i++)
        for (int color = 0; color < 2; color++) {
            struct bg_plot_options o = {BG_PLOT_X_TOKENS, 0.5, widths[i], 12, color};
            char *chart = NULL, *table = NULL;
            CHECK(plot_terminal(&p, &o, &chart, &err) == BG_OK);
            CHECK(plot_table(&p, &o, &table, &err) == BG_OK);
            CHECK(widest_line(chart) <= widths[i] - 1 && widest_line(table) <= widths[i] - 1);
            CHECK((strchr(chart, '\x1b') != NULL) == color);
            /* Each run's validation symbol; the third run has none. */
            CHECK(strstr(chart, "●") && strstr(chart, "■"));
            free(chart);
            free(table);
        }
    plot_free(&p);
}

/* The table: one line per run, and the lowest validation loss (run "b",
 * whose loss is lower everywhere) marked and named with its step. */
static void test_table(void)
{
    const char *paths[2] = {write_log("a", 40, triangle, 10), write_log("b", 30, falling, 10)};
    struct bg_plot p;
    struct bg_error err;
    CHECK(plot_load(&p, paths, 2, &err) == BG_OK);
    char *t = NULL;
    CHECK(plot_table(&p, NULL, &t, &err) == BG_OK);
    CHECK(strncmp(t, "run ", 4) == 0 && strstr(t, "best val") && strstr(t, "at step"));
    /* b's best: falling(30) + 0.1 at step 30. */
    char want[64];
    snprintf(want, sizeof want, "%.4f", falling(30) + 0.1);
    const char *row_b = strstr(t, "\nb ");
    CHECK(row_b && strstr(row_b, want) && strstr(row_b, " *\n"));
    CHECK(strstr(t, "lowest validation loss: b,") && strstr(t, "at step 30"));
    const char *row_a = strstr(t, "\na ");
    CHECK(row_a && strchr(row_a + 1, '\n') && !memchr(row_a, '*', (size_t)(strchr(row_a + 1, '\n') - row_a)));
    free(t);
    plot_free(&p);
}

/* A long run: the table and the axes format through format.h, so tokens
 * are counted in B (billions) and the time is "2.8 days", in a column
 * wide enough that it never runs into the tokens before it. */
static void test_table_units(void)
{
    char text[1024];
    snprintf(text, sizeof text, "%s1,6000000000,1,0.001,2.5,2.6,3.7,1,100,1000\n"
                                "2,12000000000,2,0.001,2.4,2.5,3.6,1,100,241920\n",
             BG_LOG_HEADER "\n");
    const char *path = write_text("long", text);
    struct bg_plot p;
    struct bg_error err;
    CHECK(plot_load(&p, &path, 1, &err) == BG_OK);
    char *t = NULL, *chart = NULL;
    CHECK(plot_table(&p, NULL, &t, &err) == BG_OK);
    const char *row = strstr(t, "\nlong ");
    CHECK(row && strstr(row, "     12B   2.8 days  2.4000    2.5000  3.600        2\n"));
    if (row && !strstr(row, "     12B   2.8 days"))
        printf("  row: %s", row + 1);
    struct bg_plot_options o = BG_PLOT_OPTIONS_DEFAULT;
    o.x = BG_PLOT_X_TOKENS;
    CHECK(plot_terminal(&p, &o, &chart, &err) == BG_OK);
    CHECK(strstr(chart, "10B") != NULL && strstr(chart, "10G") == NULL);
    free(chart);
    free(t);
    plot_free(&p);
}

/* ---- Logs that cannot be plotted ---- */

static void check_load_error(const char *path, const char *says)
{
    struct bg_plot p;
    struct bg_error err = {0};
    CHECK(plot_load(&p, &path, 1, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, path) != NULL);
    CHECK(strstr(err.msg, says) != NULL);
    if (!strstr(err.msg, says))
        printf("  message: %s\n", err.msg);
    CHECK(p.runs == NULL && p.n_runs == 0);
}

static void test_bad_logs(void)
{
    const char *hdr = BG_LOG_HEADER "\n";
    char text[1024];
    check_load_error(write_text("header-only", hdr), "at least 2 rows");
    snprintf(text, sizeof text, "%s1,100,1,0.001,5.5,,,1,100,0.1\n", hdr);
    check_load_error(write_text("one-row", text), "line 2");
    check_load_error(write_text("one-row", text), "at least 2 rows");
    snprintf(text, sizeof text, "%s1,100,1,0.001,5.5,,,1,100,0.1\n2,200,2,0.001,5.4,,,1,100,0.2\n3,300,x,,,,,,,\n",
             hdr);
    check_load_error(write_text("malformed", text), "line 4");
    check_load_error(write_text("no-header", "1,100,1,0.001,5.5,,,1,100,0.1\n2,200,2,0.001,5.4,,,1,100,0.2\n"),
                     "line 1 is not the log header");
    char missing[600];
    snprintf(missing, sizeof missing, "%s/missing/log.csv", dir);
    check_load_error(missing, "cannot read");
}

/* A log being written (its last row without a newline yet) plots the
 * complete rows. */
static void test_partial_last_line(void)
{
    char text[1024];
    snprintf(text, sizeof text, "%s1,100,1,0.001,5.5,,,1,100,0.1\n2,200,2,0.001,5.4,5.3,7.6,1,100,0.2\n3,30",
             BG_LOG_HEADER "\n");
    const char *path = write_text("running", text);
    struct bg_plot p;
    struct bg_error err;
    CHECK(plot_load(&p, &path, 1, &err) == BG_OK);
    CHECK(p.n_runs == 1 && p.runs[0].n_rows == 2);
    char *doc = NULL;
    CHECK(plot_svg(&p, NULL, &doc, &err) == BG_OK && xml_ok(doc));
    free(doc);
    plot_free(&p);
}

/* ---- The CLI ---- */

/* Runs `bytegpt plot ARGS` with COLUMNS set, output in dir/out and
 * dir/err; returns the exit status. */
static int cli(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "COLUMNS=72 %s plot %s >%s/out 2>%s/err", BG_CLI, args, dir, dir);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *name)
{
    static char buf[65536];
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}

/* Exit 2, nothing on standard output, and one line "error: ..." that
 * contains `says`. */
static void check_cli_error(const char *args, const char *says)
{
    CHECK(cli(args) == 2);
    CHECK(slurp("out")[0] == '\0');
    const char *e = slurp("err");
    CHECK(strncmp(e, "error: ", 7) == 0 && count(e, "\n") == 1 && strstr(e, says));
    if (!strstr(e, says))
        printf("  stderr: %s", e);
}

static void test_cli_bad_input(void)
{
    char args[2048], svg[600];
    const char *good = write_log("cli", 30, falling, 10);
    const char *no_header = write_text("cli-no-header", "step,loss\n1,5.5\n2,5.4\n");
    snprintf(args, sizeof args, "%s", no_header);
    check_cli_error(args, "log header");
    snprintf(args, sizeof args, "%s --svg /nonexistent/dir/x.svg", good);
    check_cli_error(args, "/nonexistent/dir/x.svg");
    snprintf(svg, sizeof svg, "%s/inside.svg", good);
    snprintf(args, sizeof args, "%s --svg %s", good, svg);
    check_cli_error(args, svg);
    struct stat st;
    CHECK(stat(svg, &st) != 0);
    snprintf(args, sizeof args, "%s --x epoch", good);
    check_cli_error(args, "--x");
    const char *smooth[3] = {"1", "-0.5", "1.5"};
    for (int i = 0; i < 3; i++) {
        snprintf(args, sizeof args, "%s --smooth %s", good, smooth[i]);
        check_cli_error(args, "--smooth");
    }
    snprintf(args, sizeof args, "%s --smooth abc", good);
    check_cli_error(args, "--smooth");
    snprintf(args, sizeof args, "%s --colour", good);
    check_cli_error(args, "--colour");
    check_cli_error("", "log.csv");
    snprintf(args, sizeof args, "%s %s", good, write_text("cli-one-row", BG_LOG_HEADER "\n1,1,1,1,5,,,1,1,1\n"));
    check_cli_error(args, "at least 2 rows");
}

static void test_cli_draws(void)
{
    char args[2048], svg[600];
    const char *a = write_log("cli-a", 30, falling, 10), *b = write_log("cli-b", 60, triangle, 20);
    snprintf(args, sizeof args, "%s %s --smooth 0.9 --x time", a, b);
    CHECK(cli(args) == 0);
    const char *out = slurp("out");
    /* cli-b's last validation, triangle(60) + 0.1 = 1.1, beats cli-a's. */
    CHECK(strstr(out, "cli-a") && strstr(out, "cli-b") && strstr(out, "lowest validation loss: cli-b,"));
    CHECK(strstr(out, "time (s)") != NULL);
    CHECK(widest_line(out) <= 71 && strchr(out, '\x1b') == NULL);
    CHECK(slurp("err")[0] == '\0');
    snprintf(svg, sizeof svg, "%s/cli.svg", dir);
    snprintf(args, sizeof args, "%s %s --svg %s", a, b, svg);
    CHECK(cli(args) == 0);
    CHECK(strstr(slurp("out"), "wrote ") != NULL);
    CHECK(xml_ok(slurp("cli.svg")) && count(slurp("cli.svg"), "<polyline") == 4);
    CHECK(cli("--help") == 0 && strstr(slurp("out"), "usage: bytegpt plot"));
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN_TEST(test_nice_ticks);
    RUN_TEST(test_log_axis);
    RUN_TEST(test_smooth);
    RUN_TEST(test_options);
    RUN_TEST(test_svg_structure);
    RUN_TEST(test_svg_shared_axis);
    RUN_TEST(test_svg_file);
    RUN_TEST(test_terminal_min_max);
    RUN_TEST(test_terminal_width);
    RUN_TEST(test_table);
    RUN_TEST(test_table_units);
    RUN_TEST(test_bad_logs);
    RUN_TEST(test_partial_last_line);
    RUN_TEST(test_cli_bad_input);
    RUN_TEST(test_cli_draws);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("could not remove %s\n", dir);
    return TEST_EXIT();
}
