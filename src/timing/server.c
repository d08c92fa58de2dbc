#include "timing/server.h"

#include <errno.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "store/db.h"
#include "core/clock.h"
#include "core/signals.h"
#include "rtp/addr.h"
#include "store/store.h"

#define MAX_SESSIONS 1024

struct mark {
    uint64_t seq, sender_ns, server_ns;
    uint32_t round;
    uint8_t kind, copy;
};

/* One sender: a (run token, appliance) pair, with its last seqs. */
struct session {
    uint64_t token;
    char appliance[VP_PROBE_APPLIANCE_MAX];
    uint64_t max_seq;
    struct mark *ring; /* VP_TS_SEQ_WINDOW slots, indexed by seq % window */
};

struct vp_timeserver {
    int fd, stop_fd;
    struct vp_probe_key key;
    uint64_t window_ns;
    int drop_acks, drop_marks;
    char address[128];
    struct vp_store *store;
    struct vp_stmt *insert;
    pthread_mutex_t lock; /* sessions and counters, read by other threads */
    struct session *sessions;
    int nsessions;
    struct vp_timeserver_counters c;
    pthread_t thread;
    bool threaded;
    struct vp_err thread_err;
};

static void format_address(struct vp_timeserver *ts)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[64] = "?";
    int port = 0;
    if (getsockname(ts->fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            char h6[INET6_ADDRSTRLEN];
            inet_ntop(AF_INET6, &a->sin6_addr, h6, sizeof h6);
            snprintf(host, sizeof host, "[%s]", h6);
            port = ntohs(a->sin6_port);
        }
    }
    snprintf(ts->address, sizeof ts->address, "%s:%d", host, port);
}

static int open_store(struct vp_timeserver *ts, const char *path, struct vp_err *err)
{
    int rc = vp_store_open(path, &ts->store, err);
    if (rc < 0)
        return rc;
    if (vp_db_prepare(vp_store_db(ts->store),
                      "INSERT INTO timing_marks (run_token, appliance, round, kind,"
                      " seq, sender_ns, server_ns) VALUES (?, ?, ?, ?, ?, ?, ?)"
                      " ON CONFLICT DO NOTHING",
                      &ts->insert) != 0)
        return vp_run_error(err, 0, "store %s: %s", path, vp_db_errmsg(vp_store_db(ts->store)));
    return 0;
}

int vp_timeserver_open(const struct vp_timeserver_cfg *cfg, struct vp_timeserver **out,
                       struct vp_err *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1, rc;
    *out = NULL;
    if ((rc = vp_parse_hostport("--listen", cfg->listen, &ss, &len, err)) < 0)
        return rc;
    struct vp_timeserver *ts = calloc(1, sizeof *ts);
    if (ts == NULL)
        return vp_run_error(err, ENOMEM, "time server");
    ts->fd = ts->stop_fd = -1;
    ts->key = cfg->key;
    ts->window_ns = cfg->window_ns ? cfg->window_ns : VP_TS_DEFAULT_WINDOW_NS;
    ts->drop_acks = cfg->drop_acks;
    ts->drop_marks = cfg->drop_marks;
    pthread_mutex_init(&ts->lock, NULL);
    ts->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (ts->fd < 0) {
        rc = vp_run_error(err, errno, "time server: socket");
        goto fail;
    }
    if (setsockopt(ts->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) {
        rc = vp_run_error(err, errno, "time server: SO_TIMESTAMPNS");
        goto fail;
    }
    if (bind(ts->fd, (struct sockaddr *)&ss, len) < 0) {
        rc = vp_run_error(err, errno, "time server: bind %s", cfg->listen);
        goto fail;
    }
    ts->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ts->stop_fd < 0) {
        rc = vp_run_error(err, errno, "time server: eventfd");
        goto fail;
    }
    format_address(ts);
    if (cfg->store_path && (rc = open_store(ts, cfg->store_path, err)) < 0)
        goto fail;
    *out = ts;
    return 0;
fail:
    vp_timeserver_close(ts);
    return rc;
}

void vp_timeserver_close(struct vp_timeserver *ts)
{
    if (ts == NULL)
        return;
    if (ts->fd >= 0)
        close(ts->fd);
    if (ts->stop_fd >= 0)
        close(ts->stop_fd);
    vp_db_finalize(ts->insert);
    vp_store_close(ts->store);
    for (int i = 0; i < ts->nsessions; i++)
        free(ts->sessions[i].ring);
    free(ts->sessions);
    pthread_mutex_destroy(&ts->lock);
    sodium_memzero(&ts->key, sizeof ts->key);
    free(ts);
}

