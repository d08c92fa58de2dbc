#include "net/udp_engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "net/pace.h"

#define RX_SLOT 2048 /* bytes kept of each datagram received (MSG_TRUNC tells its size) */

#define GSO_SEGMENTS 64 /* datagrams per UDP_SEGMENT send at most (the kernel's limit) */
#define GSO_BYTES    65000

/* A batch's datagrams lie one after the other in buf. With UDP GSO each
 * message carries up to seg of them and the kernel cuts it into datagrams
 * of the size (one pass down the stack for seg datagrams); without, a
 * message is one datagram. */
struct vp_udp_tx {
    struct vp_udp_tx_cfg cfg;
    int fd;
    int seg; /* datagrams per message */
    atomic_bool stop;
    uint64_t next_seq;
    uint8_t *buf; /* batch * size */
    struct mmsghdr msg[VP_UDP_BATCH_MAX];
    struct iovec iov[VP_UDP_BATCH_MAX];
    char control[VP_UDP_BATCH_MAX][CMSG_SPACE(sizeof(uint16_t))];
};

int vp_udp_tx_open(const struct vp_udp_tx_cfg *cfg, struct vp_udp_tx **out, struct vp_err *err)
{
    *out = NULL;
    if (cfg->size < VP_UDP_MIN_SIZE || cfg->size > VP_UDP_MAX_SIZE)
        return vp_input_error(err, "datagram size %u: not in %d..%d", cfg->size, VP_UDP_MIN_SIZE,
                              VP_UDP_MAX_SIZE);
    if (cfg->batch < 1 || cfg->batch > VP_UDP_BATCH_MAX)
        return vp_input_error(err, "batch %d: not in 1..%d", cfg->batch, VP_UDP_BATCH_MAX);
    if (!(cfg->rate >= 0))
        return vp_input_error(err, "rate %g: not a rate", cfg->rate);
    struct vp_udp_tx *t = calloc(1, sizeof *t);
    if (t == NULL || (t->buf = calloc((size_t)cfg->batch, cfg->size)) == NULL) {
        free(t);
        return vp_run_error(err, ENOMEM, "udp sender");
    }
    t->cfg = *cfg;
    t->fd = socket(cfg->to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (t->fd < 0 || connect(t->fd, (const struct sockaddr *)&cfg->to, cfg->to_len) < 0) {
        int e = errno;
        vp_udp_tx_close(t);
        return vp_run_error(err, e, "udp sender");
    }
    t->seg = (int)(GSO_BYTES / cfg->size);
    t->seg = t->seg < 1 ? 1 : t->seg > GSO_SEGMENTS ? GSO_SEGMENTS : t->seg;
    *out = t;
    return 0;
}

/* Lay n datagrams out in messages; how many messages. */
static int messages(struct vp_udp_tx *t, int n)
{
    int nmsg = 0;
    for (int first = 0; first < n; first += t->seg, nmsg++) {
        int k = n - first < t->seg ? n - first : t->seg;
        struct msghdr *m = &t->msg[nmsg].msg_hdr;
        t->iov[nmsg] =
            (struct iovec){t->buf + (size_t)first * t->cfg.size, (size_t)k * t->cfg.size};
        *m = (struct msghdr){.msg_iov = &t->iov[nmsg], .msg_iovlen = 1};
        if (k > 1) { /* cut by the kernel into datagrams of the size */
            m->msg_control = t->control[nmsg];
            m->msg_controllen = sizeof t->control[nmsg];
            struct cmsghdr *c = CMSG_FIRSTHDR(m);
            c->cmsg_level = SOL_UDP;
            c->cmsg_type = UDP_SEGMENT;
            c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            uint16_t gso = (uint16_t)t->cfg.size;
            memcpy(CMSG_DATA(c), &gso, sizeof gso);
        }
    }
    return nmsg;
}

void vp_udp_tx_close(struct vp_udp_tx *t)
{
    if (t == NULL)
        return;
    if (t->fd >= 0)
        close(t->fd);
    free(t->buf);
    free(t);
}

int vp_udp_tx_fd(const struct vp_udp_tx *t)
{
    return t->fd;
}

/* Send n datagrams, the next sequence numbers; how many the kernel took. */
static int send_batch(struct vp_udp_tx *t, int n, struct vp_udp_tx_stats *st)
{
    uint64_t now = vp_wall_ns();
    for (int i = 0; i < n; i++) {
        struct vp_udp_header h = {0, t->cfg.flow, t->next_seq + (uint64_t)i, now, t->cfg.token};
        vp_udp_header_put(t->buf + (size_t)i * t->cfg.size, &h);
    }
    st->calls++;
    int nmsg = messages(t, n);
    int sent = sendmmsg(t->fd, t->msg, (unsigned)nmsg, 0);
    if (sent < 0 && t->seg > 1 && (errno == EINVAL || errno == EIO || errno == ENOPROTOOPT)) {
        t->seg = 1; /* no UDP GSO on this path: one datagram per message */
        return 0;
    }
    if (sent < 0) {
        if (errno != EINTR)
            st->refused++;
        return 0;
    }
    int m = 0; /* datagrams in the messages the kernel took */
    for (int i = 0; i < sent; i++)
        m += (int)(t->iov[i].iov_len / t->cfg.size);
    t->next_seq += (uint64_t)m;
    if (t->cfg.interval_sent)
        t->cfg.interval_sent[vp_udp_interval_of(now, t->cfg.epoch_ns, t->cfg.interval_ns,
                                                t->cfg.nintervals)] += (uint64_t)m;
    st->sent += (uint64_t)m;
    st->bytes += (uint64_t)m * t->cfg.size;
    return m;
}

void vp_udp_tx_stop(struct vp_udp_tx *t)
{
    atomic_store(&t->stop, true);
}

int vp_udp_tx_run(struct vp_udp_tx *t, uint64_t duration_ns, struct vp_udp_tx_stats *st,
                  struct vp_err *err)
{
    (void)err;
    memset(st, 0, sizeof *st);
    struct vp_pace pace;
    const uint64_t cpu0 = vp_thread_cpu_ns();
    vp_pace_start(&pace, t->cfg.rate, t->cfg.batch, duration_ns, &st->late);
    for (int n;
         !atomic_load_explicit(&t->stop, memory_order_relaxed) && (n = vp_pace_next(&pace)) > 0;)
        pace.done += (uint64_t)send_batch(t, n, st);
    st->elapsed_ns = vp_pace_finish(&pace, st->sent, &st->planned);
    st->cpu_ns = vp_thread_cpu_ns() - cpu0;
    return 0;
}

struct rx_socket {
    int fd;
    uint8_t *buf; /* batch * RX_SLOT */
    struct mmsghdr msg[VP_UDP_BATCH_MAX];
    struct iovec iov[VP_UDP_BATCH_MAX];
    struct sockaddr_storage from[VP_UDP_BATCH_MAX];
    char control[VP_UDP_BATCH_MAX][CMSG_SPACE(sizeof(struct timespec))];
};

struct vp_udp_rx {
    struct vp_udp_rx_cfg cfg;
    int port, n;
    struct pollfd *pfd;
    struct rx_socket *s;
};

static int rx_socket_open(struct rx_socket *s, const struct vp_udp_rx_cfg *cfg,
                          const struct sockaddr_storage *at, socklen_t len)
{
    int one = 1, rcvbuf = 4 << 20;
    s->fd = socket(at->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0 || setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
        setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0)
        return -errno;
    setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
               sizeof rcvbuf); /* as far as rmem_max allows */
    if (bind(s->fd, (const struct sockaddr *)at, len) < 0)
        return -errno;
    if ((s->buf = malloc((size_t)cfg->batch * RX_SLOT)) == NULL)
        return -ENOMEM;
    return 0;
}

