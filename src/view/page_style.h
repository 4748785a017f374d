/* page_style: the style sheet and the script every page inlines
 * (page_style.c), private to the page module: a page needs no file and
 * no network beside it. */
#ifndef BYTEGPT_VIEW_PAGE_STYLE_H
#define BYTEGPT_VIEW_PAGE_STYLE_H

extern const char page_css[];
extern const char page_js[];

#endif
