/* plot: draws and compares loss logs, in the terminal or as an SVG. The
 * drawing is the library's (plot.h); this file reads the flags, decides
 * the width and whether to colour, and puts the text where it belongs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytegpt/page.h"
#include "bytegpt/plot.h"
#include "cli.h"
#include "args.h"

static const char help[] =
    "usage: bytegpt plot LOG.csv [LOG2.csv ...] [--svg FILE] [--html FILE] [--x step|tokens|flops|time]\n"
    "                    [--smooth A]\n"
    "\n"
    "Draws the train loss and validation loss of one or more runs (their\n"
    "log.csv) on one chart in the terminal, or as an SVG with --svg, all runs\n"
    "on one shared x axis. Each run is named by its folder. Below the chart a\n"
    "table compares the runs: steps, tokens, time, the last train loss, the\n"
    "best validation loss in nats and bits per byte, and the step where it\n"
    "was reached, with the best run marked. A log still being written plots\n"
    "fine; a log needs at least 2 rows.\n"
    "\n"
    "flags:\n"
    "  --svg FILE     write the chart to FILE as a standalone SVG instead of\n"
    "                 drawing it in the terminal (the table is still printed)\n"
    "  --html FILE    write a web page to FILE instead: the chart (train loss raw\n"
    "                 and smoothed, validation loss, in nats and bits per byte,\n"
    "                 values shown under the cursor) and the table of runs; one\n"
    "                 self-contained file that opens offline in any browser\n"
    "  --x AXIS       the horizontal axis: step (default), tokens, flops or time\n"
    "  --smooth A     smooth the train loss with an exponential moving average\n"
    "                 of coefficient A in [0, 1), e.g. 0.9 (default 0: raw; the\n"
    "                 page's smoothed curve uses 0.9 then)\n"
    "\n"
    "The chart is $COLUMNS wide (80 when unset) and in colour when standard\n"
    "output is a terminal and NO_COLOR is not set.\n"
    "\n"
    "example: bytegpt plot runs/*/log.csv --smooth 0.9\n";

/* $COLUMNS when it holds a sensible number, else the classic 80. */
static size_t terminal_width(void)
{
    const char *s = getenv("COLUMNS");
    if (!s || !*s)
        return 80;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    return *end == '\0' && errno == 0 && v > 0 && v < 100000 ? (size_t)v : 80;
}

/* Reads the flags into opt and the log paths into logs. */
static int plot_flags(int argc, char **argv, const char **logs, size_t *n_logs, const char **svg,
                      const char **html, struct bg_plot_options *opt, struct bg_error *err)
{
    const char *x = "step";
    double smooth = 0.0;
    struct arg_spec specs[] = {
        {"svg", ARG_STRING, svg, 0, 0},
        {"html", ARG_STRING, html, 0, 0},
        {"x", ARG_STRING, &x, 0, 0},
        {"smooth", ARG_FLOAT, &smooth, 0, 0},
    };
    int rc = args_parse("plot", argc, argv, 1, specs, sizeof specs / sizeof specs[0], logs, (size_t)argc, n_logs,
                        err);
    if (rc)
        return rc;
    *opt = BG_PLOT_OPTIONS_DEFAULT;
    opt->smooth = smooth;
    opt->width = terminal_width();
    /* Escape codes in a file or a pipe are noise; NO_COLOR is the
     * convention for turning colour off in a terminal too. */
    opt->color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    if ((rc = plot_parse_x(x, &opt->x, err)) || (rc = plot_check_options(opt, err)))
        return rc;
    if (*n_logs == 0)
        return bg_fail(err, BG_ERR_INPUT, "plot: give at least one log.csv (e.g. bytegpt plot runs/NAME/log.csv)");
    return BG_OK;
}

static int run(int argc, char **argv)
{
    if (args_wants_help(argc, argv, 1)) {
        cli_print_help(&cli_cmd_plot);
        return 0;
    }
    struct bg_error err = {0};
    struct bg_plot p = {0};
    struct bg_plot_options opt;
    const char *svg = NULL, *html = NULL;
    char *chart = NULL, *table = NULL;
    size_t n_logs = 0;
    const char **logs = malloc((size_t)argc * sizeof *logs);
    int rc = logs ? BG_OK : bg_fail(&err, BG_ERR_RUNTIME, "out of memory");
    if (!rc)
        rc = plot_flags(argc, argv, logs, &n_logs, &svg, &html, &opt, &err);
    if (!rc)
        rc = plot_load(&p, logs, n_logs, &err);
    /* Everything is checked and drawn before the first byte goes out, so
     * that a failure leaves no file behind and no half chart on screen. */
    if (!rc)
        rc = plot_table(&p, &opt, &table, &err);
    if (!rc && svg)
        rc = plot_svg_write(svg, &p, &opt, &err);
    if (!rc && html)
        rc = page_compare_write(html, &p, &opt, &err);
    if (!rc && !svg && !html)
        rc = plot_terminal(&p, &opt, &chart, &err);
    if (rc) {
        rc = cli_report(&err);
        goto out;
    }
    if (chart)
        printf("%s\n", chart);
    fputs(table, stdout);
    if (svg)
        printf("wrote %s\n", svg);
    if (html)
        printf("wrote %s\n", html);
out:
    free(chart);
    free(table);
    plot_free(&p);
    free(logs);
    return rc;
}

const struct cli_command cli_cmd_plot = {"plot", "plot and compare loss logs (terminal, SVG or web page)", help,
                                         run};
