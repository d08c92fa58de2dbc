/* Summary statistics and Student-t confidence intervals (analysis/stats). */
#include <errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/stats.h"
#include "report/run_view.h"
#include "check.h"
#include "core/doc.h"

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
    CHECK(s.ci_lo < s.mean);
    /* so few, so spread: the interval of 1/x reaches below zero, so the
     * rate has no upper bound, said as such (never inf); the lower bound is
     * 1/(mean(1/x) + half) */
    CHECK(s.ci_unbounded);
    CHECK(isnan(s.ci_hi) && isnan(s.ci_half));
    CHECK(!vp_ci_shown(&s));
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
    CHECK(!s.ci_unbounded && vp_ci_shown(&s));
    /* the harmonic mean is below the arithmetic one */
    CHECK_INT(vp_summarize(x, 5, false, &a), 0);
    CHECK_NEAR(a.mean, 102.4, 1e-12);
    CHECK(s.mean < a.mean);
    CHECK_NEAR(a.sd, 5.5946403, 1e-6);
    CHECK_NEAR(a.ci_half, 6.9466634, 1e-6);
    CHECK_NEAR(s.median, a.median, 0);
}

/* The sample of issue 15's contended cpu-gzip run: one slow round among
 * fast ones. Its rate's CI was inf (the interval of 1/x reaches zero,
 * inverted); nothing of it may be inf now, and a table says why there is
 * no interval. */
static void test_harmonic_no_inf(void)
{
    const double x[] = {10, 1, 10};
    struct vp_summary s;
    char buf[32];
    CHECK_INT(vp_summarize(x, 3, true, &s), 0);
    CHECK_NEAR(s.mean, 3 / 1.2, 1e-12);
    CHECK(!isinf(s.ci_half));
    CHECK(!isinf(s.ci_hi));
    CHECK(!isinf(s.ci_lo));
    CHECK(isfinite(s.ci_lo) && s.ci_lo > 0 && s.ci_lo < s.mean);
    CHECK_STR(vp_format_ci(buf, sizeof buf, "%.4g", &s), "n too small");
    /* spread, but with enough rounds the interval closes again */
    double many[24];
    for (int i = 0; i < 24; i++)
        many[i] = i % 3 == 1 ? 1 : 10;
    CHECK_INT(vp_summarize(many, 24, true, &s), 0);
    CHECK(!s.ci_unbounded && isfinite(s.ci_hi) && s.ci_lo > 0);
    CHECK(s.ci_lo < s.mean && s.mean < s.ci_hi);
    CHECK(strcmp(vp_format_ci(buf, sizeof buf, "%.4g", &s), "n too small") != 0);
}

/* What tables print for a CI: the half-width, "-" without one, "n too
 * small" where a normal interval of a quantity that cannot be negative
 * reaches below zero. */
static void test_format_ci(void)
{
    struct vp_summary s;
    char buf[32];
    const double tight[] = {4, 5, 6};
    CHECK_INT(vp_summarize(tight, 3, false, &s), 0);
    CHECK_STR(vp_format_ci(buf, sizeof buf, "%.3f", &s), "2.484"); /* 4.3026527 * 1 / sqrt(3) */
    CHECK(vp_ci_shown(&s));
    const double one[] = {4};
    CHECK_INT(vp_summarize(one, 1, false, &s), 0);
    CHECK_STR(vp_format_ci(buf, sizeof buf, "%.3f", &s), "-");
    CHECK(!vp_ci_shown(&s));
    /* a rate of {1, 1, 9}: mean 3.67, half 11.5: the interval would go below zero */
    const double wide[] = {1, 1, 9};
    CHECK_INT(vp_summarize(wide, 3, false, &s), 0);
    CHECK(s.ci_lo < 0);
    CHECK_STR(vp_format_ci(buf, sizeof buf, "%.3f", &s), "n too small");
    CHECK(!vp_ci_shown(&s));
    /* the same spread where values can be negative is just wide */
    const double signed_[] = {-1, 1, 9};
    CHECK_INT(vp_summarize(signed_, 3, false, &s), 0);
    CHECK(vp_ci_shown(&s));
    CHECK(strcmp(vp_format_ci(buf, sizeof buf, "%.3f", &s), "n too small") != 0);
    /* a summary made by hand without an interval */
    memset(&s, 0, sizeof s);
    s.n = 5;
    s.mean = 3;
    s.ci_half = s.ci_lo = s.ci_hi = NAN;
    CHECK_STR(vp_format_ci(buf, sizeof buf, "%.3f", &s), "-");
}

/* A cost (idle appliances' CPU) whose interval reaches zero is below the
 * measurement's resolution and says so instead of a signed figure. */
static void test_format_cost(void)
{
    char buf[64];
    CHECK_STR(vp_format_cost(buf, sizeof buf, "%.2f", 1.5, 0.25), "1.50 ± 0.25");
    CHECK(!vp_below_resolution(1.5, 0.25));
    CHECK_STR(vp_format_cost(buf, sizeof buf, "%.1f", -37.5, 76.9),
              "below resolution (-37.5 ± 76.9)");
    CHECK(vp_below_resolution(0.1, 0.1));
    CHECK(vp_below_resolution(2, NAN)); /* no interval: cannot tell */
    CHECK_STR(vp_format_cost(buf, sizeof buf, "%.1f", 2, NAN), "below resolution (2.0 ± ?)");
}

