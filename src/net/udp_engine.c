#include "net/udp_engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/signals.h"
#include "net/pace.h"

#define RX_SLOT  2048  /* bytes kept of each datagram received (MSG_TRUNC tells its size) */
#define GRO_SLOT 65536 /* with UDP_GRO: a whole run of datagrams */

/* A batch's datagrams are written into the transmit queue's slots; their
 * padding, zeros since the queue was made, stays as it is. */
struct vp_udp_tx {
    struct vp_udp_tx_cfg cfg;
    int fd;
    atomic_bool stop;
    uint64_t next_seq;
    struct vp_udp_txq *q;
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
    if (t == NULL)
        return vp_run_error(err, ENOMEM, "udp sender");
    t->cfg = *cfg;
    t->fd = socket(cfg->to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (t->fd < 0 || connect(t->fd, (const struct sockaddr *)&cfg->to, cfg->to_len) < 0) {
        int e = errno;
        vp_udp_tx_close(t);
        return vp_run_error(err, e, "udp sender");
    }
    /* sequence numbers only for what the kernel took: a refusal ends a batch */
    struct vp_udp_txq_cfg qc = {
        .fd = t->fd, .cap = cfg->batch, .slot = cfg->size, .gso = true, .stop_on_error = true};
    int rc = vp_udp_txq_open(&qc, &t->q, err);
    if (rc < 0) {
        vp_udp_tx_close(t);
        return rc;
    }
    *out = t;
    return 0;
}

void vp_udp_tx_close(struct vp_udp_tx *t)
{
    if (t == NULL)
        return;
    if (t->fd >= 0)
        close(t->fd);
    vp_udp_txq_close(t->q);
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
        vp_udp_header_put(vp_udp_txq_slot(t->q), &h);
        vp_udp_txq_push(t->q, t->cfg.size, NULL, 0);
    }
    st->calls++;
    uint64_t refused = vp_udp_txq_stats(t->q)->refused;
    int m = vp_udp_txq_flush(t->q);
    st->refused += vp_udp_txq_stats(t->q)->refused - refused;
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
    int port;
    uint8_t *buf; /* batch * slot */
    struct vp_udp_txq *echo;
    struct mmsghdr msg[VP_UDP_BATCH_MAX];
    struct iovec iov[VP_UDP_BATCH_MAX];
    struct sockaddr_storage from[VP_UDP_BATCH_MAX];
    char control[VP_UDP_BATCH_MAX][CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(int))];
};

struct vp_udp_rx {
    struct vp_udp_rx_cfg cfg;
    uint32_t slot;
    int port, n;
    struct pollfd *pfd;
    struct rx_socket *s;
};

/* SO_RCVBUF/SO_SNDBUF: past the system's maximum as root, else up to it. */
static void buffer_size(int fd, int force, int plain, int bytes)
{
    if (bytes > 0 && setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof bytes) < 0)
        setsockopt(fd, SOL_SOCKET, plain, &bytes, sizeof bytes);
}

static int rx_socket_open(struct vp_udp_rx *r, struct rx_socket *s,
                          const struct sockaddr_storage *at, socklen_t len)
{
    const struct vp_udp_rx_cfg *cfg = &r->cfg;
    int one = 1;
    s->fd = socket(at->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0 ||
        (!cfg->own_ports && setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) ||
        (!cfg->no_stamps && setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0))
        return -errno;
    if (cfg->gro && setsockopt(s->fd, SOL_UDP, UDP_GRO, &one, sizeof one) < 0)
        r->slot = RX_SLOT; /* a kernel without: one datagram per message */
    int rcvbuf = 4 << 20;  /* as far as rmem_max allows */
    if (cfg->rcvbuf == 0)
        setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    buffer_size(s->fd, SO_RCVBUFFORCE, SO_RCVBUF, cfg->rcvbuf);
    buffer_size(s->fd, SO_SNDBUFFORCE, SO_SNDBUF, cfg->sndbuf);
    if (bind(s->fd, (const struct sockaddr *)at, len) < 0)
        return -errno;
    struct sockaddr_storage a;
    socklen_t alen = sizeof a;
    getsockname(s->fd, (struct sockaddr *)&a, &alen);
    s->port = ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
                                            : ((struct sockaddr_in *)&a)->sin_port);
    if ((s->buf = malloc((size_t)cfg->batch * r->slot)) == NULL)
        return -ENOMEM;
    if (cfg->echo) { /* one datagram per message back, as the sender's path would carry them */
        struct vp_udp_txq_cfg qc = {.fd = s->fd, .cap = cfg->batch};
        struct vp_err err = {0};
        if (vp_udp_txq_open(&qc, &s->echo, &err) < 0)
            return -ENOMEM;
    }
    return 0;
}

