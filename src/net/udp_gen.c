#include "net/udp_gen.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/clock.h"
#include "core/signals.h"
#include "net/udp_engine.h"
#include "net/udp_path.h"
#include "net/udp_report.h"

#define ASK_EVERY_MS   20
#define ASK_TRIES      100       /* 2 s for an answer */
#define DRAIN_QUIET_NS 200000000 /* down: the flow has ended when nothing came for this long */
#define DRAIN_MAX_NS   3000000000ull
#define LATE_LIMIT_NS  1000000 /* a paced sender whose batches leave later is the limit */

/* The generator's side of the control exchanges: the connected socket
 * its data leaves from, where the sink's answers arrive. */
struct control {
    int fd;
    uint64_t token;
    uint64_t sent_ns, answered_ns; /* the last exchange: first request, answer */
};

/* Send req until an answer with flags `want` for (flow, seq) comes back,
 * into ans (VP_UDP_REPLY_MAX bytes): its length, or 0 after `tries`. */
static size_t ask(struct control *c, const uint8_t *req, size_t len, uint8_t want, uint16_t flow,
                  uint64_t seq, uint8_t *ans, int tries)
{
    c->sent_ns = vp_wall_ns();
    for (int i = 0; i < tries; i++) {
        send(c->fd, req, len, 0);
        ssize_t n;
        struct vp_udp_header a;
        while ((n = recv(c->fd, ans, VP_UDP_REPLY_MAX, 0)) > 0)
            if (vp_udp_header_get(ans, (size_t)n, &a) && a.flags == want && a.token == c->token &&
                a.flow == flow && a.seq == seq) {
                c->answered_ns = vp_wall_ns();
                return (size_t)n;
            }
    }
    return 0;
}

/* Whether the answer just received was stamped by a clock that agrees
 * with ours within the exchange's round trip. */
static bool same_clock(const struct control *c, const uint8_t *ans, uint64_t *bound)
{
    struct vp_udp_header a = {0};
    vp_udp_header_get(ans, VP_UDP_HEADER, &a);
    uint64_t rtt = c->answered_ns - c->sent_ns;
    if (rtt > *bound)
        *bound = rtt;
    return a.tx_ns >= c->sent_ns && a.tx_ns <= c->answered_ns;
}

/* The down flow's receiver: a thread polling the engine's socket. */
struct down_rx {
    struct vp_udp_rx *rx;
    struct vp_udp_flow flow;
    bool shared_clock;
    atomic_bool stop;
    atomic_uint_fast64_t last_ns; /* monotonic, of the last datagram */
    atomic_uint_fast64_t counted; /* distinct datagrams, and those too late to tell */
    uint64_t foreign, cpu_ns;
    pthread_t thread;
};