/* Welch's t-test against R 4.x:
 *   t.test(extra ~ group, data = sleep)  # var.equal = FALSE is the default
 *   t = -1.8608, df = 17.776, p-value = 0.07939
 * and, by hand, {1..5} against {2, 4, .., 10}: means 3 and 6, variances
 * 2.5 and 10, se = sqrt(2.5/5 + 10/5) = 1.5811, t = -1.8974,
 * df = 2.5^2 / (0.5^2/4 + 2^2/4) = 5.8824, and p = I_{df/(df+t^2)}(df/2, 1/2)
 * (the regularized incomplete beta function).
 * (R's t is mean(x) - mean(y) over se; ours is B - A, so ours is -R's with
 * A = y.) */
static void test_welch(void)
{
    const double g1[] = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
    const double g2[] = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};
    struct vp_summary a, b;
    struct vp_welch w;
    CHECK_INT(vp_summarize(g1, 10, false, &a), 0);
    CHECK_INT(vp_summarize(g2, 10, false, &b), 0);
    CHECK_INT(vp_welch(b.mean, b.sd, b.n, a.mean, a.sd, a.n, &w), 0);
    CHECK_NEAR(w.t, -1.8608, 5e-5);
    CHECK_NEAR(w.df, 17.776, 5e-4);
    CHECK_NEAR(w.p, 0.07939, 5e-6);
    /* the other way round: t changes sign, p and df do not */
    CHECK_INT(vp_welch(a.mean, a.sd, a.n, b.mean, b.sd, b.n, &w), 0);
    CHECK_NEAR(w.t, 1.8608, 5e-5);
    CHECK_NEAR(w.p, 0.07939, 5e-6);

    const double x[] = {1, 2, 3, 4, 5}, y[] = {2, 4, 6, 8, 10};
    CHECK_INT(vp_summarize(x, 5, false, &a), 0);
    CHECK_INT(vp_summarize(y, 5, false, &b), 0);
    CHECK_INT(vp_welch(b.mean, b.sd, b.n, a.mean, a.sd, a.n, &w), 0);
    CHECK_NEAR(w.t, -1.8974, 5e-5);
    CHECK_NEAR(w.df, 5.8824, 5e-5);
    CHECK_NEAR(w.p, gsl_sf_beta_inc(w.df / 2, 0.5, w.df / (w.df + w.t * w.t)), 1e-9);
    CHECK(w.p > 0.10 && w.p < 0.11);

    /* no spread: equal means p = 1, different ones p = 0, no t */
    CHECK_INT(vp_welch(3, 0, 4, 3, 0, 4, &w), 0);
    CHECK_NEAR(w.p, 1, 0);
    CHECK(isnan(w.t));
    CHECK_INT(vp_welch(3, 0, 4, 4, 0, 4, &w), 0);
    CHECK_NEAR(w.p, 0, 0);
    /* too few, or nothing to test */
    CHECK_INT(vp_welch(3, 1, 1, 4, 1, 4, &w), -EINVAL);
    CHECK(isnan(w.p));
    CHECK_INT(vp_welch(NAN, 1, 4, 4, 1, 4, &w), -EINVAL);
    CHECK(isnan(w.p));
}

/* A run of three rounds of a rate {10, 1, 10} (harmonic) printed as
 * `results show` prints it: "n too small" in the table, null in the JSON,
 * never inf or nan anywhere. */
static void test_print_run(void)
{
    struct vp_round_row rounds[3];
    struct vp_run_data run = {
        .id = 7,
        .kind = "workload",
        .subject = "cpu-gzip",
        .command = "",
        .params = "{}",
        .status = "complete",
        .started_at = "",
        .finished_at = "",
        .rounds_planned = 3,
        .nmetrics = 1,
        .nrounds = 3,
        .rounds = rounds,
    };
    snprintf(run.metrics[0].name, sizeof run.metrics[0].name, "compress_rate");
    snprintf(run.metrics[0].unit, sizeof run.metrics[0].unit, "MB/s");
    run.metrics[0].harmonic = run.metrics[0].higher_is_better = true;
    const double rate[] = {10, 1, 10};
    for (int i = 0; i < 3; i++) {
        rounds[i] = (struct vp_round_row){.round = i, .elapsed_s = 1 + i * 0.01};
        rounds[i].values[0] = rate[i];
        rounds[i].external_s = rounds[i].ratio = NAN;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    vp_run_print_text(f, &run);
    fclose(f);
    const char *line = strstr(text, "\ncompress_rate ");
    CHECK(line != NULL);
    CHECK(line && strstr(line, "n too small") != NULL);
    CHECK(strstr(text, "inf") == NULL && strstr(text, "nan") == NULL);
    free(text);

    f = open_memstream(&text, &len);
    struct vp_doc d;
    vp_doc_init(&d, VP_DOC_ROUNDS, 0, NULL);
    vp_run_print_doc(&d, f, false, &run, "store.db");
    fclose(f);
    CHECK(strstr(text, "inf") == NULL && strstr(text, "nan") == NULL);
    const char *m = strstr(text, "\"compress_rate\": {");
    CHECK(m != NULL);
    CHECK(m && strstr(m, "\"ci95_high\": null") != NULL);
    CHECK(m && strstr(m, "\"ci95_half\": null") != NULL);
    CHECK(m && strstr(m, "\"ci95_n_too_small\": true") != NULL);
    free(text);
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
    RUN(test_harmonic_no_inf);
    RUN(test_format_ci);
    RUN(test_format_cost);
    RUN(test_welch);
    RUN(test_print_run);
    RUN(test_harmonic_rejects);
    RUN(test_ci_coverage);
    return CHECK_DONE();
}
