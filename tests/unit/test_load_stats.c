/* The loads and services of an experiment point read back from a store
 * written by SQL, each figure checked against one worked out by hand. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/exp_stats.h"
#include "analysis/load_stats.h"
#include "check.h"
#include "drivers/driver.h"
#include "drivers/rtp.h"
#include "drivers/sip_capacity.h"
#include "store/db.h"
#include "drivers/sip_uac.h"

static char dir[] = "/tmp/vp-load-stats.XXXXXX";
static char path[128];
static struct vp_store *st;

static void sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sql(const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (vp_db_exec(vp_store_db(st), text) != 0) {
        fprintf(stderr, "%s: %s\n", text, vp_db_errmsg(vp_store_db(st)));
        check_failures++;
    }
}

/* One capacity step; the figures besides rate and verdict do not matter. */
static void step(int64_t run, int repeat, int k, double rate, const char *verdict)
{
    sql("INSERT INTO sip_capacity_steps VALUES (%lld, %d, %d, %g, 100, 100, 0, 0, 1, 0.1, %d,"
        " '%s', NULL, NULL)",
        (long long)run, repeat, k, rate, strcmp(verdict, "rejected") == 0, verdict);
}

/* Bucket of the log-linear histogram starting at lo (hist.h): [lo, lo + w - 1]. */
static void bucket(const char *table, int64_t run, const char *series, const char *interval,
                   uint64_t lo, uint64_t count)
{
    uint64_t blo, bhi;
    vp_hist_bucket_bounds(vp_hist_index(lo), &blo, &bhi);
    CHECK_INT(blo, lo); /* the test data are bucket bounds */
    sql("INSERT INTO %s VALUES (%lld, '%s', %s%llu, %llu, %llu)", table, (long long)run, series,
        interval, (unsigned long long)blo, (unsigned long long)bhi, (unsigned long long)count);
}

