/* The CPU and memory workloads: cpu-pi, cpu-gzip, mem-masr at their small
 * presets, with and without an injected fault. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "check.h"
#include "core/host.h"
#include "core/signals.h"
#include "workload/workload.h"

extern const struct vp_workload vp_wl_cpu_pi, vp_wl_cpu_gzip, vp_wl_mem_masr;

/* Parameters of wl: defaults, then its small preset, then extra ("name=value,..."). */
static void *make_params(const struct vp_workload *wl, const char *extra)
{
    struct vp_err err = {0};
    void *params = calloc(1, wl->params_size);
    CHECK(params != NULL);
    CHECK_INT(vp_opt_defaults(wl->opts, params, &err), 0);
    CHECK_INT(vp_opt_apply_list(wl->opts, params, wl->small_preset, &err), 0);
    if (extra)
        CHECK_INT(vp_opt_apply_list(wl->opts, params, extra, &err), 0);
    return params;
}

/* One setup, round, verify, teardown; returns verify's result, err and
 * metrics filled. Setup and round must succeed. */
static int run_once(const struct vp_workload *wl, const char *extra, bool fault,
                    struct vp_round_ctx *ctx, struct vp_err *err)
{
    void *params = make_params(wl, extra);
    void *state = NULL;
    int rc;

    *err = (struct vp_err){0};
    *ctx = (struct vp_round_ctx){.round = 0, .inject_fault = fault};
    rc = wl->setup(params, &state, err);
    CHECK_INT(rc, 0);
    if (rc == 0) {
        rc = wl->round(state, ctx, err);
        CHECK_INT(rc, 0);
        if (rc == 0)
            rc = wl->verify(state, ctx, err);
    }
    wl->teardown(state);
    free(params);
    return rc;
}

/* A clean run verifies; a faulty one fails verify with a run error. */
static void check_clean_and_faulty(const struct vp_workload *wl, const char *extra)
{
    struct vp_round_ctx ctx;
    struct vp_err err;

    int rc = run_once(wl, extra, false, &ctx, &err);
    CHECK_INT(rc, 0);
    if (rc != 0)
        fprintf(stderr, "  %s: %s\n", wl->name, err.msg);
    for (int i = 0; i < wl->nmetrics; i++)
        CHECK(ctx.metrics[i] > 0);

    rc = run_once(wl, extra, true, &ctx, &err);
    CHECK(rc < 0);
    CHECK_INT(err.kind, VP_ERR_RUN);
    CHECK(err.msg[0] != '\0');
}

static void test_descriptors(void)
{
    const struct vp_workload *const wls[] = {&vp_wl_cpu_pi, &vp_wl_cpu_gzip, &vp_wl_mem_masr};
    for (size_t i = 0; i < sizeof wls / sizeof wls[0]; i++) {
        const struct vp_workload *wl = wls[i];
        CHECK(vp_workload_find(wl->name) == wl);
        CHECK(wl->nmetrics >= 1 && wl->nmetrics <= VP_MAX_METRICS);
        CHECK(wl->setup && wl->round && wl->verify && wl->teardown);
        CHECK(wl->small_preset != NULL);
        wl->teardown(NULL);
        free(make_params(wl, NULL));
    }
    CHECK_STR(vp_wl_cpu_pi.metrics[0].name, "iterations");
    CHECK_STR(vp_wl_cpu_gzip.metrics[2].name, "ratio");
    CHECK_STR(vp_wl_mem_masr.metrics[1].name, "read_rate");
}

static void test_bad_options(void)
{
    struct vp_err err = {0};
    void *params = make_params(&vp_wl_cpu_pi, NULL);
    CHECK(vp_opt_apply_list(vp_wl_cpu_pi.opts, params, "digits=10", &err) < 0);
    CHECK_INT(err.kind, VP_ERR_INPUT);
    free(params);

    err = (struct vp_err){0};
    params = make_params(&vp_wl_cpu_gzip, NULL);
    CHECK(vp_opt_apply_list(vp_wl_cpu_gzip.opts, params, "level=0", &err) < 0);
    CHECK_INT(err.kind, VP_ERR_INPUT);
    free(params);

    err = (struct vp_err){0};
    params = make_params(&vp_wl_mem_masr, NULL);
    CHECK(vp_opt_apply_list(vp_wl_mem_masr.opts, params, "value=256", &err) < 0);
    CHECK_INT(err.kind, VP_ERR_INPUT);
    free(params);
}

static void test_pi(void)
{
    check_clean_and_faulty(&vp_wl_cpu_pi, NULL);
}