static size_t on_down(void *arg, const struct vp_udp_dgram *d, uint8_t *reply)
{
    struct down_rx *r = arg;
    (void)reply;
    if (d->h.flags == 0 && d->h.flow == VP_UDP_FLOW_DOWN) {
        enum vp_udp_verdict v =
            vp_udp_flow_add(&r->flow, d->h.seq, d->size, d->h.tx_ns, d->rx_ns, r->shared_clock);
        if (v != VP_UDP_DUPLICATE)
            atomic_fetch_add(&r->counted, 1);
        atomic_store_explicit(&r->last_ns, vp_now_ns(), memory_order_relaxed);
    }
    return 0;
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *down_loop(void *arg)
{
    struct down_rx *r = arg;
    uint64_t cpu0 = thread_cpu_ns();
    while (!atomic_load(&r->stop))
        vp_udp_rx_poll(r->rx, 20, on_down, r, &r->foreign);
    r->cpu_ns = thread_cpu_ns() - cpu0;
    return NULL;
}

/* Open the down flow's socket on the address the data leaves from. */
static int down_open(int tx_fd, uint64_t token, struct down_rx *r, uint16_t *port,
                     struct vp_err *err)
{
    struct vp_udp_rx_cfg cfg = {.sockets = 1, .batch = 64, .token = token};
    cfg.at_len = sizeof cfg.at;
    if (getsockname(tx_fd, (struct sockaddr *)&cfg.at, &cfg.at_len) < 0)
        return vp_run_error(err, errno, "udp-gen: its address");
    if (cfg.at.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&cfg.at)->sin6_port = 0;
    else
        ((struct sockaddr_in *)&cfg.at)->sin_port = 0;
    int rc = vp_udp_rx_open(&cfg, &r->rx, err);
    if (rc < 0)
        return rc;
    *port = (uint16_t)vp_udp_rx_port(r->rx);
    return 0;
}

static void tx_figures(struct vp_udp_dir *d, const struct vp_udp_tx_stats *st)
{
    d->sent = st->sent;
    d->planned = st->planned;
    d->refused = st->refused;
    d->calls = st->calls;
    d->cpu_ns = st->cpu_ns;
    d->elapsed_ns = st->elapsed_ns;
    d->late_count = st->late.count;
    d->late_p50_ns = vp_hist_percentile(&st->late, 50);
    d->late_p99_ns = vp_hist_percentile(&st->late, 99);
    d->late_max_ns = st->late.count ? (double)st->late.max : 0;
}

/* Paced: it fell behind its plan or its batches left late; unpaced: it
 * kept its core busy, so the rate is what it could send. */
static bool sender_limited(const struct vp_udp_dir *d, double rate)
{
    if (rate > 0)
        return (double)d->sent < 0.99 * (double)d->planned || d->late_p99_ns > LATE_LIMIT_NS;
    return d->cpu_ns > d->elapsed_ns * 9 / 10;
}

static void receiver_figures(struct vp_udp_dir *d, const struct vp_udp_flow *f)
{
    d->received = f->received;
    d->bytes = f->bytes;
    d->duplicates = f->duplicates;
    d->reordered = f->reordered;
    d->too_late = f->too_late;
    d->jitter_ns = f->jitter_ns;
    d->delay = f->delay;
}

/* Read a flow's pages of `kind` from the sink into d's intervals or its
 * delay buckets. */
static int fetch_pages(struct control *c, uint16_t flow, enum vp_udp_page_kind kind,
                       struct vp_udp_dir *d, uint32_t n, struct vp_err *err)
{
    uint64_t limit = kind == VP_UDP_PAGE_INTERVALS ? n : VP_HIST_BUCKETS;
    for (uint64_t first = 0; first < limit;) {
        uint8_t req[VP_UDP_MIN_SIZE] = {0}, ans[VP_UDP_REPLY_MAX];
        struct vp_udp_header h = {VP_UDP_PAGE, flow, first, vp_wall_ns(), c->token};
        struct vp_udp_page pg;
        vp_udp_page_ask_put(req, &h, kind);
        size_t len =
            ask(c, req, sizeof req, VP_UDP_PAGE | VP_UDP_REPORT, flow, first, ans, ASK_TRIES);
        if (len == 0 || !vp_udp_page_get(ans, len, &pg) || pg.kind != kind || pg.next <= first)
            return vp_run_error(err, 0, "the sink did not answer for its %s of flow %u",
                                kind == VP_UDP_PAGE_INTERVALS ? "intervals" : "delay buckets",
                                flow);
        for (uint32_t i = 0; i < pg.count; i++) {
            if (kind == VP_UDP_PAGE_BUCKETS && pg.bucket[i][0] < VP_HIST_BUCKETS) {
                uint64_t lo, hi, k = pg.bucket[i][0], cnt = pg.bucket[i][1];
                vp_hist_bucket_bounds((unsigned)k, &lo, &hi);
                d->delay.buckets[k] = (uint32_t)cnt;
                d->delay.count += cnt;
                d->delay.sum += (double)cnt * ((double)lo + (double)hi) / 2;
            } else if (kind == VP_UDP_PAGE_INTERVALS && first + i < n) {
                struct vp_udp_ival *iv = &d->iv[first + i];
                uint64_t sent = iv->sent; /* ours (up) or the sink's (down) */
                if (flow == VP_UDP_FLOW_UP) {
                    *iv = pg.iv[i];
                    iv->sent = sent;
                } else {
                    iv->sent = pg.iv[i].sent;
                }
            }
        }
        first = pg.next;
    }
    return 0;
}

/* Up: the sink's figures of what we sent. */
static int up_end(struct control *c, struct vp_udp_gen_result *res, struct vp_err *err)
{
    struct vp_udp_dir *d = &res->dir[0];
    uint8_t fin[VP_UDP_MIN_SIZE] = {0}, ans[VP_UDP_REPLY_MAX];
    struct vp_udp_header h = {VP_UDP_FIN, VP_UDP_FLOW_UP, d->sent, vp_wall_ns(), c->token};
    struct vp_udp_report r;
    vp_udp_header_put(fin, &h);
    size_t len = ask(c, fin, sizeof fin, VP_UDP_REPORT, VP_UDP_FLOW_UP, d->sent, ans, ASK_TRIES);
    if (len != VP_UDP_REPORT_SIZE)
        return vp_run_error(err, 0,
                            "the sink did not report (its FIN unanswered for %d s): loss unknown",
                            ASK_EVERY_MS * ASK_TRIES / 1000);
    res->clocks_shared &= same_clock(c, ans, &res->clock_bound_ns);
    vp_udp_report_get(ans, &r);
    d->received = r.received;
    d->bytes = r.bytes;
    d->duplicates = r.duplicates;
    d->reordered = r.reordered;
    d->too_late = r.too_late;
    d->jitter_ns = (double)r.jitter_ns;
    int rc = fetch_pages(c, VP_UDP_FLOW_UP, VP_UDP_PAGE_INTERVALS, d, res->nintervals, err);
    if (rc == 0 && r.delay_count > 0)
        rc = fetch_pages(c, VP_UDP_FLOW_UP, VP_UDP_PAGE_BUCKETS, d, res->nintervals, err);
    if (d->delay.count) { /* the exact extremes, as the sink saw them */
        d->delay.min = r.delay_min;
        d->delay.max = r.delay_max;
    }
    return rc;
}

/* Down: stop the sink's sender, what it sent; then what is on its way. */
static int down_end(struct control *c, struct down_rx *rx, struct vp_udp_gen_result *res,
                    struct vp_err *err)
{
    struct vp_udp_dir *d = &res->dir[1];
    uint8_t fin[VP_UDP_MIN_SIZE] = {0}, ans[VP_UDP_REPLY_MAX];
    struct vp_udp_tx_report t;
    size_t len = 0;
    /* its sender started after ours: let it end its duration (a second at
     * most), unless this run was cut short; then stop it */
    bool early = res->interrupted || vp_stop_requested;
    for (uint64_t stop = early; stop < 2 && len == 0; stop++) {
        struct vp_udp_header h = {VP_UDP_FIN, VP_UDP_FLOW_DOWN, stop, vp_wall_ns(), c->token};
        vp_udp_header_put(fin, &h);
        len = ask(c, fin, sizeof fin, VP_UDP_REPORT, VP_UDP_FLOW_DOWN, stop, ans,
                  stop ? ASK_TRIES : ASK_TRIES / 2);
    }
    if (len == 0 || !vp_udp_tx_report_get(ans, len, &t))
        return vp_run_error(err, 0,
                            "the sink did not say what it sent down (its FIN unanswered for "
                            "%d s): loss unknown",
                            ASK_EVERY_MS * ASK_TRIES / 1000);
    *d = (struct vp_udp_dir){.on = true,
                             .sent = t.sent,
                             .planned = t.planned,
                             .refused = t.refused,
                             .calls = t.calls,
                             .cpu_ns = t.cpu_ns,
                             .elapsed_ns = t.elapsed_ns,
                             .late_count = t.late_count,
                             .late_p50_ns = (double)t.late_p50,
                             .late_p99_ns = (double)t.late_p99,
                             .late_max_ns = (double)t.late_max,
                             .iv = d->iv};
    int rc = fetch_pages(c, VP_UDP_FLOW_DOWN, VP_UDP_PAGE_INTERVALS, d, res->nintervals, err);
    /* all of it arrived, or nothing more for a while */
    uint64_t until = vp_now_ns() + DRAIN_MAX_NS;
    for (;;) {
        uint64_t last = atomic_load(&rx->last_ns), now = vp_now_ns();
        if (atomic_load(&rx->counted) >= t.sent || now > until || now > last + DRAIN_QUIET_NS)
            break;
        vp_sleep_ns(5000000);
    }
    return rc;
}

/* Tell the sink the plan; the clocks' first check. */
static int start(struct control *c, const struct vp_udp_gen_cfg *cfg, struct vp_udp_gen_result *res,
                 uint16_t down_port, uint64_t epoch, uint64_t *down_epoch, struct vp_err *err)
{
    struct vp_udp_start s = {.interval_ns = cfg->interval_ns,
                             .epoch_ns = epoch,
                             .nintervals = res->nintervals,
                             .directions = cfg->directions,
                             .down_flow = VP_UDP_FLOW_DOWN,
                             .down_port = down_port,
                             .down_size = cfg->size,
                             .down_batch = (uint32_t)cfg->batch,
                             .down_rate = cfg->rate,
                             .down_duration_ns = cfg->duration_ns};
    uint8_t req[VP_UDP_REPLY_MAX], ans[VP_UDP_REPLY_MAX];
    struct vp_udp_header h = {VP_UDP_START, VP_UDP_FLOW_UP, 0, epoch, c->token};
    struct vp_udp_start_ack a;
    size_t len = vp_udp_start_put(req, &h, &s);
    len = ask(c, req, len, VP_UDP_START | VP_UDP_REPORT, VP_UDP_FLOW_UP, 0, ans, ASK_TRIES);
    if (len == 0 || !vp_udp_start_ack_get(ans, len, &a))
        return vp_run_error(err, 0,
                            "no udp-sink answers at the target (its START unanswered "
                            "for %d s)",
                            ASK_EVERY_MS * ASK_TRIES / 1000);
    if (a.error)
        return vp_run_error(err, (int)a.error, "the sink could not take the run");
    res->clocks_shared = same_clock(c, ans, &res->clock_bound_ns);
    *down_epoch = a.down_epoch_ns;
    return 0;
}

static uint64_t process_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

/* Wait out the duration when not sending (down only). */
static void wait_duration(uint64_t ns)
{
    uint64_t end = vp_now_ns() + ns;
    while (!vp_interrupted && !vp_stop_requested && vp_now_ns() < end) {
        uint64_t left = end - vp_now_ns();
        vp_sleep_ns(left < 10000000 ? left : 10000000);
    }
}

int vp_udp_gen_run(const struct vp_udp_gen_cfg *cfg, struct vp_udp_gen_result *res,
                   struct vp_err *err)
{
    memset(res, 0, sizeof *res);
    bool up = cfg->directions & VP_UDP_UP, down = cfg->directions & VP_UDP_DOWN;
    uint64_t n = (cfg->duration_ns + cfg->interval_ns - 1) / cfg->interval_ns;
    if (n > VP_UDP_MAX_INTERVALS)
        return vp_input_error(err,
                              "--duration / --interval: %llu intervals, over %d; raise "
                              "--interval",
                              (unsigned long long)n, VP_UDP_MAX_INTERVALS);
    res->nintervals = (uint32_t)(n ? n : 1);
    for (int i = 0; i < 2; i++) {
        res->dir[i].on = i == 0 ? up : down;
        if (res->dir[i].on &&
            (res->dir[i].iv = calloc(res->nintervals, sizeof *res->dir[i].iv)) == NULL)
            return vp_run_error(err, ENOMEM, "udp-gen");
    }
    uint64_t *up_sent = calloc(res->nintervals, sizeof *up_sent);
    struct down_rx *rx = calloc(1, sizeof *rx);
    struct vp_udp_tx *tx = NULL;
    uint64_t epoch = vp_wall_ns(), down_epoch = 0;
    struct vp_udp_tx_cfg tc = {.to = cfg->to,
                               .to_len = cfg->to_len,
                               .size = cfg->size,
                               .rate = cfg->rate,
                               .batch = cfg->batch,
                               .flow = VP_UDP_FLOW_UP,
                               .token = cfg->token,
                               .epoch_ns = epoch,
                               .interval_ns = cfg->interval_ns,
                               .nintervals = res->nintervals,
                               .interval_sent = up_sent};
    uint16_t down_port = 0;
    bool rx_running = false;
    int rc;
    if (up_sent == NULL || rx == NULL) {
        rc = vp_run_error(err, ENOMEM, "udp-gen");
        goto out;
    }
    if ((rc = vp_udp_tx_open(&tc, &tx, err)) < 0 ||
        (rc = vp_udp_path_check(vp_udp_tx_fd(tx), cfg->size, cfg->rate, &res->mtu, &res->link_mbps,
                                err)) < 0)
        goto out;
    struct control c = {.fd = vp_udp_tx_fd(tx), .token = cfg->token};
    struct timeval tv = {0, ASK_EVERY_MS * 1000};
    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    vp_udp_flow_init(&rx->flow);
    if (down && (rc = down_open(c.fd, cfg->token, rx, &down_port, err)) < 0)
        goto out;
    if ((rc = start(&c, cfg, res, down_port, epoch, &down_epoch, err)) < 0)
        goto out;
    if (down) {
        rx->shared_clock = res->clocks_shared;
        if ((rc = vp_udp_flow_intervals(&rx->flow, down_epoch, cfg->interval_ns, res->nintervals)) <
                0 ||
            (rc = -pthread_create(&rx->thread, NULL, down_loop, rx)) < 0) {
            rc = vp_run_error(err, -rc, "udp-gen: the down flow's receiver");
            goto out;
        }
        rx_running = true;
    }
    uint64_t wall0 = vp_now_ns(), cpu0 = process_cpu_ns();
    if (up) {
        struct vp_udp_tx_stats st;
        if ((rc = vp_udp_tx_run(tx, cfg->duration_ns, &st, err)) < 0)
            goto out;
        tx_figures(&res->dir[0], &st);
    } else {
        wait_duration(cfg->duration_ns);
    }
    res->interrupted = vp_interrupted != 0;
    res->wall_ns = vp_now_ns() - wall0; /* the sending, not the exchanges after it */
    res->cpu_ns = process_cpu_ns() - cpu0;
    for (uint32_t i = 0; up && i < res->nintervals; i++)
        res->dir[0].iv[i].sent = up_sent[i];
    if (up && (rc = up_end(&c, res, err)) < 0)
        goto out;
    if (down && (rc = down_end(&c, rx, res, err)) < 0)
        goto out;
    if (rx_running) {
        atomic_store(&rx->stop, true);
        pthread_join(rx->thread, NULL);
        rx_running = false;
        receiver_figures(&res->dir[1], &rx->flow);
        for (uint32_t i = 0; i < res->nintervals; i++) {
            uint64_t sent = res->dir[1].iv[i].sent;
            res->dir[1].iv[i] = rx->flow.iv[i];
            res->dir[1].iv[i].sent = sent;
        }
    }
    res->receiver_limited = down && rx->cpu_ns > res->wall_ns * 9 / 10;
    res->generator_limited = res->receiver_limited;
    for (int i = 0; i < 2; i++) {
        struct vp_udp_dir *d = &res->dir[i];
        if (!d->on)
            continue;
        d->lost = d->sent > d->received ? d->sent - d->received : 0;
        d->sender_limited = sender_limited(d, cfg->rate);
        res->generator_limited |= d->sender_limited;
        if (res->clocks_shared)
            continue;
        vp_hist_init(&d->delay); /* the two clocks' difference is no delay */
        for (uint32_t k = 0; k < res->nintervals; k++)
            d->iv[k].delay_count = d->iv[k].delay_sum_ns = d->iv[k].delay_max_ns = 0;
    }
out:
    if (rx_running) {
        atomic_store(&rx->stop, true);
        pthread_join(rx->thread, NULL);
    }
    if (rx) {
        vp_udp_rx_close(rx->rx);
        vp_udp_flow_free(&rx->flow);
    }
    free(rx);
    free(up_sent);
    vp_udp_tx_close(tx);
    return rc;
}

void vp_udp_gen_result_free(struct vp_udp_gen_result *res)
{
    for (int i = 0; i < 2; i++) {
        free(res->dir[i].iv);
        res->dir[i].iv = NULL;
    }
}