static void setup(void)
{
    struct vp_err err = {0};
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/store.db", dir);
    CHECK_INT(vp_store_open(path, &st, &err), 0);
    sql("INSERT INTO experiments (id, name, file, spec, host, cpus_available, status, started_at)"
        " VALUES (1, 'loads', 'loads.yaml', '', '{}', 2, 'complete', '2026-11-23T00:00:00Z')");
    sql("INSERT INTO experiment_points (experiment_id, point, kind, params, series, platform,"
        " instances, cpus_available, status) VALUES (1, 0, 'run', '{}', '{}', 'native', 1, 2,"
        " 'complete')");

    /* run 1: a capacity search, 3 repeats; best rates 300, 250, 350 */
    sql("INSERT INTO sip_runs (id, kind, finished_at, command, params, target, status,"
        " capacity_mean, capacity_ci_lo, capacity_ci_hi, capacity_n, hist_relative_error)"
        " VALUES (1, 'capacity', 'now', 'c', '{}', '10.0.0.2:5060', 'complete', 300,"
        " 175.79311441248345, 424.2068855875166, 3, 0.0078125)");
    const double rates[3][6] = {
        {100, 200, 400, 300, 350}, {100, 200, 400, 300, 250}, {100, 200, 400, 300, 350, 375}};
    const char *verdicts[3][6] = {{"pass", "pass", "fail", "pass", "fail"},
                                  {"pass", "pass", "rejected", "fail", "pass"},
                                  {"pass", "pass", "fail", "pass", "pass", "fail"}};
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 6 && verdicts[r][k]; k++)
            step(1, r, k, rates[r][k], verdicts[r][k]);

    /* run 2: sip-uac; inv200 buckets of 90, 8 and 2 calls */
    sql("INSERT INTO sip_runs (id, kind, finished_at, command, params, target, status, created,"
        " successful, failed_timeout, failed_4xx, failed_5xx, failed_6xx, failed_unexpected,"
        " retransmissions, malformed, abandoned, inv200_p95_ms, generator_bottleneck,"
        " hist_relative_error) VALUES (2, 'uac', 'now', 'u', '{}', '10.0.0.2:5060', 'complete',"
        " 5000, 4990, 3, 1, 2, 0, 0, 15, 0, 4, 99, 0, 0.0078125)");
    bucket("sip_latency_hist", 2, "inv200", "", 1048576, 90); /* 2^20: width 2^14 */
    bucket("sip_latency_hist", 2, "inv200", "", 2097152, 8);  /* 2^21: width 2^15 */
    bucket("sip_latency_hist", 2, "inv200", "", 4194304, 2);  /* 2^22: width 2^16 */
    bucket("sip_latency_hist", 2, "inv100", "", 65536, 100);  /* another series: ignored */

    /* rtp run 7: delay buckets 25, 25, 45 around 70 µs and 5 outliers at 1 ms */
    sql("INSERT INTO rtp_runs VALUES (7, 'now', 'r', '{}', 'complete', 2, 20, 0, 10, 10000, 9987,"
        " 13, 2, 3, 0, 0, 0, 5, 20, 30, 0.2, 1, NULL, 0.0078125)");
    sql("INSERT INTO rtp_streams VALUES (7, 0, 11, 5000, 4990, 10, 10, 1, 2, 0.5, 2, 21, 0.06,"
        " 0.07, 1.1)");
    sql("INSERT INTO rtp_streams VALUES (7, 1, 12, 5000, 4997, 3, 3, 1, 1, 1.5, 3, 22, 0.06,"
        " 0.07, 1.1)");
    bucket("rtp_delay_hist", 7, "delay", "-1, ", 65536, 25); /* width 1024 above 2^16 */
    bucket("rtp_delay_hist", 7, "delay", "-1, ", 73728, 25);
    bucket("rtp_delay_hist", 7, "delay", "-1, ", 81920, 45);
    bucket("rtp_delay_hist", 7, "delay", "-1, ", 1048576, 5);
    bucket("rtp_delay_hist", 7, "delay", "0, ", 4194304, 1000);   /* an interval: ignored */
    bucket("rtp_delay_hist", 7, "lateness", "-1, ", 4194304, 10); /* ignored */

    /* rtp run 9: 4 intervals with packets planned and a drain interval with
     * none; loss 1, 2, 0, 3 %; each interval's delays in one bucket */
    sql("INSERT INTO rtp_runs VALUES (9, 'now', 'r', '{}', 'complete', 1, 20, 0, 4, 4000, 3940,"
        " 60, 0, 0, 0, 0, 0, 5, 20, 30, 0.2, 0, NULL, 0.0078125)");
    const int received[] = {990, 980, 1000, 970};
    const uint64_t delay_lo[] = {65536, 73728, 81920, 65536};
    for (int i = 0; i < 4; i++) {
        char interval[16];
        sql("INSERT INTO rtp_intervals VALUES (9, %d, %d, 1000, %d)", i, i, received[i]);
        snprintf(interval, sizeof interval, "%d, ", i);
        bucket("rtp_delay_hist", 9, "delay", interval, delay_lo[i], 10);
    }
    sql("INSERT INTO rtp_intervals VALUES (9, 4, 4, 0, 0)");

    /* the point: the three loads, a failed one, one whose run is gone */
    const char *loads[] = {"'cap', 'sip-1', 'sip-capacity', 'sip', 1",
                           "'uac', 'sip-1', 'sip-uac', 'sip', 2", "'rtp', 'media', 'rtp', 'rtp', 7",
                           "'rtp2', 'media', 'rtp', 'rtp', NULL",
                           "'gone', 'sip-1', 'sip-uac', 'sip', 99"};
    for (int i = 0; i < 5; i++)
        sql("INSERT INTO point_loads VALUES (1, 0, %s)", loads[i]);
    sql("INSERT INTO point_services VALUES (1, 0, 'sip-1', 'sip-server', '10.0.0.2:5060',"
        " '{\"received\": 5000}')");
    sql("INSERT INTO point_services VALUES (1, 0, 'media', 'media-server', NULL, NULL)");
    sql("INSERT INTO point_services VALUES (1, 0, 'sip-2', 'sip-server', 'x', '{\"cut')");
}

static void teardown(void)
{
    vp_store_close(st);
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char f[160];
        snprintf(f, sizeof f, "%s%s", path, suffix[i]);
        unlink(f);
    }
    rmdir(dir);
}

