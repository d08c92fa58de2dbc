#include "analysis/model.h"

#include <errno.h>
#include <gsl/gsl_fit.h>
#include <math.h>

#include "analysis/stats.h"

int vp_overhead_fit(const double *count, const double *pct, int n, struct vp_overhead_fit *fit)
{
    double c0, c1, cov00, cov01, cov11, sumsq;
    fit->a = fit->b = fit->b_ci_half = fit->r2 = NAN;
    fit->n = n;
    fit->trend = false;
    if (n < 2)
        return -EINVAL;
    bool distinct = false;
    for (int k = 1; k < n; k++)
        distinct |= count[k] != count[0];
    if (!distinct)
        return -EINVAL;
    if (gsl_fit_linear(count, 1, pct, 1, (size_t)n, &c0, &c1, &cov00, &cov01, &cov11, &sumsq) != 0)
        return -EINVAL;
    double mean = 0, sstot = 0;
    for (int k = 0; k < n; k++)
        mean += pct[k] / n;
    for (int k = 0; k < n; k++)
        sstot += (pct[k] - mean) * (pct[k] - mean);
    fit->a = c0;
    fit->b = c1;
    fit->r2 = sstot > 0 ? 1 - sumsq / sstot : NAN; /* one value at every count: no R^2 */
    if (n >= 3) {
        fit->b_ci_half = vp_t975(n - 2) * sqrt(cov11);
        fit->trend = fabs(c1) > fit->b_ci_half;
    }
    return 0;
}

double vp_jain_index(const double *x, int n)
{
    double sum = 0, sumsq = 0;
    for (int k = 0; k < n; k++) {
        sum += x[k];
        sumsq += x[k] * x[k];
    }
    if (n < 1 || sumsq <= 0)
        return NAN;
    return sum * sum / (n * sumsq);
}

int vp_model_estimate(struct vp_model_row *rows, int nrows, int P,
                      const struct vp_overhead_fit *overhead)
{
    double et_p = NAN;
    for (int k = 0; k < nrows; k++)
        if (rows[k].instances == P)
            et_p = rows[k].measured;
    double O = overhead && isfinite(overhead->b) ? overhead->b / 100 : NAN;
    for (int k = 0; k < nrows; k++) {
        struct vp_model_row *r = &rows[k];
        int i = r->instances;
        r->estimate1 = i >= P && P > 0 ? et_p * i / P : NAN;
        r->estimate2 = r->estimate1 * (1 + O * i);
        r->rel_error1 = (r->estimate1 - r->measured) / r->measured;
        r->rel_error2 = (r->estimate2 - r->measured) / r->measured;
    }
    return isfinite(et_p) ? 0 : -ENOENT;
}
