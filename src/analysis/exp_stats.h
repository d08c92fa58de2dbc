/* Statistics of a stored experiment point, recomputed from its runs: the
 * measured rounds of all its appliances as one sample (seed 002 took each
 * instance's results as samples of the point), and Jain's fairness index
 * over the appliances' work rates (1 / their mean elapsed time). A round
 * timed by an external time server counts with its external elapsed time. */
#ifndef VP_ANALYSIS_EXP_STATS_H
#define VP_ANALYSIS_EXP_STATS_H

#include "analysis/stats.h"
#include "experiment/exp_store.h"

struct vp_point_stats {
    struct vp_summary elapsed; /* n = 0 when no round was stored */
    double jain;               /* NaN with fewer than one finished appliance */
    int appliances;            /* with at least one measured round */
    int external;              /* rounds timed by the time server */
};

int vp_point_stats(struct vp_store *st, const struct vp_exp_point_row *p, struct vp_point_stats *ps,
                   struct vp_err *err);

#endif
