/* page_chart: the chart section of the web pages, with its hover
 * readout (page_chart.c), private to the page module. */
#ifndef BYTEGPT_VIEW_PAGE_CHART_H
#define BYTEGPT_VIEW_PAGE_CHART_H

#include "bytegpt/error.h"
#include "bytegpt/plot.h"
#include "bytegpt/strbuf.h"

struct page_chart_opts {
    enum bg_plot_x x;
    double smooth;               /* the smoothed train curve's EMA coefficient, in (0, 1) */
    int raw;                     /* draw the raw train loss too (a page of one run) */
    double order0_bpb, gzip_bpb; /* reference lines in bits per byte; NaN: none */
};

/* The chart section of the runs' logs: an inline SVG, the legend, the
 * hover readout and the chart's data for the script. Runs with no finite
 * point are left out; with none at all the section says there is nothing
 * to draw yet. Fails only when memory runs out. */
int page_chart(struct bg_strbuf *b, const struct bg_plot_run *runs, size_t n_runs, const struct page_chart_opts *o,
               struct bg_error *err);

#endif
