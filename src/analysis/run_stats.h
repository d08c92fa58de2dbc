/* Statistics of a stored run, recomputed from its rounds. */
#ifndef VP_ANALYSIS_RUN_STATS_H
#define VP_ANALYSIS_RUN_STATS_H

#include "analysis/stats.h"
#include "store/query.h"

#define VP_METRIC_ELAPSED (-1)

/* Summary of one metric (VP_METRIC_ELAPSED for the round time) over the
 * measured rounds, warm-up excluded; n = 0 when no round has a value. */
void vp_run_summary(const struct vp_run_data *run, int metric, struct vp_summary *s);

#endif
