#include "rtp/client.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/signals.h"
#include "net/udp_engine.h"
#include "net/pace.h"
#include "rtp/rtp.h"

#define TX_BATCH    VP_UDP_BATCH_MAX /* packets queued per socket before a send */
#define RX_BATCH    64               /* messages per recvmmsg (a GRO one holds many packets) */
#define RCVBUF      (8 << 20)
#define START_LAG   20000000ull /* the first slot, after setting up */
#define DRAIN_POLL  2000000ull  /* after the last send, look for replies this often */
#define READ_MARGIN 20000ull    /* stop reading replies this long before the next send */

struct client {
    const struct vp_rtp_client_cfg *cfg;
    struct vp_rtp_client_result *res;
    struct vp_udp_rx *rx;    /* the sockets: streams send from them, replies come back */
    struct vp_udp_txq **txq; /* one per socket */
    struct vp_pace_wheel wheel;
    size_t pkt_len;
    uint32_t samples;        /* RTP timestamp units per packet */
    uint8_t frame[1500];     /* the G.711 payload template: a 1 kHz tone */
    int64_t real_minus_mono; /* to bring kernel receive stamps to CLOCK_MONOTONIC */
    uint64_t read_until;     /* replies are read until then */
};

static int stream_sock(const struct client *c, int i)
{
    /* contiguous blocks: streams due together share a socket, so a burst is one sendmmsg */
    return (int)((int64_t)i * c->cfg->sockets / c->cfg->streams);
}

/* Send what the sockets' queues hold. */
static void flush(struct client *c)
{
    for (int i = 0; i < c->cfg->sockets; i++)
        if (vp_udp_txq_count(c->txq[i]) > 0)
            vp_udp_txq_flush(c->txq[i]);
}

/* Build the next packet of stream i into its socket's queue. */
static void queue_packet(struct client *c, int i, uint64_t planned, uint64_t now)
{
    struct vp_rtp_stream *st = &c->res->streams[i];
    struct vp_udp_txq *q = c->txq[stream_sock(c, i)];
    uint8_t *p = vp_udp_txq_slot(q);
    struct vp_rtp_header h = {.version = 2,
                              .marker = st->next == 0,
                              .payload_type = VP_RTP_PT_PCMU,
                              .seq = (uint16_t)(st->seq0 + st->next),
                              .timestamp = st->ts0 + st->next * c->samples,
                              .ssrc = st->ssrc};
    vp_rtp_header_encode(&h, p);
    memcpy(p + VP_RTP_HEADER_LEN, c->frame, c->cfg->payload);
    struct vp_rtp_probe pr = {
        .token = c->cfg->token, .stream = (uint32_t)i, .seq = st->next, .sent_ns = now};
    vp_rtp_probe_encode(&pr, p + VP_RTP_HEADER_LEN);
    vp_udp_txq_push(q, (uint32_t)c->pkt_len, NULL, 0);
    st->next++;
    st->sent++;
    c->res->sent++;
    vp_hist_add(&c->res->lateness, now > planned ? now - planned : 0);
    uint64_t iv = (planned - c->wheel.start) / c->cfg->interval_ns;
    if ((int)iv < c->res->nintervals)
        c->res->intervals[iv].sent++;
}

/* One received datagram. */
static void account(struct client *c, const uint8_t *pkt, size_t len, bool truncated, uint64_t now)
{
    struct vp_rtp_client_result *res = c->res;
    struct vp_rtp_header h;
    size_t off, plen;
    struct vp_rtp_probe pr;
    if (vp_rtp_header_decode(pkt, len, &h, &off, &plen) < 0) {
        if (len < VP_RTP_HEADER_LEN && len > 0 && pkt[0] >> 6 == 2)
            res->rejects.truncated++;
        else
            res->rejects.not_rtp++;
        return;
    }
    if (vp_rtp_probe_decode(pkt + off, plen, &pr) < 0) {
        if (plen < VP_RTP_PROBE_LEN)
            res->rejects.truncated++;
        else
            res->rejects.not_rtp++;
        return;
    }
    if (pr.token != c->cfg->token) {
        res->rejects.foreign_token++;
        return;
    }
    if (pr.stream >= (uint32_t)c->cfg->streams || h.ssrc != res->streams[pr.stream].ssrc) {
        res->rejects.foreign_ssrc++;
        return;
    }
    if (truncated || len != c->pkt_len) {
        res->rejects.truncated++;
        return;
    }
    struct vp_rtp_stream *st = &res->streams[pr.stream];
    if (pr.seq >= st->next) { /* claims a packet not sent yet */
        res->rejects.foreign_ssrc++;
        return;
    }
    uint64_t delay = now > pr.sent_ns ? now - pr.sent_ns : 0;
    enum vp_rtp_verdict v = vp_rtp_stream_stats_add(&st->rx, now, h.seq, h.timestamp, pr.seq, delay,
                                                    c->cfg->clock_rate);
    if (v == VP_RTP_REJECTED) {
        res->rejects.out_of_range_seq++;
        return;
    }
    if (v == VP_RTP_DUPLICATE) {
        res->duplicates++;
        return;
    }
    if (v == VP_RTP_REORDERED)
        res->reordered++;
    res->received++;
    res->last_arrival_rel_ns = now - c->wheel.start;
    vp_hist_add(&res->delay, delay);
    uint64_t planned = vp_pace_wheel_due(&c->wheel, (int)pr.stream, pr.seq);
    uint64_t iv = (planned - c->wheel.start) / c->cfg->interval_ns;
    if ((int)iv < res->nintervals) {
        res->intervals[iv].received++;
        vp_hist_add(&res->intervals[iv].delay, delay);
    }
}

