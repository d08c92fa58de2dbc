/* A report page from ids of stored experiments ("12") and runs ("run:12"):
 * the figures' document (figures.h) written as the self-contained HTML page
 * (html.h). `virtperf report` writes it to a file; `virtperf serve` answers
 * with it. */
#ifndef VP_REPORT_PAGE_H
#define VP_REPORT_PAGE_H

#include <stdio.h>

#include "core/error.h"
#include "store/store.h"

#define VP_REPORT_MAX_IDS 64

/* ids[0..n) as the page on out; title NULL: one naming what it reports. An
 * id that is neither form, or not stored, is an input error. */
int vp_report_page(struct vp_store *st, char *const *ids, int n, const char *title, FILE *out,
                   struct vp_err *err);

#endif
