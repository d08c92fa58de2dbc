#include "rtp/client.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/signals.h"
#include "rtp/rtp.h"

#define BATCH      256  /* packets per sendmmsg / recvmmsg call */
#define RX_BUF     2048 /* larger than any packet we send: longer ones are foreign */
#define RCVBUF     (8 << 20)
#define START_LAG  20000000ull /* the first slot, after setting up */
#define DRAIN_POLL 2000000ull  /* after the last send, look for replies this often */

struct sock {
    int fd;
    int nout;
    struct mmsghdr out[BATCH];
    struct iovec out_iov[BATCH];
    uint8_t *out_buf; /* BATCH packets */
    uint32_t ovfl;    /* SO_RXQ_OVFL: drops on this socket so far */
};

struct client {
    const struct vp_rtp_client_cfg *cfg;
    int epfd; /* the sockets, to learn in one call which have replies waiting */
    struct vp_rtp_client_result *res;
    struct sock *socks;
    uint64_t start;
    size_t pkt_len;
    uint8_t frame[1500]; /* the G.711 payload template: a 1 kHz tone */
    /* receive side */
    struct mmsghdr in[BATCH];
    struct iovec in_iov[BATCH];
    uint8_t (*in_buf)[RX_BUF];
    uint8_t in_ctl[BATCH][CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(struct timespec))];
    int64_t real_minus_mono; /* to bring kernel receive stamps to CLOCK_MONOTONIC */
};

static int stream_sock(const struct client *c, int i)
{
    /* contiguous blocks: streams due together share a socket, so a burst is one sendmmsg */
    return (int)((int64_t)i * c->cfg->sockets / c->cfg->streams);
}

/* Planned send time of packet k of stream i. */
static uint64_t plan(const struct client *c, int i, uint64_t k)
{
    const struct vp_rtp_client_cfg *cfg = c->cfg;
    uint64_t phase = (uint64_t)i * cfg->ptime_ns / (uint64_t)cfg->streams;
    if (cfg->tick_ns > 0) /* streams share the tick their phase falls in */
        phase -= phase % cfg->tick_ns;
    return c->start + phase + k * cfg->ptime_ns;
}

static int flush(struct client *c, struct sock *s)
{
    int done = 0;
    while (done < s->nout) {
        int n = sendmmsg(s->fd, s->out + done, (unsigned)(s->nout - done), 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            c->res->send_errors += (uint64_t)(s->nout - done); /* counted as sent, lost */
            break;
        }
        done += n;
    }
    s->nout = 0;
    return 0;
}

/* Build the next packet of stream i into its socket's batch. */
static void queue_packet(struct client *c, int i, uint64_t planned, uint64_t now)
{
    struct vp_rtp_stream *st = &c->res->streams[i];
    struct sock *s = &c->socks[stream_sock(c, i)];
    if (s->nout == BATCH)
        flush(c, s);
    uint8_t *p = s->out_buf + (size_t)s->nout * c->pkt_len;
    uint32_t samples = (uint32_t)(c->cfg->ptime_ns * c->cfg->clock_rate / 1000000000ull);
    struct vp_rtp_header h = {.version = 2,
                              .marker = st->next == 0,
                              .payload_type = VP_RTP_PT_PCMU,
                              .seq = (uint16_t)(st->seq0 + st->next),
                              .timestamp = st->ts0 + st->next * samples,
                              .ssrc = st->ssrc};
    vp_rtp_header_encode(&h, p);
    memcpy(p + VP_RTP_HEADER_LEN, c->frame, c->cfg->payload);
    struct vp_rtp_probe pr = {
        .token = c->cfg->token, .stream = (uint32_t)i, .seq = st->next, .sent_ns = now};
    vp_rtp_probe_encode(&pr, p + VP_RTP_HEADER_LEN);
    s->nout++;
    st->next++;
    st->sent++;
    c->res->sent++;
    vp_hist_add(&c->res->lateness, now > planned ? now - planned : 0);
    uint64_t iv = (planned - c->start) / c->cfg->interval_ns;
    if ((int)iv < c->res->nintervals)
        c->res->intervals[iv].sent++;
}