/* A reply: its arrival is the kernel's receive stamp, brought to
 * CLOCK_MONOTONIC (or now, when the stamp cannot be right). */
static void on_reply(void *arg, struct vp_udp_pkt *p)
{
    struct client *c = arg;
    uint64_t now = vp_now_ns(), arrival = now;
    int64_t a = (int64_t)p->rx_ns - c->real_minus_mono;
    if (a > 0 && (uint64_t)a <= now)
        arrival = (uint64_t)a;
    account(c, p->data, p->kept, p->kept < p->size, arrival);
}

static int setup(struct client *c, struct vp_err *err)
{
    const struct vp_rtp_client_cfg *cfg = c->cfg;
    struct vp_rtp_client_result *res = c->res;
    c->pkt_len = VP_RTP_HEADER_LEN + cfg->payload;
    c->samples = (uint32_t)(cfg->ptime_ns * cfg->clock_rate / 1000000000ull);
    for (unsigned i = 0; i < cfg->payload && i < sizeof c->frame; i++)
        c->frame[i] = (uint8_t)(0x80 + 0x30 * sin(2 * M_PI * i / 8.0)); /* μ-law codes */
    res->streams = calloc((size_t)cfg->streams, sizeof *res->streams);
    res->nintervals = (int)((cfg->duration_ns + cfg->interval_ns - 1) / cfg->interval_ns);
    res->intervals = calloc((size_t)res->nintervals, sizeof *res->intervals);
    c->txq = calloc((size_t)cfg->sockets, sizeof *c->txq);
    if (!res->streams || !res->intervals || !c->txq)
        return vp_run_error(err, ENOMEM, "rtp-client");
    vp_hist_init(&res->delay);
    vp_hist_init(&res->lateness);
    for (int i = 0; i < res->nintervals; i++)
        vp_hist_init(&res->intervals[i].delay);
    for (int i = 0; i < cfg->streams; i++) {
        struct vp_rtp_stream *st = &res->streams[i];
        st->ssrc = vp_rtp_stream_ssrc(cfg->token, (uint32_t)i);
        /* random-looking initial values (RFC 3550 §5.1), so wraps happen in real runs */
        st->seq0 = (uint16_t)(st->ssrc * 2654435761u >> 16);
        st->ts0 = st->ssrc * 40503u;
        vp_rtp_stream_stats_init(&st->rx);
    }
    /* the sockets: each on a port of its own (the streams' source ports) */
    struct vp_udp_rx_cfg rc = {.at_len = cfg->server_len,
                               .sockets = cfg->sockets,
                               .batch = RX_BATCH,
                               .own_ports = true,
                               .gro = cfg->gso,
                               .rcvbuf = RCVBUF,
                               .sndbuf = RCVBUF};
    rc.at.ss_family = cfg->server.ss_family;
    int rcode = vp_udp_rx_open(&rc, &c->rx, err);
    if (rcode < 0) {
        vp_err_prefix(err, "rtp-client");
        return rcode;
    }
    for (int i = 0; i < cfg->sockets; i++) {
        struct vp_udp_txq_cfg qc = {.fd = vp_udp_rx_fd(c->rx, i),
                                    .cap = TX_BATCH,
                                    .slot = (uint32_t)c->pkt_len,
                                    .gso = cfg->gso,
                                    .to = (const struct sockaddr *)&cfg->server,
                                    .to_len = cfg->server_len};
        if ((rcode = vp_udp_txq_open(&qc, &c->txq[i], err)) < 0) {
            vp_err_prefix(err, "rtp-client");
            return rcode;
        }
    }
    res->local_port0 = (uint16_t)vp_udp_rx_sock_port(c->rx, 0);
    /* timer slack: the default 50 µs would be most of the lateness budget */
    vp_pace_slack(1);
    return 0;
}

/* Replies wait in their sockets, stamped, when a deadline nears: read
 * them when the sending leaves time. */