static struct vp_load_row row(const char *load, const char *driver, int64_t run_id)
{
    struct vp_load_row r = {.run_id = run_id};
    snprintf(r.load, sizeof r.load, "%s", load);
    snprintf(r.driver, sizeof r.driver, "%s", driver);
    return r;
}

static void test_rows(void)
{
    struct vp_err err = {0};
    struct vp_load_row *rows;
    int n;
    CHECK_INT(vp_point_loads(st, 1, 0, &rows, &n, &err), 0);
    CHECK_INT(n, 5);
    if (n == 5) {
        CHECK_STR(rows[0].load, "cap");
        CHECK_STR(rows[0].target, "sip-1");
        CHECK_STR(rows[0].driver, "sip-capacity");
        CHECK_STR(rows[0].kind, "sip");
        CHECK_INT(rows[0].run_id, 1);
        CHECK_STR(rows[2].driver, "rtp");
        CHECK_INT(rows[2].run_id, 7);
        CHECK_INT(rows[3].run_id, 0);
    }
    /* each stored driver name finds its descriptor, which stores where the row says */
    for (int i = 0; i < n; i++) {
        const struct vp_driver *d = vp_driver_find(rows[i].driver);
        CHECK(d != NULL);
        if (d)
            CHECK_STR(d->store_kind, rows[i].kind);
    }
    free(rows);
    CHECK_INT(vp_point_loads(st, 1, 1, &rows, &n, &err), 0);
    CHECK_INT(n, 0);
    CHECK(rows == NULL);

    struct vp_service_row *sv;
    CHECK_INT(vp_point_services(st, 1, 0, &sv, &n, &err), 0);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(sv[0].appliance, "sip-1");
        CHECK_STR(sv[0].role, "sip-server");
        CHECK_STR(sv[0].address, "10.0.0.2:5060");
        CHECK_STR(sv[0].counters, "{\"received\": 5000}");
        CHECK(sv[0].counters_object);
        CHECK_STR(sv[1].role, "media-server");
        CHECK(sv[1].address == NULL);
        CHECK(sv[1].counters == NULL);
        CHECK(!sv[1].counters_object);
        CHECK_STR(sv[2].counters, "{\"cut"); /* truncated: not an object */
        CHECK(!sv[2].counters_object);
    }
    vp_service_rows_free(sv, n);
}

