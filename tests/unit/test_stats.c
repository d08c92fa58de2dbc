/* Summary statistics and Student-t confidence intervals (analysis/stats). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/stats.h"
#include "check.h"

/* Reference quantile, written out independently: linear interpolation
 * between order statistics at position f*(n-1) (Hyndman & Fan type 7, what
 * GSL, R and numpy use by default). */
static double ref_quantile(const double *x, int n, double f)
{
    double *s = malloc((size_t)n * sizeof *s);
    memcpy(s, x, (size_t)n * sizeof *s);
    for (int i = 1; i < n; i++) /* insertion sort */
        for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
            double t = s[j];
            s[j] = s[j - 1];
            s[j - 1] = t;
        }
    double pos = f * (n - 1);
    int lo = (int)floor(pos);
    double q = lo + 1 < n ? s[lo] + (pos - lo) * (s[lo + 1] - s[lo]) : s[lo];
    free(s);
    return q;
}

static void test_t975(void)
{
    CHECK_NEAR(vp_t975(1), 12.7062047, 1e-6);
    CHECK_NEAR(vp_t975(2), 4.3026527, 1e-6);
    CHECK_NEAR(vp_t975(3), 3.1824463, 1e-6);
    CHECK_NEAR(vp_t975(4), 2.7764451, 1e-6);
    CHECK_NEAR(vp_t975(7), 2.3646243, 1e-6);
    CHECK_NEAR(vp_t975(9), 2.2621572, 1e-6);
    CHECK_NEAR(vp_t975(29), 2.0452296, 1e-6);
    CHECK_NEAR(vp_t975(1000), 1.9623391, 1e-6);
    /* tends to the normal quantile, from above, and decreases with df */
    CHECK_NEAR(vp_t975(1000000), 1.9599640, 1e-5);
    CHECK(vp_t975(1000000) > 1.959963984540054);
    for (int df = 1; df < 300; df++)
        CHECK(vp_t975(df + 1) < vp_t975(df));
    CHECK(isnan(vp_t975(0)));
    CHECK(isnan(vp_t975(-3)));
}

static void test_known_sample(void)
{
    /* given out of order; sorted it is {2,4,4,4,5,5,7,9} */
    const double x[] = {5, 2, 9, 4, 4, 7, 4, 5};
    const double copy[] = {5, 2, 9, 4, 4, 7, 4, 5};
    struct vp_summary s;
    memset(&s, 0x55, sizeof s);
    CHECK_INT(vp_summarize(x, 8, false, &s), 0);
    CHECK(memcmp(x, copy, sizeof x) == 0); /* input left alone */
    CHECK_INT(s.n, 8);
    CHECK_NEAR(s.mean, 5.0, 1e-12);
    CHECK_NEAR(s.sd, sqrt(32.0 / 7.0), 1e-12); /* sum of squares 32, n-1 = 7 */
    CHECK_NEAR(s.sd, 2.1380899, 1e-6);
    CHECK_NEAR(s.ci_half, 2.3646243 * 2.1380899 / 2.8284271, 1e-6);
    CHECK_NEAR(s.ci_half, 1.7874879, 1e-6);
    CHECK_NEAR(s.ci_lo, 5.0 - s.ci_half, 1e-12);
    CHECK_NEAR(s.ci_hi, 5.0 + s.ci_half, 1e-12);
    CHECK_NEAR(s.min, 2, 0);
    CHECK_NEAR(s.max, 9, 0);
    CHECK_NEAR(s.median, 4.5, 1e-12);
    CHECK_NEAR(s.q1, 4.0, 1e-12);
    CHECK_NEAR(s.q3, 5.5, 1e-12);
    CHECK_NEAR(s.q1, ref_quantile(x, 8, 0.25), 1e-12);
    CHECK_NEAR(s.median, ref_quantile(x, 8, 0.5), 1e-12);
    CHECK_NEAR(s.q3, ref_quantile(x, 8, 0.75), 1e-12);
}