/* One received datagram. */
static void account(struct client *c, const uint8_t *pkt, size_t len, int flags, uint64_t now)
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
    if ((flags & MSG_TRUNC) || len != c->pkt_len) {
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
    res->last_arrival_rel_ns = now - c->start;
    vp_hist_add(&res->delay, delay);
    uint64_t planned = plan(c, (int)pr.stream, pr.seq);
    uint64_t iv = (planned - c->start) / c->cfg->interval_ns;
    if ((int)iv < res->nintervals) {
        res->intervals[iv].received++;
        vp_hist_add(&res->intervals[iv].delay, delay);
    }
}

/* Read everything waiting on socket s. */
static void drain_socket(struct client *c, struct sock *s)
{
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            c->in[i].msg_hdr.msg_controllen = sizeof c->in_ctl[i];
            c->in[i].msg_hdr.msg_flags = 0;
        }
        int n = recvmmsg(s->fd, c->in, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        uint64_t now = vp_now_ns();
        for (int i = 0; i < n; i++) {
            struct msghdr *m = &c->in[i].msg_hdr;
            uint64_t arrival = now;
            for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
                if (cm->cmsg_level != SOL_SOCKET)
                    continue;
                if (cm->cmsg_type == SO_RXQ_OVFL) {
                    memcpy(&s->ovfl, CMSG_DATA(cm), sizeof s->ovfl);
                } else if (cm->cmsg_type == SO_TIMESTAMPNS) {
                    struct timespec ts;
                    memcpy(&ts, CMSG_DATA(cm), sizeof ts);
                    int64_t a = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - c->real_minus_mono;
                    if (a > 0 && (uint64_t)a <= now)
                        arrival = (uint64_t)a;
                }
            }
            account(c, c->in_buf[i], c->in[i].msg_len, m->msg_flags, arrival);
        }
        if (n < BATCH)
            return;
    }
}

static int open_socket(struct client *c, struct sock *s, struct vp_err *err)
{
    const struct vp_rtp_client_cfg *cfg = c->cfg;
    s->fd = socket(cfg->server.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0)
        return vp_run_error(err, errno, "rtp-client: socket");
    int one = 1, size = RCVBUF;
    setsockopt(s->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
    setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
    if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0)
        return vp_run_error(err, errno, "rtp-client: epoll_ctl");
    if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
        setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
        setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    struct sockaddr_storage any;
    memset(&any, 0, sizeof any);
    any.ss_family = cfg->server.ss_family;
    if (bind(s->fd, (struct sockaddr *)&any, cfg->server_len) < 0)
        return vp_run_error(err, errno, "rtp-client: bind");
    s->out_buf = calloc(BATCH, c->pkt_len);
    if (s->out_buf == NULL)
        return vp_run_error(err, ENOMEM, "rtp-client");
    for (int i = 0; i < BATCH; i++) {
        s->out_iov[i] = (struct iovec){s->out_buf + (size_t)i * c->pkt_len, c->pkt_len};
        s->out[i].msg_hdr = (struct msghdr){.msg_name = (void *)&cfg->server,
                                            .msg_namelen = cfg->server_len,
                                            .msg_iov = &s->out_iov[i],
                                            .msg_iovlen = 1};
    }
    return 0;
}

