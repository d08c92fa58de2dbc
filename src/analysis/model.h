/* Seed 002's model of CPU-bound instances on P processors.
 *
 * Estimate1(i) = ET_P * i / P for i >= P, where ET_P is the measured elapsed
 * time with i = P instances (queueing alone); the host-CPU cost of n idle
 * appliances is fitted as O(n) = a + b*n percent (least squares, GSL) and
 * Estimate2(i) = Estimate1(i) * (1 + O*i) with O = b/100 (seed 002, Tables
 * 2, 3 and 6). Jain's index (sum x)^2 / (n sum x^2) is 1 when every
 * instance got the same share and 1/n when one got everything. */
#ifndef VP_ANALYSIS_MODEL_H
#define VP_ANALYSIS_MODEL_H

#include <stdbool.h>

/* One row of the elapsed-time table: i instances. NaN where undefined. */
struct vp_model_row {
    int instances;
    int n;             /* samples behind measured */
    double measured;   /* mean elapsed, s */
    double ci_half;    /* 95% CI half-width of measured */
    double estimate1;  /* NaN for i < P or without ET_P */
    double rel_error1; /* (estimate1 - measured) / measured */
    double estimate2;  /* NaN without an overhead fit */
    double rel_error2;
    double jain; /* fairness across the instances */
    /* cores of work outside the experiment during the point (its profile;
     * NaN without one): above VP_OTHER_WORK_LIMIT the row is disturbed */
    double other_work;
};

struct vp_overhead_fit {
    double a, b;      /* percent, percent per appliance */
    double b_ci_half; /* 95% CI half-width of b (t on n - 2 df); NaN for n < 3 */
    double r2;        /* coefficient of determination; NaN when every pct is the same */
    int n;            /* points fitted */
    /* b's interval excludes zero: the cost grows with n beyond the noise
     * (only then do a, b and Estimate2 mean something; two points always
     * fit with R^2 = 1) */
    bool trend;
};

/* Least-squares line through (count[k], pct[k]); needs two distinct counts. */
int vp_overhead_fit(const double *count, const double *pct, int n, struct vp_overhead_fit *fit);

/* Jain's fairness index of x[0..n); NaN for n < 1 or all zero. */
double vp_jain_index(const double *x, int n);

/* Fill estimate and error columns of rows (any order) from the row with
 * instances == P; overhead may be NULL. Returns -ENOENT when no row has
 * i = P (the estimates stay NaN). */
int vp_model_estimate(struct vp_model_row *rows, int nrows, int P,
                      const struct vp_overhead_fit *overhead);

#endif
