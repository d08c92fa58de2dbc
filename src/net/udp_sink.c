#include "net/udp_sink.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "net/udp_ctl.h"
#include "net/udp_report.h"

#define MAX_INTERVALS 20000 /* per run: what a START may ask the sink to keep */

/* A generator's run, as its START described it. */
struct run {
    uint64_t token;
    struct vp_udp_start plan;
    struct vp_udp_start_ack ack;
    int down; /* its down flow's index in flows, or -1 */
    struct vp_udp_tx *tx;
    pthread_t thread;
    bool started, joined;
    atomic_bool done;
    struct vp_udp_tx_stats st; /* the thread's until done */
    uint64_t *sent;            /* per interval */
};

struct vp_udp_sink {
    struct vp_udp_rx *rx;
    int nflows, nruns;
    struct vp_udp_sink_flow flows[VP_UDP_SINK_MAX_FLOWS];
    struct run *runs[VP_UDP_SINK_MAX_FLOWS];
    uint64_t foreign, overflow;
};

int vp_udp_sink_open(const struct vp_udp_rx_cfg *cfg, struct vp_udp_sink **out, struct vp_err *err)
{
    struct vp_udp_sink *s = calloc(1, sizeof *s);
    *out = NULL;
    if (s == NULL)
        return vp_run_error(err, ENOMEM, "udp-sink");
    int rc = vp_udp_rx_open(cfg, &s->rx, err);
    if (rc < 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int vp_udp_sink_port(const struct vp_udp_sink *s)
{
    return vp_udp_rx_port(s->rx);
}

static int flow_find(const struct vp_udp_sink *s, uint64_t token, uint16_t id)
{
    for (int i = 0; i < s->nflows; i++)
        if (s->flows[i].token == token && s->flows[i].id == id)
            return i;
    return -1;
}

/* The flow, made on its first datagram; -1 past the limit. */
static int flow_of(struct vp_udp_sink *s, uint64_t token, uint16_t id, bool down)
{
    int i = flow_find(s, token, id);
    if (i >= 0 || s->nflows == VP_UDP_SINK_MAX_FLOWS)
        return i;
    struct vp_udp_sink_flow *e = &s->flows[s->nflows];
    *e = (struct vp_udp_sink_flow){.token = token, .id = id, .down = down};
    if (!down) {
        if ((e->f = malloc(sizeof *e->f)) == NULL)
            return -1;
        vp_udp_flow_init(e->f);
    }
    return s->nflows++;
}

static struct run *run_find(const struct vp_udp_sink *s, uint64_t token)
{
    for (int i = 0; i < s->nruns; i++)
        if (s->runs[i]->token == token)
            return s->runs[i];
    return NULL;
}

static void *down_sender(void *arg)
{
    struct run *r = arg;
    struct vp_err err = {0};
    vp_udp_tx_run(r->tx, r->plan.down_duration_ns, &r->st, &err);
    atomic_store_explicit(&r->done, true, memory_order_release);
    return NULL;
}

/* Start sending the down flow of run r to the generator at `from`, on the
 * port its START named: 0 or an errno. */
static uint64_t start_down(struct vp_udp_sink *s, struct run *r, const struct vp_udp_dgram *d)
{
    const struct vp_udp_start *p = &r->plan;
    if ((r->down = flow_of(s, r->token, p->down_flow, true)) < 0)
        return ENOSPC;
    if ((r->sent = calloc(p->nintervals ? p->nintervals : 1, sizeof *r->sent)) == NULL)
        return ENOMEM;
    struct vp_udp_tx_cfg cfg = {.size = p->down_size,
                                .rate = p->down_rate,
                                .batch = (int)p->down_batch,
                                .flow = p->down_flow,
                                .token = r->token,
                                .epoch_ns = vp_wall_ns(),
                                .interval_ns = p->interval_ns,
                                .nintervals = p->nintervals,
                                .interval_sent = r->sent};
    if (d->from_len > sizeof cfg.to)
        return EINVAL;
    memcpy(&cfg.to, d->from, d->from_len);
    cfg.to_len = d->from_len;
    uint16_t port = htons(p->down_port);
    if (cfg.to.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&cfg.to)->sin6_port = port;
    else
        ((struct sockaddr_in *)&cfg.to)->sin_port = port;
    struct vp_err err = {0};
    int rc = vp_udp_tx_open(&cfg, &r->tx, &err);
    if (rc < 0)
        return (uint64_t)-rc;
    r->ack.down_epoch_ns = cfg.epoch_ns;
    if ((rc = pthread_create(&r->thread, NULL, down_sender, r)) != 0)
        return (uint64_t)rc;
    r->started = true;
    return 0;
}

/* A START: the run's intervals and its down flow, once; the answer always. */
static size_t on_start(struct vp_udp_sink *s, const struct vp_udp_dgram *d, uint8_t *reply)
{
    struct vp_udp_start p;
    if (!vp_udp_start_get(d->data, d->kept, &p))
        return 0;
    struct run *r = run_find(s, d->h.token);
    if (r == NULL) {
        if (s->nruns == VP_UDP_SINK_MAX_FLOWS || (r = calloc(1, sizeof *r)) == NULL) {
            struct vp_udp_start_ack full = {0, s->nruns == VP_UDP_SINK_MAX_FLOWS ? ENOSPC : ENOMEM};
            struct vp_udp_header a = {VP_UDP_START | VP_UDP_REPORT, d->h.flow, d->h.seq,
                                      vp_wall_ns(), d->h.token};
            return vp_udp_start_ack_put(reply, &a, &full);
        }
        s->runs[s->nruns++] = r;
        r->token = d->h.token;
        r->plan = p;
        r->down = -1;
        int up = -1;
        if (p.nintervals > MAX_INTERVALS || p.interval_ns == 0)
            r->ack.error = EINVAL;
        else if ((p.directions & VP_UDP_UP) && (up = flow_of(s, r->token, d->h.flow, false)) < 0)
            r->ack.error = ENOSPC;
        else if (up >= 0 &&
                 vp_udp_flow_intervals(s->flows[up].f, p.epoch_ns, p.interval_ns, p.nintervals))
            r->ack.error = ENOMEM;
        else if (p.directions & VP_UDP_DOWN)
            r->ack.error = start_down(s, r, d);
    }
    struct vp_udp_header a = {VP_UDP_START | VP_UDP_REPORT, d->h.flow, d->h.seq, vp_wall_ns(),
                              r->token};
    return vp_udp_start_ack_put(reply, &a, &r->ack);
}

static bool down_done(struct run *r)
{
    if (!r->started || !atomic_load_explicit(&r->done, memory_order_acquire))
        return false;
    if (!r->joined) {
        pthread_join(r->thread, NULL);
        r->joined = true;
    }
    return true;
}

/* A FIN for a down flow: stop it when asked; once it ended, what it sent. */
static size_t on_down_fin(struct vp_udp_sink *s, struct run *r, const struct vp_udp_dgram *d,
                          uint8_t *reply)
{
    if (!r->started)
        return 0;
    if (!down_done(r)) {
        if (d->h.seq == 1)
            vp_udp_tx_stop(r->tx); /* the answer goes to the FIN resent after it stopped */
        return 0;
    }
    const struct vp_udp_tx_stats *st = &r->st;
    s->flows[r->down].sent = st->sent;
    struct vp_udp_tx_report t = {st->sent,
                                 st->planned,
                                 st->refused,
                                 st->calls,
                                 st->cpu_ns,
                                 st->elapsed_ns,
                                 st->late.count,
                                 (uint64_t)vp_hist_percentile(&st->late, 50),
                                 (uint64_t)vp_hist_percentile(&st->late, 99),
                                 st->late.count ? st->late.max : 0};
    struct vp_udp_header a = {VP_UDP_REPORT, d->h.flow, d->h.seq, vp_wall_ns(), r->token};
    return vp_udp_tx_report_put(reply, &a, &t);
}

/* A PAGE: of an up flow's figures, or of what a stopped down flow sent. */
static size_t on_page(struct vp_udp_sink *s, const struct vp_udp_dgram *d, uint8_t *reply)
{
    enum vp_udp_page_kind kind;
    int i = flow_find(s, d->h.token, d->h.flow);
    if (i < 0 || !vp_udp_page_ask_get(d->data, d->kept, &kind))
        return 0;
    struct vp_udp_page pg = {0};
    if (!s->flows[i].down) {
        if (kind == VP_UDP_PAGE_INTERVALS)
            vp_udp_page_of_intervals(s->flows[i].f, d->h.seq, &pg);
        else
            vp_udp_page_of_buckets(s->flows[i].f, d->h.seq, &pg);
    } else {
        struct run *r = run_find(s, d->h.token);
        if (r == NULL || kind != VP_UDP_PAGE_INTERVALS || !down_done(r))
            return 0;
        uint64_t n = r->plan.nintervals, k = d->h.seq;
        pg.kind = kind;
        for (; k < n && pg.count < VP_UDP_PAGE_INTERVALS_MAX; k++)
            pg.iv[pg.count++] = (struct vp_udp_ival){.sent = r->sent[k]};
        pg.next = k > n ? n : k;
    }
    struct vp_udp_header a = {VP_UDP_PAGE | VP_UDP_REPORT, d->h.flow, d->h.seq, vp_wall_ns(),
                              d->h.token};
    return vp_udp_page_put(reply, &a, &pg);
}

static size_t on_datagram(void *arg, const struct vp_udp_dgram *d, uint8_t *reply)
{
    struct vp_udp_sink *s = arg;
    const struct vp_udp_header *h = &d->h;
    if (h->flags & VP_UDP_REPORT) /* an answer: not for a sink */
        return 0;
    if (h->flags & VP_UDP_START)
        return on_start(s, d, reply);
    if (h->flags & VP_UDP_PAGE)
        return on_page(s, d, reply);
    int i = flow_of(s, h->token, h->flow, false);
    if (i < 0) {
        s->overflow++;
        return 0;
    }
    struct vp_udp_sink_flow *e = &s->flows[i];
    if (e->down) { /* the generator's FIN of what this sink sends */
        struct run *r = run_find(s, h->token);
        return (h->flags & VP_UDP_FIN) && r ? on_down_fin(s, r, d, reply) : 0;
    }
    if (h->flags & VP_UDP_FIN) { /* what this flow's sender asks at its end */
        struct vp_udp_report r;
        struct vp_udp_header a = {VP_UDP_REPORT, h->flow, h->seq, vp_wall_ns(), h->token};
        vp_udp_report_of(e->f, &r);
        vp_udp_header_put(reply, &a);
        vp_udp_report_put(reply, &r);
        return VP_UDP_REPORT_SIZE;
    }
    if (h->flags == 0) /* the delay is kept as if clocks were shared: the generator judges */
        vp_udp_flow_add(e->f, h->seq, d->size, h->tx_ns, d->rx_ns, true);
    return 0;
}

int vp_udp_sink_poll(struct vp_udp_sink *s, int timeout_ms)
{
    int rc = vp_udp_rx_poll(s->rx, timeout_ms, on_datagram, s, &s->foreign);
    return rc < 0 ? rc : 0;
}

void vp_udp_sink_stop(struct vp_udp_sink *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < s->nruns; i++) {
        struct run *r = s->runs[i];
        if (r->started && !r->joined) {
            vp_udp_tx_stop(r->tx);
            pthread_join(r->thread, NULL);
            r->joined = true;
        }
        if (r->started && r->down >= 0)
            s->flows[r->down].sent = r->st.sent;
        vp_udp_tx_close(r->tx);
        r->tx = NULL;
    }
    vp_udp_rx_close(s->rx);
    s->rx = NULL;
}

void vp_udp_sink_free(struct vp_udp_sink *s)
{
    if (s == NULL)
        return;
    vp_udp_sink_stop(s);
    for (int i = 0; i < s->nruns; i++) {
        free(s->runs[i]->sent);
        free(s->runs[i]);
    }
    for (int i = 0; i < s->nflows; i++) {
        if (s->flows[i].f)
            vp_udp_flow_free(s->flows[i].f);
        free(s->flows[i].f);
    }
    free(s);
}

int vp_udp_sink_flows(const struct vp_udp_sink *s, const struct vp_udp_sink_flow **flows)
{
    *flows = s->flows;
    return s->nflows;
}

uint64_t vp_udp_sink_foreign(const struct vp_udp_sink *s)
{
    return s->foreign;
}

uint64_t vp_udp_sink_overflow(const struct vp_udp_sink *s)
{
    return s->overflow;
}
