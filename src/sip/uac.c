/* The SIP call generator's event loop (see uac.h). */
#include "sip/uac.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/signals.h"
#include "sip/uac_loop.h"

const char *const vp_sip_fail_names[VP_SIP_FAIL_COUNT] = {"timeout", "4xx", "5xx", "6xx",
                                                          "unexpected"};

uint64_t vp_sip_counts_failed(const struct vp_sip_counts *c)
{
    uint64_t n = 0;
    for (int i = 0; i < VP_SIP_FAIL_COUNT; i++)
        n += c->failed[i];
    return n;
}

uint64_t vp_sip_counts_malformed(const struct vp_sip_counts *c)
{
    uint64_t n = 0;
    for (int i = 1; i < VP_SIP_E_COUNT; i++)
        n += c->malformed[i];
    return n;
}

double vp_sip_uac_rate_at(const struct vp_sip_uac_cfg *cfg, uint64_t t)
{
    if (cfg->ramp_max <= 0 || cfg->ramp_interval_ns == 0)
        return cfg->rate;
    double r = cfg->rate + cfg->ramp_step * (double)(t / cfg->ramp_interval_ns);
    return r < cfg->ramp_max ? r : cfg->ramp_max;
}

static void counts_add(struct vp_sip_counts *a, const struct vp_sip_counts *b)
{
    a->created += b->created;
    a->successful += b->successful;
    for (int i = 0; i < VP_SIP_FAIL_COUNT; i++)
        a->failed[i] += b->failed[i];
    for (int i = 0; i < VP_SIP_E_COUNT; i++)
        a->malformed[i] += b->malformed[i];
    a->retransmissions += b->retransmissions;
    a->resp_dups += b->resp_dups;
    a->stray += b->stray;
    a->limited += b->limited;
}

static void *thread_main(void *arg)
{
    struct vp_uac_loop *l = arg;
    l->rc = vp_uac_loop_run(l);
    return NULL;
}

/* Merge the threads' intervals and totals into res. */
static int merge(const struct vp_sip_uac_cfg *cfg, struct vp_uac_loop *loops, int n,
                 struct vp_sip_uac_result *res)
{
    int niv = 0;
    for (int t = 0; t < n; t++)
        if (loops[t].niv_used > niv)
            niv = loops[t].niv_used;
    res->iv = calloc((size_t)(niv ? niv : 1), sizeof *res->iv);
    if (res->iv == NULL)
        return -ENOMEM;
    res->nintervals = niv;
    vp_hist_init(&res->inv100);
    vp_hist_init(&res->inv200);
    vp_hist_init(&res->lateness);
    for (int i = 0; i < niv; i++) {
        vp_hist_init(&res->iv[i].inv100);
        vp_hist_init(&res->iv[i].inv200);
        res->iv[i].planned_rate = vp_sip_uac_rate_at(cfg, (uint64_t)i * cfg->interval_ns);
        if ((uint64_t)i * cfg->interval_ns >= cfg->duration_ns)
            res->iv[i].planned_rate = 0;
    }
    for (int t = 0; t < n; t++) {
        for (int i = 0; i < loops[t].niv_used; i++) {
            counts_add(&res->iv[i].c, &loops[t].iv[i].c);
            vp_hist_merge(&res->iv[i].inv100, &loops[t].iv[i].inv100);
            vp_hist_merge(&res->iv[i].inv200, &loops[t].iv[i].inv200);
        }
        vp_hist_merge(&res->lateness, &loops[t].lateness);
        res->abandoned += loops[t].abandoned;
        res->max_active += loops[t].max_active;
        res->interrupted |= loops[t].interrupted;
    }
    for (int i = 0; i < niv; i++) {
        counts_add(&res->total, &res->iv[i].c);
        vp_hist_merge(&res->inv100, &res->iv[i].inv100);
        vp_hist_merge(&res->inv200, &res->iv[i].inv200);
    }
    return 0;
}

static double rusage_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int vp_sip_uac_run(const struct vp_sip_uac_cfg *in, struct vp_sip_uac_result *res,
                   struct vp_err *err)
{
    int n = in->threads > 0 ? in->threads : 1, rc = 0, started = 0;
    struct vp_sip_uac_cfg c = *in;
    const struct vp_sip_uac_cfg *cfg = &c;
    memset(res, 0, sizeof *res);
    if (c.per_event) {
        c.tick_ns = 0;
    } else if (c.tick_ns == 0) {
        double peak = (c.ramp_max > c.rate ? c.ramp_max : c.rate) / n;
        double t = 10 / peak * 1e9;
        c.tick_ns = t < 5e5 ? 500000 : t > 5e6 ? 5000000 : (uint64_t)t;
    }
    struct vp_uac_loop *loops = calloc((size_t)n, sizeof *loops);
    pthread_t *tids = calloc((size_t)n, sizeof *tids);
    if (loops == NULL || tids == NULL) {
        rc = vp_run_error(err, ENOMEM, "sip-uac");
        goto out;
    }
    uint32_t token;
    if (getrandom(&token, sizeof token, 0) != sizeof token)
        token = (uint32_t)vp_now_ns();
    for (int t = 0; t < n; t++) {
        if ((rc = vp_uac_loop_init(&loops[t], cfg, t, n, token, 0, err)) < 0)
            goto out;
    }
    uint64_t t0 = vp_now_ns() + 5000000; /* all threads share the plan's origin */
    for (int t = 0; t < n; t++)
        loops[t].t0 = t0;
    double cpu0 = rusage_s();
    for (; started < n; started++) {
        if ((rc = pthread_create(&tids[started], NULL, thread_main, &loops[started])) != 0) {
            rc = vp_run_error(err, rc, "sip-uac: thread");
            break;
        }
    }
    for (int t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    if (rc < 0)
        goto out;
    uint64_t t1 = vp_now_ns();
    res->cpu_s = rusage_s() - cpu0;
    res->elapsed_s = t1 > t0 ? (double)(t1 - t0) / 1e9 : 0;
    for (int t = 0; t < n; t++) {
        if (loops[t].rc < 0) {
            *err = loops[t].err;
            rc = loops[t].rc;
            goto out;
        }
    }
    if ((rc = merge(cfg, loops, n, res)) < 0) {
        rc = vp_run_error(err, -rc, "sip-uac");
        goto out;
    }
    res->tick_ns = c.tick_ns;
    res->cpu_fraction = res->elapsed_s > 0 ? res->cpu_s / res->elapsed_s / n : 0;
    /* The generator fell behind its plan or had no CPU to spare: what was
     * measured may be the generator, not the server. */
    res->generator_bottleneck = res->cpu_fraction > 0.9 ||
                                vp_hist_percentile(&res->lateness, 99) > 10e6 ||
                                (double)res->lateness.max > 100e6;
out:
    for (int t = 0; loops && t < n; t++)
        vp_uac_loop_free(&loops[t]);
    free(loops);
    free(tids);
    return rc;
}

void vp_sip_uac_result_free(struct vp_sip_uac_result *res)
{
    free(res->iv);
    res->iv = NULL;
}
