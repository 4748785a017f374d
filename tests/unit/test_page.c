/* page: the thinning keeps every column's extremes within its bound; a
 * run page carries the run's numbers (step, validation bits per byte,
 * baselines, compute, the latest samples newest first, the config), says
 * whether it is live (and only then reloads); text from outside (names,
 * samples) cannot break the page; a 100,000-step run's page stays small
 * and still holds the lowest loss; pages are replaced atomically; the
 * comparison page and the sweep page (fabricated trials: table, links,
 * best marked, a crashed trial without a log) are complete; the sweep
 * page of `bytegpt scaling` has the frontier's section (the same SVG
 * inline, the fit's numbers, the check) above the results, and a plain
 * sweep's page has none; and every page written parses as well-formed,
 * self-contained HTML (tests/cli/html_check.py, when python3 is there).
 *
 * `test_page --write-sweep DIR` writes the fabricated sweep into DIR and
 * exits: tests/cli/test_page_browser.sh loads it in a browser.
 * `test_page --write-scaling DIR` writes it with a made-up scaling
 * section, for a person to look at. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bytegpt/cost.h"
#include "bytegpt/page.h"
#include "bytegpt/strbuf.h"
#include "scaling_fake.h"
#include "test.h"

static char dir[] = "/tmp/bg_page_XXXXXX";

/* ---- Helpers ---- */

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + strlen(what), what))
        n++;
    return n;
}

/* A falling loss with noise from a fixed LCG, steps 1..n, a validation
 * every val_every steps. */
static struct bg_log_row *fake_rows(size_t n, size_t val_every, double scale)
{
    struct bg_log_row *rows = malloc(n * sizeof *rows);
    unsigned long long s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double noise = ((double)(s >> 11) / 9007199254740992.0 - 0.5) * 0.2;
        double t = 0.8 + 4.7 * exp(-(double)i / (0.2 * scale)) + noise;
        double v = val_every && (i + 1) % val_every == 0 ? 0.85 + 4.7 * exp(-(double)i / (0.2 * scale)) : NAN;
        rows[i] = (struct bg_log_row){i + 1, 1024 * (i + 1), 3e6 * (double)(i + 1), 1e-3, t, v, v / log(2.0),
                                      0.5, 25000, 0.1 * (double)(i + 1)};
    }
    return rows;
}

static char *slurp(const char *path)
{
    static char *buf;
    free(buf);
    buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return "";
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    buf[fread(buf, 1, (size_t)n, f)] = '\0';
    fclose(f);
    return buf;
}

/* Whether the chart's JSON array `name` holds the number written as num. */
static int in_array(const char *doc, const char *name, const char *num)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":[", name);
    const char *p = strstr(doc, key);
    if (!p)
        return 0;
    p += strlen(key);
    size_t len = strcspn(p, "]"), n = strlen(num);
    for (const char *q = p; q + n <= p + len; q = strchr(q, ',') + 1) {
        if (strncmp(q, num, n) == 0 && (q[n] == ',' || q[n] == ']'))
            return 1;
        if (!strchr(q, ',') || strchr(q, ',') > p + len)
            break;
    }
    return 0;
}

static int valid_utf8(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = strbuf_utf8_length(p);
        if (n == 0)
            return 0;
        p += n;
    }
    return 1;
}

/* The well-formedness check, on a page written to dir/NAME. */
static int has_python(void)
{
    return system("command -v python3 >/dev/null 2>&1") == 0;
}

