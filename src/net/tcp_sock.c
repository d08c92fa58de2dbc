#include "net/tcp_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"

void vp_tcp_addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        snprintf(buf, len, "[%s]:%u", host, ntohs(a->sin6_port));
    } else {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        snprintf(buf, len, "%s:%u", host, ntohs(a->sin_port));
    }
}

void vp_tcp_set_window(int fd, uint32_t window)
{
    if (window == 0)
        return;
    int w = (int)window;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &w, sizeof w);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &w, sizeof w);
}

/* Milliseconds to the deadline for poll, at least 0. */
static int ms_until(uint64_t deadline)
{
    uint64_t now = vp_now_ns();
    if (deadline <= now)
        return 0;
    uint64_t ms = (deadline - now + 999999) / 1000000;
    return ms > 1000000 ? 1000000 : (int)ms;
}

int vp_tcp_connect(const struct sockaddr_storage *to, socklen_t len, uint64_t timeout_ns,
                   uint32_t window, struct vp_err *err)
{
    char addr[64];
    vp_tcp_addr_text(to, addr, sizeof addr);
    int fd = socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return vp_run_error(err, errno, "socket");
    vp_tcp_set_window(fd, window);
    int e = 0;
    if (connect(fd, (const struct sockaddr *)to, len) < 0 && errno != EINPROGRESS)
        e = errno;
    if (e == 0) {
        uint64_t deadline = vp_now_ns() + timeout_ns;
        struct pollfd p = {fd, POLLOUT, 0};
        int n;
        while ((n = poll(&p, 1, ms_until(deadline))) < 0 && errno == EINTR)
            ;
        socklen_t el = sizeof e;
        if (n == 0) {
            close(fd);
            return vp_run_error(err, 0, "connect to %s: no answer in %.3g s", addr,
                                (double)timeout_ns / 1e9);
        }
        if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
            e = errno;
    }
    if (e != 0) {
        close(fd);
        return vp_run_error(err, e, "connect to %s", addr);
    }
    return fd;
}

int vp_tcp_listen(const struct sockaddr_storage *at, socklen_t len, int *port, struct vp_err *err)
{
    int one = 1;
    int fd = socket(at->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return vp_run_error(err, errno, "socket");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_storage got;
    socklen_t gl = sizeof got;
    if (bind(fd, (const struct sockaddr *)at, len) < 0 || listen(fd, 256) < 0 ||
        getsockname(fd, (struct sockaddr *)&got, &gl) < 0) {
        int e = errno;
        char addr[64];
        vp_tcp_addr_text(at, addr, sizeof addr);
        close(fd);
        return vp_run_error(err, e, "listen on %s", addr);
    }
    *port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                            : ((struct sockaddr_in *)&got)->sin_port);
    return fd;
}

/* Wait for fd to be ready for events before the deadline: 1, 0 at the
 * deadline, -errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
    struct pollfd p = {fd, events, 0};
    int n = poll(&p, 1, ms_until(deadline));
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    return n;
}

int vp_tcp_write_all(int fd, const void *p, size_t len, uint64_t deadline)
{
    const uint8_t *b = p;
    while (len > 0) {
        ssize_t n = send(fd, b, len, MSG_NOSIGNAL);
        if (n > 0) {
            b += n;
            len -= (size_t)n;
            continue;
        }
        if (errno == EPIPE)
            return -ECONNRESET;
        if (errno != EAGAIN && errno != EINTR)
            return -errno;
        if (vp_now_ns() >= deadline)
            return -ETIMEDOUT;
        int rc = wait_fd(fd, POLLOUT, deadline);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int vp_tcp_read_all(int fd, void *p, size_t len, uint64_t deadline)
{
    uint8_t *b = p;
    while (len > 0) {
        ssize_t n = recv(fd, b, len, 0);
        if (n > 0) {
            b += n;
            len -= (size_t)n;
            continue;
        }
        if (n == 0)
            return -ECONNRESET;
        if (errno != EAGAIN && errno != EINTR)
            return -errno;
        if (vp_now_ns() >= deadline)
            return -ETIMEDOUT;
        int rc = wait_fd(fd, POLLIN, deadline);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void vp_tcp_info(int fd, struct vp_tcp_fig *f)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
        return;
    f->retrans = ti.tcpi_total_retrans;
    f->rtt_us = ti.tcpi_rtt;
    f->rttvar_us = ti.tcpi_rttvar;
    f->cwnd = ti.tcpi_snd_cwnd;
    f->snd_mss = ti.tcpi_snd_mss;
}

void vp_tcp_ctl_init(struct vp_tcp_ctl *c, int fd)
{
    *c = (struct vp_tcp_ctl){.fd = fd};
}

void vp_tcp_ctl_free(struct vp_tcp_ctl *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    *c = (struct vp_tcp_ctl){.fd = -1};
}

int vp_tcp_ctl_send(struct vp_tcp_ctl *c, uint8_t type, const void *body, uint32_t len,
                    uint64_t deadline)
{
    uint8_t head[VP_TCP_FRAME_HEADER];
    vp_tcp_frame_put(head, type, len);
    int rc = vp_tcp_write_all(c->fd, head, sizeof head, deadline);
    return rc == 0 && len > 0 ? vp_tcp_write_all(c->fd, body, len, deadline) : rc;
}

int vp_tcp_ctl_recv(struct vp_tcp_ctl *c, uint64_t deadline, uint8_t *type, const uint8_t **body,
                    uint32_t *len)
{
    if (c->taken) { /* drop the frame handed out last time */
        memmove(c->buf, c->buf + c->taken, c->len - c->taken);
        c->len -= c->taken;
        c->taken = 0;
    }
    for (;;) {
        if (c->len >= VP_TCP_FRAME_HEADER) {
            int rc = vp_tcp_frame_get(c->buf, type, len);
            if (rc < 0)
                return rc;
            size_t whole = VP_TCP_FRAME_HEADER + (size_t)*len;
            if (c->len >= whole) {
                *body = c->buf + VP_TCP_FRAME_HEADER;
                c->taken = whole;
                return 1;
            }
            if (c->cap < whole) {
                uint8_t *more = realloc(c->buf, whole);
                if (more == NULL)
                    return -ENOMEM;
                c->buf = more;
                c->cap = whole;
            }
        } else if (c->cap < 4096) {
            uint8_t *more = realloc(c->buf, 4096);
            if (more == NULL)
                return -ENOMEM;
            c->buf = more;
            c->cap = 4096;
        }
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (n > 0) {
            c->len += (size_t)n;
            continue;
        }
        if (n == 0)
            return -ECONNRESET;
        if (errno != EAGAIN && errno != EINTR)
            return -errno;
        if (vp_now_ns() >= deadline)
            return 0;
        int rc = wait_fd(c->fd, POLLIN, deadline);
        if (rc <= 0)
            return rc;
    }
}
