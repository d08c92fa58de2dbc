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

#define BATCH   64
#define MSG_MAX 4096
#define NBUCKET (1u << 16)
#define TICK_NS 5000000ull
#define T2_NS   4000000000ull

enum ustate { S_QUEUED, S_ANSWERED, S_CONFIRMED, S_ENDED };

/* One call: its responses are kept so retransmitted requests get them again. */
struct ucall {
    struct ucall *hnext, *qnext, *anext, *aprev;
    uint64_t expire, retx_at, retx;
    uint8_t state;
    bool in_ack_list, rejected;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    char *resp; /* 100 | 180 | 200 (or 503) for the INVITE */
    uint16_t off180, len180, off200, len200, last_off, last_len;
    char *bye_resp;
    uint16_t bye_len;
    uint16_t cid_len;
    char cid[];
};

struct worker {
    const struct vp_sip_uas_cfg *cfg;
    int index, sock, tfd, ep, disk_fd;
    unsigned char key[crypto_shorthash_KEYBYTES];
    struct ucall **buckets;
    uint32_t sweep;
    struct ucall *qhead, *qtail, *ack_head;
    uint64_t qlen, ncalls, seq;
    struct vp_sip_uas_stats st;
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

static void send_to(struct worker *w, const struct sockaddr_storage *to, socklen_t tolen,
                    const char *msg, size_t len)
{
    if (len > MSG_MAX)
        return;
    if (w->nsend == BATCH)
        flush(w);
    int i = w->nsend++;
    memcpy(w->sbuf[i], msg, len);
    w->siov[i].iov_len = len;
    memcpy(&w->saddr[i], to, tolen);
    w->smsg[i].msg_hdr.msg_namelen = tolen;
}

static uint32_t bucket_of(const struct worker *w, const char *cid, size_t len)
{
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)cid, len, w->key);
    uint32_t v;
    memcpy(&v, h, sizeof v);
    return v & (NBUCKET - 1);
}

static struct ucall *lookup(struct worker *w, struct vp_sip_str cid, uint32_t *b)
{
    *b = bucket_of(w, cid.p, cid.len);
    for (struct ucall *c = w->buckets[*b]; c; c = c->hnext)
        if (c->cid_len == cid.len && memcmp(c->cid, cid.p, cid.len) == 0)
            return c;
    return NULL;
}

static void ack_list_del(struct worker *w, struct ucall *c)
{
    if (!c->in_ack_list)
        return;
    if (c->aprev)
        c->aprev->anext = c->anext;
    else
        w->ack_head = c->anext;
    if (c->anext)
        c->anext->aprev = c->aprev;
    c->in_ack_list = false;
}

static void call_free(struct ucall *c)
{
    free(c->resp);
    free(c->bye_resp);
    free(c);
}

static void resend_last(struct worker *w, struct ucall *c)
{
    if (c->last_len)
        send_to(w, &c->peer, c->peer_len, c->resp + c->last_off, c->last_len);
}

/* Build the 100, 180 and 200 (or a 503) for a new INVITE into one buffer. */
static struct ucall *new_call(struct worker *w, const struct vp_sip_msg *m,
                              const struct sockaddr_storage *from, socklen_t fromlen, bool reject)
{
    char buf[3 * MSG_MAX];
    char tag[40], contact[96];
    struct vp_sip_buf b;
    snprintf(tag, sizeof tag, "vpuas%x-%lx", (unsigned)w->index, (unsigned long)++w->seq);
    char host[INET6_ADDRSTRLEN] = "127.0.0.1";
    const struct sockaddr_in *la = (const void *)&w->cfg->listen;
    if (w->cfg->listen.ss_family == AF_INET)
        inet_ntop(AF_INET, &la->sin_addr, host, sizeof host);
    snprintf(contact, sizeof contact, "<sip:uas@%s:%u>", host, ntohs(la->sin_port));
    vp_sip_buf_init(&b, buf, sizeof buf);
    uint16_t off180 = 0, len180 = 0, off200, len200;
    if (reject) {
        vp_sip_build_response(&b, m, 503, "Service Unavailable", tag, NULL);
        off200 = 0;
    } else {
        vp_sip_build_response(&b, m, 100, "Trying", NULL, NULL);
        if (w->cfg->ringing) {
            off180 = (uint16_t)b.len;
            vp_sip_build_response(&b, m, 180, "Ringing", tag, contact);
            len180 = (uint16_t)(b.len - off180);
        }
        off200 = (uint16_t)b.len;
        vp_sip_build_response(&b, m, 200, "OK", tag, contact);
    }
    len200 = (uint16_t)(b.len - off200);
    if (b.overflow)
        return NULL;
    struct ucall *c = calloc(1, sizeof *c + m->call_id.len);
    if (c == NULL || (c->resp = malloc(b.len)) == NULL) {
        free(c);
        return NULL;
    }
    memcpy(c->resp, buf, b.len);
    c->off180 = off180;
    c->len180 = len180;
    c->off200 = off200;
    c->len200 = len200;
    c->last_off = 0; /* the 100, or the 503 */
    c->last_len = reject ? len200 : (uint16_t)(w->cfg->ringing ? off180 : off200);
    memcpy(&c->peer, from, fromlen);
    c->peer_len = fromlen;
    c->cid_len = (uint16_t)m->call_id.len;
    memcpy(c->cid, m->call_id.p, m->call_id.len);
    return c;
}