/* best 300, 250, 350: mean 300, sd 50, CI 300 ± t(0.975, 2) · 50 / √3 */
static void test_capacity(void)
{
    struct vp_err err = {0};
    struct vp_load_figures f;
    struct vp_load_row r = row("cap", "sip-capacity", 1);
    CHECK_INT(vp_load_figures(st, &r, &f, &err), 0);
    CHECK(f.driver == vp_driver_find("sip-capacity"));
    CHECK(f.own != NULL);
    if (f.own == NULL)
        return;
    const struct vp_load_capacity *cap = f.own;
    CHECK_STR(f.status, "complete");
    CHECK_INT(cap->nrepeats, 3);
    CHECK_NEAR(cap->best[0], 300, 0);
    CHECK_NEAR(cap->best[1], 250, 0);
    CHECK_NEAR(cap->best[2], 350, 0);
    CHECK_INT(cap->max_rate.n, 3);
    CHECK_NEAR(cap->max_rate.mean, 300, 1e-9);
    double half = 4.302652729749464 * 50 / sqrt(3);
    CHECK_NEAR(cap->max_rate.ci_half, half, 1e-9);
    CHECK_NEAR(cap->max_rate.ci_lo, 300 - half, 1e-9);
    CHECK_NEAR(cap->max_rate.ci_hi, 300 + half, 1e-9);
    CHECK_INT(cap->steps, 16);
    CHECK(f.generator_limited); /* repeat 1 rejected a step */
    CHECK(!cap->from_cache);
    /* agrees with what sip-capacity stored */
    CHECK_INT(cap->stored_n, cap->max_rate.n);
    CHECK_NEAR(cap->stored_mean, cap->max_rate.mean, 1e-9);
    CHECK_NEAR(cap->stored_ci_lo, cap->max_rate.ci_lo, 1e-9);
    CHECK_NEAR(cap->stored_ci_hi, cap->max_rate.ci_hi, 1e-9);

    /* one repeat where nothing passed: 0, no CI, not generator-limited */
    sql("INSERT INTO sip_runs (id, kind, finished_at, command, params, target, status,"
        " capacity_mean, capacity_n, hist_relative_error) VALUES (3, 'capacity', 'now', 'c',"
        " '{}', 't', 'complete', 0, 1, 0.0078125)");
    step(3, 0, 0, 100, "fail");
    step(3, 0, 1, 50, "fail");
    vp_load_figures_free(&f);
    r = row("cap0", "sip-capacity", 3);
    CHECK_INT(vp_load_figures(st, &r, &f, &err), 0);
    CHECK((cap = f.own) != NULL);
    if (cap == NULL)
        return;
    CHECK_INT(cap->max_rate.n, 1);
    CHECK_NEAR(cap->max_rate.mean, 0, 0);
    CHECK(isnan(cap->max_rate.ci_lo));
    CHECK_INT(cap->steps, 2);
    CHECK(!f.generator_limited);

    /* no steps kept: the cached outcome, marked so */
    sql("INSERT INTO sip_runs (id, kind, finished_at, command, params, target, status,"
        " capacity_mean, capacity_ci_lo, capacity_ci_hi, capacity_n, hist_relative_error)"
        " VALUES (4, 'capacity', 'now', 'c', '{}', 't', 'generator_limited', 120, 100, 140, 2,"
        " 0.0078125)");
    vp_load_figures_free(&f);
    r = row("cap1", "sip-capacity", 4);
    CHECK_INT(vp_load_figures(st, &r, &f, &err), 0);
    CHECK((cap = f.own) != NULL);
    if (cap == NULL)
        return;
    CHECK(cap->from_cache);
    CHECK_INT(cap->max_rate.n, 2);
    CHECK_NEAR(cap->max_rate.mean, 120, 0);
    CHECK_NEAR(cap->max_rate.ci_half, 20, 0);
    CHECK(f.generator_limited);
    vp_load_figures_free(&f);

    /* searches that disagree wildly (3000, 100, 50 calls/s): the interval
     * would reach below zero; the searches are printed instead (issue 16) */
    sql("INSERT INTO sip_runs (id, kind, finished_at, command, params, target, status,"
        " capacity_mean, capacity_n, hist_relative_error) VALUES (15, 'capacity', 'now', 'c',"
        " '{}', 't', 'complete', 1050, 3, 0.0078125)");
    step(15, 0, 0, 3000, "pass");
    step(15, 1, 0, 100, "pass");
    step(15, 2, 0, 50, "pass");
    r = row("wild", "sip-capacity", 15);
    CHECK_INT(vp_load_figures(st, &r, &f, &err), 0);
    CHECK(f.own != NULL && !vp_ci_shown(&((const struct vp_load_capacity *)f.own)->max_rate));
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (f.own && mem)
        f.driver->print(mem, &f);
    if (mem)
        fclose(mem);
    CHECK_STR(text ? text : "",
              "max 1050.0 calls/s (3 searches: 3000.0, 100.0, 50.0; 95% CI n too small)");
    free(text);
    vp_load_figures_free(&f);
}

/* Buckets [2^20, +2^14), [2^21, +2^15), [2^22, +2^16) with 90, 8, 2 calls:
 * p50 is rank 50 (first bucket), p95 rank 95 (second), p99 rank 99 (third),
 * each the middle of its bucket. */
