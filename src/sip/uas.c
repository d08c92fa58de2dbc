/* The signaling-server appliance's workers (see uas.h). */
#include "sip/uas.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/signals.h"
#include "sip/uas_calls.h"

#define BATCH   64
#define MSG_MAX 4096
#define TICK_NS 5000000ull

struct worker {
    const struct vp_sip_uas_cfg *cfg;
    int index, sock, tfd, ep, disk_fd;
    struct vp_sip_uas_calls *calls;
    struct vp_sip_uas_io io;
    struct mmsghdr smsg[BATCH], rmsg[BATCH];
    struct iovec siov[BATCH], riov[BATCH];
    struct sockaddr_storage saddr[BATCH], raddr[BATCH];
    char sbuf[BATCH][MSG_MAX], rbuf[BATCH][MSG_MAX];
    int nsend, rc;
    struct vp_err err;
};

struct vp_sip_uas {
    struct vp_sip_uas_cfg cfg;
    int nworkers, disk_fd;
    unsigned port;
    struct worker **w;
};

static void flush(struct worker *w)
{
    int off = 0;
    while (off < w->nsend) {
        int n = sendmmsg(w->sock, w->smsg + off, (unsigned)(w->nsend - off), 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            off++;
            continue;
        }
        off += n;
    }
    w->nsend = 0;
}

static void send_to(void *ctx, const struct sockaddr *to, socklen_t tolen, const char *msg,
                    size_t len)
{
    struct worker *w = ctx;
    if (len > MSG_MAX || tolen > sizeof w->saddr[0])
        return;
    if (w->nsend == BATCH)
        flush(w);
    int i = w->nsend++;
    memcpy(w->sbuf[i], msg, len);
    w->siov[i].iov_len = len;
    memcpy(&w->saddr[i], to, tolen);
    w->smsg[i].msg_hdr.msg_namelen = tolen;
}

static void receive(struct worker *w)
{
    for (int round = 0; round < 16; round++) {
        for (int i = 0; i < BATCH; i++) {
            w->riov[i].iov_len = MSG_MAX;
            w->rmsg[i].msg_hdr.msg_namelen = sizeof w->raddr[i];
        }
        int n = recvmmsg(w->sock, w->rmsg, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        uint64_t now = vp_now_ns();
        for (int i = 0; i < n; i++)
            vp_sip_uas_calls_input(w->calls, w->rbuf[i], w->rmsg[i].msg_len,
                                   (const struct sockaddr *)&w->raddr[i],
                                   w->rmsg[i].msg_hdr.msg_namelen, now);
        if (n < BATCH)
            return;
    }
}

/* CPU work: spin until this thread has used ns of CPU time. */
static void burn(uint64_t ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    uint64_t end = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + ns;
    volatile uint64_t x = 88172645463325252ull;
    for (;;) {
        for (int i = 0; i < 64; i++)
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        if ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec >= end)
            return;
    }
}

/* Take the oldest queued call: 180, the work, the call record, 200. */
static void serve_one(struct worker *w)
{
    struct vp_sip_str cid;
    if (!vp_sip_uas_calls_begin(w->calls, &cid))
        return;
    flush(w); /* the 180 before the work */
    if (w->cfg->work_ns)
        burn(w->cfg->work_ns);
    if (w->disk_fd >= 0) {
        char line[1200];
        int n = snprintf(line, sizeof line, "%lu %.*s\n", (unsigned long)vp_wall_ns(), (int)cid.len,
                         cid.p);
        if (write(w->disk_fd, line, (size_t)n) != n || (w->cfg->fsync && fsync(w->disk_fd) < 0))
            vp_sip_uas_calls_stats(w->calls)->disk_errors++;
    }
    vp_sip_uas_calls_answer(w->calls, vp_now_ns());
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    uint64_t next_tick = vp_now_ns() + TICK_NS;
    while (!vp_interrupted) {
        struct epoll_event ev[2];
        int n = epoll_wait(w->ep, ev, 2, vp_sip_uas_calls_queued(w->calls) ? 0 : 100);
        if (n < 0 && errno != EINTR) {
            w->rc = vp_run_error(&w->err, errno, "sip-uas: epoll");
            break;
        }
        uint64_t x;
        if (read(w->tfd, &x, sizeof x) < 0) { /* not expired yet */
        }
        receive(w);
        flush(w);
        uint64_t now = vp_now_ns();
        if (now >= next_tick) {
            vp_sip_uas_calls_tick(w->calls, now);
            next_tick = now + TICK_NS;
        }
        /* serve queued calls for up to a millisecond, then look at the socket again */
        uint64_t until = now + 1000000;
        while (vp_sip_uas_calls_queued(w->calls) && vp_now_ns() < until)
            serve_one(w);
        flush(w);
    }
    return NULL;
}