static void test_quantiles(void)
{
    struct vp_summary s;
    const double odd[] = {3, 1, 5, 2, 4};
    CHECK_INT(vp_summarize(odd, 5, false, &s), 0);
    CHECK_NEAR(s.q1, 2, 1e-12);
    CHECK_NEAR(s.median, 3, 1e-12);
    CHECK_NEAR(s.q3, 4, 1e-12);

    const double two[] = {20, 10};
    CHECK_INT(vp_summarize(two, 2, false, &s), 0);
    CHECK_NEAR(s.min, 10, 0);
    CHECK_NEAR(s.q1, 12.5, 1e-12);
    CHECK_NEAR(s.median, 15, 1e-12);
    CHECK_NEAR(s.q3, 17.5, 1e-12);
    CHECK_NEAR(s.max, 20, 0);
    /* n = 2: sd = |a-b|/sqrt(2), t975(1) = 12.706 */
    CHECK_NEAR(s.sd, 10 / sqrt(2.0), 1e-12);
    CHECK_NEAR(s.ci_half, 12.7062047 * (10 / sqrt(2.0)) / sqrt(2.0), 1e-5);

    const double six[] = {7, 1, 9, 3, 10, 2};
    CHECK_INT(vp_summarize(six, 6, false, &s), 0);
    CHECK_NEAR(s.q1, ref_quantile(six, 6, 0.25), 1e-12); /* 2.25 */
    CHECK_NEAR(s.q1, 2.25, 1e-12);
    CHECK_NEAR(s.median, 5, 1e-12);
    CHECK_NEAR(s.q3, ref_quantile(six, 6, 0.75), 1e-12); /* 8.5 */
    CHECK_NEAR(s.q3, 8.5, 1e-12);
    CHECK(s.min <= s.q1 && s.q1 <= s.median && s.median <= s.q3 && s.q3 <= s.max);

    const double neg[] = {-1, 1, -3, 3};
    CHECK_INT(vp_summarize(neg, 4, false, &s), 0);
    CHECK_NEAR(s.mean, 0, 1e-12);
    CHECK_NEAR(s.min, -3, 0);
    CHECK_NEAR(s.median, 0, 1e-12);
}

static void test_constant_sample(void)
{
    const double x[] = {3.5, 3.5, 3.5, 3.5};
    struct vp_summary s;
    CHECK_INT(vp_summarize(x, 4, false, &s), 0);
    CHECK_NEAR(s.mean, 3.5, 0);
    CHECK_NEAR(s.sd, 0, 0);
    CHECK_NEAR(s.ci_half, 0, 0);
    CHECK_NEAR(s.ci_lo, 3.5, 0);
    CHECK_NEAR(s.ci_hi, 3.5, 0);
}

static void test_single(void)
{
    const double x[] = {42.5};
    struct vp_summary s;
    CHECK_INT(vp_summarize(x, 1, false, &s), 0);
    CHECK_INT(s.n, 1);
    CHECK_NEAR(s.mean, 42.5, 0);
    CHECK(s.sd == 0);
    CHECK(isnan(s.ci_half));
    CHECK(isnan(s.ci_lo));
    CHECK(isnan(s.ci_hi));
    CHECK_NEAR(s.min, 42.5, 0);
    CHECK_NEAR(s.q1, 42.5, 0);
    CHECK_NEAR(s.median, 42.5, 0);
    CHECK_NEAR(s.q3, 42.5, 0);
    CHECK_NEAR(s.max, 42.5, 0);

    CHECK_INT(vp_summarize(x, 1, true, &s), 0);
    CHECK_NEAR(s.mean, 42.5, 1e-12);
    CHECK(s.sd == 0);
    CHECK(isnan(s.ci_half));
    CHECK(isnan(s.ci_lo));
    CHECK(isnan(s.ci_hi));
}

static void test_empty(void)
{
    const double x[] = {1};
    struct vp_summary s;
    CHECK_INT(vp_summarize(x, 0, false, &s), -EINVAL);
    CHECK_INT(vp_summarize(x, 0, true, &s), -EINVAL);
    CHECK_INT(vp_summarize(x, -1, false, &s), -EINVAL);
    CHECK_INT(s.n, 0);
}

static void test_harmonic(void)
{
    const double x[] = {1, 2, 4};
    struct vp_summary s;
    CHECK_INT(vp_summarize(x, 3, true, &s), 0);
    CHECK_INT(s.n, 3);
    CHECK_NEAR(s.mean, 3.0 / (1 + 0.5 + 0.25), 1e-12);
    CHECK_NEAR(s.mean, 1.7142857, 1e-6);
    /* the order statistics are of the rates themselves */
    CHECK_NEAR(s.min, 1, 0);
    CHECK_NEAR(s.median, 2, 0);
    CHECK_NEAR(s.max, 4, 0);
    CHECK_NEAR(s.q1, 1.5, 1e-12);
    CHECK_NEAR(s.q3, 3, 1e-12);
    /* delta method: sd(1/x) * H^2, sd(1/x) = sqrt(0.2916667/2) */
    CHECK_NEAR(s.sd,
               sqrt((0.41666666666666667 * 0.41666666666666667 +
                     0.08333333333333333 * 0.08333333333333333 +
                     0.33333333333333333 * 0.33333333333333333) /
                    2) *
                   s.mean * s.mean,
               1e-9);
    CHECK_NEAR(s.sd, 1.1222634, 1e-6);
    CHECK(s.ci_lo < s.mean && s.mean < s.ci_hi);
    /* so few, so spread: the interval of 1/x reaches below zero, so the
     * rate has no upper bound; the lower bound is 1/(mean(1/x) + half) */
    CHECK(isinf(s.ci_hi) && s.ci_hi > 0);
    CHECK(isinf(s.ci_half));
    double inv_mean = (1 + 0.5 + 0.25) / 3, inv_sd = 0.38188130791298663;
    CHECK_NEAR(s.ci_lo, 1 / (inv_mean + vp_t975(2) * inv_sd / sqrt(3.0)), 1e-9);
    CHECK_NEAR(s.ci_lo, 0.6527504, 1e-6);
}