static void check_html(const char *name, const char *doc)
{
    char path[512], cmd[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fputs(doc, f);
    fclose(f);
    CHECK(valid_utf8(doc));
    CHECK(strstr(doc, "http://") == NULL && strstr(doc, "https://") == NULL && strstr(doc, " src=") == NULL);
    if (!has_python()) {
        printf("  (python3 not installed: the HTML parse check of %s did not run)\n", name);
        return;
    }
    snprintf(cmd, sizeof cmd, "python3 %s/tests/cli/html_check.py %s", BG_SOURCE_DIR, path);
    CHECK(system(cmd) == 0);
}

static const char samples4[] =
    "--- step 100 (temperature 0.8, top-k 40) ---\nfirst sample\n\n"
    "--- step 200 (temperature 0.8, top-k 40) ---\nsecond sample\n\n"
    "--- step 300 (temperature 0.8, top-k 40) ---\nthird sample\n\n"
    "--- step 400 (temperature 0.8, top-k 40) ---\nfourth & <last> sample\n\n";

/* A run page's information at step `step` of a 1000-step run. */
static struct bg_page_run fake_info(enum bg_page_state state, uint64_t step, struct bg_cost *bill)
{
    struct bg_config cfg = {.V = 256, .ctx = 64, .L = 2, .NH = 2, .C = 64};
    double tokens = 1024.0 * (double)step;
    cost_bill(&cfg, 16, tokens, 1e9, bill);
    return (struct bg_page_run){
        .title = "runs/demo", .state = state, .note = NULL, .step = step, .steps = 1000, .time_budget = 0,
        .progress = (double)step / 1000, .tokens = tokens, .elapsed = 0.1 * (double)step, .cost = bill,
        .order0_bpb = 4.5123, .gzip_bpb = 2.8765, .config = "corpus = a<b>.txt\nlayers = 2\n",
        .samples = samples4, .written_at = 1.7e9, .stale_after = 120,
    };
}

static struct bg_plot_run *fake_run(size_t n, size_t val_every)
{
    struct bg_plot_run *r = calloc(1, sizeof *r);
    snprintf(r->name, sizeof r->name, "demo");
    r->rows = fake_rows(n, val_every, (double)n);
    r->n_rows = n;
    return r;
}

static void free_run(struct bg_plot_run *r)
{
    free(r->rows);
    free(r);
}

/* ---- Thinning ---- */

static void test_thin_bounds(void)
{
    size_t n = 100000, cols = 400;
    struct bg_log_row *rows = fake_rows(n, 0, (double)n);
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    size_t *keep = malloc(n * sizeof *keep), lo = 0, hi = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = (double)rows[i].step, y[i] = rows[i].train_loss;
        lo = y[i] < y[lo] ? i : lo, hi = y[i] > y[hi] ? i : hi;
    }
    size_t k = page_thin(x, y, n, cols, keep);
    CHECK(k <= 2 * cols + 2 && k > cols);
    CHECK(keep[0] == 0 && keep[k - 1] == n - 1);
    int ascending = 1, has_lo = 0, has_hi = 0;
    for (size_t i = 0; i < k; i++) {
        ascending &= i == 0 || keep[i] > keep[i - 1];
        has_lo |= keep[i] == lo, has_hi |= keep[i] == hi;
    }
    CHECK(ascending && has_lo && has_hi);
    /* A short series is kept whole. */
    CHECK(page_thin(x, y, 802, cols, keep) == 802 && keep[801] == 801);
    free(rows), free(x), free(y), free(keep);
}

/* Every column's lowest and highest point is kept: checked against a
 * brute-force pass over 5,000 points in 50 columns. */
static void test_thin_column_extremes(void)
{
    size_t n = 5000, cols = 50;
    struct bg_log_row *rows = fake_rows(n, 0, 1000);
    double x[5000], y[5000];
    size_t keep[5000], kept[5000] = {0};
    for (size_t i = 0; i < n; i++)
        x[i] = (double)rows[i].step, y[i] = rows[i].train_loss;
    size_t k = page_thin(x, y, n, cols, keep);
    for (size_t i = 0; i < k; i++)
        kept[keep[i]] = 1;
    int all = 1;
    double span = x[n - 1] - x[0];
    for (size_t c = 0; c < cols; c++) {
        long lo = -1, hi = -1;
        for (size_t i = 1; i + 1 < n; i++) {
            size_t ci = (size_t)((x[i] - x[0]) / span * (double)cols);
            if ((ci < cols ? ci : cols - 1) != c)
                continue;
            lo = lo < 0 || y[i] < y[lo] ? (long)i : lo;
            hi = hi < 0 || y[i] > y[hi] ? (long)i : hi;
        }
        all &= lo < 0 || (kept[lo] && kept[hi]);
    }
    CHECK(all);
    free(rows);
}

/* ---- A run's page ---- */

