#include "rtp/media_server.h"

#include <errno.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtp/g711.h"
#include "rtp/rtp.h"

#define BATCH  64
#define PKT    2048
#define RCVBUF (8 << 20)

struct worker {
    struct vp_media_server *ms;
    pthread_t thread;
    bool started;
    int fd;
    /* written by the worker, read by others: relaxed atomics */
    _Atomic uint64_t received, relayed, transcoded, not_rtp, send_errors, rxq_drops;
    struct mmsghdr in[BATCH], out[BATCH];
    struct iovec iov[BATCH], oiov[BATCH];
    struct sockaddr_storage from[BATCH];
    uint8_t ctl[BATCH][CMSG_SPACE(sizeof(uint32_t))];
    uint8_t buf[BATCH][PKT];
    int16_t scratch[2 * PKT];
};

struct vp_media_server {
    struct vp_media_server_cfg cfg;
    struct vp_fir fir;
    atomic_bool stop;
    uint16_t port;
    int64_t snmp0;
    int nworkers;
    struct worker *workers;
};

int64_t vp_udp_rcvbuf_errors(void)
{
    FILE *f = fopen("/proc/net/snmp", "r");
    if (f == NULL)
        return -1;
    char names[1024], values[1024];
    int64_t result = -1;
    while (fgets(names, sizeof names, f) && fgets(values, sizeof values, f)) {
        if (strncmp(names, "Udp:", 4) != 0)
            continue;
        /* the header line names the columns; find RcvbufErrors among them */
        char *sn, *sv;
        char *n = strtok_r(names, " \n", &sn), *v = strtok_r(values, " \n", &sv);
        while (n && v) {
            if (strcmp(n, "RcvbufErrors") == 0) {
                result = strtoll(v, NULL, 10);
                break;
            }
            n = strtok_r(NULL, " \n", &sn);
            v = strtok_r(NULL, " \n", &sv);
        }
        break;
    }
    fclose(f);
    return result;
}

/* The per-packet work on the payload, leaving the virtperf probe intact. */
static void work(struct worker *w, uint8_t *pkt, size_t len)
{
    struct vp_rtp_header h;
    size_t off, plen;
    if (vp_rtp_header_decode(pkt, len, &h, &off, &plen) < 0 || plen == 0)
        return;
    uint8_t probe[VP_RTP_PROBE_LEN];
    size_t keep = plen < VP_RTP_PROBE_LEN ? plen : VP_RTP_PROBE_LEN;
    memcpy(probe, pkt + off, keep);
    vp_g711_transcode(&w->ms->fir, pkt + off, plen, w->scratch);
    memcpy(pkt + off, probe, keep);
    atomic_fetch_add_explicit(&w->transcoded, 1, memory_order_relaxed);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    const struct vp_media_server_cfg *cfg = &w->ms->cfg;
    while (!atomic_load(&w->ms->stop)) {
        for (int i = 0; i < BATCH; i++) {
            w->in[i].msg_hdr.msg_namelen = sizeof w->from[i];
            w->in[i].msg_hdr.msg_controllen = sizeof w->ctl[i];
            w->in[i].msg_hdr.msg_flags = 0;
            w->iov[i].iov_len = PKT;
        }
        int n = recvmmsg(w->fd, w->in, BATCH, MSG_WAITFORONE, NULL);
        if (n <= 0)
            continue; /* timeout (SO_RCVTIMEO) or signal: look at the stop flag */
        int nout = 0;
        uint64_t bad = 0;
        for (int i = 0; i < n; i++) {
            struct msghdr *m = &w->in[i].msg_hdr;
            for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
                    uint32_t d;
                    memcpy(&d, CMSG_DATA(cm), sizeof d);
                    atomic_store_explicit(&w->rxq_drops, d, memory_order_relaxed);
                }
            }
            size_t len = w->in[i].msg_len;
            if (len < VP_RTP_HEADER_LEN || w->buf[i][0] >> 6 != 2) {
                bad++;
                continue;
            }
            if (cfg->transcode)
                work(w, w->buf[i], len);
            w->oiov[nout] = (struct iovec){w->buf[i], len};
            w->out[nout].msg_hdr = (struct msghdr){
                .msg_name = cfg->peer_len ? (void *)&cfg->peer : (void *)&w->from[i],
                .msg_namelen = cfg->peer_len ? cfg->peer_len : m->msg_namelen,
                .msg_iov = &w->oiov[nout],
                .msg_iovlen = 1};
            nout++;
        }
        int done = 0;
        while (done < nout) {
            int s = sendmmsg(w->fd, w->out + done, (unsigned)(nout - done), 0);
            if (s < 0) {
                if (errno == EINTR)
                    continue;
                /* skip the packet that failed (e.g. its source went away) and go on */
                atomic_fetch_add_explicit(&w->send_errors, 1, memory_order_relaxed);
                done++;
                continue;
            }
            atomic_fetch_add_explicit(&w->relayed, (uint64_t)s, memory_order_relaxed);
            done += s;
        }
        atomic_fetch_add_explicit(&w->received, (uint64_t)n, memory_order_relaxed);
        atomic_fetch_add_explicit(&w->not_rtp, bad, memory_order_relaxed);
    }
    return NULL;
}

