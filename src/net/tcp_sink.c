#include "net/tcp_sink.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/signals.h"
#include "net/tcp_pump.h"
#include "net/tcp_sock.h"

#define HELLO_NS  5000000000ull  /* a new connection's preamble and HELLO */
#define SETUP_NS  10000000000ull /* every stream of the run */
#define GRACE_NS  30000000000ull /* past the duration: the generator's STOP, our last bytes */
#define CLOSE_NS  5000000000ull  /* the generator's close after the report */
#define REFUSE_NS 1000000000ull  /* a second generator's preamble and HELLO */

struct vp_tcp_sink {
    int lfd, port;
};

/* One run being served. */
struct srun {
    struct vp_tcp_sink *k;
    struct vp_tcp_sink_run *run;
    struct vp_tcp_ctl ctl;
    struct vp_tcp_hello h;
    uint64_t token;
    int *fds;
    struct vp_tcp_pump *rx, *tx;
    struct vp_tcp_fig *figs;
    uint8_t *body;
    uint32_t samples; /* SAMPLEs sent */
    uint64_t start;
    struct vp_err err;
};

int vp_tcp_sink_open(const struct sockaddr_storage *at, socklen_t len, struct vp_tcp_sink **out,
                     struct vp_err *err)
{
    *out = NULL;
    struct vp_tcp_sink *k = calloc(1, sizeof *k);
    if (k == NULL)
        return vp_run_error(err, ENOMEM, "tcp-sink");
    if ((k->lfd = vp_tcp_listen(at, len, &k->port, err)) < 0) {
        free(k);
        return -EIO;
    }
    *out = k;
    return 0;
}

void vp_tcp_sink_close(struct vp_tcp_sink *k)
{
    if (k == NULL)
        return;
    close(k->lfd);
    free(k);
}

int vp_tcp_sink_port(const struct vp_tcp_sink *k)
{
    return k->port;
}

/* A new connection's preamble: 1 (in *pre), 0 when it sent none in time. */
static int read_preamble(int fd, uint64_t deadline, struct vp_tcp_preamble *pre)
{
    uint8_t p[VP_TCP_PREAMBLE];
    return vp_tcp_read_all(fd, p, sizeof p, deadline) == 0 && vp_tcp_preamble_get(p, pre);
}

/* Say why to a generator's control connection, then close it (its HELLO
 * read first: closing on unread bytes would reset the connection and lose
 * the message). */
static void refuse(struct vp_tcp_ctl *c, const char *why, uint64_t deadline)
{
    uint8_t type;
    const uint8_t *body;
    uint32_t len;
    if (c->len < VP_TCP_FRAME_HEADER || c->taken == 0) /* its HELLO, when not read yet */
        vp_tcp_ctl_recv(c, deadline, &type, &body, &len);
    vp_tcp_ctl_send(c, VP_TCP_ERROR, why, (uint32_t)strlen(why), deadline);
    shutdown(c->fd, SHUT_WR);
    vp_tcp_ctl_free(c);
}

/* A connection while a run is on: another generator is refused, a stray
 * stream closed. */