int vp_udp_rx_open(const struct vp_udp_rx_cfg *cfg, struct vp_udp_rx **out, struct vp_err *err)
{
    *out = NULL;
    if (cfg->sockets < 1 || cfg->sockets > 64)
        return vp_input_error(err, "sockets %d: not in 1..64", cfg->sockets);
    if (cfg->batch < 1 || cfg->batch > VP_UDP_BATCH_MAX)
        return vp_input_error(err, "batch %d: not in 1..%d", cfg->batch, VP_UDP_BATCH_MAX);
    struct vp_udp_rx *r = calloc(1, sizeof *r);
    if (r == NULL || (r->s = calloc((size_t)cfg->sockets, sizeof *r->s)) == NULL ||
        (r->pfd = calloc((size_t)cfg->sockets, sizeof *r->pfd)) == NULL) {
        vp_udp_rx_close(r);
        return vp_run_error(err, ENOMEM, "udp receiver");
    }
    r->cfg = *cfg;
    struct sockaddr_storage at = cfg->at;
    socklen_t len = cfg->at_len;
    for (int i = 0; i < cfg->sockets; i++, r->n++) {
        int rc = rx_socket_open(&r->s[i], cfg, &at, len);
        if (rc < 0) {
            vp_udp_rx_close(r);
            return vp_run_error(err, -rc, "udp receiver: socket %d", i + 1);
        }
        if (i == 0) { /* the others join the port the first one got */
            getsockname(r->s[0].fd, (struct sockaddr *)&at, &len);
            r->port = ntohs(at.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&at)->sin6_port
                                                     : ((struct sockaddr_in *)&at)->sin_port);
        }
        r->pfd[i] = (struct pollfd){r->s[i].fd, POLLIN, 0};
    }
    *out = r;
    return 0;
}

