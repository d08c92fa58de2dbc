/* Summary statistics of a sample, with a 95% confidence interval of the mean
 * from Student's t distribution (exact quantile for n-1 degrees of freedom,
 * from GSL), not the normal 1.96. */
#ifndef VP_ANALYSIS_STATS_H
#define VP_ANALYSIS_STATS_H

#include <stdbool.h>

struct vp_summary {
    int n;
    double mean;    /* arithmetic, or harmonic when the summary was made so */
    double sd;      /* sample standard deviation (n-1); 0 when n < 2 */
    double ci_half; /* half-width of the 95% CI of the mean; NaN when n < 2 */
    double ci_lo, ci_hi;
    double min, q1, median, q3, max;
};

/* Two-sided 95% Student t quantile for df degrees of freedom (t_{0.975,df}). */
double vp_t975(int df);

/* Summarise x[0..n). harmonic: the mean is the harmonic mean and the CI is the
 * interval of the mean of 1/x, inverted (right for rates of equal work).
 * Returns -EINVAL for n < 1 or, when harmonic, a value <= 0. */
int vp_summarize(const double *x, int n, bool harmonic, struct vp_summary *s);

#endif
