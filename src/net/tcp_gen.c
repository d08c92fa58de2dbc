#include "net/tcp_gen.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/signals.h"
#include "net/tcp_sock.h"

#define SETUP_NS       10000000000ull /* for the sink's READY and START */
#define DRAIN_NS       15000000000ull /* after the end: the sink's report, our last bytes */
#define INTERRUPTED_NS 2000000000ull  /* the same once SIGINT/SIGTERM came */

struct gen {
    const struct vp_tcp_gen_cfg *cfg;
    struct vp_tcp_result *r;
    struct vp_tcp_ctl ctl;
    int *fds;
    struct vp_tcp_pump *tx, *rx;
    bool *have_gen, *have_sink; /* per bound */
    int taken;                  /* interval ends the generator sampled */
    int announced;              /* intervals handed to on_interval */
    bool ended;                 /* the last bound is the end */
    uint64_t start;
    struct vp_tcp_fig *tmp; /* a frame's records */
};

static struct vp_tcp_fig *fig(struct vp_tcp_fig *a, const struct vp_tcp_result *r, int b, int s)
{
    return &a[(size_t)b * (size_t)r->cfg.streams + (size_t)s];
}

/* The generator's own figures at bound b. */
static void sample_own(struct gen *g, int b)
{
    struct vp_tcp_result *r = g->r;
    for (int s = 0; s < r->cfg.streams; s++) {
        struct vp_tcp_fig *f = fig(r->gen, r, b, s);
        memset(f, 0, sizeof *f);
        f->rx_bytes = g->rx ? vp_tcp_pump_bytes(g->rx, s) : 0;
        f->tx_bytes = g->tx ? vp_tcp_pump_bytes(g->tx, s) : 0;
        vp_tcp_info(g->fds[s], f);
    }
    g->have_gen[b] = true;
}

/* Hand out the intervals whose both halves are in, in order. */
static void announce(struct gen *g)
{
    int last = g->ended ? g->taken + 1 : g->taken;
    while (g->announced < last && g->have_gen[g->announced + 1] && g->have_sink[g->announced + 1]) {
        g->announced++;
        g->r->nbounds = g->announced + 1;
        if (g->cfg->on_interval)
            g->cfg->on_interval(g->cfg->arg, g->r, g->announced);
    }
}

/* A frame from the sink during or after the run: 1 when it was the
 * REPORT, 0 for another, or an error. */
static int on_frame(struct gen *g, uint8_t type, const uint8_t *body, uint32_t len,
                    struct vp_err *err)
{
    struct vp_tcp_result *r = g->r;
    struct vp_tcp_sample s = {.n = r->cfg.streams, .fig = g->tmp};
    if (type == VP_TCP_ERROR)
        return vp_run_error(err, 0, "the sink: %.*s", (int)(len < VP_TCP_ERROR_MAX ? len : 0),
                            (const char *)body);
    bool report = type == VP_TCP_REPORT;
    if ((type != VP_TCP_SAMPLE && !report) || vp_tcp_sample_get(body, len, &s, report) < 0)
        return vp_run_error(err, 0, "the sink sent a frame that is not its figures (type %u)",
                            type);
    int b = report ? g->taken + 1 : (int)s.index;
    if (!report && (b < 1 || b > r->cap - 2))
        return 0; /* an interval past our end: the last one takes its bytes */
    if (report && !g->ended)
        return vp_run_error(err, 0, "the sink reported before the end");
    memcpy(fig(r->sink, r, b, 0), s.fig, (size_t)s.n * sizeof *s.fig);
    g->have_sink[b] = true;
    if (report) {
        r->rx_elapsed_ns[0] = s.rx_elapsed_ns;
        r->sink_rx_cpu_ns = s.rx_cpu_ns;
        r->sink_rx_busy_ns = s.rx_busy_ns;
        r->sink_tx_cpu_ns = s.tx_cpu_ns;
        r->sink_tx_busy_ns = s.tx_busy_ns;
    }
    return report;
}

