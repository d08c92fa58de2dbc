/* A stored experiment: a line per point with the figures of its loads, or
 * a JSON document (points with "loads" and "services"). */
#ifndef VP_REPORT_EXP_VIEW_H
#define VP_REPORT_EXP_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

/* Print experiment id on stdout; run_err (may be NULL) is the error of a
 * run that failed, carried in the JSON document. footer: end the table
 * with where the results are and what reads them further. */
int vp_exp_view(struct vp_store *st, int64_t id, bool json, bool footer,
                const struct vp_err *run_err);

#endif
