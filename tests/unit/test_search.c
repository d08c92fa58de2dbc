/* The closed-loop search (analysis/search.h) against systems whose limit
 * is known: it brackets and bisects to within its precision, keeps each
 * repeat's best, retries a rejected trial once and says the generator was
 * the limit when it is rejected twice, and refuses bad settings. */
#include "analysis/search.h"
#include "check.h"

struct fake {
    double limit;       /* passes at or below this rate */
    double gen_max;     /* trials above this are rejected */
    int reject_once_at; /* trial number rejected once (a moment of contention); -1: none */
    int trials;
    double limit_step; /* the limit moves by this per repeat */
};

static int trial(void *ctx, int repeat, double rate, enum vp_verdict *v, struct vp_err *err)
{
    (void)err;
    struct fake *f = ctx;
    double limit = f->limit + repeat * f->limit_step;
    *v = f->trials++ == f->reject_once_at || rate > f->gen_max ? VP_TRIAL_REJECTED
         : rate <= limit                                       ? VP_TRIAL_PASS
                                                               : VP_TRIAL_FAIL;
    return 0;
}

static void test_finds_the_limit(void)
{
    struct fake f = {1234567, 1e12, -1, 0, 1000};
    struct vp_search_cfg cfg = {10000, 1e8, 0.01, 100, 3};
    struct vp_search_result r;
    struct vp_err err = {0};
    CHECK_INT(vp_search_run(&cfg, trial, &f, &r, &err), 0);
    CHECK_INT(r.n, 3);
    for (int i = 0; i < 3; i++) {
        double limit = f.limit + i * f.limit_step;
        CHECK(r.best[i] <= limit && r.best[i] >= limit * 0.99);
    }
    CHECK_INT(r.rate.n, 3);
    CHECK(r.rate.ci_lo <= r.rate.mean && r.rate.mean <= r.rate.ci_hi);
    CHECK(!r.generator_limited);
    CHECK_INT(r.trials, f.trials);
}

static void test_max_passes(void)
{
    struct fake f = {1e9, 1e12, -1, 0, 0};
    struct vp_search_cfg cfg = {1000, 50000, 0.01, 100, 1};
    struct vp_search_result r;
    struct vp_err err = {0};
    CHECK_INT(vp_search_run(&cfg, trial, &f, &r, &err), 0);
    CHECK_NEAR(r.best[0], 50000, 0);
    CHECK_INT(r.trials, 7); /* 1k 2k 4k 8k 16k 32k 50k */
}

static void test_nothing_passes(void)
{
    struct fake f = {0.5, 1e12, -1, 0, 0};
    struct vp_search_cfg cfg = {1000, 50000, 0.01, 100, 1};
    struct vp_search_result r;
    struct vp_err err = {0};
    CHECK_INT(vp_search_run(&cfg, trial, &f, &r, &err), 0);
    CHECK_NEAR(r.best[0], 0, 0);
}

static void test_rejections(void)
{
    /* one rejection is retried and does not count against the system */
    struct fake once = {5000, 1e12, 2, 0, 0};
    struct vp_search_cfg cfg = {1000, 1e6, 0.01, 10, 1};
    struct vp_search_result r;
    struct vp_err err = {0};
    CHECK_INT(vp_search_run(&cfg, trial, &once, &r, &err), 0);
    CHECK(r.best[0] <= 5000 && r.best[0] >= 4950);
    CHECK(!r.generator_limited);
    /* a generator that cannot offer more than 3000/s bounds the search */
    struct fake weak = {5000, 3000, -1, 0, 0};
    CHECK_INT(vp_search_run(&cfg, trial, &weak, &r, &err), 0);
    CHECK(r.best[0] <= 3000 && r.best[0] >= 2970);
    CHECK(r.generator_limited);
}

static void test_bad_settings(void)
{
    struct fake f = {1, 1, -1, 0, 0};
    struct vp_search_result r;
    struct vp_err err = {0};
    struct vp_search_cfg no_repeats = {1, 10, 0.01, 1, 0};
    CHECK(vp_search_run(&no_repeats, trial, &f, &r, &err) < 0);
    CHECK(strstr(err.msg, "repeats: 0 is not 1..100") != NULL);
    struct vp_search_cfg upside_down = {100, 10, 0.01, 1, 1};
    CHECK(vp_search_run(&upside_down, trial, &f, &r, &err) < 0);
    CHECK(strstr(err.msg, "start 100") != NULL);
}

int main(void)
{
    RUN(test_finds_the_limit);
    RUN(test_max_passes);
    RUN(test_nothing_passes);
    RUN(test_rejections);
    RUN(test_bad_settings);
    return CHECK_DONE();
}
