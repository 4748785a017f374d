/* fuzz_trainlog: log.csv as plot and a resumed run read it.
 *
 * Input: the file's bytes. They are written to log.csv and read three
 * ways, as the program does:
 *   1. trainlog_read, the reader itself;
 *   2. plot: plot_load (one or two runs of the same log), then the table,
 *      the terminal chart and the SVG, drawn in memory with options picked
 *      from the input's size (axis, smoothing, width), so that whatever
 *      numbers a log holds are drawn without a crash;
 *   3. trainlog_resume, which keeps the rows up to a step and rewrites the
 *      file: the rewritten log must read back with exactly the kept rows.
 * A refusal must come with a message. */
#include <stdlib.h>
#include <string.h>

#include "bytegpt/plot.h"
#include "bytegpt/trainlog.h"
#include "fuzz.h"

static void draw(const char *path, size_t size)
{
    const char *paths[2] = {path, path};
    struct bg_plot p;
    struct bg_error err = {0};
    if (plot_load(&p, paths, 1 + size % 2, &err) != BG_OK) {
        FUZZ_CHECK(err.msg[0] != '\0');
        return;
    }
    struct bg_plot_options opt = BG_PLOT_OPTIONS_DEFAULT;
    opt.x = (enum bg_plot_x)(size / 2 % 4);
    opt.smooth = size / 8 % 2 ? 0.9 : 0.0;
    opt.width = 20 + size % 100;
    opt.height = 4 + size % 20;
    opt.color = (int)(size / 16 % 2);
    char *out = NULL;
    if (plot_table(&p, &opt, &out, &err) == BG_OK)
        free(out);
    out = NULL;
    if (plot_terminal(&p, &opt, &out, &err) == BG_OK)
        free(out);
    out = NULL;
    if (plot_svg(&p, &opt, &out, &err) == BG_OK)
        free(out);
    plot_free(&p);
}

/* Resumes at the middle row's step (or 0 in a log of no rows) and checks what the rewrite kept. */
static void resume(const char *path, const struct bg_log_row *rows, size_t n)
{
    uint64_t keep = n > 0 ? rows[n / 2].step : 0;
    struct bg_trainlog log;
    struct bg_error err = {0};
    FUZZ_CHECK(trainlog_resume(&log, path, keep, &err) == BG_OK);
    FUZZ_CHECK(trainlog_close(&log, &err) == BG_OK);
    struct bg_log_row *kept = NULL;
    size_t n_kept = 0, k = 0;
    FUZZ_CHECK(trainlog_read(path, &kept, &n_kept, &err) == BG_OK);
    for (size_t i = 0; i < n; i++)
        if (rows[i].step <= keep) {
            FUZZ_CHECK(k < n_kept && kept[k].step == rows[i].step && kept[k].tokens == rows[i].tokens);
            k++;
        }
    FUZZ_CHECK(k == n_kept);
    free(kept);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[FUZZ_PATH_MAX];
    fuzz_path(path, "log.csv");
    fuzz_write(path, data, size);
    struct bg_log_row *rows = NULL;
    size_t n = 0;
    struct bg_error err = {0};
    if (trainlog_read(path, &rows, &n, &err) != BG_OK) {
        FUZZ_CHECK(err.msg[0] != '\0' && rows == NULL && n == 0);
        return 0;
    }
    draw(path, size);
    resume(path, rows, n);
    free(rows);
    return 0;
}
