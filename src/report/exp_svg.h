/* A stored experiment drawn as SVG: delay boxplots with loss of its stream
 * loads, and the capacity (with 95% CI) of its capacity searches, a box or
 * bar per point. */
#ifndef VP_REPORT_EXP_SVG_H
#define VP_REPORT_EXP_SVG_H

#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "store/store.h"

/* Input error when the experiment is unknown or has nothing to draw. */
int vp_exp_svg(struct vp_store *st, int64_t id, FILE *out, struct vp_err *err);

#endif