static int bind_socket(const struct sockaddr_storage *ss, socklen_t len, bool reuse, int *fd)
{
    *fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (*fd < 0)
        return -errno;
    int one = 1, sz = 4 << 20;
    if (reuse)
        setsockopt(*fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(*fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    setsockopt(*fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    if (bind(*fd, (const struct sockaddr *)ss, len) < 0) {
        int e = errno;
        close(*fd);
        *fd = -1;
        return -e;
    }
    return 0;
}

static int worker_init(struct vp_sip_uas *u, int i, struct vp_err *err)
{
    struct worker *w = calloc(1, sizeof *w);
    if (w == NULL)
        return vp_run_error(err, ENOMEM, "sip-uas");
    u->w[i] = w;
    w->cfg = &u->cfg;
    w->index = i;
    w->disk_fd = u->disk_fd;
    w->tfd = w->ep = -1;
    int rc = bind_socket(&u->cfg.listen, u->cfg.listen_len, true, &w->sock);
    if (rc < 0)
        return vp_input_error(err, "sip-uas: cannot listen on port %u: %s", u->port, strerror(-rc));
    w->io.send = send_to;
    w->io.ctx = w;
    if ((rc = vp_sip_uas_calls_new(&u->cfg, i, &w->io, &w->calls)) < 0)
        return vp_run_error(err, -rc, "sip-uas: call table");
    w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    if (w->tfd < 0 || w->ep < 0)
        return vp_run_error(err, errno ? errno : ENOMEM, "sip-uas: worker");
    struct itimerspec its = {.it_interval = {0, TICK_NS}, .it_value = {0, TICK_NS}};
    timerfd_settime(w->tfd, 0, &its, NULL);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = w->sock};
    epoll_ctl(w->ep, EPOLL_CTL_ADD, w->sock, &ev);
    ev.data.fd = w->tfd;
    epoll_ctl(w->ep, EPOLL_CTL_ADD, w->tfd, &ev);
    for (int k = 0; k < BATCH; k++) {
        w->siov[k].iov_base = w->sbuf[k];
        w->smsg[k].msg_hdr.msg_iov = &w->siov[k];
        w->smsg[k].msg_hdr.msg_iovlen = 1;
        w->smsg[k].msg_hdr.msg_name = &w->saddr[k];
        w->riov[k].iov_base = w->rbuf[k];
        w->rmsg[k].msg_hdr.msg_iov = &w->riov[k];
        w->rmsg[k].msg_hdr.msg_iovlen = 1;
        w->rmsg[k].msg_hdr.msg_name = &w->raddr[k];
    }
    return 0;
}

int vp_sip_uas_open(const struct vp_sip_uas_cfg *cfg, struct vp_sip_uas **out, struct vp_err *err)
{
    int rc = 0, probe = -1;
    struct vp_sip_uas *u = calloc(1, sizeof *u);
    if (u == NULL || sodium_init() < 0) {
        free(u);
        return vp_run_error(err, ENOMEM, "sip-uas: init");
    }
    u->cfg = *cfg;
    u->disk_fd = -1;
    u->nworkers = cfg->threads > 0 ? cfg->threads : 1;
    u->w = calloc((size_t)u->nworkers, sizeof *u->w);
    if (u->w == NULL) {
        rc = vp_run_error(err, ENOMEM, "sip-uas");
        goto out;
    }
    /* A socket without SO_REUSEPORT first: a port someone else holds is an error. */
    rc = bind_socket(&u->cfg.listen, u->cfg.listen_len, false, &probe);
    struct sockaddr_in *a = (void *)&u->cfg.listen;
    if (rc < 0) {
        rc = vp_input_error(err, "sip-uas: cannot listen on port %u: %s", ntohs(a->sin_port),
                            strerror(-rc));
        goto out;
    }
    struct sockaddr_storage got;
    socklen_t gl = sizeof got;
    getsockname(probe, (struct sockaddr *)&got, &gl);
    a->sin_port = ((struct sockaddr_in *)&got)->sin_port; /* same offset for IPv6 */
    u->port = ntohs(a->sin_port);
    close(probe);
    if (cfg->disk_log[0]) {
        u->disk_fd = open(cfg->disk_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (u->disk_fd < 0) {
            rc = vp_input_error(err, "sip-uas: --disk-log %s: %s", cfg->disk_log, strerror(errno));
            goto out;
        }
    }
    for (int i = 0; i < u->nworkers; i++)
        if ((rc = worker_init(u, i, err)) < 0)
            goto out;
out:
    if (rc < 0) {
        vp_sip_uas_close(u);
        return rc;
    }
    *out = u;
    return 0;
}

unsigned vp_sip_uas_port(const struct vp_sip_uas *u)
{
    return u->port;
}

int vp_sip_uas_run(struct vp_sip_uas *u, struct vp_sip_uas_stats *st, struct vp_err *err)
{
    pthread_t *t = calloc((size_t)u->nworkers, sizeof *t);
    int started = 0, rc = 0;
    if (t == NULL)
        return vp_run_error(err, ENOMEM, "sip-uas");
    for (; started < u->nworkers; started++) {
        if ((rc = pthread_create(&t[started], NULL, worker_main, u->w[started])) != 0) {
            rc = vp_run_error(err, rc, "sip-uas: thread");
            vp_interrupted = 1;
            break;
        }
    }
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    free(t);
    memset(st, 0, sizeof *st);
    uint64_t qmax = 0, cmax = 0;
    for (int i = 0; i < started; i++) {
        const struct vp_sip_uas_stats *s = vp_sip_uas_calls_stats(u->w[i]->calls);
        const uint64_t *src = (const uint64_t *)s;
        uint64_t *dst = (uint64_t *)st;
        for (size_t k = 0; k < sizeof *s / sizeof(uint64_t); k++)
            dst[k] += src[k];
        qmax = s->queue_max > qmax ? s->queue_max : qmax;
        cmax = s->calls_max > cmax ? s->calls_max : cmax;
        if (u->w[i]->rc < 0 && rc == 0) {
            *err = u->w[i]->err;
            rc = u->w[i]->rc;
        }
    }
    st->queue_max = qmax; /* maxima over the workers, not sums */
    st->calls_max = cmax;
    return rc;
}

void vp_sip_uas_close(struct vp_sip_uas *u)
{
    if (u == NULL)
        return;
    for (int i = 0; u->w && i < u->nworkers; i++) {
        struct worker *w = u->w[i];
        if (w == NULL)
            continue;
        vp_sip_uas_calls_free(w->calls);
        if (w->sock >= 0)
            close(w->sock);
        if (w->tfd >= 0)
            close(w->tfd);
        if (w->ep >= 0)
            close(w->ep);
        free(w);
    }
    if (u->disk_fd >= 0)
        close(u->disk_fd);
    free(u->w);
    free(u);
}