static int open_worker_socket(struct vp_media_server *ms, struct worker *w, struct vp_err *err)
{
    struct vp_media_server_cfg *cfg = &ms->cfg;
    w->fd = socket(cfg->listen.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (w->fd < 0)
        return vp_run_error(err, errno, "media-server: socket");
    int one = 1, size = RCVBUF;
    struct timeval tv = {.tv_usec = 100000};
    setsockopt(w->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(w->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
    setsockopt(w->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
        setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (bind(w->fd, (struct sockaddr *)&cfg->listen, cfg->listen_len) < 0) {
        if (errno == EADDRINUSE || errno == EADDRNOTAVAIL || errno == EACCES)
            return vp_input_error(err, "media-server: cannot listen there: %s", strerror(errno));
        return vp_run_error(err, errno, "media-server: bind");
    }
    if (ms->port == 0) { /* port 0 asked for any: the others join the one picked */
        struct sockaddr_storage a;
        socklen_t alen = sizeof a;
        getsockname(w->fd, (struct sockaddr *)&a, &alen);
        ms->port = ntohs(((struct sockaddr_in *)&a)->sin_port); /* same offset in sin6 */
        ((struct sockaddr_in *)&cfg->listen)->sin_port = htons(ms->port);
    }
    for (int i = 0; i < BATCH; i++) {
        w->iov[i] = (struct iovec){w->buf[i], PKT};
        w->in[i].msg_hdr = (struct msghdr){.msg_name = &w->from[i],
                                           .msg_iov = &w->iov[i],
                                           .msg_iovlen = 1,
                                           .msg_control = w->ctl[i]};
    }
    return 0;
}

int vp_media_server_start(const struct vp_media_server_cfg *cfg, struct vp_media_server **out,
                          struct vp_err *err)
{
    int rc = 0;
    struct vp_media_server *ms = calloc(1, sizeof *ms);
    if (ms == NULL)
        return vp_run_error(err, ENOMEM, "media-server");
    ms->cfg = *cfg;
    ms->port = ntohs(((const struct sockaddr_in *)&cfg->listen)->sin_port);
    ms->snmp0 = vp_udp_rcvbuf_errors();
    vp_fir_init(&ms->fir, cfg->fir_taps);
    ms->workers = calloc((size_t)cfg->threads, sizeof *ms->workers);
    if (ms->workers == NULL) {
        rc = vp_run_error(err, ENOMEM, "media-server");
        goto out;
    }
    ms->nworkers = cfg->threads;
    for (int i = 0; i < cfg->threads; i++) {
        ms->workers[i].fd = -1;
        ms->workers[i].ms = ms;
    }
    for (int i = 0; i < cfg->threads; i++)
        if ((rc = open_worker_socket(ms, &ms->workers[i], err)) < 0)
            goto out;
    /* the workers leave SIGINT/SIGTERM to the main thread */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (int i = 0; i < cfg->threads; i++) {
        int e = pthread_create(&ms->workers[i].thread, NULL, worker_main, &ms->workers[i]);
        if (e != 0) {
            rc = vp_run_error(err, e, "media-server: pthread_create");
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            goto out;
        }
        ms->workers[i].started = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
    if (rc < 0) {
        vp_media_server_stop(ms, NULL);
        ms = NULL;
    }
    *out = ms;
    return rc;
}

uint16_t vp_media_server_port(const struct vp_media_server *ms)
{
    return ms->port;
}

void vp_media_server_counters(struct vp_media_server *ms, struct vp_media_server_counters *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < ms->nworkers; i++) {
        struct worker *w = &ms->workers[i];
        c->received += atomic_load_explicit(&w->received, memory_order_relaxed);
        c->relayed += atomic_load_explicit(&w->relayed, memory_order_relaxed);
        c->transcoded += atomic_load_explicit(&w->transcoded, memory_order_relaxed);
        c->not_rtp += atomic_load_explicit(&w->not_rtp, memory_order_relaxed);
        c->send_errors += atomic_load_explicit(&w->send_errors, memory_order_relaxed);
        uint64_t drops = atomic_load_explicit(&w->rxq_drops, memory_order_relaxed);
        /* SO_RXQ_OVFL only tells with the next packet read; SO_MEMINFO tells now */
        uint32_t mem[SK_MEMINFO_VARS];
        socklen_t len = sizeof mem;
        if (w->fd >= 0 && getsockopt(w->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 &&
            len > SK_MEMINFO_DROPS * sizeof(uint32_t) && mem[SK_MEMINFO_DROPS] > drops)
            drops = mem[SK_MEMINFO_DROPS];
        c->rxq_drops += drops;
    }
    int64_t now = vp_udp_rcvbuf_errors();
    c->snmp_rcvbuf_errors = ms->snmp0 >= 0 && now >= 0 ? now - ms->snmp0 : -1;
}

void vp_media_server_stop(struct vp_media_server *ms, struct vp_media_server_counters *c)
{
    if (ms == NULL)
        return;
    atomic_store(&ms->stop, true);
    for (int i = 0; i < ms->nworkers; i++)
        if (ms->workers[i].started)
            pthread_join(ms->workers[i].thread, NULL);
    if (c)
        vp_media_server_counters(ms, c);
    for (int i = 0; i < ms->nworkers; i++)
        if (ms->workers[i].fd >= 0)
            close(ms->workers[i].fd);
    free(ms->workers);
    free(ms);
}