int vp_udp_rx_open(const struct vp_udp_rx_cfg *cfg, struct vp_udp_rx **out, struct vp_err *err)
{
    *out = NULL;
    if (cfg->sockets < 1 || cfg->sockets > 1024)
        return vp_input_error(err, "sockets %d: not in 1..1024", cfg->sockets);
    if (cfg->batch < 1 || cfg->batch > VP_UDP_BATCH_MAX)
        return vp_input_error(err, "batch %d: not in 1..%d", cfg->batch, VP_UDP_BATCH_MAX);
    struct vp_udp_rx *r = calloc(1, sizeof *r);
    if (r == NULL || (r->s = calloc((size_t)cfg->sockets, sizeof *r->s)) == NULL ||
        (r->pfd = calloc((size_t)cfg->sockets, sizeof *r->pfd)) == NULL) {
        vp_udp_rx_close(r);
        return vp_run_error(err, ENOMEM, "udp receiver");
    }
    r->cfg = *cfg;
    r->slot = cfg->gro ? GRO_SLOT : RX_SLOT;
    struct sockaddr_storage at = cfg->at;
    socklen_t len = cfg->at_len;
    for (int i = 0; i < cfg->sockets; i++, r->n++) {
        int rc = rx_socket_open(r, &r->s[i], &at, len);
        if (rc < 0) {
            vp_udp_rx_close(r);
            if (rc == -EADDRINUSE || rc == -EADDRNOTAVAIL || rc == -EACCES)
                return vp_input_error(err, "cannot listen there: %s", strerror(-rc));
            return vp_run_error(err, -rc, "udp receiver: socket %d", i + 1);
        }
        if (i == 0 && !cfg->own_ports) { /* the others join the port the first one got */
            r->port = r->s[0].port;
            if (at.ss_family == AF_INET6)
                ((struct sockaddr_in6 *)&at)->sin6_port = htons((uint16_t)r->port);
            else
                ((struct sockaddr_in *)&at)->sin_port = htons((uint16_t)r->port);
        }
        r->pfd[i] = (struct pollfd){r->s[i].fd, POLLIN, 0};
    }
    if (cfg->own_ports)
        r->port = r->s[0].port;
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
        vp_udp_txq_close(r->s[i].echo);
    }
    free(r->s);
    free(r->pfd);
    free(r);
}

int vp_udp_rx_port(const struct vp_udp_rx *r)
{
    return r->port;
}

int vp_udp_rx_fd(const struct vp_udp_rx *r, int sock)
{
    return r->s[sock].fd;
}

int vp_udp_rx_sock_port(const struct vp_udp_rx *r, int sock)
{
    return r->s[sock].port;
}

uint64_t vp_udp_rx_drops(const struct vp_udp_rx *r)
{
    /* the sockets' sk_drops, as SO_RXQ_OVFL would tell with the next
     * datagram read, but now and without a control message per datagram */
    uint64_t total = 0;
    for (int i = 0; i < r->n; i++) {
        uint32_t mem[SK_MEMINFO_VARS];
        socklen_t len = sizeof mem;
        if (getsockopt(r->s[i].fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 &&
            len > SK_MEMINFO_DROPS * sizeof(uint32_t))
            total += mem[SK_MEMINFO_DROPS];
    }
    return total;
}

/* The message's receive stamp (CLOCK_REALTIME; now without one) and
 * UDP_GRO segment size. */
static uint64_t rx_control(struct msghdr *m, int *gso)
{
    uint64_t stamp = 0;
    *gso = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            stamp = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
            memcpy(gso, CMSG_DATA(c), sizeof *gso);
        }
    }
    return stamp ? stamp : vp_wall_ns();
}

/* Read what socket i has, a batch at a time; how many datagrams. *stop:
 * the receiver asked to stop. */
