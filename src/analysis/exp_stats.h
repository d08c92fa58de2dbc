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

/* Host CPU that other work took while the point ran, in cores, from its
 * profile: the host's user, nice and system time over all cores less what
 * the point's profiled appliances and generators used. NaN without a
 * profile. Their cgroups are also charged for softirq work done in their
 * time, so a little below zero is normal; above VP_OTHER_WORK_LIMIT the
 * point's figures were disturbed by something outside the experiment. */
#define VP_OTHER_WORK_LIMIT 0.25
double vp_point_other_work(struct vp_store *st, int64_t exp_id, int point, struct vp_err *err);

#endif