static void test_uac(void)
{
    struct vp_err err = {0};
    struct vp_load_figures f;
    struct vp_load_row r = row("uac", "sip-uac", 2);
    CHECK_INT(vp_load_figures(st, &r, &f, &err), 0);
    CHECK(f.driver == vp_driver_find("sip-uac"));
    const struct vp_load_uac *uac = f.own;
    CHECK(uac != NULL);
    if (uac == NULL)
        return;
    CHECK_STR(f.status, "complete");
    CHECK_INT(uac->created, 5000);
    CHECK_INT(uac->successful, 4990);
    CHECK_INT(uac->failed, 10); /* 3 + 1 + 2 + 4 abandoned */
    CHECK_NEAR(uac->failed_pct, 0.2, 1e-12);
    CHECK_INT(uac->retransmissions, 15);
    CHECK_NEAR(uac->retransmission_pct, 0.3, 1e-12);
    CHECK_INT(uac->inv200_samples, 100);
    CHECK_NEAR(uac->inv200_p50_ms, (1048576 + 8191.5) / 1e6, 1e-12);
    CHECK_NEAR(uac->inv200_p95_ms, (2097152 + 16383.5) / 1e6, 1e-12); /* not the cached 99 */
    CHECK_NEAR(uac->inv200_p99_ms, (4194304 + 32767.5) / 1e6, 1e-12);
    CHECK(!f.generator_limited);
    vp_load_figures_free(&f);
}

/* A histogram the generator filled, stored the way store_sip.c stores it:
 * read back, its percentiles are the writer's within the documented error. */
static void test_hist_round_trip(void)
{
    static struct vp_hist h;
    vp_hist_init(&h);
    unsigned x = 12345;
    for (int i = 0; i < 20000; i++) {
        x = x * 1103515245u + 12345u;
        vp_hist_add(&h, 200000 + (x >> 8) % 3000000 + (i % 97 == 0 ? 40000000u : 0));
    }
    sql("INSERT INTO sip_runs (id, kind, finished_at, command, params, target, status, created,"
        " successful, failed_timeout, failed_4xx, failed_5xx, failed_6xx, failed_unexpected,"
        " retransmissions, malformed, abandoned, generator_bottleneck, hist_relative_error)"
        " VALUES (5, 'uac', 'now', 'u', '{}', 't', 'interrupted', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,"
        " 0.0078125)");
    for (unsigned i = 0; i < VP_HIST_BUCKETS; i++) {
        uint64_t lo, hi;
        vp_hist_bucket_bounds(i, &lo, &hi);
        if (h.buckets[i])
            bucket("sip_latency_hist", 5, "inv200", "", lo, h.buckets[i]);
    }
    struct vp_err err = {0};
    struct vp_load_figures f;
    struct vp_load_row r = row("uac", "sip-uac", 5);
    CHECK_INT(vp_load_figures(st, &r, &f, &err), 0);
    const struct vp_load_uac *uac = f.own;
    CHECK(uac != NULL);
    if (uac == NULL)
        return;
    CHECK_STR(f.status, "interrupted");
    CHECK(f.generator_limited);
    CHECK(isnan(uac->failed_pct)); /* no calls */
    CHECK_INT(uac->inv200_samples, 20000);
    const double p[] = {50, 95, 99};
    const double got[] = {uac->inv200_p50_ms, uac->inv200_p95_ms, uac->inv200_p99_ms};
    for (int i = 0; i < 3; i++) {
        double want = vp_hist_percentile(&h, p[i]) / 1e6;
        CHECK_NEAR(got[i], want, want * VP_HIST_REL_ERROR);
    }
    vp_load_figures_free(&f);
}

/* Delay buckets (ns) [65536, +1024) 25, [73728, +1024) 25, [81920, +1024) 45,
 * [2^20, +2^14) 5: q1 rank 25, median 50, q3 75 and p95 95 sit in the first
 * three; p99 in the last, an outlier beyond q3 + 1.5 IQR = 107007.5 ns. */
