/* page_compare: the page that compares runs (`bytegpt plot --html`, see
 * page.h): the chart of every run and the table of runs, on the document
 * that page.c writes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bytegpt/page.h"

#include "bytegpt/plot_chart.h"
#include "page_chart.h"

/* The table is plot_table's, as the terminal shows it, wide enough for
 * its every column. */
#define TABLE_COLUMNS 110

int page_compare(const struct bg_plot *p, const struct bg_plot_options *opt, char **out, struct bg_error *err)
{
    struct bg_plot_options o = plot_options_resolve(opt);
    *out = NULL;
    o.width = TABLE_COLUMNS;
    char *table = NULL;
    int rc = plot_table(p, &o, &table, err);
    if (rc)
        return rc;
    struct bg_strbuf b = {0};
    char title[64];
    snprintf(title, sizeof title, "%zu run%s compared", p->n_runs, p->n_runs == 1 ? "" : "s");
    struct page_head h = {title, "plot", 0, 0, 0};
    page_begin(&b, &h, "finished", "a snapshot of the logs", NULL);
    page_section(&b, "loss", "Loss");
    struct page_chart_opts co = {o.x, o.smooth > 0 ? o.smooth : BG_PAGE_SMOOTH, p->n_runs == 1, NAN, NAN};
    rc = page_chart(&b, p->runs, p->n_runs, &co, err);
    page_section(&b, "runs", "Runs");
    strbuf_puts(&b, "<pre class=\"table\">");
    page_escape(&b, table);
    strbuf_puts(&b, "</pre>\n");
    free(table);
    return page_end(&b, rc, out, err);
}

int page_compare_write(const char *path, const struct bg_plot *p, const struct bg_plot_options *opt,
                       struct bg_error *err)
{
    char *doc = NULL;
    int rc = page_compare(p, opt, &doc, err);
    return page_commit(path, rc, doc, err);
}