/* Frames until the deadline (1: the REPORT came), or an error. */
static int take_frames(struct gen *g, uint64_t deadline, struct vp_err *err)
{
    for (;;) {
        uint8_t type;
        const uint8_t *body;
        uint32_t len;
        int rc = vp_tcp_ctl_recv(&g->ctl, deadline, &type, &body, &len);
        if (rc == -ECONNRESET)
            return vp_run_error(err, 0, "the sink closed the control connection mid-run");
        if (rc < 0)
            return vp_run_error(err, -rc, "the sink's control connection");
        if (rc == 0)
            return 0;
        if ((rc = on_frame(g, type, body, len, err)) != 0)
            return rc;
        announce(g);
        if (deadline == 0)
            return 0;
    }
}

/* Wait for a frame of type want from the sink (READY, START). */
static int expect(struct gen *g, uint8_t want, const char *what, struct vp_err *err)
{
    uint8_t type;
    const uint8_t *body;
    uint32_t len;
    uint64_t deadline = vp_now_ns() + SETUP_NS;
    int rc;
    while ((rc = vp_tcp_ctl_recv(&g->ctl, deadline, &type, &body, &len)) == 0)
        if (vp_interrupted || vp_now_ns() >= deadline)
            return vp_interrupted ? vp_run_error(err, EINTR, "tcp-gen")
                                  : vp_run_error(err, 0, "the sink did not say %s in %d s", what,
                                                 (int)(SETUP_NS / 1000000000ull));
    if (rc == -ECONNRESET)
        return vp_run_error(err, 0, "the sink closed the control connection before %s", what);
    if (rc < 0)
        return vp_run_error(err, -rc, "the sink's control connection");
    if (type == VP_TCP_ERROR)
        return vp_run_error(err, 0, "the sink refused the run: %.*s",
                            (int)(len < VP_TCP_ERROR_MAX ? len : 0), (const char *)body);
    if (type != want)
        return vp_run_error(err, 0, "the sink sent frame type %u where %s was due", type, what);
    return 0;
}

static int setup(struct gen *g, struct vp_err *err)
{
    const struct vp_tcp_gen_cfg *c = g->cfg;
    uint8_t pre[VP_TCP_PREAMBLE], hello[VP_TCP_HELLO_SIZE];
    struct vp_tcp_preamble p = {VP_TCP_MAGIC_CONTROL, 0, c->token};
    int fd = vp_tcp_connect(&c->to, c->to_len, c->connect_timeout_ns, 0, err);
    if (fd < 0)
        return fd;
    vp_tcp_ctl_init(&g->ctl, fd);
    struct vp_tcp_hello h = {(uint16_t)c->streams, (uint8_t)c->dir, c->length, c->window,
                             c->duration_ns,       c->interval_ns};
    vp_tcp_preamble_put(pre, &p);
    vp_tcp_hello_put(hello, &h);
    uint64_t deadline = vp_now_ns() + SETUP_NS;
    int rc = vp_tcp_write_all(fd, pre, sizeof pre, deadline);
    if (rc == 0)
        rc = vp_tcp_ctl_send(&g->ctl, VP_TCP_HELLO, hello, sizeof hello, deadline);
    if (rc < 0)
        return vp_run_error(err, -rc, "the sink's control connection");
    if ((rc = expect(g, VP_TCP_READY, "READY", err)) < 0)
        return rc;
    deadline = vp_now_ns() + SETUP_NS;
    for (int s = 0; s < c->streams; s++) {
        p = (struct vp_tcp_preamble){VP_TCP_MAGIC_STREAM, (uint16_t)s, c->token};
        if ((g->fds[s] = vp_tcp_connect(&c->to, c->to_len, c->connect_timeout_ns, c->window, err)) <
            0) {
            vp_err_prefix(err, "stream %d", s + 1);
            return g->fds[s];
        }
        vp_tcp_preamble_put(pre, &p);
        if ((rc = vp_tcp_write_all(g->fds[s], pre, sizeof pre, deadline)) < 0)
            return vp_run_error(err, -rc, "stream %d", s + 1);
    }
    return expect(g, VP_TCP_START, "START", err);
}