static int setup(struct client *c, struct vp_err *err)
{
    const struct vp_rtp_client_cfg *cfg = c->cfg;
    struct vp_rtp_client_result *res = c->res;
    c->pkt_len = VP_RTP_HEADER_LEN + cfg->payload;
    for (unsigned i = 0; i < cfg->payload && i < sizeof c->frame; i++)
        c->frame[i] = (uint8_t)(0x80 + 0x30 * sin(2 * M_PI * i / 8.0)); /* μ-law codes */
    res->streams = calloc((size_t)cfg->streams, sizeof *res->streams);
    res->nintervals = (int)((cfg->duration_ns + cfg->interval_ns - 1) / cfg->interval_ns);
    res->intervals = calloc((size_t)res->nintervals, sizeof *res->intervals);
    c->socks = calloc((size_t)cfg->sockets, sizeof *c->socks);
    c->in_buf = malloc(BATCH * sizeof *c->in_buf);
    for (int i = 0; c->socks && i < cfg->sockets; i++)
        c->socks[i].fd = -1;
    if (!res->streams || !res->intervals || !c->socks || !c->in_buf)
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
    for (int i = 0; i < BATCH; i++) {
        c->in_iov[i] = (struct iovec){c->in_buf[i], RX_BUF};
        c->in[i].msg_hdr =
            (struct msghdr){.msg_iov = &c->in_iov[i], .msg_iovlen = 1, .msg_control = c->in_ctl[i]};
    }
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (c->epfd < 0)
        return vp_run_error(err, errno, "rtp-client: epoll_create1");
    for (int i = 0; i < cfg->sockets; i++) {
        int rc = open_socket(c, &c->socks[i], err);
        if (rc < 0)
            return rc;
    }
    struct sockaddr_in6 local;
    socklen_t llen = sizeof local;
    if (getsockname(c->socks[0].fd, (struct sockaddr *)&local, &llen) == 0)
        res->local_port0 = ntohs(local.sin6_port); /* sin_port sits at the same offset */
    /* timer slack: the default 50 µs would be most of the lateness budget */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    return 0;
}

/* Read the sockets that have replies waiting (epoll, never blocking). */
static void read_replies(struct client *c)
{
    struct epoll_event evs[64];
    int n = epoll_wait(c->epfd, evs, 64, 0);
    for (int i = 0; i < n; i++)
        drain_socket(c, evs[i].data.ptr);
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

/* Sleep until the absolute CLOCK_MONOTONIC time `when` (or a signal). */
static void sleep_until(uint64_t when)
{
    struct timespec ts = {(time_t)(when / 1000000000ull), (long)(when % 1000000000ull)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static void finish(struct client *c)
{
    struct vp_rtp_client_result *res = c->res;
    for (int i = 0; i < c->cfg->sockets; i++)
        res->rcvbuf_drops += c->socks[i].ovfl;
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
    struct client c = {.cfg = cfg, .res = res, .epfd = -1};
    memset(res, 0, sizeof *res);
    int rc = setup(&c, err);
    if (rc < 0)
        goto out;

    c.real_minus_mono = real_minus_mono();
    uint64_t cpu0 = rusage_ns();
    c.start = vp_now_ns() + START_LAG;
    uint64_t end_send = c.start + cfg->duration_ns, end_all = end_send + cfg->drain_ns;
    int cur = 0; /* the wheel's cursor: the next stream due */
    uint64_t round = 0;
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
        int budget = 4 * BATCH; /* bounded, so replies are read between bursts */
        while (sending && budget-- > 0) {
            uint64_t due = plan(&c, cur, round);
            if (due >= end_send) {
                sending = false;
                break;
            }
            now = vp_now_ns();
            if (due > now)
                break;
            queue_packet(&c, cur, due, now);
            if (++cur == cfg->streams) {
                cur = 0;
                round++;
            }
        }
        for (int i = 0; i < cfg->sockets; i++)
            flush(&c, &c.socks[i]);
        read_replies(&c);
        if ((round & 63) == 0 && cur == 0)
            c.real_minus_mono = real_minus_mono(); /* follows NTP slewing, now and then */
        uint64_t wake = sending ? plan(&c, cur, round) : vp_now_ns() + DRAIN_POLL;
        sleep_until(wake < end_all ? wake : end_all);
    }
    res->wall_ns = vp_now_ns() - c.start;
    res->send_ns = end_send > c.start ? end_send - c.start : 0;
    if (res->stopped) /* the intervals after the stop saw no sending */
        res->nintervals = (int)((res->send_ns + cfg->interval_ns - 1) / cfg->interval_ns);
    res->cpu_ns = rusage_ns() - cpu0;
    finish(&c);
out:
    if (c.socks) {
        for (int i = 0; i < cfg->sockets; i++) {
            if (c.socks[i].fd >= 0)
                close(c.socks[i].fd);
            free(c.socks[i].out_buf);
        }
        free(c.socks);
    }
    free(c.in_buf);
    if (c.epfd >= 0)
        close(c.epfd);
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
