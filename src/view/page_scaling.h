/* page_scaling: the scaling section of a sweep's page (page_scaling.c),
 * private to the page module. */
#ifndef BYTEGPT_VIEW_PAGE_SCALING_H
#define BYTEGPT_VIEW_PAGE_SCALING_H

#include "bytegpt/page.h"
#include "bytegpt/plot_scaling.h"
#include "bytegpt/strbuf.h"

/* The section: a heading, the scaling SVG inline, the table of the fit
 * and, when v->check is there, the check's table and verdict. A view
 * that cannot be drawn yet (no run scored) leaves a line saying so
 * rather than failing the whole page, which a live sweep rewrites. */
void page_scaling(struct bg_strbuf *b, const struct bg_scaling_view *v);

#endif