static int start_pumps(struct gen *g, struct vp_err *err)
{
    const struct vp_tcp_gen_cfg *c = g->cfg;
    struct vp_tcp_pump_cfg pc = {c->streams, g->fds, c->length, true};
    int rc = 0;
    if (c->dir & VP_TCP_UP)
        rc = vp_tcp_pump_start(&pc, &g->tx, err);
    pc.send = false;
    if (rc == 0 && (c->dir & VP_TCP_DOWN))
        rc = vp_tcp_pump_start(&pc, &g->rx, err);
    return rc;
}

/* From the start to the duration's end (or a stop): an interval's end
 * sampled on time, the sink's samples taken as they come. */
static int run_duration(struct gen *g, struct vp_err *err)
{
    const struct vp_tcp_gen_cfg *c = g->cfg;
    const uint64_t end = g->start + c->duration_ns;
    for (;;) {
        uint64_t now = vp_now_ns();
        if (vp_interrupted || vp_stop_requested || now >= end)
            break;
        if (g->taken < g->r->cap - 2 &&
            now >= g->start + (uint64_t)(g->taken + 1) * c->interval_ns) {
            sample_own(g, ++g->taken);
            g->r->t_ns[g->taken] = now - g->start;
            announce(g);
            continue;
        }
        uint64_t next = g->start + (uint64_t)(g->taken + 1) * c->interval_ns;
        int rc = take_frames(g, next < end ? next : end, err);
        if (rc < 0)
            return rc;
        for (int i = 0; i < 2; i++) {
            struct vp_tcp_pump *p = i ? g->rx : g->tx;
            if (p && vp_tcp_pump_done(p))
                return vp_run_error(err, 0,
                                    "the streams ended before the duration: the sink "
                                    "closed them");
        }
    }
    g->r->interrupted = vp_interrupted != 0;
    return 0;
}

/* Stop sending, tell the sink, take its owed samples and its report, read
 * what it sent to the end. */
static int finish(struct gen *g, struct vp_err *err)
{
    struct vp_tcp_result *r = g->r;
    uint64_t stop_at = vp_now_ns();
    r->t_ns[g->taken + 1] = stop_at - g->start;
    if (g->tx)
        vp_tcp_pump_stop(g->tx);
    uint8_t body[4] = {(uint8_t)(g->taken >> 24), (uint8_t)(g->taken >> 16),
                       (uint8_t)(g->taken >> 8), (uint8_t)g->taken};
    g->ended = true;
    uint64_t deadline = stop_at + (r->interrupted ? INTERRUPTED_NS : DRAIN_NS);
    int rc = vp_tcp_ctl_send(&g->ctl, VP_TCP_STOP, body, sizeof body, deadline);
    if (rc < 0)
        return vp_run_error(err, -rc, "the sink's control connection");
    while ((rc = take_frames(g, deadline, err)) == 0)
        if (vp_now_ns() >= deadline)
            return vp_run_error(err, 0, "the sink did not report in %.0f s after the end",
                                (double)(deadline - stop_at) / 1e9);
    if (rc < 0)
        return rc;
    if (g->rx) { /* the sink has stopped sending: what it sent is on its way */
        struct pollfd p = {vp_tcp_pump_done_fd(g->rx), POLLIN, 0};
        while (!vp_tcp_pump_done(g->rx) && vp_now_ns() < deadline)
            poll(&p, 1, 100);
        if (!vp_tcp_pump_done(g->rx))
            return vp_run_error(err, 0, "the sink's streams did not end in %.0f s",
                                (double)(deadline - stop_at) / 1e9);
    }
    return 0;
}