static struct session *find_session(struct vp_timeserver *ts, uint64_t token, const char *appliance,
                                    bool create)
{
    for (int i = 0; i < ts->nsessions; i++)
        if (ts->sessions[i].token == token && strcmp(ts->sessions[i].appliance, appliance) == 0)
            return &ts->sessions[i];
    if (!create || ts->nsessions == MAX_SESSIONS)
        return NULL;
    if (ts->nsessions % 16 == 0) {
        struct session *bigger =
            realloc(ts->sessions, (size_t)(ts->nsessions + 16) * sizeof *bigger);
        if (bigger == NULL)
            return NULL;
        ts->sessions = bigger;
    }
    struct session *s = &ts->sessions[ts->nsessions];
    memset(s, 0, sizeof *s);
    s->ring = calloc(VP_TS_SEQ_WINDOW, sizeof *s->ring);
    if (s->ring == NULL)
        return NULL;
    s->token = token;
    snprintf(s->appliance, sizeof s->appliance, "%s", appliance);
    ts->nsessions++;
    return s;
}

static void store_mark(struct vp_timeserver *ts, const struct vp_probe *p, uint64_t server_ns)
{
    if (ts->insert == NULL)
        return;
    char token[17];
    vp_probe_token_format(p->token, token);
    struct vp_stmt *q = ts->insert;
    vp_db_reset(q);
    vp_db_bind_text(q, 1, token);
    vp_db_bind_text(q, 2, p->appliance);
    vp_db_bind_int64(q, 3, p->round);
    vp_db_bind_text(q, 4, vp_probe_kind_name(p->kind));
    vp_db_bind_int64(q, 5, (int64_t)p->seq);
    vp_db_bind_int64(q, 6, (int64_t)p->sender_ns);
    vp_db_bind_int64(q, 7, (int64_t)server_ns);
    if (vp_db_step(q) != VP_DB_DONE)
        ts->c.store_errors++;
}

static void send_ack(struct vp_timeserver *ts, const struct vp_probe *p, uint64_t server_ns,
                     uint8_t copy, const struct sockaddr_storage *from, socklen_t fromlen)
{
    if (ts->drop_acks > 0) {
        ts->drop_acks--;
        ts->c.acks_dropped++;
        return;
    }
    struct vp_probe ack = *p;
    uint8_t buf[VP_PROBE_SIZE];
    ack.kind = VP_PROBE_ACK;
    ack.acked = p->kind;
    ack.server_ns = server_ns;
    ack.copy = copy;
    vp_probe_encode(&ack, &ts->key, buf);
    if (sendto(ts->fd, buf, sizeof buf, MSG_DONTWAIT, (const struct sockaddr *)from, fromlen) ==
        (ssize_t)sizeof buf)
        ts->c.acks_sent++;
}

/* Judge one datagram, stamped at server_ns; called with the lock held. */
static void handle(struct vp_timeserver *ts, const uint8_t *buf, size_t len, uint64_t server_ns,
                   const struct sockaddr_storage *from, socklen_t fromlen)
{
    struct vp_probe p;
    ts->c.received++;
    switch (vp_probe_decode(buf, len, &ts->key, &p)) {
    case VP_PROBE_OK:
        break;
    case VP_PROBE_TRUNCATED:
        ts->c.truncated++;
        return;
    case VP_PROBE_BAD_VERSION:
        ts->c.bad_version++;
        return;
    case VP_PROBE_BAD_TAG:
        ts->c.bad_hmac++;
        return;
    default:
        ts->c.malformed++;
        return;
    }
    if (p.kind == VP_PROBE_ACK) { /* only servers send acks */
        ts->c.malformed++;
        return;
    }
    if (ts->drop_marks > 0) {
        ts->drop_marks--;
        ts->c.marks_dropped++;
        return;
    }
    struct session *s = find_session(ts, p.token, p.appliance, false);
    if (s) {
        struct mark *m = &s->ring[p.seq % VP_TS_SEQ_WINDOW];
        if (m->seq == p.seq) {
            if (m->kind != p.kind || m->round != p.round || m->sender_ns != p.sender_ns) {
                ts->c.replayed++;
                return;
            }
            ts->c.duplicates++;
            send_ack(ts, &p, m->server_ns, m->copy, from, fromlen);
            return;
        }
        if (s->max_seq >= VP_TS_SEQ_WINDOW && p.seq <= s->max_seq - VP_TS_SEQ_WINDOW) {
            ts->c.replayed++;
            return;
        }
    }
    uint64_t skew = p.sender_ns > server_ns ? p.sender_ns - server_ns : server_ns - p.sender_ns;
    if (skew > ts->window_ns) {
        ts->c.out_of_window++;
        return;
    }
    if (s == NULL && (s = find_session(ts, p.token, p.appliance, true)) == NULL) {
        ts->c.no_room++;
        return;
    }
    s->ring[p.seq % VP_TS_SEQ_WINDOW] =
        (struct mark){p.seq, p.sender_ns, server_ns, p.round, p.kind, p.copy};
    if (p.seq > s->max_seq)
        s->max_seq = p.seq;
    ts->c.accepted++;
    store_mark(ts, &p, server_ns);
    send_ack(ts, &p, server_ns, p.copy, from, fromlen);
}

