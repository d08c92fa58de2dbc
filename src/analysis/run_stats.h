/* Statistics of a stored run, recomputed from its rounds. */
#ifndef VP_ANALYSIS_RUN_STATS_H
#define VP_ANALYSIS_RUN_STATS_H

#include "analysis/stats.h"
#include "store/query.h"

#define VP_METRIC_ELAPSED (-1)

/* Summary of one metric (VP_METRIC_ELAPSED for the round time) over the
 * measured rounds, warm-up excluded; n = 0 when no round has a value. */
void vp_run_summary(const struct vp_run_data *run, int metric, struct vp_summary *s);

/* The measured rounds' values of that metric (warm-up and missing values
 * left out) into *x (malloc'd, free it; NULL on ENOMEM), and whether the
 * summary of it is harmonic: a rate whose values are all above zero. Their
 * number, or -ENOMEM. */
int vp_run_samples(const struct vp_run_data *run, int metric, double **x, bool *harmonic);

#endif