/* The final figures: the workers' own counts, the sockets' TCP_INFO. */
static int final_figures(struct gen *g, struct vp_err *err)
{
    struct vp_tcp_result *r = g->r;
    const int n = r->cfg.streams, b = g->taken + 1;
    uint64_t *txb = calloc((size_t)n, sizeof *txb), *rxb = calloc((size_t)n, sizeof *rxb);
    bool *txf = calloc((size_t)n, sizeof *txf), *rxf = calloc((size_t)n, sizeof *rxf);
    int rc = 0;
    if (txb == NULL || rxb == NULL || txf == NULL || rxf == NULL) {
        rc = vp_run_error(err, ENOMEM, "tcp-gen");
        goto out;
    }
    vp_tcp_pump_finish(g->tx, &r->tx, txb, txf);
    vp_tcp_pump_finish(g->rx, &r->rx, rxb, rxf);
    g->tx = g->rx = NULL;
    if (r->rx.last_ns > g->start)
        r->rx_elapsed_ns[1] = r->rx.last_ns - g->start;
    for (int s = 0; s < n; s++) {
        struct vp_tcp_fig *f = fig(r->gen, r, b, s), *k = fig(r->sink, r, b, s);
        memset(f, 0, sizeof *f);
        f->tx_bytes = txb[s];
        f->rx_bytes = rxb[s];
        vp_tcp_info(g->fds[s], f);
        if (txf[s] || rxf[s] || (k->flags & VP_TCP_FIG_ERROR)) {
            rc = vp_run_error(err, r->tx.first_errno ? r->tx.first_errno : r->rx.first_errno,
                              "stream %d failed%s", s + 1,
                              (k->flags & VP_TCP_FIG_ERROR) ? " at the sink" : "");
            goto out;
        }
        /* TCP delivers all or says why: a difference is a bug, not loss */
        if (f->tx_bytes != k->rx_bytes || k->tx_bytes != f->rx_bytes) {
            rc = vp_run_error(err, 0,
                              "stream %d: bytes sent and received disagree (up %llu/%llu, "
                              "down %llu/%llu)",
                              s + 1, (unsigned long long)f->tx_bytes,
                              (unsigned long long)k->rx_bytes, (unsigned long long)k->tx_bytes,
                              (unsigned long long)f->rx_bytes);
            goto out;
        }
    }
    g->have_gen[b] = true;
    r->end_bound = b;
    announce(g);
out:
    free(txb);
    free(rxb);
    free(txf);
    free(rxf);
    return rc;
}

int vp_tcp_gen_run(const struct vp_tcp_gen_cfg *cfg, struct vp_tcp_result *r, struct vp_err *err)
{
    memset(r, 0, sizeof *r);
    r->cfg = *cfg;
    struct gen g = {.cfg = &r->cfg, .r = r, .ctl = {.fd = -1}};
    const int n = cfg->streams;
    if (n < 1 || n > VP_TCP_STREAMS_MAX)
        return vp_input_error(err, "streams %d: not in 1..%d", n, VP_TCP_STREAMS_MAX);
    if (cfg->dir < VP_TCP_UP || cfg->dir > VP_TCP_BOTH || cfg->length == 0 ||
        cfg->interval_ns < 1000000 || cfg->duration_ns == 0)
        return vp_input_error(err, "tcp-gen: direction, length, interval or duration out of range");
    /* interval ends strictly before the duration's, the start and the end */
    r->cap = (int)((cfg->duration_ns - 1) / cfg->interval_ns) + 2;
    r->t_ns = calloc((size_t)r->cap, sizeof *r->t_ns);
    r->gen = calloc((size_t)r->cap * (size_t)n, sizeof *r->gen);
    r->sink = calloc((size_t)r->cap * (size_t)n, sizeof *r->sink);
    g.have_gen = calloc((size_t)r->cap, sizeof *g.have_gen);
    g.have_sink = calloc((size_t)r->cap, sizeof *g.have_sink);
    g.tmp = calloc((size_t)n, sizeof *g.tmp);
    g.fds = malloc((size_t)n * sizeof *g.fds);
    int rc = 0;
    if (!r->t_ns || !r->gen || !r->sink || !g.have_gen || !g.have_sink || !g.tmp || !g.fds) {
        rc = vp_run_error(err, ENOMEM, "tcp-gen");
        goto out;
    }
    for (int s = 0; s < n; s++)
        g.fds[s] = -1;
    g.have_gen[0] = g.have_sink[0] = true;
    r->nbounds = 1;
    if ((rc = setup(&g, err)) < 0)
        goto out;
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
        r->cpus = CPU_COUNT(&allowed);
    const uint64_t cpu0 = vp_cpu_self_ns();
    g.start = vp_now_ns();
    if ((rc = start_pumps(&g, err)) == 0 && (rc = run_duration(&g, err)) == 0 &&
        (rc = finish(&g, err)) == 0)
        rc = final_figures(&g, err);
    r->cpu_ns = vp_cpu_self_ns() - cpu0;
    r->wall_ns = vp_now_ns() - g.start;
out:
    if (g.tx)
        vp_tcp_pump_finish(g.tx, &r->tx, NULL, NULL);
    if (g.rx)
        vp_tcp_pump_finish(g.rx, &r->rx, NULL, NULL);
    for (int s = 0; g.fds && s < n; s++)
        if (g.fds[s] >= 0)
            close(g.fds[s]);
    vp_tcp_ctl_free(&g.ctl);
    free(g.fds);
    free(g.tmp);
    free(g.have_gen);
    free(g.have_sink);
    return rc;
}