static void on_invite(struct worker *w, const struct vp_sip_msg *m,
                      const struct sockaddr_storage *from, socklen_t fromlen, uint64_t now)
{
    uint32_t b;
    w->st.invites++;
    struct ucall *c = lookup(w, m->call_id, &b);
    if (c) { /* a retransmission (or re-INVITE): the last response again */
        w->st.retrans_absorbed++;
        resend_last(w, c);
        return;
    }
    if (m->call_id.len > 1024)
        return;
    bool reject = w->cfg->queue_limit && w->qlen >= w->cfg->queue_limit;
    if ((c = new_call(w, m, from, fromlen, reject)) == NULL)
        return;
    c->hnext = w->buckets[b];
    w->buckets[b] = c;
    w->ncalls++;
    c->expire = now + 64 * w->cfg->t1_ns;
    if (reject) {
        c->state = S_ANSWERED;
        c->rejected = true;
        w->st.sent_503++;
        resend_last(w, c);
        return;
    }
    w->st.sent_100++;
    resend_last(w, c);
    c->state = S_QUEUED;
    if (w->qtail)
        w->qtail->qnext = c;
    else
        w->qhead = c;
    w->qtail = c;
    if (++w->qlen > w->st.queue_max)
        w->st.queue_max = w->qlen;
}

static void on_bye(struct worker *w, const struct vp_sip_msg *m,
                   const struct sockaddr_storage *from, socklen_t fromlen, uint64_t now)
{
    uint32_t b;
    w->st.byes++;
    struct ucall *c = lookup(w, m->call_id, &b);
    char buf[MSG_MAX];
    struct vp_sip_buf ob;
    vp_sip_buf_init(&ob, buf, sizeof buf);
    if (c == NULL || c->state == S_QUEUED) {
        vp_sip_build_response(&ob, m, 481, "Call/Transaction Does Not Exist", NULL, NULL);
        w->st.sent_481++;
        if (!ob.overflow)
            send_to(w, from, fromlen, buf, ob.len);
        return;
    }
    if (c->bye_resp) {
        w->st.retrans_absorbed++;
        send_to(w, from, fromlen, c->bye_resp, c->bye_len);
        return;
    }
    vp_sip_build_response(&ob, m, 200, "OK", NULL, NULL);
    if (ob.overflow || (c->bye_resp = malloc(ob.len)) == NULL)
        return;
    memcpy(c->bye_resp, buf, ob.len);
    c->bye_len = (uint16_t)ob.len;
    ack_list_del(w, c);
    free(c->resp); /* no INVITE can follow its BYE: keep only the BYE's response */
    c->resp = NULL;
    c->last_len = 0;
    c->state = S_ENDED;
    c->expire = now + 64 * w->cfg->t1_ns; /* timer J */
    w->st.sent_200++;
    w->st.calls_completed++;
    send_to(w, from, fromlen, c->bye_resp, c->bye_len);
}