static void test_pi_small_digit_counts(void)
{
    struct vp_round_ctx ctx;
    struct vp_err err;
    const char *const sizes[] = {"digits=1000", "digits=1001", "digits=12345"};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int rc = run_once(&vp_wl_cpu_pi, sizes[i], false, &ctx, &err);
        CHECK_INT(rc, 0);
        if (rc != 0)
            fprintf(stderr, "  %s: %s\n", sizes[i], err.msg);
        CHECK(ctx.metrics[0] >= 5 && ctx.metrics[0] <= 20);
    }
    /* the fault lands in the last ten digits, and verify says where */
    CHECK(run_once(&vp_wl_cpu_pi, "digits=1000", true, &ctx, &err) < 0);
    CHECK(strstr(err.msg, "decimal place 989 of 1000") != NULL);
}

static void test_gzip(void)
{
    struct vp_round_ctx ctx;
    struct vp_err err;
    check_clean_and_faulty(&vp_wl_cpu_gzip, NULL);

    CHECK_INT(run_once(&vp_wl_cpu_gzip, "passes=2,level=1", false, &ctx, &err), 0);
    double ratio_fast = ctx.metrics[2];
    CHECK_INT(run_once(&vp_wl_cpu_gzip, NULL, false, &ctx, &err), 0);
    double ratio = ctx.metrics[2];
    fprintf(stderr, "  gzip ratio %.2f (level 6), %.2f (level 1)\n", ratio, ratio_fast);
    CHECK(ratio >= 2.5 && ratio <= 4.5);
    CHECK(ratio_fast > 1.5 && ratio_fast <= ratio);

    CHECK(run_once(&vp_wl_cpu_gzip, NULL, true, &ctx, &err) < 0);
    CHECK(strstr(err.msg, "byte 2097152") != NULL);
}

static void test_masr(void)
{
    struct vp_round_ctx ctx;
    struct vp_err err;
    check_clean_and_faulty(&vp_wl_mem_masr, NULL);
    CHECK(run_once(&vp_wl_mem_masr, NULL, true, &ctx, &err) < 0);
    CHECK(strstr(err.msg, "1 of 8388608 words") != NULL);
    CHECK(strstr(err.msg, "offset 33554432") != NULL);

    /* sizes that are not a multiple of 8, other values */
    CHECK_INT(run_once(&vp_wl_mem_masr, "size=1000003,value=0", false, &ctx, &err), 0);
    CHECK(run_once(&vp_wl_mem_masr, "size=1000003,value=255", true, &ctx, &err) < 0);
    CHECK(strstr(err.msg, "offset 500001") != NULL);
}

static void test_masr_too_big(void)
{
    uint64_t avail = vp_mem_available();
    if (avail == 0) {
        fprintf(stderr, "  skipped: available memory unknown\n");
        return;
    }
    char extra[64];
    snprintf(extra, sizeof extra, "size=%" PRIu64, avail + (UINT64_C(1) << 30));
    void *params = make_params(&vp_wl_mem_masr, extra);
    void *state = NULL;
    struct vp_err err = {0};
    CHECK(vp_wl_mem_masr.setup(params, &state, &err) < 0);
    CHECK_INT(err.kind, VP_ERR_INPUT);
    CHECK(strstr(err.msg, "--size") != NULL);
    CHECK(state == NULL);
    vp_wl_mem_masr.teardown(state);
    free(params);
}

/* An interrupted round stops with -EINTR, a run error. */
static void test_interrupted(void)
{
    const struct vp_workload *const wls[] = {&vp_wl_cpu_pi, &vp_wl_cpu_gzip, &vp_wl_mem_masr};
    for (size_t i = 0; i < sizeof wls / sizeof wls[0]; i++) {
        void *params = make_params(wls[i], NULL);
        void *state = NULL;
        struct vp_err err = {0};
        struct vp_round_ctx ctx = {0};
        CHECK_INT(wls[i]->setup(params, &state, &err), 0);
        vp_interrupted = 1;
        CHECK_INT(wls[i]->round(state, &ctx, &err), -EINTR);
        CHECK_INT(err.kind, VP_ERR_RUN);
        vp_interrupted = 0;
        wls[i]->teardown(state);
        free(params);
    }
}

int main(void)
{
    RUN(test_descriptors);
    RUN(test_bad_options);
    RUN(test_pi);
    RUN(test_pi_small_digit_counts);
    RUN(test_gzip);
    RUN(test_masr);
    RUN(test_masr_too_big);
    RUN(test_interrupted);
    return CHECK_DONE();
}