void vp_tcp_result_free(struct vp_tcp_result *r)
{
    free(r->t_ns);
    free(r->gen);
    free(r->sink);
    r->t_ns = NULL;
    r->gen = r->sink = NULL;
}

int vp_tcp_intervals(const struct vp_tcp_result *r)
{
    return r->nbounds - 1;
}

double vp_tcp_interval_start(const struct vp_tcp_result *r, int k)
{
    return (double)r->t_ns[k - 1] / 1e9;
}

void vp_tcp_span_of(const struct vp_tcp_result *r, int k, int s, int dir, struct vp_tcp_span *out)
{
    memset(out, 0, sizeof *out);
    const int last = r->nbounds - 1;
    const int b0 = k == 0 ? 0 : k - 1, b1 = k == 0 ? last : k;
    const bool up = dir == VP_TCP_UP;
    struct vp_tcp_fig *rx = up ? r->sink : r->gen, *tx = up ? r->gen : r->sink;
    int lo = s < 0 ? 0 : s, hi = s < 0 ? r->cfg.streams : s + 1;
    for (int i = lo; i < hi; i++) {
        const struct vp_tcp_fig *a = fig(rx, r, b0, i), *z = fig(rx, r, b1, i);
        const struct vp_tcp_fig *ta = fig(tx, r, b0, i), *tz = fig(tx, r, b1, i);
        out->received += z->rx_bytes - a->rx_bytes;
        out->sent += tz->tx_bytes - ta->tx_bytes;
        out->retrans += tz->retrans - ta->retrans;
        out->rtt_ms += tz->rtt_us / 1e3;
        out->rttvar_ms += tz->rttvar_us / 1e3;
        out->cwnd += tz->cwnd;
        out->snd_mss += tz->snd_mss;
    }
    double m = hi - lo;
    out->rtt_ms /= m;
    out->rttvar_ms /= m;
    out->cwnd /= m;
    out->snd_mss /= m;
    /* the end: the receiver's last byte, not the generator's clock */
    uint64_t t1 = b1 == r->end_bound && r->rx_elapsed_ns[up ? 0 : 1] > 0
                      ? r->rx_elapsed_ns[up ? 0 : 1]
                      : r->t_ns[b1];
    out->seconds = t1 > r->t_ns[b0] ? (double)(t1 - r->t_ns[b0]) / 1e9 : 0;
    out->bits_per_second = out->seconds > 0 ? (double)out->received * 8 / out->seconds : NAN;
}

bool vp_tcp_generator_limited(const struct vp_tcp_result *r)
{
    /* a thread at 90% of a core, or the process at 90% of the cores it may
     * run on */
    if (r->tx.max_thread >= 0.9 || r->rx.max_thread >= 0.9)
        return true;
    return r->cpus > 0 && r->wall_ns > 0 && (double)r->cpu_ns >= 0.9 * r->cpus * (double)r->wall_ns;
}