static bool replies_until(void *arg, int sock)
{
    (void)sock;
    struct client *c = arg;
    return vp_now_ns() + READ_MARGIN < c->read_until;
}

/* Read the sockets that have replies waiting (never blocking), until
 * `until`. */
static void read_replies(struct client *c, uint64_t until)
{
    static const struct vp_udp_rx_ops ops = {on_reply, replies_until};
    c->read_until = until;
    vp_udp_rx_poll_raw(c->rx, 0, &ops, c);
}

/* CLOCK_REALTIME − CLOCK_MONOTONIC, read between two monotonic readings. */
static int64_t real_minus_mono(void)
{
    struct timespec r;
    uint64_t m0 = vp_now_ns();
    clock_gettime(CLOCK_REALTIME, &r);
    uint64_t m1 = vp_now_ns();
    return (int64_t)r.tv_sec * 1000000000 + r.tv_nsec - (int64_t)(m0 + (m1 - m0) / 2);
}

static void finish(struct client *c)
{
    struct vp_rtp_client_result *res = c->res;
    res->rcvbuf_drops = vp_udp_rx_drops(c->rx);
    for (int i = 0; i < c->cfg->sockets; i++)
        res->send_errors += vp_udp_txq_stats(c->txq[i])->dropped; /* counted as sent, lost */
    res->silent_from = -1;
    for (int i = res->nintervals; i-- > 0;) {
        if (res->intervals[i].received > 0 || res->intervals[i].sent == 0)
            break;
        res->silent_from = i;
    }
    double p99 = vp_hist_percentile(&res->lateness, 99);
    res->generator_late = p99 > VP_RTP_LATE_P99_NS ||
                          (double)res->cpu_ns > VP_RTP_LATE_CPU_FRAC * (double)res->wall_ns;
}

static uint64_t rusage_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

int vp_rtp_client_run(const struct vp_rtp_client_cfg *cfg, struct vp_rtp_client_result *res,
                      struct vp_err *err)
{
    struct client c = {.cfg = cfg, .res = res};
    memset(res, 0, sizeof *res);
    int rc = setup(&c, err);
    if (rc < 0)
        goto out;

    c.real_minus_mono = real_minus_mono();
    uint64_t cpu0 = rusage_ns();
    const uint64_t start = vp_now_ns() + START_LAG;
    vp_pace_wheel_init(&c.wheel, start, cfg->ptime_ns, cfg->tick_ns, cfg->streams);
    uint64_t end_send = start + cfg->duration_ns, end_all = end_send + cfg->drain_ns;
    bool sending = true;
    for (;;) {
        if (vp_interrupted) {
            res->interrupted = true;
            break;
        }
        uint64_t now = vp_now_ns();
        if (vp_stop_requested && now < end_send) {
            end_send = now; /* the experiment runner's stop: its other loads ended */
            end_all = now + cfg->drain_ns;
            res->stopped = true;
        }
        if (now >= end_all)
            break;
        int budget = 4 * TX_BATCH; /* bounded, so replies are read between bursts */
        while (sending && budget-- > 0) {
            uint64_t due = vp_pace_wheel_next(&c.wheel);
            if (due >= end_send) {
                sending = false;
                break;
            }
            now = vp_now_ns();
            if (due > now)
                break;
            queue_packet(&c, c.wheel.cur, due, now);
            vp_pace_wheel_advance(&c.wheel);
        }
        flush(&c);
        read_replies(&c, sending ? vp_pace_wheel_next(&c.wheel) : end_all);
        if ((c.wheel.round & 63) == 0 && c.wheel.cur == 0)
            c.real_minus_mono = real_minus_mono(); /* follows NTP slewing, now and then */
        uint64_t wake = sending ? vp_pace_wheel_next(&c.wheel) : vp_now_ns() + DRAIN_POLL;
        vp_pace_sleep_until(wake < end_all ? wake : end_all);
    }
    res->wall_ns = vp_now_ns() - start;
    res->send_ns = end_send > start ? end_send - start : 0;
    if (res->stopped) /* the intervals after the stop saw no sending */
        res->nintervals = (int)((res->send_ns + cfg->interval_ns - 1) / cfg->interval_ns);
    res->cpu_ns = rusage_ns() - cpu0;
    finish(&c);
out:
    for (int i = 0; c.txq && i < cfg->sockets; i++)
        vp_udp_txq_close(c.txq[i]);
    free(c.txq);
    vp_udp_rx_close(c.rx);
    if (rc < 0)
        vp_rtp_client_result_free(res);
    return rc;
}

void vp_rtp_client_result_free(struct vp_rtp_client_result *res)
{
    free(res->streams);
    free(res->intervals);
    res->streams = NULL;
    res->intervals = NULL;
}