static void test_rtp(void)
{
    struct vp_err err = {0};
    struct vp_load_figures f;
    struct vp_load_row r = row("rtp", "rtp", 7);
    CHECK_INT(vp_load_figures(st, &r, &f, &err), 0);
    CHECK(f.driver == vp_driver_find("rtp"));
    const struct vp_load_rtp *rtp = f.own;
    CHECK(rtp != NULL);
    if (rtp == NULL)
        return;
    CHECK_STR(f.status, "complete");
    CHECK_INT(rtp->streams, 2);
    CHECK_INT(rtp->sent, 10000);
    CHECK_INT(rtp->received, 9987);
    CHECK_INT(rtp->lost, 13);
    CHECK_NEAR(rtp->loss_pct, 0.13, 1e-12);
    CHECK_INT(rtp->duplicates, 2);
    CHECK_INT(rtp->reordered, 3);
    CHECK_NEAR(rtp->jitter_mean_ms, 1.0, 1e-12);
    CHECK(f.generator_limited);
    CHECK_INT(rtp->delay_samples, 100);
    const struct vp_boxplot *b = &rtp->delay_ms;
    CHECK_NEAR(b->min, 0.065536, 1e-12);
    CHECK_NEAR(b->q1, 0.0660475, 1e-12);
    CHECK_NEAR(b->median, 0.0742395, 1e-12);
    CHECK_NEAR(b->q3, 0.0824315, 1e-12);
    CHECK_NEAR(b->max, (1048576 + 16383) / 1e6, 1e-12);
    CHECK_NEAR(b->whisker_lo, 0.0660475, 1e-12);
    CHECK_NEAR(b->whisker_hi, 0.0824315, 1e-12);
    CHECK_INT(b->outliers_lo, 0);
    CHECK_INT(b->outliers_hi, 5);
    CHECK_INT(b->nout, 1);
    CHECK_NEAR(b->out_value[0], 1.0567675, 1e-12);
    CHECK_NEAR(rtp->delay_p95_ms, 0.0824315, 1e-12);
    CHECK_NEAR(rtp->delay_p99_ms, 1.0567675, 1e-12);
    vp_load_figures_free(&f);
}

/* Batch means: with fewer intervals than VP_RTP_BATCHES each interval is a
 * batch; losses 1, 2, 0, 3 % give 1.5 ± t(0.975, 3) * sd / 2 with
 * sd = sqrt(5/3); the interval without packets planned is no batch. */
static void test_rtp_batches(void)
{
    struct vp_err err = {0};
    struct vp_load_rtp r = {0};
    CHECK_INT(vp_rtp_batches(st, 9, &r, &err), 0);
    CHECK_INT(r.batches, 4);
    CHECK_INT(r.loss_batches.n, 4);
    CHECK_NEAR(r.loss_batches.mean, 1.5, 1e-12);
    CHECK_NEAR(r.loss_batches.ci_half, 3.182446305 * sqrt(5.0 / 3) / 2, 1e-6);
    CHECK_INT(r.median_batches.n, 4);
    CHECK(r.median_batches.min >= 0.065 && r.median_batches.max < 0.083); /* its buckets, in ms */
    CHECK(r.p99_batches.mean >= r.median_batches.mean);
    /* run 7 stored no intervals: no batches, no CI */
    struct vp_load_rtp none = {0};
    CHECK_INT(vp_rtp_batches(st, 7, &none, &err), 0);
    CHECK_INT(none.batches, 0);
}

/* A load that stored no run, or names one no longer there: failed, no figures. */
static void test_failed(void)
{
    struct vp_err err = {0};
    struct vp_load_figures f;
    struct vp_load_row r = row("rtp2", "rtp", 0);
    CHECK_INT(vp_load_figures(st, &r, &f, &err), 0);
    CHECK(f.own == NULL);
    CHECK_STR(f.status, "failed");
    CHECK(!f.generator_limited);
    r = row("gone", "sip-uac", 99);
    CHECK_INT(vp_load_figures(st, &r, &f, &err), 0);
    CHECK(f.own == NULL);
    CHECK_STR(f.status, "missing");
    r = row("gone", "sip-capacity", 99);
    CHECK_INT(vp_load_figures(st, &r, &f, &err), 0);
    CHECK(f.own == NULL);
    CHECK_STR(f.status, "missing");
    r = row("gone", "rtp", 99);
    CHECK_INT(vp_load_figures(st, &r, &f, &err), 0);
    CHECK_STR(f.status, "missing");
    /* an rtp run with nothing sent and no buckets */
    sql("INSERT INTO rtp_runs VALUES (8, 'now', 'r', '{}', 'server_silent', 1, 20, 0, 10, 0, 0,"
        " 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.2, 0, 0, 0.0078125)");
    r = row("rtp", "rtp", 8);
    CHECK_INT(vp_load_figures(st, &r, &f, &err), 0);
    CHECK_STR(f.status, "server_silent");
    const struct vp_load_rtp *rtp = f.own;
    CHECK(rtp != NULL);
    if (rtp) {
        CHECK(isnan(rtp->loss_pct));
        CHECK(isnan(rtp->jitter_mean_ms));
        CHECK(isnan(rtp->delay_p99_ms));
        CHECK_INT(rtp->delay_samples, 0);
    }
    vp_load_figures_free(&f);
    r = row("x", "sctp", 1); /* a driver this build does not know */
    CHECK(vp_load_figures(st, &r, &f, &err) < 0);
    r = row("x", "sctp", 0); /* without a run: failed, as any */
    CHECK_INT(vp_load_figures(st, &r, &f, &err), 0);
    CHECK_STR(f.status, "failed");
}

