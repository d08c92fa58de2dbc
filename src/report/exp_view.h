/* A stored experiment: a line per point with the figures of its loads, or
 * the document of core/doc.h (a round per point, with its "loads" and
 * "services"). */
#ifndef VP_REPORT_EXP_VIEW_H
#define VP_REPORT_EXP_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/doc.h"
#include "core/error.h"
#include "store/store.h"

/* Print experiment id on stdout: as the document doc (begun and closed
 * here), or as a table when doc is NULL. run_err (may be NULL) is the error
 * of a run that failed, carried in the document. footer: end the table with
 * where the results are and what reads them further. */
int vp_exp_view(struct vp_store *st, int64_t id, struct vp_doc *doc, bool footer,
                const struct vp_err *run_err);

#endif