static void test_run_page_numbers(void)
{
    struct bg_plot_run *run = fake_run(300, 50);
    run->rows[299].tokens_per_s = 100; /* one slow step does not change the speed shown */
    struct bg_cost bill;
    struct bg_page_run in = fake_info(BG_PAGE_LIVE, 300, &bill);
    char *doc = NULL, want[64];
    struct bg_error err;
    CHECK(page_run(run, &in, &doc, &err) == BG_OK && doc);
    if (!doc) {
        free_run(run);
        return;
    }
    check_html("run_live.html", doc);
    CHECK(strstr(doc, "data-live=\"1\"") && strstr(doc, "<noscript><meta http-equiv=\"refresh\""));
    CHECK(strstr(doc, "class=\"state live\"") != NULL);
    CHECK(strstr(doc, "<b>300</b><span>step, of 1,000</span>") != NULL);
    CHECK(strstr(doc, "id=\"stat-speed\"><b>25k</b>") && strstr(doc, "id=\"stat-tokens\"><b>307k</b>"));
    CHECK(strstr(doc, "id=\"stat-elapsed\"><b>30s</b>") && strstr(doc, "id=\"stat-eta\"><b>1m10s</b>"));
    /* The latest validation (step 300) in bits per byte, and the best. */
    snprintf(want, sizeof want, "<b>%.3f</b><span>validation, bits per byte (step 300)", run->rows[299].val_bpb);
    CHECK(strstr(doc, want) != NULL);
    CHECK(strstr(doc, "id=\"stat-gzip\"><b>2.877</b>") && strstr(doc, "id=\"stat-order0\"><b>4.512</b>"));
    CHECK(strstr(doc, "gzip -9 2.88 bpb") && strstr(doc, "order-0 entropy 4.51 bpb"));
    CHECK(strstr(doc, "GPT-2 124M") && strstr(doc, "GPT-3 175B"));
    /* The chart: raw, smoothed and validation lines, the hover's data. */
    CHECK(count(doc, "<polyline class=\"raw\"") == 1 && count(doc, "<polyline class=\"smooth\"") == 1);
    CHECK(count(doc, "<polyline class=\"val\"") == 1 && count(doc, "<circle cx=") == 6);
    CHECK(strstr(doc, "id=\"chart-data\"") && strstr(doc, "\"vstep\":[50,100,150,200,250,300]"));
    /* The three latest samples, newest first; the config, escaped. */
    const char *s4 = strstr(doc, "fourth &amp; &lt;last&gt; sample"), *s3 = strstr(doc, "third sample");
    const char *s2 = strstr(doc, "second sample");
    CHECK(s4 && s3 && s2 && s4 < s3 && s3 < s2 && !strstr(doc, "first sample"));
    CHECK(strstr(doc, "<h3>step 400 (temperature 0.8, top-k 40)</h3>") != NULL);
    CHECK(strstr(doc, "corpus = a&lt;b&gt;.txt") != NULL);
    free(doc);
    free_run(run);
}

/* A page at step 0: no rows, no samples, no config; nothing to draw. */
static void test_run_page_empty(void)
{
    struct bg_plot_run run = {.name = "empty"};
    struct bg_cost bill;
    struct bg_page_run in = fake_info(BG_PAGE_LIVE, 0, &bill);
    in.samples = in.config = NULL;
    in.order0_bpb = in.gzip_bpb = NAN;
    char *doc = NULL;
    struct bg_error err;
    CHECK(page_run(&run, &in, &doc, &err) == BG_OK && doc);
    if (!doc)
        return;
    check_html("run_empty.html", doc);
    CHECK(strstr(doc, "Nothing to draw yet") && strstr(doc, "No sample yet") && !strstr(doc, "<svg"));
    CHECK(strstr(doc, "id=\"stat-val\"><b>-</b>") != NULL);
    free(doc);
}