/* Every driver is whole: what the runner, the reports and experiment files
 * ask of it is there, and its target option is its own and the runner's. */
static void test_drivers(void)
{
    int n = 0;
    for (const struct vp_driver *const *d = vp_drivers; *d; d++, n++) {
        const struct vp_driver *v = *d;
        CHECK(vp_driver_find(v->name) == v);
        CHECK(v->command && v->store_kind && v->generator_note);
        CHECK(v->summarise && v->print && v->json && v->figures_size > 0);
        if (v->serves == NULL) { /* its own test bed: no target, and only it is privileged */
            CHECK(v->target_opt == NULL);
            continue;
        }
        CHECK(!v->privileged);
        CHECK(vp_opt_find(v->options.opts, v->target_opt) != NULL);
        bool reserved = false;
        for (int i = 0; v->reserved && v->reserved[i]; i++)
            reserved |= strcmp(v->reserved[i], v->target_opt) == 0;
        CHECK(reserved);
    }
    CHECK_INT(n, 6);
    CHECK(vp_driver_find("sipp") == NULL);
}

/* Other work on the host during a point: host busy (user, nice, system
 * over the cores) less the profiled targets' usage; threads do not count. */
static void test_other_work(void)
{
    struct vp_err err = {0};
    sql("INSERT INTO profiles (id, command, interval_s, status, started_at)"
        " VALUES (7, 'p', 1, 'complete', 'now')");
    sql("UPDATE experiment_points SET profile_id = 7 WHERE experiment_id = 1 AND point = 0");
    for (int t = 0; t < 2; t++) {
        sql("INSERT INTO profile_samples VALUES (7, %d, 'host/cpu0', 'cpu.user', 0.5)", t);
        sql("INSERT INTO profile_samples VALUES (7, %d, 'host/cpu0', 'cpu.system', 0.2)", t);
        sql("INSERT INTO profile_samples VALUES (7, %d, 'host/cpu0', 'cpu.idle', 0.3)", t);
        sql("INSERT INTO profile_samples VALUES (7, %d, 'host/cpu1', 'cpu.user', 0.9)", t);
        sql("INSERT INTO profile_samples VALUES (7, %d, 'sip', 'cpu.total', %g)", t, 0.6 + 0.2 * t);
        sql("INSERT INTO profile_samples VALUES (7, %d, 'calls.sip', 'cpu.total', 0.3)", t);
        sql("INSERT INTO profile_samples VALUES (7, %d, 'sip/123', 'cpu.total', 0.5)", t);
    }
    /* 1.6 cores busy, 0.7 + 0.3 of them the targets' */
    double other = vp_point_other_work(st, 1, 0, &err);
    CHECK(fabs(other - 0.6) < 1e-9);
    CHECK(other > VP_OTHER_WORK_LIMIT);
    sql("INSERT INTO experiment_points (experiment_id, point, kind, params, series, platform,"
        " instances, cpus_available, status) VALUES (1, 5, 'run', '{}', '{}', 'native', 1, 2,"
        " 'complete')");
    CHECK(isnan(vp_point_other_work(st, 1, 5, &err))); /* no profile */
}

int main(void)
{
    setup();
    RUN(test_rows);
    RUN(test_capacity);
    RUN(test_uac);
    RUN(test_hist_round_trip);
    RUN(test_rtp);
    RUN(test_rtp_batches);
    RUN(test_failed);
    RUN(test_drivers);
    RUN(test_other_work);
    teardown();
    return CHECK_DONE();
}