/* Receive one datagram with its kernel timestamp and handle it. */
static void receive_one(struct vp_timeserver *ts)
{
    uint8_t buf[VP_PROBE_SIZE + 1];
    char control[CMSG_SPACE(sizeof(struct timespec)) * 2];
    struct sockaddr_storage from;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg = {.msg_name = &from,
                         .msg_namelen = sizeof from,
                         .msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = control,
                         .msg_controllen = sizeof control};
    ssize_t n = recvmsg(ts->fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0)
        return;
    uint64_t stamp = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec t;
            memcpy(&t, CMSG_DATA(c), sizeof t);
            stamp = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
        }
    }
    pthread_mutex_lock(&ts->lock);
    if (stamp == 0) {
        ts->c.no_kernel_ts++;
        stamp = vp_wall_ns();
    }
    /* MSG_TRUNC: n is the datagram's real length, so oversize ones are refused */
    handle(ts, buf, (size_t)n, stamp, &from, msg.msg_namelen);
    pthread_mutex_unlock(&ts->lock);
}

int vp_timeserver_serve(struct vp_timeserver *ts, uint64_t duration_ns, struct vp_err *err)
{
    uint64_t deadline = duration_ns ? vp_now_ns() + duration_ns : 0;
    /* SCHED_BATCH: a mark's arrival wakes this thread without preempting the
     * sender, which would otherwise lose its CPU between the kernel's stamp
     * and its own clock reading; the stamps are the kernel's, so serving a
     * little later changes nothing but the acknowledgement's latency */
    struct sched_param sp = {0};
    pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
    for (;;) {
        if (vp_interrupted && !ts->threaded)
            return 0;
        int timeout = 100;
        if (deadline) {
            uint64_t now = vp_now_ns();
            if (now >= deadline)
                return 0;
            if (deadline - now < 100000000u)
                timeout = (int)((deadline - now) / 1000000u) + 1;
        }
        struct pollfd pf[2] = {{ts->fd, POLLIN, 0}, {ts->stop_fd, POLLIN, 0}};
        int n = poll(pf, 2, timeout);
        if (n < 0 && errno != EINTR)
            return vp_run_error(err, errno, "time server: poll");
        if (n <= 0)
            continue;
        if (pf[1].revents)
            return 0;
        if (pf[0].revents & POLLIN)
            receive_one(ts);
    }
}

static void *serve_thread(void *arg)
{
    struct vp_timeserver *ts = arg;
    vp_timeserver_serve(ts, 0, &ts->thread_err);
    return NULL;
}

int vp_timeserver_start(const struct vp_timeserver_cfg *cfg, struct vp_timeserver **out,
                        struct vp_err *err)
{
    int rc = vp_timeserver_open(cfg, out, err);
    if (rc < 0)
        return rc;
    (*out)->threaded = true;
    if ((rc = pthread_create(&(*out)->thread, NULL, serve_thread, *out)) != 0) {
        vp_timeserver_close(*out);
        *out = NULL;
        return vp_run_error(err, rc, "time server: thread");
    }
    return 0;
}

void vp_timeserver_stop(struct vp_timeserver *ts)
{
    if (ts == NULL)
        return;
    uint64_t one = 1;
    if (write(ts->stop_fd, &one, sizeof one) < 0) {
        /* an eventfd write only fails on overflow: the thread is stopping anyway */
    }
    pthread_join(ts->thread, NULL);
    vp_timeserver_close(ts);
}

const char *vp_timeserver_address(const struct vp_timeserver *ts)
{
    return ts->address;
}

void vp_timeserver_counters(struct vp_timeserver *ts, struct vp_timeserver_counters *c)
{
    pthread_mutex_lock(&ts->lock);
    *c = ts->c;
    pthread_mutex_unlock(&ts->lock);
}

int vp_timeserver_lookup(struct vp_timeserver *ts, uint64_t token, const char *appliance,
                         uint32_t round, int kind, uint64_t *server_ns)
{
    int rc = -ENOENT;
    pthread_mutex_lock(&ts->lock);
    struct session *s = find_session(ts, token, appliance, false);
    for (int i = 0; s && i < VP_TS_SEQ_WINDOW; i++) {
        const struct mark *m = &s->ring[i];
        if (m->seq && m->round == round && m->kind == kind) {
            *server_ns = m->server_ns;
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&ts->lock);
    return rc;
}

void vp_timeserver_print_counters(FILE *out, const struct vp_timeserver_counters *c)
{
    const struct {
        const char *name;
        uint64_t v;
    } rows[] = {
        {"received", c->received},         {"accepted", c->accepted},
        {"duplicates", c->duplicates},     {"acks_sent", c->acks_sent},
        {"acks_dropped", c->acks_dropped}, {"marks_dropped", c->marks_dropped},
        {"truncated", c->truncated},       {"malformed", c->malformed},
        {"bad_version", c->bad_version},   {"bad_hmac", c->bad_hmac},
        {"replayed", c->replayed},         {"out_of_window", c->out_of_window},
        {"no_room", c->no_room},           {"no_kernel_ts", c->no_kernel_ts},
        {"store_errors", c->store_errors},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        fprintf(out, "%-14s %" PRIu64 "\n", rows[i].name, rows[i].v);
}