static void on_request(struct worker *w, const struct vp_sip_msg *m,
                       const struct sockaddr_storage *from, socklen_t fromlen, uint64_t now)
{
    if (vp_sip_str_eq(m->method, "INVITE")) {
        on_invite(w, m, from, fromlen, now);
    } else if (vp_sip_str_eq(m->method, "ACK")) {
        uint32_t b;
        w->st.acks++;
        struct ucall *c = lookup(w, m->call_id, &b);
        if (c && c->state == S_ANSWERED && c->rejected) {
            c->state = S_ENDED; /* ACK of the 503: absorb its copies for T4 (timer I) */
            c->expire = now + 5000000000ull;
        } else if (c && c->state == S_ANSWERED) {
            ack_list_del(w, c);
            c->state = S_CONFIRMED;
            c->expire = now + 3600e9; /* until its BYE */
        }
    } else if (vp_sip_str_eq(m->method, "BYE")) {
        on_bye(w, m, from, fromlen, now);
    } else {
        char buf[MSG_MAX];
        struct vp_sip_buf ob;
        vp_sip_buf_init(&ob, buf, sizeof buf);
        w->st.other_requests++;
        bool options = vp_sip_str_eq(m->method, "OPTIONS");
        vp_sip_build_response(&ob, m, options ? 200 : 501, options ? "OK" : "Not Implemented", NULL,
                              NULL);
        w->st.sent_501 += !options;
        if (!ob.overflow)
            send_to(w, from, fromlen, buf, ob.len);
    }
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
        for (int i = 0; i < n; i++) {
            struct vp_sip_msg m;
            enum vp_sip_perr e = vp_sip_parse(w->rbuf[i], w->rmsg[i].msg_len, &m);
            if (e != VP_SIP_OK)
                w->st.malformed[e]++;
            else if (m.is_request)
                on_request(w, &m, &w->raddr[i], w->rmsg[i].msg_hdr.msg_namelen, now);
            else
                w->st.responses++;
        }
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
    struct ucall *c = w->qhead;
    w->qhead = c->qnext;
    if (w->qhead == NULL)
        w->qtail = NULL;
    c->qnext = NULL;
    w->qlen--;
    if (c->len180) {
        send_to(w, &c->peer, c->peer_len, c->resp + c->off180, c->len180);
        c->last_off = c->off180;
        c->last_len = c->len180;
        w->st.sent_180++;
        flush(w);
    }
    if (w->cfg->work_ns)
        burn(w->cfg->work_ns);
    if (w->disk_fd >= 0) {
        char line[1200];
        int n = snprintf(line, sizeof line, "%lu %.*s\n", (unsigned long)vp_wall_ns(),
                         (int)c->cid_len, c->cid);
        if (write(w->disk_fd, line, (size_t)n) != n || (w->cfg->fsync && fsync(w->disk_fd) < 0))
            w->st.disk_errors++;
    }
    uint64_t now = vp_now_ns();
    c->last_off = c->off200;
    c->last_len = c->len200;
    c->state = S_ANSWERED;
    c->retx = w->cfg->t1_ns;
    c->retx_at = now + c->retx;
    c->expire = now + 64 * w->cfg->t1_ns;
    c->aprev = NULL;
    c->anext = w->ack_head;
    if (c->anext)
        c->anext->aprev = c;
    w->ack_head = c;
    c->in_ack_list = true;
    w->st.sent_200++;
    resend_last(w, c);
}

/* 200s without ACK again (T1 doubling up to T2), and expired calls out. */
static void tick(struct worker *w, uint64_t now)
{
    for (struct ucall *c = w->ack_head, *next; c; c = next) {
        next = c->anext;
        if (now >= c->expire) {
            ack_list_del(w, c); /* no ACK within 64*T1: give up (timer H) */
            continue;
        }
        if (now >= c->retx_at) {
            resend_last(w, c);
            w->st.retrans_200++;
            c->retx = c->retx * 2 < T2_NS ? c->retx * 2 : T2_NS;
            c->retx_at = now + c->retx;
        }
    }
    for (uint32_t k = 0; k < NBUCKET / 64; k++) {
        struct ucall **pp = &w->buckets[w->sweep];
        while (*pp) {
            struct ucall *c = *pp;
            if (now >= c->expire && c->state != S_QUEUED && !c->in_ack_list) {
                *pp = c->hnext;
                call_free(c);
                w->ncalls--;
            } else {
                pp = &c->hnext;
            }
        }
        w->sweep = (w->sweep + 1) & (NBUCKET - 1);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    uint64_t next_tick = vp_now_ns() + TICK_NS;
    while (!vp_interrupted) {
        struct epoll_event ev[2];
        int n = epoll_wait(w->ep, ev, 2, w->qhead ? 0 : 100);
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
            tick(w, now);
            next_tick = now + TICK_NS;
        }
        /* serve queued calls for up to a millisecond, then look at the socket again */
        uint64_t until = now + 1000000;
        while (w->qhead && vp_now_ns() < until)
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
    randombytes_buf(w->key, sizeof w->key);
    w->buckets = calloc(NBUCKET, sizeof *w->buckets);
    w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    if (w->buckets == NULL || w->tfd < 0 || w->ep < 0)
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
    uint64_t qmax = 0;
    for (int i = 0; i < started; i++) {
        const struct vp_sip_uas_stats *s = &u->w[i]->st;
        const uint64_t *src = (const uint64_t *)s;
        uint64_t *dst = (uint64_t *)st;
        for (size_t k = 0; k < sizeof *s / sizeof(uint64_t); k++)
            dst[k] += src[k];
        qmax = s->queue_max > qmax ? s->queue_max : qmax;
        if (u->w[i]->rc < 0 && rc == 0) {
            *err = u->w[i]->err;
            rc = u->w[i]->rc;
        }
    }
    st->queue_max = qmax; /* a maximum, not a sum */
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
        for (uint32_t b = 0; w->buckets && b < NBUCKET; b++) {
            for (struct ucall *c = w->buckets[b], *n; c; c = n) {
                n = c->hnext;
                call_free(c);
            }
        }
        free(w->buckets);
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
