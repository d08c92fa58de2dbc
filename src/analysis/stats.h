/* Summary statistics of a sample, with a 95% confidence interval of the mean
 * from Student's t distribution (exact quantile for n-1 degrees of freedom,
 * from GSL), not the normal 1.96; Welch's t-test of two means.
 *
 * Rates (harmonic means): everything is inferred on the reciprocal, the time
 * per unit of work, whose mean the harmonic mean inverts. The CI is the t
 * interval of mean(1/x), inverted: exact for that transform, asymmetric,
 * and its lower bound is always above zero. When that interval reaches zero
 * (few, spread rounds: {10, 1, 10}) the rate has no upper bound; the summary
 * then says so explicitly (ci_unbounded, ci_hi and ci_half NaN, never inf)
 * and tables print "n too small". The delta method was the other choice: it
 * is symmetric and always finite, but reaches below zero exactly where this
 * one is unbounded, so it would print the same "n too small" and be less
 * right for the tight intervals that do print. Welch's test of a rate is
 * likewise made on 1/x (analysis/compare.c). */
#ifndef VP_ANALYSIS_STATS_H
#define VP_ANALYSIS_STATS_H

#include <stdbool.h>
#include <stddef.h>

struct vp_summary {
    int n;
    double mean;    /* arithmetic, or harmonic when the summary was made so */
    double sd;      /* sample standard deviation (n-1); 0 when n < 2 */
    double ci_half; /* half-width of the 95% CI of the mean; NaN when n < 2 */
    double ci_lo, ci_hi;
    double min, q1, median, q3, max;
    /* a harmonic summary whose interval has no upper bound: ci_hi and
     * ci_half are NaN, ci_lo still the lower bound */
    bool ci_unbounded;
};

/* Two-sided 95% Student t quantile for df degrees of freedom (t_{0.975,df}). */
double vp_t975(int df);

/* Summarise x[0..n). harmonic: the mean is the harmonic mean and the CI is the
 * interval of the mean of 1/x, inverted (right for rates of equal work).
 * Returns -EINVAL for n < 1 or, when harmonic, a value <= 0. */
int vp_summarize(const double *x, int n, bool harmonic, struct vp_summary *s);

/* Whether s's 95% CI means something to print: n >= 2, bounded, finite, and
 * for a quantity that cannot be negative (a sample whose min >= 0: times,
 * rates, counts) not reaching below zero, which only a normal interval on
 * too few rounds does. */
bool vp_ci_shown(const struct vp_summary *s);
/* The CI's half-width for a table: ci_half in fmt into buf, "-" when n < 2
 * (or no interval at all), "n too small" when it is unbounded or reaches
 * below zero (see vp_ci_shown). Never "inf" or "nan". Returns the text. */
#define VP_CI_TOO_FEW "n too small"
const char *vp_format_ci(char *buf, size_t len, const char *fmt, const struct vp_summary *s);
/* The same as "LO .. HI" (each in fmt): "-" or "n too small" as above. */
const char *vp_format_ci_range(char *buf, size_t len, const char *fmt, const struct vp_summary *s);

/* A cost that cannot be negative, measured as mean ± ci_half: whether its
 * interval reaches zero (or there is none), i.e. the measurement cannot
 * tell it from nothing. */
bool vp_below_resolution(double mean, double ci_half);
/* "M ± C" (each in fmt), or "below resolution (M ± C)" as above. */
const char *vp_format_cost(char *buf, size_t len, const char *fmt, double mean, double ci_half);

/* Welch's unequal-variance t-test of two means (the same as R's
 * t.test(var.equal = FALSE)): t = (m2 - m1) / se, Welch-Satterthwaite
 * degrees of freedom, two-sided p from the t distribution. */
struct vp_welch {
    double t;  /* NaN when se = 0 */
    double df; /* NaN when se = 0 */
    double p;  /* NaN when either n < 2; with se = 0, 1 for equal means, else 0 */
};
/* From each side's mean, sample sd and n; -EINVAL (p NaN) when n < 2 or a
 * figure is not finite. */
int vp_welch(double m1, double sd1, int n1, double m2, double sd2, int n2, struct vp_welch *w);

#endif
