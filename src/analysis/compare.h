/* Two stored runs, or two stored experiments, side by side (`virtperf
 * compare`, and the report draws the same rows): every metric both have,
 * each side's mean and 95% CI from its stored rounds, the ratio B/A,
 * Welch's t-test of the two means and whether B got significantly worse.
 *
 * Runs are matched metric by metric (elapsed and the workload's metrics, by
 * name). Experiments are matched point by point (the same case label and
 * matrix values: the point's params): first the point's elapsed time (all
 * its appliances' rounds as one sample, as `results experiment` has it; a
 * row with neither appliance nor load), then appliance by appliance (the runs
 * of its instances, metric by metric as above) and load by load (name and
 * target: the driver's capacity with its CI; an rtp/udp load's median delay
 * and loss, one figure per run, so without a test).
 *
 * Which way is worse comes from the metric: elapsed (and delay, loss) up,
 * a rate (higher_is_better in the store, from the workload's descriptor)
 * down. A rate averages harmonically and is tested on 1/x, the time per
 * unit of work, as its CI is made (analysis/stats.h). */
#ifndef VP_ANALYSIS_COMPARE_H
#define VP_ANALYSIS_COMPARE_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/stats.h"
#include "core/error.h"
#include "store/store.h"

#define VP_CMP_ALPHA 0.05 /* significance level of the marker */

enum vp_cmp_kind { VP_CMP_RUN, VP_CMP_EXPERIMENT };

/* "run:12", "exp:3" (or "experiment:3"); a plain number is a run, as
 * `results show` takes it. */
struct vp_cmp_ref {
    enum vp_cmp_kind kind;
    int64_t id;
    char label[64]; /* "run 12", "experiment 3", and for runs the workload */
};
int vp_cmp_parse_ref(const char *text, struct vp_cmp_ref *ref, struct vp_err *err);

struct vp_cmp_row {
    const char *point;  /* experiments: the point's params (JSON); NULL for runs */
    char appliance[64]; /* experiments: the appliance, "" for a load's row */
    char load[64];      /* experiments: the load, "" for an appliance's row */
    char metric[64], unit[32];
    bool higher_is_better; /* else lower is better */
    bool harmonic;         /* averaged (and tested) as a rate */
    struct vp_summary a, b;
    double ratio;         /* b.mean / a.mean; NaN when a.mean is 0 */
    double worse_pct;     /* how much worse B is than A, percent; below 0: better */
    struct vp_welch test; /* p NaN where either side has n < 2 */
    bool significant;     /* p < VP_CMP_ALPHA */
};

struct vp_comparison {
    struct vp_cmp_ref a, b;
    int nrows;
    struct vp_cmp_row *rows;
    char **points; /* the points' params the rows point into */
    int npoints;
    int only_a, only_b; /* metrics, appliances, loads or points one side lacks */
};

/* Read both from the store and compare. Unknown ids, a run against an
 * experiment, or runs of different workloads are input errors. */
int vp_compare(struct vp_store *st, const struct vp_cmp_ref *a, const struct vp_cmp_ref *b,
               struct vp_comparison *c, struct vp_err *err);
void vp_comparison_free(struct vp_comparison *c);

/* Whether a row says B got worse than A by more than pct percent, and
 * significantly. */
bool vp_cmp_worse(const struct vp_cmp_row *r, double pct);

#endif
