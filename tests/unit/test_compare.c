/* Two stored runs compared (analysis/compare): which way is worse by the
 * metric, a rate's mean and test on 1/x, ids and their errors. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/compare.h"
#include "check.h"
#include "store/store.h"

static const struct vp_metric_desc metrics[] = {
    {"rate", "MB/s", true, true},    /* a rate: harmonic, lower is worse */
    {"count", "items", false, true}, /* arithmetic */
    {"only_here", "x", false, false},
};

/* A complete run of subject with n rounds (after one warm-up round that
 * must not count) of elapsed[i] and rate[i]; its metrics are the first
 * nmetrics of the table. */
static int64_t store_run(struct vp_store *st, const char *subject, int n, const double *elapsed,
                         const double *rate, int nmetrics)
{
    struct vp_run_info info = {.kind = "workload",
                               .subject = subject,
                               .command = "test",
                               .params = "{}",
                               .host = "{}",
                               .rounds = n,
                               .warmup = 1,
                               .metrics = metrics,
                               .nmetrics = nmetrics};
    struct vp_err err = {0};
    int64_t id = 0;
    CHECK_INT(vp_store_run_begin(st, &info, &id, &err), 0);
    double warm[3] = {1e-3, 1e9, 1e9};
    CHECK_INT(vp_store_round(st, id, &info, 0, true, 1e3, warm, &err), 0);
    for (int i = 0; i < n; i++) {
        double v[3] = {rate[i], 7, 1};
        CHECK_INT(vp_store_round(st, id, &info, i + 1, false, elapsed[i], v, &err), 0);
    }
    CHECK_INT(vp_store_run_end(st, id, "complete", NULL, &err), 0);
    return id;
}

static const struct vp_cmp_row *row(const struct vp_comparison *c, const char *metric)
{
    for (int i = 0; i < c->nrows; i++)
        if (strcmp(c->rows[i].metric, metric) == 0)
            return &c->rows[i];
    return NULL;
}

static struct vp_cmp_ref ref(int64_t id)
{
    struct vp_cmp_ref r;
    char text[32];
    struct vp_err err = {0};
    snprintf(text, sizeof text, "run:%lld", (long long)id);
    CHECK_INT(vp_cmp_parse_ref(text, &r, &err), 0);
    return r;
}

