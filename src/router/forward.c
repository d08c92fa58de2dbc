#include "router/forward.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/clock.h"
#include "core/signals.h"
#include "net/netns.h"
#include "net/pkt_gen.h"
#include "net/pkt_sink.h"

#define UDP_PORT      9 /* discard */
#define POLL_MS       5
#define DRAIN_QUIET   20  /* ms without a frame: the trial's frames are in */
#define DRAIN_MAX     500 /* ms at most */
#define ECHO_EVERY_NS 1000000
#define ECHO_WAIT_NS  500000000

struct fwd {
    const struct vp_fwd_cfg *cfg;
    struct vp_fwd_result *res;
    struct vp_fwd_topo *topo;
    struct vp_pkt_sink *sink;
    struct vp_pkt_flow flow;
    uint16_t trial;
};

/* The generator's thread: in the tester's namespace, on its CPU. */
struct gen_job {
    const struct vp_fwd_topo *topo;
    struct vp_pkt_flow flow;
    uint64_t duration_ns;
    int cpu;
    struct vp_pkt_gen_stats st;
    struct vp_err err;
    int rc;
    atomic_bool done;
};

static void pin(int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *gen_main(void *arg)
{
    struct gen_job *g = arg;
    int back;
    pin(g->cpu);
    g->rc = vp_netns_enter(g->topo->tester_ns, &back, &g->err);
    if (g->rc == 0) {
        g->rc = vp_pkt_gen_run(&g->flow, g->duration_ns, &g->st, &g->err);
        vp_netns_leave(back);
    }
    atomic_store(&g->done, true);
    return NULL;
}

/* An echo series in its own thread, beside a trial. */
struct echo_job {
    const struct vp_fwd_topo *topo;
    int count;
    struct vp_echo_result *res;
    struct vp_err err;
    int rc;
};

static void *echo_main(void *arg)
{
    struct echo_job *e = arg;
    struct vp_echo_cfg c = {e->topo->echo_target, e->count, ECHO_EVERY_NS, ECHO_WAIT_NS};
    e->rc = vp_echo_run(e->topo->tester_ns, &c, e->res, &e->err);
    return NULL;
}

/* Offer rate for duration_ns (with an echo series beside it when echo is
 * given) and count what came out: t gets the figures. */
static int offer(struct fwd *f, double rate, uint64_t duration_ns, struct echo_job *echo,
                 struct vp_fwd_trial *t, struct vp_err *err)
{
    memset(t, 0, sizeof *t);
    t->rate = rate;
    struct gen_job *g = calloc(1, sizeof *g);
    if (g == NULL)
        return vp_run_error(err, ENOMEM, "forwarding trial");
    g->topo = f->topo;
    g->flow = f->flow;
    g->flow.rate = rate;
    g->flow.trial = ++f->trial;
    g->duration_ns = duration_ns;
    g->cpu = f->cfg->gen_cpu;
    vp_pkt_sink_trial(f->sink, g->flow.trial);
    pthread_t gt, et;
    int rc = -pthread_create(&gt, NULL, gen_main, g);
    if (rc < 0) {
        free(g);
        return vp_run_error(err, -rc, "forwarding trial: generator thread");
    }
    bool echoing = echo && pthread_create(&et, NULL, echo_main, echo) == 0;
    while (!atomic_load(&g->done))
        vp_pkt_sink_poll(f->sink, POLL_MS);
    pthread_join(gt, NULL);
    if (echoing)
        pthread_join(et, NULL);
    vp_pkt_sink_drain(f->sink, DRAIN_QUIET, DRAIN_MAX);
    if ((rc = g->rc) < 0) {
        *err = g->err;
        free(g);
        return rc;
    }
    struct vp_pkt_counts c;
    vp_pkt_sink_counts(f->sink, &c);
    t->sent = g->st.sent;
    t->received = c.received - c.not_forwarded;
    t->not_forwarded = c.not_forwarded;
    t->ring_drops = c.ring_drops;
    t->gen_cpu = g->st.elapsed_ns ? (double)g->st.cpu_ns / (double)g->st.elapsed_ns : 0;
    /* Behind its plan (under 99% of it sent), the generator was refused by
     * the routers' first link (a full receive queue on the far side of a
     * veth is reported back to the sender) — the routers could not take
     * the rate: a fail — or it ran out of CPU: the tester's limit, as is a
     * sink without room. A batch that left late is not judged: it is still
     * one batch, so the rate offered holds (at low rates a nested VM's
     * wake-ups are often a millisecond late). */
    bool behind = (double)g->st.sent < 0.99 * (double)g->st.planned;
    t->pushed_back = behind && g->st.refused > 0;
    t->tester_limit = (behind && !t->pushed_back) || c.ring_drops > 0;
    /* which router forwarded a frame, by its source MAC */
    for (int p = 0; p < c.peers && f->res->per_router; p++)
        for (int i = 0; i < f->topo->cfg.routers; i++)
            if (memcmp(c.peer_mac[p], f->topo->forwarder_mac[i], 6) == 0)
                t->peer_received[i] += c.peer_received[p];
    free(g);
    if (echo && echo->rc < 0) {
        *err = echo->err;
        return echo->rc;
    }
    return vp_interrupted ? -EINTR : 0;
}

/* analysis/search.h's trial. */
static int trial(void *ctx, int repeat, double rate, enum vp_verdict *verdict, struct vp_err *err)
{
    struct fwd *f = ctx;
    struct vp_fwd_result *res = f->res;
    if (res->ntrials == VP_FWD_MAX_TRIALS)
        return vp_run_error(err, 0, "forwarding search: more than %d trials", VP_FWD_MAX_TRIALS);
    struct vp_fwd_trial *t = &res->trials[res->ntrials];
    int rc = offer(f, rate, f->cfg->trial_ns, NULL, t, err);
    if (rc < 0)
        return rc;
    res->ntrials++;
    t->repeat = repeat;
    uint64_t lost = t->sent > t->received ? t->sent - t->received : 0;
    bool pass = t->sent > 0 && (double)lost <= f->cfg->loss_limit * (double)t->sent;
    t->verdict = t->tester_limit           ? VP_TRIAL_REJECTED
                 : pass && !t->pushed_back ? VP_TRIAL_PASS
                                           : VP_TRIAL_FAIL;
    *verdict = t->verdict;
    return 0;
}

/* Echo round trips idle, then while the routers forward at the rate found. */
static int latency(struct fwd *f, struct vp_err *err)
{
    struct vp_fwd_result *res = f->res;
    int n = f->cfg->echoes;
    if (n <= 0)
        return 0;
    struct vp_echo_cfg idle = {f->topo->echo_target, n, ECHO_EVERY_NS, ECHO_WAIT_NS};
    int rc = vp_echo_run(f->topo->tester_ns, &idle, &res->idle, err);
    if (rc < 0 || !(res->search.rate.mean > 0))
        return rc;
    res->loaded_rate = res->search.rate.mean;
    struct echo_job e = {.topo = f->topo, .count = n, .res = &res->loaded};
    struct vp_fwd_trial t;
    return offer(f, res->loaded_rate, (uint64_t)n * ECHO_EVERY_NS + 100000000, &e, &t, err);
}

/* Each router's part of the frames of the highest passing trial. */
static void shares(struct vp_fwd_result *res)
{
    const struct vp_fwd_trial *best = NULL;
    for (int i = 0; i < res->ntrials; i++)
        if (res->trials[i].verdict == VP_TRIAL_PASS && (!best || res->trials[i].rate > best->rate))
            best = &res->trials[i];
    for (int p = 0; best && best->received && p < res->topo.cfg.routers; p++)
        res->share[p] = (double)best->peer_received[p] / (double)best->received;
}

static void make_flow(const struct vp_fwd_cfg *cfg, const struct vp_fwd_topo *t,
                      struct vp_pkt_flow *flow)
{
    memset(flow, 0, sizeof *flow);
    flow->ifindex = t->gen_ifindex;
    memcpy(flow->src_mac, t->gen_mac, 6);
    flow->peers = t->cfg.routers;
    for (int i = 0; i < t->cfg.routers; i++)
        memcpy(flow->dst_mac[i], t->next_mac[i], 6);
    flow->src_ip = htonl(t->gen_ip);
    /* a host in each of the router's /24s; router i's block is 2^25 on */
    flow->dst_base = htonl(t->r[0].block + 1);
    flow->dst_count = cfg->topo.routes;
    flow->dst_stride = 256;
    flow->peer_dst_step = t->cfg.routers > 1 ? t->r[1].block - t->r[0].block : 0;
    flow->udp_port = UDP_PORT;
    flow->frame_len = cfg->frame_len;
    getrandom(&flow->token, sizeof flow->token, 0);
}

int vp_fwd_run(const struct vp_fwd_cfg *cfg, struct vp_fwd_result *res, struct vp_err *err)
{
    memset(res, 0, sizeof *res);
    struct fwd f = {.cfg = cfg, .res = res, .topo = &res->topo};
    int rc = vp_fwd_topo_make(&cfg->topo, &res->topo, err);
    if (rc < 0)
        return rc;
    make_flow(cfg, &res->topo, &f.flow);
    res->frame_len = cfg->frame_len;
    const struct vp_fwd_topo *t = &res->topo;
    res->per_router = t->cfg.routers == 1 || memcmp(t->forwarder_mac[0], t->forwarder_mac[1], 6);
    if ((rc = vp_pkt_flow_check(&f.flow, err)) < 0)
        goto out;
    int back;
    if ((rc = vp_netns_enter(res->topo.sink_ns, &back, err)) < 0)
        goto out;
    rc = vp_pkt_sink_open(res->topo.sink_ifindex, f.flow.token, &f.sink, err);
    vp_netns_leave(back);
    if (rc < 0)
        goto out;
    if ((rc = vp_search_run(&cfg->search, trial, &f, &res->search, err)) == 0)
        rc = latency(&f, err);
    shares(res);
out:
    if (f.sink)
        vp_pkt_sink_close(f.sink);
    vp_fwd_topo_free(&res->topo);
    if (rc == -EINTR && vp_interrupted)
        rc = vp_run_error(err, 0, "forwarding search: interrupted");
    return rc;
}
