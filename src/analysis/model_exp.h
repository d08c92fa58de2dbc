/* Seed 002's tables read from a stored experiment (analysis/model.h does
 * the arithmetic): per series (the matrix values other than the instance
 * count) the measured elapsed time per count with Estimate1 and Estimate2,
 * and per platform the idle points' host-CPU cost with its O(n) fit. Read
 * by `virtperf model` and the HTML report alike. */
#ifndef VP_ANALYSIS_MODEL_EXP_H
#define VP_ANALYSIS_MODEL_EXP_H

#include <stdbool.h>

#include "analysis/model.h"
#include "experiment/exp_store.h"

#define VP_MODEL_MAX_ROWS 64

struct vp_model_overhead {
    const char *platform;
    /* "appliances": the CPU their cgroups (processes) were charged; "host":
     * the host-wide busy difference, for stores from before the former */
    const char *source;
    int n;
    double count[VP_MODEL_MAX_ROWS], pct[VP_MODEL_MAX_ROWS], ci[VP_MODEL_MAX_ROWS];
    struct vp_overhead_fit fit;
    bool ok; /* fitted: idle points at two or more counts (see fit.trend) */
};

struct vp_model_series {
    const struct vp_exp_point_row *first; /* its series, platform */
    int P;                                /* CPUs available */
    int nrows;                            /* sorted by instances */
    struct vp_model_row rows[VP_MODEL_MAX_ROWS];
    int external, samples; /* rounds timed by the time server, of all */
    bool have_p;           /* a row with i = P: estimates made */
    struct vp_model_overhead overhead;
};

/* The idle points of one platform and their fit. */
void vp_model_overhead_of(const struct vp_exp_data *d, const char *platform,
                          struct vp_model_overhead *o);

/* What o's fit says, in one line: the fit with b's 95% CI when the cost
 * grows with n beyond the noise, else why there is none. */
const char *vp_model_overhead_verdict(const struct vp_model_overhead *o, char *buf, size_t len);
/* Whether o's values are the appliances' own charge ("appliances") or the
 * host-wide difference, in words. */
const char *vp_model_overhead_source(const struct vp_model_overhead *o);

/* The series of run point `first` (its rows from every run point of the
 * same series). */
int vp_model_series_of(struct vp_store *st, const struct vp_exp_data *d, int first,
                       struct vp_model_series *s, struct vp_err *err);

/* Whether point i is the first of its series (run points) or of its
 * platform's idle points (idle points): where a table starts. */
bool vp_model_first_of(const struct vp_exp_data *d, int i);

#endif