static void test_runs(struct vp_store *st)
{
    /* B does the work 20% slower in rate terms, but its rounds take less time */
    const double ea[] = {2.0, 2.1, 1.9, 2.05, 1.95}, eb[] = {1.5, 1.6, 1.4, 1.55, 1.45};
    const double ra[] = {100, 102, 98, 101, 99}, rb[] = {80, 81, 79, 80, 82};
    int64_t a = store_run(st, "wl", 5, ea, ra, 3), b = store_run(st, "wl", 5, eb, rb, 2);
    struct vp_cmp_ref A = ref(a), B = ref(b);
    struct vp_comparison c;
    struct vp_err err = {0};
    CHECK_INT(vp_compare(st, &A, &B, &c, &err), 0);
    CHECK_INT(c.nrows, 3); /* elapsed, rate, count */
    CHECK_INT(c.only_a, 1);
    CHECK_INT(c.only_b, 0);
    CHECK_STR(c.rows[0].metric, "elapsed");
    CHECK(c.rows[0].point == NULL);

    const struct vp_cmp_row *e = row(&c, "elapsed"), *r = row(&c, "rate"), *n = row(&c, "count");
    CHECK(e && r && n);
    if (!e || !r || !n)
        goto out;
    /* elapsed: arithmetic, lower is better; B's shorter rounds are better */
    CHECK(!e->higher_is_better && !e->harmonic);
    CHECK_INT(e->a.n, 5);
    CHECK_NEAR(e->a.mean, 2.0, 1e-12);
    CHECK_NEAR(e->b.mean, 1.5, 1e-12);
    CHECK_NEAR(e->ratio, 0.75, 1e-12);
    CHECK_NEAR(e->worse_pct, -25, 1e-9);
    CHECK(e->significant && e->test.p < 1e-4);
    CHECK(!vp_cmp_worse(e, 0));

    /* the rate: harmonic means, lower is worse, tested on 1/x */
    CHECK(r->higher_is_better && r->harmonic);
    double ia[5], ib[5];
    for (int i = 0; i < 5; i++) {
        ia[i] = 1 / ra[i];
        ib[i] = 1 / rb[i];
    }
    struct vp_summary sa, sb;
    struct vp_welch w;
    vp_summarize(ia, 5, false, &sa);
    vp_summarize(ib, 5, false, &sb);
    CHECK_NEAR(r->a.mean, 1 / sa.mean, 1e-9);
    CHECK_NEAR(r->b.mean, 1 / sb.mean, 1e-9);
    CHECK_NEAR(r->ratio, sa.mean / sb.mean, 1e-12);
    CHECK_NEAR(r->worse_pct, 100 * (1 - r->ratio), 1e-9);
    CHECK(r->worse_pct > 19 && r->worse_pct < 21);
    vp_welch(sa.mean, sa.sd, 5, sb.mean, sb.sd, 5, &w);
    CHECK_NEAR(r->test.p, w.p, 1e-15);
    CHECK_NEAR(r->test.t, w.t, 1e-12);
    CHECK(r->significant);
    CHECK(vp_cmp_worse(r, 10));
    CHECK(!vp_cmp_worse(r, 25));

    /* the same count on both sides: no difference, p = 1 */
    CHECK_NEAR(n->ratio, 1, 0);
    CHECK_NEAR(n->test.p, 1, 0);
    CHECK(!n->significant && !vp_cmp_worse(n, 0));
    vp_comparison_free(&c);

    /* the other way round: the rate got better, elapsed worse */
    CHECK_INT(vp_compare(st, &B, &A, &c, &err), 0);
    CHECK_INT(c.only_a, 0);
    CHECK_INT(c.only_b, 1);
    CHECK(row(&c, "rate") && row(&c, "rate")->worse_pct < 0 && !vp_cmp_worse(row(&c, "rate"), 0));
    CHECK(row(&c, "elapsed") && vp_cmp_worse(row(&c, "elapsed"), 30));
    CHECK(!vp_cmp_worse(row(&c, "elapsed"), 40)); /* 2.0 / 1.5: 33% worse */

out:
    vp_comparison_free(&c);

    /* a zero rate on one side: both plain means, as results show has it */
    const double rz[] = {0, 81, 79, 80, 82};
    int64_t z = store_run(st, "wl", 5, eb, rz, 2);
    struct vp_cmp_ref Z = ref(z);
    CHECK_INT(vp_compare(st, &A, &Z, &c, &err), 0);
    CHECK(row(&c, "rate") && !row(&c, "rate")->harmonic);
    CHECK(row(&c, "rate") && fabs(row(&c, "rate")->a.mean - 100) < 1e-9);
    vp_comparison_free(&c);

    /* one round a side: figures, no test */
    int64_t o1 = store_run(st, "wl", 1, ea, ra, 2), o2 = store_run(st, "wl", 1, eb, rb, 2);
    struct vp_cmp_ref O1 = ref(o1), O2 = ref(o2);
    CHECK_INT(vp_compare(st, &O1, &O2, &c, &err), 0);
    CHECK(row(&c, "elapsed") && isnan(row(&c, "elapsed")->test.p));
    CHECK(row(&c, "elapsed") && !row(&c, "elapsed")->significant);
    vp_comparison_free(&c);

    /* different workloads, a run against an experiment, an unknown id */
    int64_t other = store_run(st, "other", 5, eb, rb, 2);
    struct vp_cmp_ref X = ref(other), E, U = ref(99999);
    CHECK_INT(vp_compare(st, &A, &X, &c, &err), -EINVAL);
    CHECK(strstr(err.msg, "different workloads") != NULL);
    CHECK(c.rows == NULL);
    memset(&err, 0, sizeof err);
    CHECK_INT(vp_cmp_parse_ref("exp:1", &E, &err), 0);
    CHECK(vp_compare(st, &A, &E, &c, &err) < 0);
    CHECK(strstr(err.msg, "compare runs with runs") != NULL);
    memset(&err, 0, sizeof err);
    CHECK(vp_compare(st, &A, &U, &c, &err) < 0);
    CHECK_INT(err.kind, VP_ERR_INPUT);
}

static void test_refs(void)
{
    struct vp_cmp_ref r;
    struct vp_err err = {0};
    CHECK_INT(vp_cmp_parse_ref("12", &r, &err), 0);
    CHECK(r.kind == VP_CMP_RUN && r.id == 12);
    CHECK_INT(vp_cmp_parse_ref("run:7", &r, &err), 0);
    CHECK(r.kind == VP_CMP_RUN && r.id == 7);
    CHECK_STR(r.label, "run 7");
    CHECK_INT(vp_cmp_parse_ref("exp:3", &r, &err), 0);
    CHECK(r.kind == VP_CMP_EXPERIMENT && r.id == 3);
    CHECK_INT(vp_cmp_parse_ref("experiment:4", &r, &err), 0);
    CHECK(r.kind == VP_CMP_EXPERIMENT && r.id == 4);
    const char *bad[] = {
        "", "run:", "run:-1", "run:0", "x:1", "12a", "exp: 3", "run:1:2", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        CHECK_INT(vp_cmp_parse_ref(bad[i], &r, &err), -EINVAL);
        CHECK_INT(err.kind, VP_ERR_INPUT);
        CHECK(strstr(err.msg, "is not a run or an experiment") != NULL);
    }
}

int main(void)
{
    char dir[] = "/tmp/vp-test-compare.XXXXXX", path[64];
    struct vp_store *st = NULL;
    struct vp_err err = {0};
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(path, sizeof path, "%s/store.db", dir);
    CHECK_INT(vp_store_open(path, &st, &err), 0);
    RUN(test_refs);
    if (st)
        test_runs(st);
    vp_store_close(st);
    for (const char *const *suffix = (const char *const[]){"", "-wal", "-shm", "-journal", NULL};
         *suffix; suffix++) {
        char f[96];
        snprintf(f, sizeof f, "%s%s", path, *suffix);
        unlink(f);
    }
    CHECK_INT(rmdir(dir), 0);
    return CHECK_DONE();
}