void vp_udp_rx_close(struct vp_udp_rx *r)
{
    if (r == NULL)
        return;
    for (int i = 0; r->s && i < r->n; i++) {
        if (r->s[i].fd >= 0)
            close(r->s[i].fd);
        free(r->s[i].buf);
    }
    free(r->s);
    free(r->pfd);
    free(r);
}

int vp_udp_rx_port(const struct vp_udp_rx *r)
{
    return r->port;
}

static uint64_t rx_stamp(struct msghdr *m)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        }
    return vp_wall_ns();
}

/* Send the batch's test datagrams back where they came from, each as long
 * as it arrived (what was not kept of a long one is sent as zeros). */
static void echo_back(struct rx_socket *s, const int *which, int n, const uint32_t *size)
{
    static const uint8_t zeros[VP_UDP_MAX_SIZE];
    struct mmsghdr out[VP_UDP_BATCH_MAX];
    struct iovec iov[VP_UDP_BATCH_MAX][2];
    for (int k = 0; k < n; k++) {
        int i = which[k];
        uint8_t *p = s->iov[i].iov_base;
        p[5] |= VP_UDP_ECHOED;
        uint32_t kept = size[k] < RX_SLOT ? size[k] : RX_SLOT;
        iov[k][0] = (struct iovec){p, kept};
        iov[k][1] = (struct iovec){(void *)zeros, size[k] - kept};
        out[k].msg_hdr = (struct msghdr){.msg_name = &s->from[i],
                                         .msg_namelen = s->msg[i].msg_hdr.msg_namelen,
                                         .msg_iov = iov[k],
                                         .msg_iovlen = 2};
    }
    for (int done = 0; done < n;) {
        int m = sendmmsg(s->fd, out + done, (unsigned)(n - done), 0);
        if (m <= 0)
            break; /* a full buffer: the rest is lost on the way back, as on a link */
        done += m;
    }
}

/* Read what one socket has; how many test datagrams. */
static int drain(struct vp_udp_rx *r, struct rx_socket *s, vp_udp_rx_fn fn, void *arg,
                 uint64_t *foreign)
{
    int total = 0;
    for (;;) {
        int b = r->cfg.batch;
        for (int i = 0; i < b; i++) {
            s->iov[i] = (struct iovec){s->buf + (size_t)i * RX_SLOT, RX_SLOT};
            s->msg[i].msg_hdr = (struct msghdr){.msg_name = &s->from[i],
                                                .msg_namelen = sizeof s->from[i],
                                                .msg_iov = &s->iov[i],
                                                .msg_iovlen = 1,
                                                .msg_control = s->control[i],
                                                .msg_controllen = sizeof s->control[i]};
        }
        int n = recvmmsg(s->fd, s->msg, (unsigned)b, MSG_DONTWAIT | MSG_TRUNC, NULL);
        if (n <= 0)
            return total;
        int echo[VP_UDP_BATCH_MAX], nec = 0;
        uint32_t size[VP_UDP_BATCH_MAX];
        for (int i = 0; i < n; i++) {
            struct vp_udp_header h;
            uint32_t len = s->msg[i].msg_len; /* the datagram's size: MSG_TRUNC */
            if (!vp_udp_header_get(s->iov[i].iov_base, len < RX_SLOT ? len : RX_SLOT, &h) ||
                (r->cfg.token && h.token != r->cfg.token)) {
                ++*foreign;
                continue;
            }
            uint8_t reply[VP_UDP_REPLY_MAX];
            struct vp_udp_dgram d = {h,
                                     s->iov[i].iov_base,
                                     len,
                                     len < RX_SLOT ? len : RX_SLOT,
                                     rx_stamp(&s->msg[i].msg_hdr),
                                     (const struct sockaddr *)&s->from[i],
                                     s->msg[i].msg_hdr.msg_namelen};
            size_t answer = fn(arg, &d, reply);
            if (answer > 0)
                sendto(s->fd, reply, answer, 0, (struct sockaddr *)&s->from[i],
                       s->msg[i].msg_hdr.msg_namelen);
            total++;
            if (r->cfg.echo && h.flags == 0) { /* data only: not echoes, FINs, reports */
                echo[nec] = i;
                size[nec++] = len;
            }
        }
        if (nec)
            echo_back(s, echo, nec, size);
        if (n < b)
            return total;
    }
}

int vp_udp_rx_poll(struct vp_udp_rx *r, int timeout_ms, vp_udp_rx_fn fn, void *arg,
                   uint64_t *foreign)
{
    int ready = poll(r->pfd, (nfds_t)r->n, timeout_ms);
    if (ready < 0)
        return errno == EINTR ? 0 : -errno;
    int total = 0;
    for (int i = 0; ready > 0 && i < r->n; i++)
        if (r->pfd[i].revents & POLLIN)
            total += drain(r, &r->s[i], fn, arg, foreign);
    return total;
}
