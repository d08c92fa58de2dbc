#include "analysis/stats.h"

#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double vp_t975(int df)
{
    if (df < 1)
        return NAN;
    return gsl_cdf_tdist_Pinv(0.975, (double)df);
}

/* Mean, sd and CI of x as given (arithmetic). */
static void moments(const double *x, int n, struct vp_summary *s)
{
    s->mean = gsl_stats_mean(x, 1, (size_t)n);
    if (n < 2) {
        s->sd = 0;
        s->ci_half = NAN;
        s->ci_lo = s->ci_hi = NAN;
        return;
    }
    s->sd = gsl_stats_sd_m(x, 1, (size_t)n, s->mean);
    s->ci_half = vp_t975(n - 1) * s->sd / sqrt((double)n);
    s->ci_lo = s->mean - s->ci_half;
    s->ci_hi = s->mean + s->ci_half;
}

int vp_summarize(const double *x, int n, bool harmonic, struct vp_summary *s)
{
    memset(s, 0, sizeof *s);
    if (n < 1)
        return -EINVAL;
    double *sorted = malloc((size_t)n * sizeof *sorted);
    if (sorted == NULL)
        return -ENOMEM;
    memcpy(sorted, x, (size_t)n * sizeof *sorted);
    gsl_sort(sorted, 1, (size_t)n);
    s->n = n;
    s->min = sorted[0];
    s->max = sorted[n - 1];
    s->q1 = gsl_stats_quantile_from_sorted_data(sorted, 1, (size_t)n, 0.25);
    s->median = gsl_stats_median_from_sorted_data(sorted, 1, (size_t)n);
    s->q3 = gsl_stats_quantile_from_sorted_data(sorted, 1, (size_t)n, 0.75);

    if (!harmonic) {
        moments(x, n, s);
        free(sorted);
        return 0;
    }
    /* rates: average the times per unit of work (1/x), then invert */
    for (int i = 0; i < n; i++) {
        if (!(x[i] > 0)) {
            free(sorted);
            return -EINVAL;
        }
        sorted[i] = 1.0 / x[i];
    }
    struct vp_summary inv;
    moments(sorted, n, &inv);
    free(sorted);
    s->mean = 1.0 / inv.mean;
    s->sd = n < 2 ? 0 : inv.sd * s->mean * s->mean; /* first-order (delta method) */
    if (n < 2) {
        s->ci_half = s->ci_lo = s->ci_hi = NAN;
        return 0;
    }
    s->ci_lo = 1.0 / inv.ci_hi;
    if (!(inv.ci_lo > 0)) { /* the interval of 1/x reaches zero: no upper bound on the rate */
        s->ci_unbounded = true;
        s->ci_hi = s->ci_half = NAN;
        return 0;
    }
    s->ci_hi = 1.0 / inv.ci_lo;
    s->ci_half = (s->ci_hi - s->ci_lo) / 2;
    return 0;
}

bool vp_ci_shown(const struct vp_summary *s)
{
    if (s->n < 2 || s->ci_unbounded || !isfinite(s->ci_half) || !isfinite(s->ci_lo) ||
        !isfinite(s->ci_hi))
        return false;
    return !(s->min >= 0 && s->ci_lo < 0);
}

const char *vp_format_ci(char *buf, size_t len, const char *fmt, const struct vp_summary *s)
{
    if (vp_ci_shown(s)) {
        snprintf(buf, len, fmt, s->ci_half);
        return buf;
    }
    bool none = s->n < 2 || (!s->ci_unbounded && isnan(s->ci_half));
    return none ? "-" : VP_CI_TOO_FEW;
}

const char *vp_format_ci_range(char *buf, size_t len, const char *fmt, const struct vp_summary *s)
{
    char lo[32], hi[32];
    if (!vp_ci_shown(s))
        return vp_format_ci(buf, len, fmt, s);
    snprintf(lo, sizeof lo, fmt, s->ci_lo);
    snprintf(hi, sizeof hi, fmt, s->ci_hi);
    snprintf(buf, len, "%s .. %s", lo, hi);
    return buf;
}

bool vp_below_resolution(double mean, double ci_half)
{
    return !isfinite(mean) || !isfinite(ci_half) || mean - ci_half <= 0;
}

const char *vp_format_cost(char *buf, size_t len, const char *fmt, double mean, double ci_half)
{
    char m[32], c[32];
    snprintf(m, sizeof m, fmt, mean);
    if (!isfinite(ci_half))
        snprintf(c, sizeof c, "?");
    else
        snprintf(c, sizeof c, fmt, ci_half);
    if (vp_below_resolution(mean, ci_half))
        snprintf(buf, len, "below resolution (%s ± %s)", m, c);
    else
        snprintf(buf, len, "%s ± %s", m, c);
    return buf;
}

int vp_welch(double m1, double sd1, int n1, double m2, double sd2, int n2, struct vp_welch *w)
{
    w->t = w->df = w->p = NAN;
    if (n1 < 2 || n2 < 2 || !isfinite(m1) || !isfinite(m2) || !isfinite(sd1) || !isfinite(sd2))
        return -EINVAL;
    double v1 = sd1 * sd1 / n1, v2 = sd2 * sd2 / n2, se2 = v1 + v2;
    if (!(se2 > 0)) { /* no spread on either side: the means are what they are */
        w->p = m1 == m2 ? 1 : 0;
        return 0;
    }
    w->t = (m2 - m1) / sqrt(se2);
    w->df = se2 * se2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1));
    w->p = fmin(1, 2 * gsl_cdf_tdist_Q(fabs(w->t), w->df));
    return 0;
}