static int drain(struct vp_udp_rx *r, int i, const struct vp_udp_rx_ops *ops, void *arg, bool *stop)
{
    struct rx_socket *s = &r->s[i];
    int total = 0;
    for (;;) {
        int b = r->cfg.batch;
        for (int k = 0; k < b; k++) {
            s->iov[k] = (struct iovec){s->buf + (size_t)k * r->slot, r->slot};
            s->msg[k].msg_hdr = (struct msghdr){.msg_name = &s->from[k],
                                                .msg_namelen = sizeof s->from[k],
                                                .msg_iov = &s->iov[k],
                                                .msg_iovlen = 1,
                                                .msg_control = s->control[k],
                                                .msg_controllen = sizeof s->control[k]};
        }
        int n = recvmmsg(s->fd, s->msg, (unsigned)b, MSG_DONTWAIT | MSG_TRUNC, NULL);
        if (n <= 0)
            return total;
        for (int k = 0; k < n; k++) {
            struct msghdr *m = &s->msg[k].msg_hdr;
            int gso;
            uint64_t stamp = rx_control(m, &gso);
            uint32_t len = s->msg[k].msg_len; /* the whole message's size: MSG_TRUNC */
            uint32_t seg = gso > 0 ? (uint32_t)gso : len;
            for (uint32_t off = 0; off < len || off == 0; off += seg) { /* GRO: its datagrams */
                uint32_t size = len - off < seg ? len - off : seg;
                uint32_t room = off < r->slot ? r->slot - off : 0;
                struct vp_udp_pkt p = {(uint8_t *)s->iov[k].iov_base + off,
                                       size,
                                       size < room ? size : room,
                                       stamp,
                                       (const struct sockaddr *)&s->from[k],
                                       m->msg_namelen,
                                       i};
                ops->datagram(arg, &p);
                total++;
                if (len == 0)
                    break;
            }
        }
        if (ops->batch_end && !ops->batch_end(arg, i)) {
            *stop = true;
            return total;
        }
        if (n < b)
            return total;
    }
}

int vp_udp_rx_poll_raw(struct vp_udp_rx *r, int timeout_ms, const struct vp_udp_rx_ops *ops,
                       void *arg)
{
    int ready = poll(r->pfd, (nfds_t)r->n, timeout_ms);
    if (ready < 0)
        return errno == EINTR ? 0 : -errno;
    int total = 0;
    bool stop = false;
    for (int i = 0; ready > 0 && i < r->n && !stop; i++)
        if (r->pfd[i].revents & POLLIN)
            total += drain(r, i, ops, arg, &stop);
    return total;
}

int vp_udp_rx_read(struct vp_udp_rx *r, int sock, int timeout_ms, const struct vp_udp_rx_ops *ops,
                   void *arg)
{
    bool stop = false;
    int total = drain(r, sock, ops, arg, &stop); /* under load there is always some: no poll */
    if (total > 0 || timeout_ms == 0)
        return total;
    struct pollfd p = {r->s[sock].fd, POLLIN, 0};
    int ready = poll(&p, 1, timeout_ms);
    if (ready < 0)
        return errno == EINTR ? 0 : -errno;
    return ready > 0 ? drain(r, sock, ops, arg, &stop) : 0;
}

/* Test datagrams (vp_udp_rx_poll): the header checked, the handler's
 * answer sent, data echoed when asked. */
struct test_rx {
    struct vp_udp_rx *r;
    vp_udp_rx_fn fn;
    void *arg;
    uint64_t *foreign;
    int total;
};

static void test_datagram(void *arg, struct vp_udp_pkt *p)
{
    struct test_rx *t = arg;
    struct rx_socket *s = &t->r->s[p->sock];
    struct vp_udp_header h;
    if (!vp_udp_header_get(p->data, p->kept, &h) ||
        (t->r->cfg.token && h.token != t->r->cfg.token)) {
        ++*t->foreign;
        return;
    }
    uint8_t reply[VP_UDP_REPLY_MAX];
    struct vp_udp_dgram d = {h, p->data, p->size, p->kept, p->rx_ns, p->from, p->from_len};
    size_t answer = t->fn(t->arg, &d, reply);
    if (answer > 0)
        sendto(s->fd, reply, answer, 0, p->from, p->from_len);
    t->total++;
    if (s->echo && h.flags == 0) { /* data only: not echoes, FINs, reports */
        p->data[5] |= VP_UDP_ECHOED;
        /* as long as it arrived: what was not kept of a long one goes back as zeros */
        vp_udp_txq_push_ref(s->echo, p->data, p->kept, p->size - p->kept, p->from, p->from_len);
    }
}

/* The echoes of a batch leave before the next batch overwrites them; a
 * full buffer loses the rest on the way back, as on a link. */
static bool test_batch_end(void *arg, int sock)
{
    struct test_rx *t = arg;
    if (t->r->s[sock].echo)
        vp_udp_txq_flush(t->r->s[sock].echo);
    return true;
}

int vp_udp_rx_poll(struct vp_udp_rx *r, int timeout_ms, vp_udp_rx_fn fn, void *arg,
                   uint64_t *foreign)
{
    static const struct vp_udp_rx_ops ops = {test_datagram, test_batch_end};
    struct test_rx t = {r, fn, arg, foreign, 0};
    int rc = vp_udp_rx_poll_raw(r, timeout_ms, &ops, &t);
    return rc < 0 ? rc : t.total;
}