/* A page whose run ended says how, and does not reload. */
static void test_run_page_ends(void)
{
    struct bg_plot_run *run = fake_run(120, 40);
    const enum bg_page_state states[3] = {BG_PAGE_FINISHED, BG_PAGE_STOPPED, BG_PAGE_ENDED};
    const char *classes[3] = {"state finished", "state stopped", "state ended"};
    for (int i = 0; i < 3; i++) {
        struct bg_cost bill;
        struct bg_page_run in = fake_info(states[i], 120, &bill);
        in.note = "Stopped after step 120: --resume continues.";
        char *doc = NULL, name[32];
        struct bg_error err;
        CHECK(page_run(run, &in, &doc, &err) == BG_OK && doc);
        if (!doc)
            continue;
        snprintf(name, sizeof name, "run_end%d.html", i);
        check_html(name, doc);
        CHECK(strstr(doc, "data-live=\"0\"") && !strstr(doc, "http-equiv=\"refresh\""));
        CHECK(strstr(doc, classes[i]) && strstr(doc, "Stopped after step 120: --resume continues."));
        CHECK(strstr(doc, "id=\"stat-eta\"><b>") && (i == 0) == (strstr(doc, "<b>done</b>") != NULL));
        free(doc);
    }
    struct bg_cost bill;
    struct bg_page_run in = fake_info(BG_PAGE_ENDED + 1, 120, &bill);
    char *doc = NULL;
    struct bg_error err;
    CHECK(page_run(run, &in, &doc, &err) == BG_ERR_INPUT && doc == NULL);
    free_run(run);
}

/* Text from outside the program cannot break the page: markup in a
 * title, a name or a sample is escaped, bytes that are not UTF-8 and
 * control characters are replaced, a name cannot end the JSON's script. */
static void test_escaping(void)
{
    struct bg_plot_run *run = fake_run(50, 10);
    snprintf(run->name, sizeof run->name, "a</script><b>\xff\x01");
    struct bg_cost bill;
    struct bg_page_run in = fake_info(BG_PAGE_LIVE, 50, &bill);
    in.title = "runs/<script>alert(1)</script>\"'";
    in.samples = "--- step 10 (t) ---\n<img onerror=x>\xc3\x28 \x1b[31m caf\xc3\xa9 \xe2\x82\n";
    char *doc = NULL;
    struct bg_error err;
    CHECK(page_run(run, &in, &doc, &err) == BG_OK && doc);
    if (!doc) {
        free_run(run);
        return;
    }
    check_html("escaping.html", doc);
    CHECK(!strstr(doc, "<script>alert") && strstr(doc, "runs/&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;"));
    CHECK(!strstr(doc, "<img") && strstr(doc, "&lt;img onerror=x&gt;\xef\xbf\xbd( \xef\xbf\xbd[31m caf\xc3\xa9"));
    CHECK(strstr(doc, "\"name\":\"a\\u003c/script\\u003e\\u003cb\\u003e\\ufffd\\u0001\"") != NULL);
    CHECK(count(doc, "</script>") == 2); /* the chart's JSON and the page's script, nothing else */
    free(doc);
    free_run(run);
}

/* A 100,000-step run (its log would be about 9 MB) gives a page of a few
 * hundred KB at most; each line has at most 2 x 400 + 2 points, and the
 * lowest train loss of the log is still among them. */
static void test_long_run_small(void)
{
    size_t n = 100000;
    struct bg_plot_run *run = fake_run(n, 250);
    struct bg_cost bill;
    struct bg_page_run in = fake_info(BG_PAGE_FINISHED, n, &bill);
    in.steps = n;
    char *doc = NULL, want[64];
    struct bg_error err;
    CHECK(page_run(run, &in, &doc, &err) == BG_OK && doc);
    if (!doc) {
        free_run(run);
        return;
    }
    check_html("long.html", doc);
    printf("  the page of a %zu-step run: %zu bytes\n", n, strlen(doc));
    CHECK(strlen(doc) < 200000);
    const char *cls[3] = {"<polyline class=\"raw\"", "<polyline class=\"smooth\"", "<polyline class=\"val\""};
    for (int c = 0; c < 3; c++) {
        const char *p = strstr(doc, cls[c]), *end = p ? strstr(p, "/>") : NULL;
        size_t points = 0;
        for (const char *q = p; q && q < end; q = strchr(q + 1, ','))
            points++;
        CHECK(p && points >= 2 && points - 1 <= 2 * BG_PAGE_COLUMNS + 2);
    }
    size_t lo = 0;
    for (size_t i = 0; i < n; i++)
        lo = run->rows[i].train_loss < run->rows[lo].train_loss ? i : lo;
    snprintf(want, sizeof want, "%.10g", run->rows[lo].train_loss);
    CHECK(in_array(doc, "train", want));
    free(doc);
    free_run(run);
}

