#include "rtp/media_server.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/udp_engine.h"
#include "rtp/g711.h"
#include "rtp/rtp.h"

#define BATCH   64
#define RCVBUF  (8 << 20)
#define WAIT_MS 100 /* a worker looks at the stop flag this often */
#define PKT_MAX 2048

struct worker {
    struct vp_media_server *ms;
    pthread_t thread;
    bool started;
    int sock; /* its socket of the engine's receiver */
    struct vp_udp_txq *txq;
    /* written by the worker, read by others: relaxed atomics */
    _Atomic uint64_t received, relayed, transcoded, not_rtp, send_errors;
    int16_t scratch[PKT_MAX + VP_FIR_MAX_TAPS];
};

struct vp_media_server {
    struct vp_media_server_cfg cfg;
    struct vp_fir fir;
    atomic_bool stop;
    uint16_t port;
    int64_t snmp0;
    struct vp_udp_rx *rx; /* one SO_REUSEPORT socket per worker */
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

/* A packet: worked on in place and queued to the other leg. */
static void on_packet(void *arg, struct vp_udp_pkt *p)
{
    struct worker *w = arg;
    const struct vp_media_server_cfg *cfg = &w->ms->cfg;
    atomic_fetch_add_explicit(&w->received, 1, memory_order_relaxed);
    if (p->kept < VP_RTP_HEADER_LEN || p->data[0] >> 6 != 2) {
        atomic_fetch_add_explicit(&w->not_rtp, 1, memory_order_relaxed);
        return;
    }
    if (cfg->transcode)
        work(w, p->data, p->kept);
    if (cfg->peer_len)
        vp_udp_txq_push_ref(w->txq, p->data, p->kept, 0, NULL, 0);
    else
        vp_udp_txq_push_ref(w->txq, p->data, p->kept, 0, p->from, p->from_len);
}

/* The batch's relays leave in one sendmmsg; one the kernel refuses (its
 * source went away) is skipped. */
static bool on_batch_end(void *arg, int sock)
{
    (void)sock;
    struct worker *w = arg;
    const struct vp_udp_txq_stats *st = vp_udp_txq_stats(w->txq);
    vp_udp_txq_flush(w->txq);
    atomic_store_explicit(&w->relayed, st->sent, memory_order_relaxed);
    atomic_store_explicit(&w->send_errors, st->dropped, memory_order_relaxed);
    return true;
}

static void *worker_main(void *arg)
{
    static const struct vp_udp_rx_ops ops = {on_packet, on_batch_end};
    struct worker *w = arg;
    while (!atomic_load(&w->ms->stop))
        vp_udp_rx_read(w->ms->rx, w->sock, WAIT_MS, &ops, w);
    return NULL;
}

int vp_media_server_start(const struct vp_media_server_cfg *cfg, struct vp_media_server **out,
                          struct vp_err *err)
{
    int rc = 0;
    struct vp_media_server *ms = calloc(1, sizeof *ms);
    if (ms == NULL)
        return vp_run_error(err, ENOMEM, "media-server");
    ms->cfg = *cfg;
    ms->snmp0 = vp_udp_rcvbuf_errors();
    vp_fir_init(&ms->fir, cfg->fir_taps);
    struct vp_udp_rx_cfg rc_cfg = {.at = cfg->listen,
                                   .at_len = cfg->listen_len,
                                   .sockets = cfg->threads,
                                   .batch = BATCH,
                                   .no_stamps = true,
                                   .rcvbuf = RCVBUF};
    if ((rc = vp_udp_rx_open(&rc_cfg, &ms->rx, err)) < 0) {
        vp_err_prefix(err, "media-server");
        goto out;
    }
    ms->port = (uint16_t)vp_udp_rx_port(ms->rx);
    ms->workers = calloc((size_t)cfg->threads, sizeof *ms->workers);
    if (ms->workers == NULL) {
        rc = vp_run_error(err, ENOMEM, "media-server");
        goto out;
    }
    ms->nworkers = cfg->threads;
    for (int i = 0; i < cfg->threads; i++) {
        struct worker *w = &ms->workers[i];
        w->ms = ms;
        w->sock = i;
        struct vp_udp_txq_cfg qc = {.fd = vp_udp_rx_fd(ms->rx, i),
                                    .cap = BATCH,
                                    .gso = cfg->gso,
                                    .to = (const struct sockaddr *)&ms->cfg.peer,
                                    .to_len = cfg->peer_len};
        if ((rc = vp_udp_txq_open(&qc, &w->txq, err)) < 0)
            goto out;
    }
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
    }
    c->rxq_drops = vp_udp_rx_drops(ms->rx);
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
        vp_udp_txq_close(ms->workers[i].txq);
    vp_udp_rx_close(ms->rx);
    free(ms->workers);
    free(ms);
}