static void test_harmonic_tight(void)
{
    /* rates of one job: a finite interval, not symmetric around H */
    const double x[] = {100, 110, 105, 95, 102};
    struct vp_summary s, a;
    CHECK_INT(vp_summarize(x, 5, true, &s), 0);
    double inv = (1 / 100.0 + 1 / 110.0 + 1 / 105.0 + 1 / 95.0 + 1 / 102.0) / 5;
    CHECK_NEAR(s.mean, 1 / inv, 1e-9);
    CHECK_NEAR(s.mean, 102.1555725, 1e-6);
    CHECK_NEAR(s.sd, 5.5858992, 1e-6);
    CHECK_NEAR(s.ci_lo, 95.6607274, 1e-6);
    CHECK_NEAR(s.ci_hi, 109.5965870, 1e-6);
    CHECK_NEAR(s.ci_half, (s.ci_hi - s.ci_lo) / 2, 1e-12);
    CHECK_NEAR(s.ci_half, 6.9679298, 1e-6);
    CHECK(s.ci_lo < s.mean && s.mean < s.ci_hi);
    CHECK(isfinite(s.ci_hi));
    /* the harmonic mean is below the arithmetic one */
    CHECK_INT(vp_summarize(x, 5, false, &a), 0);
    CHECK_NEAR(a.mean, 102.4, 1e-12);
    CHECK(s.mean < a.mean);
    CHECK_NEAR(a.sd, 5.5946403, 1e-6);
    CHECK_NEAR(a.ci_half, 6.9466634, 1e-6);
    CHECK_NEAR(s.median, a.median, 0);
}

static void test_harmonic_rejects(void)
{
    struct vp_summary s;
    const double zero[] = {1, 0, 2};
    CHECK_INT(vp_summarize(zero, 3, true, &s), -EINVAL);
    const double neg[] = {1, 2, -4};
    CHECK_INT(vp_summarize(neg, 3, true, &s), -EINVAL);
    const double nan_[] = {1, NAN, 2};
    CHECK_INT(vp_summarize(nan_, 3, true, &s), -EINVAL);
    const double one_zero[] = {0};
    CHECK_INT(vp_summarize(one_zero, 1, true, &s), -EINVAL);
    /* the same values are fine for an arithmetic summary */
    CHECK_INT(vp_summarize(neg, 3, false, &s), 0);
    CHECK_NEAR(s.mean, -1.0 / 3.0, 1e-12);
}

static void test_ci_coverage(void)
{
    /* A fixed-seed simulation: normal samples of 10, the 95% CI should
     * cover the true mean about 95% of the time (a 1.96 z-interval on n=10
     * covers only ~92%, so this tells t from z). */
    unsigned long long st = 0x9e3779b97f4a7c15ULL;
    int covered = 0, trials = 4000;
    for (int t = 0; t < trials; t++) {
        double x[10];
        for (int i = 0; i < 10; i++) {
            double u[2];
            for (int k = 0; k < 2; k++) {
                st ^= st << 13;
                st ^= st >> 7;
                st ^= st << 17;
                u[k] = ((double)(st >> 11) + 0.5) / 9007199254740992.0;
            }
            x[i] = 10 + 2 * sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
        }
        struct vp_summary s;
        CHECK_INT(vp_summarize(x, 10, false, &s), 0);
        covered += s.ci_lo <= 10 && 10 <= s.ci_hi;
    }
    double rate = (double)covered / trials;
    fprintf(stderr, "  coverage %.4f\n", rate);
    CHECK(rate > 0.935 && rate < 0.965);
}

int main(void)
{
    RUN(test_t975);
    RUN(test_known_sample);
    RUN(test_quantiles);
    RUN(test_constant_sample);
    RUN(test_single);
    RUN(test_empty);
    RUN(test_harmonic);
    RUN(test_harmonic_tight);
    RUN(test_harmonic_rejects);
    RUN(test_ci_coverage);
    return CHECK_DONE();
}