static void turn_away(struct vp_tcp_sink *k)
{
    int fd = accept4(k->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    struct vp_tcp_preamble pre;
    uint64_t deadline = vp_now_ns() + REFUSE_NS;
    if (read_preamble(fd, deadline, &pre) && pre.magic == VP_TCP_MAGIC_CONTROL) {
        struct vp_tcp_ctl c;
        vp_tcp_ctl_init(&c, fd);
        refuse(&c, "busy: serving another generator's run", deadline);
        return;
    }
    close(fd);
}

static void sample(struct srun *r)
{
    for (int s = 0; s < r->h.streams; s++) {
        struct vp_tcp_fig *f = &r->figs[s];
        memset(f, 0, sizeof *f);
        f->rx_bytes = r->rx ? vp_tcp_pump_bytes(r->rx, s) : 0;
        f->tx_bytes = r->tx ? vp_tcp_pump_bytes(r->tx, s) : 0;
        vp_tcp_info(r->fds[s], f);
    }
}

static int send_sample(struct srun *r)
{
    struct vp_tcp_sample s = {.index = ++r->samples,
                              .elapsed_ns = vp_now_ns() - r->start,
                              .n = r->h.streams,
                              .fig = r->figs};
    sample(r);
    vp_tcp_sample_put(r->body, &s, false);
    int rc = vp_tcp_ctl_send(&r->ctl, VP_TCP_SAMPLE, r->body,
                             (uint32_t)vp_tcp_sample_size(s.n, false), vp_now_ns() + HELLO_NS);
    return rc < 0 ? vp_run_error(&r->err, -rc, "sending a sample") : 0;
}

/* The run's streams: accepted until there are h.streams of its token. */
static int take_streams(struct srun *r)
{
    uint64_t deadline = vp_now_ns() + SETUP_NS;
    int have = 0;
    while (have < r->h.streams) {
        if (vp_interrupted)
            return vp_run_error(&r->err, EINTR, "setting up");
        struct pollfd p[2] = {{r->k->lfd, POLLIN, 0}, {r->ctl.fd, POLLIN, 0}};
        uint64_t now = vp_now_ns();
        if (now >= deadline)
            return vp_run_error(&r->err, 0, "%d of %d streams came in %d s", have, r->h.streams,
                                (int)(SETUP_NS / 1000000000ull));
        if (poll(p, 2, (int)((deadline - now) / 1000000 + 1)) <= 0)
            continue;
        if (p[1].revents) /* nothing is due from it now: it went away */
            return vp_run_error(&r->err, 0, "the generator closed its control connection");
        int fd = accept4(r->k->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct vp_tcp_preamble pre;
        if (fd < 0)
            continue;
        if (!read_preamble(fd, vp_now_ns() + REFUSE_NS, &pre)) {
            close(fd);
        } else if (pre.magic == VP_TCP_MAGIC_CONTROL) {
            struct vp_tcp_ctl c;
            vp_tcp_ctl_init(&c, fd);
            refuse(&c, "busy: serving another generator's run", vp_now_ns() + REFUSE_NS);
        } else if (pre.token != r->token || pre.stream >= r->h.streams || r->fds[pre.stream] >= 0) {
            close(fd); /* another run's, or one too many */
        } else {
            vp_tcp_set_window(fd, r->h.window);
            r->fds[pre.stream] = fd;
            have++;
        }
    }
    return 0;
}

static int start_pumps(struct srun *r)
{
    struct vp_tcp_pump_cfg pc = {r->h.streams, r->fds, r->h.length, false};
    int rc = 0;
    if (r->h.dir & VP_TCP_UP)
        rc = vp_tcp_pump_start(&pc, &r->rx, &r->err);
    pc.send = true;
    if (rc == 0 && (r->h.dir & VP_TCP_DOWN))
        rc = vp_tcp_pump_start(&pc, &r->tx, &r->err);
    return rc;
}

/* Until the generator's STOP: samples on time, others turned away. The
 * intervals the generator sampled, or an error. */
static int until_stop(struct srun *r, uint32_t *intervals)
{
    const uint64_t limit = r->start + r->h.duration_ns + GRACE_NS;
    for (;;) {
        uint8_t type;
        const uint8_t *body;
        uint32_t len;
        int rc;
        while ((rc = vp_tcp_ctl_recv(&r->ctl, 0, &type, &body, &len)) == 1) {
            if (type != VP_TCP_STOP || len != 4)
                return vp_run_error(&r->err, 0, "the generator sent frame type %u mid-run", type);
            *intervals = (uint32_t)body[0] << 24 | (uint32_t)body[1] << 16 |
                         (uint32_t)body[2] << 8 | body[3];
            return 0;
        }
        if (rc == -ECONNRESET)
            return vp_run_error(&r->err, 0, "the generator closed its control connection mid-run");
        if (rc < 0)
            return vp_run_error(&r->err, -rc, "the control connection");
        uint64_t now = vp_now_ns(), next = r->start + (r->samples + 1) * r->h.interval_ns;
        if (vp_interrupted)
            return vp_run_error(&r->err, EINTR, "mid-run");
        if (now >= limit)
            return vp_run_error(&r->err, 0, "no STOP from the generator %d s past the duration",
                                (int)(GRACE_NS / 1000000000ull));
        if (now >= next) {
            if ((rc = send_sample(r)) < 0)
                return rc;
            continue;
        }
        struct pollfd p[2] = {{r->ctl.fd, POLLIN, 0}, {r->k->lfd, POLLIN, 0}};
        if (poll(p, 2, (int)((next - now) / 1000000 + 1)) > 0 && (p[1].revents & POLLIN))
            turn_away(r->k);
    }
}

/* After the STOP: the samples still owed, every received stream to its
 * end, the final figures. */
static int report(struct srun *r, uint32_t intervals)
{
    int rc = 0;
    const int n = r->h.streams;
    if (r->tx)
        vp_tcp_pump_stop(r->tx);
    while (r->samples < intervals && rc == 0)
        rc = send_sample(r);
    if (rc < 0)
        return rc;
    uint64_t deadline = vp_now_ns() + GRACE_NS;
    if (r->rx) {
        struct pollfd p = {vp_tcp_pump_done_fd(r->rx), POLLIN, 0};
        while (!vp_tcp_pump_done(r->rx) && vp_now_ns() < deadline && !vp_interrupted)
            poll(&p, 1, 100);
        if (!vp_tcp_pump_done(r->rx))
            return vp_run_error(&r->err, 0, "the generator's streams did not end");
    }
    uint64_t *rxb = calloc((size_t)n, sizeof *rxb), *txb = calloc((size_t)n, sizeof *txb);
    bool *rxf = calloc((size_t)n, sizeof *rxf), *txf = calloc((size_t)n, sizeof *txf);
    if (rxb == NULL || txb == NULL || rxf == NULL || txf == NULL) {
        rc = vp_run_error(&r->err, ENOMEM, "report");
        goto out;
    }
    struct vp_tcp_pump_stats rs, ts;
    vp_tcp_pump_finish(r->rx, &rs, rxb, rxf);
    vp_tcp_pump_finish(r->tx, &ts, txb, txf);
    r->rx = r->tx = NULL;
    struct vp_tcp_sample s = {.rx_elapsed_ns = rs.last_ns > r->start ? rs.last_ns - r->start : 0,
                              .rx_cpu_ns = rs.cpu_ns,
                              .rx_busy_ns = rs.busy_ns,
                              .tx_cpu_ns = ts.cpu_ns,
                              .tx_busy_ns = ts.busy_ns,
                              .n = n,
                              .fig = r->figs};
    struct vp_tcp_sink_run *run = r->run;
    for (int i = 0; i < n; i++) {
        struct vp_tcp_fig *f = &r->figs[i];
        memset(f, 0, sizeof *f);
        f->rx_bytes = rxb[i];
        f->tx_bytes = txb[i];
        f->flags = rxf[i] || txf[i] ? VP_TCP_FIG_ERROR : 0;
        vp_tcp_info(r->fds[i], f);
        run->rx_bytes += rxb[i];
        run->tx_bytes += txb[i];
    }
    run->rx_elapsed_ns = s.rx_elapsed_ns;
    run->rx_cpu = rs.busy_ns ? (double)rs.cpu_ns / (double)rs.busy_ns : 0;
    run->tx_cpu = ts.busy_ns ? (double)ts.cpu_ns / (double)ts.busy_ns : 0;
    vp_tcp_sample_put(r->body, &s, true);
    rc = vp_tcp_ctl_send(&r->ctl, VP_TCP_REPORT, r->body, (uint32_t)vp_tcp_sample_size(n, true),
                         vp_now_ns() + HELLO_NS);
    if (rc < 0)
        rc = vp_run_error(&r->err, -rc, "sending the report");
    run->elapsed_ns = vp_now_ns() - r->start;
    if (rs.failed || ts.failed)
        rc = vp_run_error(&r->err, rs.failed ? rs.first_errno : ts.first_errno, "%d streams failed",
                          rs.failed + ts.failed);
out:
    free(rxb);
    free(txb);
    free(rxf);
    free(txf);
    return rc;
}

/* The generator closes first once it has the report. */
static void await_close(struct srun *r)
{
    uint8_t type;
    const uint8_t *body;
    uint32_t len;
    uint64_t deadline = vp_now_ns() + CLOSE_NS;
    while (vp_now_ns() < deadline && !vp_interrupted &&
           vp_tcp_ctl_recv(&r->ctl, deadline, &type, &body, &len) >= 0)
        ;
}

/* Serve the run whose control connection is r->ctl. */
static int serve_run(struct srun *r)
{
    uint8_t type;
    const uint8_t *body;
    uint32_t len;
    int rc = vp_tcp_ctl_recv(&r->ctl, vp_now_ns() + HELLO_NS, &type, &body, &len);
    if (rc <= 0 || type != VP_TCP_HELLO || vp_tcp_hello_get(body, len, &r->h) < 0) {
        refuse(&r->ctl, "not a HELLO this sink takes", vp_now_ns() + REFUSE_NS);
        return vp_run_error(&r->err, 0, "a connection without a valid HELLO");
    }
    struct vp_tcp_sink_run *run = r->run;
    run->streams = r->h.streams;
    run->dir = r->h.dir;
    run->length = r->h.length;
    const int n = r->h.streams;
    r->fds = malloc((size_t)n * sizeof *r->fds);
    r->figs = calloc((size_t)n, sizeof *r->figs);
    r->body = malloc(vp_tcp_sample_size(n, true));
    if (r->fds == NULL || r->figs == NULL || r->body == NULL)
        return vp_run_error(&r->err, ENOMEM, "tcp-sink");
    for (int i = 0; i < n; i++)
        r->fds[i] = -1;
    if ((rc = vp_tcp_ctl_send(&r->ctl, VP_TCP_READY, NULL, 0, vp_now_ns() + HELLO_NS)) < 0)
        return vp_run_error(&r->err, -rc, "READY");
    if ((rc = take_streams(r)) < 0)
        return rc;
    r->start = vp_now_ns();
    if ((rc = vp_tcp_ctl_send(&r->ctl, VP_TCP_START, NULL, 0, r->start + HELLO_NS)) < 0)
        return vp_run_error(&r->err, -rc, "START");
    uint32_t intervals = 0;
    if ((rc = start_pumps(r)) < 0 || (rc = until_stop(r, &intervals)) < 0 ||
        (rc = report(r, intervals)) < 0)
        return rc;
    await_close(r);
    return 0;
}

int vp_tcp_sink_serve(struct vp_tcp_sink *k, int timeout_ms, struct vp_tcp_sink_run *run)
{
    memset(run, 0, sizeof *run);
    struct pollfd p = {k->lfd, POLLIN, 0};
    int n = poll(&p, 1, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    if (n == 0)
        return 0;
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    int fd = accept4(k->lfd, (struct sockaddr *)&from, &fl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return errno == EAGAIN || errno == EINTR || errno == ECONNABORTED ? 0 : -errno;
    struct vp_tcp_preamble pre;
    if (!read_preamble(fd, vp_now_ns() + HELLO_NS, &pre) || pre.magic != VP_TCP_MAGIC_CONTROL) {
        close(fd); /* a stray stream or not ours at all: no run */
        return 0;
    }
    struct srun r = {.k = k, .run = run, .token = pre.token};
    vp_tcp_ctl_init(&r.ctl, fd);
    vp_tcp_addr_text(&from, run->peer, sizeof run->peer);
    int rc = serve_run(&r);
    run->ok = rc == 0;
    if (rc < 0)
        snprintf(run->error, sizeof run->error, "%s", r.err.msg);
    struct vp_tcp_pump_stats st;
    if (r.rx)
        vp_tcp_pump_finish(r.rx, &st, NULL, NULL);
    if (r.tx)
        vp_tcp_pump_finish(r.tx, &st, NULL, NULL);
    for (int i = 0; r.fds && i < r.h.streams; i++)
        if (r.fds[i] >= 0)
            close(r.fds[i]);
    if (r.ctl.fd >= 0)
        vp_tcp_ctl_free(&r.ctl);
    free(r.fds);
    free(r.figs);
    free(r.body);
    return 1;
}