/* page_run_write replaces the page whole and leaves no temporary file; a
 * folder that does not exist is the user's error and creates nothing. */
static void test_atomic_write(void)
{
    struct bg_plot_run *run = fake_run(100, 20);
    struct bg_cost bill;
    struct bg_page_run in = fake_info(BG_PAGE_LIVE, 50, &bill);
    char path[512], tmp[520], missing[512];
    snprintf(path, sizeof path, "%s/index.html", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snprintf(missing, sizeof missing, "%s/no/such/folder/index.html", dir);
    struct bg_error err;
    CHECK(page_run_write(path, run, &in, &err) == BG_OK);
    CHECK(strstr(slurp(path), "<b>50</b><span>step, of 1,000") && access(tmp, F_OK) != 0);
    in.step = 100;
    in.state = BG_PAGE_FINISHED;
    CHECK(page_run_write(path, run, &in, &err) == BG_OK);
    const char *doc = slurp(path);
    CHECK(strstr(doc, "<b>100</b><span>step, of 1,000") && strstr(doc, "</html>\n") && access(tmp, F_OK) != 0);
    CHECK(page_run_write(missing, run, &in, &err) == BG_ERR_INPUT && strstr(err.msg, "no/such/folder"));
    snprintf(missing, sizeof missing, "%s/no", dir);
    CHECK(access(missing, F_OK) != 0);
    free_run(run);
}

/* ---- Runs compared ---- */

static void test_compare_page(void)
{
    struct bg_plot p = {calloc(2, sizeof(struct bg_plot_run)), 2};
    for (size_t r = 0; r < 2; r++) {
        snprintf(p.runs[r].name, sizeof p.runs[r].name, r ? "wide" : "narrow");
        p.runs[r].rows = fake_rows(400 + 200 * r, 100, 300 + 300 * (double)r);
        p.runs[r].n_rows = 400 + 200 * r;
    }
    char *doc = NULL;
    struct bg_error err;
    CHECK(page_compare(&p, NULL, &doc, &err) == BG_OK && doc);
    if (doc) {
        check_html("compare.html", doc);
        CHECK(count(doc, "<polyline class=\"smooth\"") == 2 && count(doc, "<polyline class=\"val\"") == 2);
        CHECK(!strstr(doc, "class=\"raw\"") && strstr(doc, "smoothed (EMA 0.9)"));
        CHECK(strstr(doc, "<pre class=\"table\">run ") && strstr(doc, "lowest validation loss: "));
        CHECK(count(doc, "<span class=\"swatch\"") == 2 && strstr(doc, "data-live=\"0\""));
        free(doc);
    }
    /* One log: the raw train loss is drawn too; --smooth sets the EMA. */
    struct bg_plot one = {p.runs, 1};
    struct bg_plot_options o = BG_PLOT_OPTIONS_DEFAULT;
    o.smooth = 0.97;
    CHECK(page_compare(&one, &o, &doc, &err) == BG_OK && doc);
    CHECK(doc && strstr(doc, "class=\"raw\"") && strstr(doc, "smoothed (EMA 0.97)"));
    free(doc);
    o.smooth = 1.5;
    CHECK(page_compare(&one, &o, &doc, &err) == BG_ERR_INPUT && strstr(err.msg, "--smooth"));
    plot_free(&p);
}

/* ---- A sweep ---- */

static int write_trial_log(const char *sweep, const char *name, size_t n, double scale)
{
    char path[1024];
    struct bg_trainlog tl;
    struct bg_error err;
    snprintf(path, sizeof path, "%s/%s", sweep, name);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/log.csv", sweep, name);
    remove(path);
    struct bg_log_row *rows = fake_rows(n, 20, scale);
    int ok = trainlog_create(&tl, path, &err) == BG_OK;
    for (size_t i = 0; i < n && ok; i++)
        ok = trainlog_append(&tl, &rows[i], &err) == BG_OK;
    free(rows);
    return trainlog_close(&tl, &err) == BG_OK && ok;
}

/* Four trials: three trained (one of them best), one that crashed
 * before its first step and left no log; a name that needs escaping. */
static const struct bg_page_trial trials[4] = {
    {"trial-000", "baseline", 1.9012, 0.012, 200, 204800, 60, "", NULL},
    {"trial-001", "keep", 1.7534, 0.009, 220, 225280, 60, "--lr 3e-3", NULL},
    {"trial-002", "crash", NAN, NAN, 0, 0, 1, "--lr 1", "the loss became NaN at step 1"},
    {"trial #3 <x>", "discard", 2.1023, NAN, 150, 153600, 60, "--dim 128 --heads 4", NULL},
};

static int write_sweep(const char *sweep, int live, const struct bg_scaling_view *scaling, struct bg_error *err)
{
    mkdir(sweep, 0755);
    int ok = write_trial_log(sweep, "trial-000", 200, 120) && write_trial_log(sweep, "trial-001", 220, 80) &&
             write_trial_log(sweep, "trial #3 <x>", 150, 150);
    struct bg_page_sweep s = {"runs/sweep-lr", live, trials, 4, (double)time(NULL), 300, scaling};
    return ok ? page_sweep_write(sweep, &s, err) : BG_ERR_RUNTIME;
}

static void test_sweep_page(void)
{
    char sweep[512], path[600];
    snprintf(sweep, sizeof sweep, "%s/sweep", dir);
    struct bg_error err;
    CHECK(write_sweep(sweep, 1, NULL, &err) == BG_OK);
    snprintf(path, sizeof path, "%s/index.html", sweep);
    const char *doc = slurp(path);
    check_html("sweep/index.html", doc);
    CHECK(strstr(doc, "data-live=\"1\"") && strstr(doc, "live: running trials: 4 trials"));
    CHECK(count(doc, "<tr") == 5 && count(doc, "<tr class=\"best\"><td class=\"text\"><a href=\"trial-001/") == 1);
    CHECK(strstr(doc, "<a href=\"trial-000/index.html\">trial-000</a>") != NULL);
    CHECK(strstr(doc, "<a href=\"trial%20%233%20%3Cx%3E/index.html\">trial #3 &lt;x&gt;</a>") != NULL);
    CHECK(strstr(doc, "<td>1.7534</td><td>0.0090</td><td>220</td><td>225k</td><td>1m00s</td>") != NULL);
    CHECK(strstr(doc, "the loss became NaN at step 1") && strstr(doc, "<td class=\"text\">--lr 3e-3</td>"));
    CHECK(strstr(doc, "Lowest validation bits per byte: <b>trial-001</b>, 1.7534."));
    /* Three curves: the crashed trial has no log. */
    CHECK(count(doc, "<polyline class=\"smooth\"") == 3 && count(doc, "<polyline class=\"val\"") == 3);
    CHECK(strstr(doc, "time (s)") != NULL);
    /* A plain sweep: no frontier. */
    CHECK(strstr(doc, "id=\"scaling\"") == NULL && strstr(doc, "<svg class=\"scaling-svg\"") == NULL);
    snprintf(path, sizeof path, "%s/index.html.tmp", sweep);
    CHECK(access(path, F_OK) != 0);
    CHECK(write_sweep(sweep, 0, NULL, &err) == BG_OK);
    snprintf(path, sizeof path, "%s/index.html", sweep);
    CHECK(strstr(slurp(path), "data-live=\"0\"") && strstr(slurp(path), "finished: 4 trials"));
    snprintf(path, sizeof path, "%s/missing", dir);
    struct bg_page_sweep s = {"x", 0, trials, 4, 0, 0, NULL};
    CHECK(page_sweep_write(path, &s, &err) == BG_ERR_INPUT);
}

/* The page of `bytegpt scaling`: the frontier's section before the
 * results, its picture the scaling SVG itself, its tables the fit's
 * numbers with their spreads and the check beside the prediction. */
static void test_scaling_section(void)
{
    char sweep[512], path[600];
    snprintf(sweep, sizeof sweep, "%s/scaling", dir);
    struct scaling_fake fk;
    scaling_fake_init(&fk, 1);
    struct bg_error err;
    CHECK(write_sweep(sweep, 0, &fk.view, &err) == BG_OK);
    snprintf(path, sizeof path, "%s/index.html", sweep);
    const char *doc = slurp(path);
    check_html("scaling.html", doc);
    const char *section = strstr(doc, "<h2 id=\"scaling\">"), *results = strstr(doc, "<h2 id=\"results\">");
    CHECK(section && results && section < results && count(doc, "<svg class=\"scaling-svg\"") == 1);
    /* The same picture as scaling.svg, from its <title> to its end. */
    char *svg = NULL;
    CHECK(plot_scaling_svg(&fk.view, &svg, &err) == BG_OK && svg);
    if (svg)
        CHECK(strstr(doc, strstr(svg, "<title>")) != NULL && count(doc, "class=\"parabola\"") == 4);
    free(svg);
    CHECK(strstr(doc, "<tr><td class=\"text\">a</td><td>0.500</td><td>0.450 \xe2\x80\x93 0.550</td>") != NULL);
    CHECK(strstr(doc, "<td class=\"text\">tokens per parameter</td><td>20.5</td><td>16 \xe2\x80\x93 26</td>"));
    CHECK(strstr(doc, "<td class=\"text\">E</td><td>1.350</td><td>1.200 \xe2\x80\x93 1.500</td>") != NULL);
    CHECK(strstr(doc, "<td class=\"text\">&alpha;</td><td>0.310</td>") && strstr(doc, "&beta;</td><td>0.270</td>"));
    CHECK(strstr(doc, "predicted size at 1e14 FLOPs</td><td>2M</td><td>1.5M \xe2\x80\x93 2.7M</td>") != NULL);
    CHECK(strstr(doc, "predicted bits per byte at 1e14 FLOPs</td><td>2.050</td><td>2.000 \xe2\x80\x93 2.100</td>"));
    CHECK(strstr(doc, "3 of 4 budgets have their best size inside") && strstr(doc, "200 fits to resampled seeds"));
    CHECK(strstr(doc, "<tr class=\"best\"><td class=\"text\">the predicted size</td><td>2M</td><td>2.060</td>"
                      "<td>0.006</td></tr>") != NULL);
    CHECK(strstr(doc, "Predicted 2.050 bits per byte, measured 2.060 (+0.010): the predicted size scored best"));
    /* A neighbour best, no frontier: the check says so, the prediction's
     * rows go, the law's stay. */
    fk.check.bpb[2] = 2.05;
    fk.check.predicted_is_best = 0;
    fk.fit.has_frontier = 0;
    fk.fit.n_inside = 1;
    CHECK(write_sweep(sweep, 0, &fk.view, &err) == BG_OK);
    doc = slurp(path);
    check_html("scaling-none.html", doc);
    CHECK(strstr(doc, "id=\"no-frontier\"") && !strstr(doc, "predicted size at") && strstr(doc, "<td>1.350</td>"));
    CHECK(strstr(doc, "<tr class=\"best\"><td class=\"text\">twice the predicted size</td>") != NULL);
    CHECK(strstr(doc, "a neighbour scored better than the predicted size") != NULL);
    /* Nothing scored yet: the page is still written, and says so. */
    for (size_t i = 0; i < fk.n_pts; i++)
        fk.pts[i].bpb = NAN;
    CHECK(write_sweep(sweep, 1, &fk.view, &err) == BG_OK);
    doc = slurp(path);
    CHECK(strstr(doc, "Nothing to draw yet") && !strstr(doc, "<svg class") && strstr(doc, "id=\"results\""));
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-scaling") == 0) {
        struct scaling_fake fk;
        struct bg_error err;
        scaling_fake_init(&fk, 1);
        if (write_sweep(argv[2], 0, &fk.view, &err) != BG_OK) {
            fprintf(stderr, "error: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--write-sweep") == 0) {
        struct bg_error err;
        if (write_sweep(argv[2], 0, NULL, &err) != BG_OK) {
            fprintf(stderr, "error: %s\n", err.msg);
            return 1;
        }
        return 0;
    }
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN_TEST(test_thin_bounds);
    RUN_TEST(test_thin_column_extremes);
    RUN_TEST(test_run_page_numbers);
    RUN_TEST(test_run_page_empty);
    RUN_TEST(test_run_page_ends);
    RUN_TEST(test_escaping);
    RUN_TEST(test_long_run_small);
    RUN_TEST(test_atomic_write);
    RUN_TEST(test_compare_page);
    RUN_TEST(test_sweep_page);
    RUN_TEST(test_scaling_section);
    slurp("/nonexistent"); /* frees the last file read */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("could not remove %s\n", dir);
    return TEST_EXIT();
}
