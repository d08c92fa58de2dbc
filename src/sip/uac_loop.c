/* One sip-uac event loop: call state machines, a timer wheel, batched I/O. */
#include "sip/uac_loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/signals.h"

static const char sdp[] = "v=0\r\no=virtperf 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                          "t=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

static struct vp_sip_interval *cur_iv(struct vp_uac_loop *l, uint64_t now)
{
    uint64_t i = now > l->t0 ? (now - l->t0) / l->cfg->interval_ns : 0;
    if (i >= (uint64_t)l->niv)
        i = (uint64_t)l->niv - 1;
    if ((int)i + 1 > l->niv_used)
        l->niv_used = (int)i + 1;
    return &l->iv[i];
}

static void flush(struct vp_uac_loop *l)
{
    struct vp_uac_io *io = l->io;
    int off = 0;
    while (off < io->nsend) {
        int n = sendmmsg(l->sock, io->smsg + off, (unsigned)(io->nsend - off), 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            off++; /* a refused or dropped datagram: the timers deal with it */
            continue;
        }
        off += n;
    }
    io->nsend = 0;
}

static void out_begin(struct vp_uac_loop *l, struct vp_sip_buf *b)
{
    if (l->io->nsend == BATCH)
        flush(l);
    vp_sip_buf_init(b, l->io->sbuf[l->io->nsend], MSG_MAX);
}

static void out_commit(struct vp_uac_loop *l, struct vp_sip_buf *b)
{
    if (b->overflow)
        return;
    l->io->siov[l->io->nsend].iov_len = b->len;
    l->io->nsend++;
}

/* The wheel keeps one timer per call: the next retransmission, timeout or BYE. */
static void timer_unlink(struct vp_uac_loop *l, uint32_t idx)
{
    struct vp_uac_call *c = &l->calls[idx];
    if (!c->linked)
        return;
    if (c->prev)
        l->calls[c->prev - 1].next = c->next;
    else
        l->wheel[c->slot] = c->next;
    if (c->next)
        l->calls[c->next - 1].prev = c->prev;
    c->linked = false;
    l->ntimers--;
}

static void timer_set(struct vp_uac_loop *l, uint32_t idx, uint64_t due)
{
    struct vp_uac_call *c = &l->calls[idx];
    timer_unlink(l, idx);
    c->due = due;
    c->slot = (uint16_t)((due / 1000000) % NSLOT);
    c->prev = 0;
    c->next = l->wheel[c->slot];
    if (c->next)
        l->calls[c->next - 1].prev = idx + 1;
    l->wheel[c->slot] = idx + 1;
    c->linked = true;
    l->ntimers++;
    if (due < l->wheel_min)
        l->wheel_min = due;
}

/* After the wheel ran up to now: the earliest pending due time (the first
 * slot ahead holding a timer due within one turn of the wheel). */
static void wheel_rescan(struct vp_uac_loop *l, uint64_t now)
{
    uint64_t now_ms = now / 1000000;
    l->wheel_min = UINT64_MAX;
    for (uint64_t ms = now_ms; ms < now_ms + NSLOT && l->ntimers; ms++) {
        uint64_t best = UINT64_MAX;
        for (uint32_t i = l->wheel[ms % NSLOT]; i; i = l->calls[i - 1].next) {
            uint64_t d = l->calls[i - 1].due;
            if (d / 1000000 <= ms && d < best)
                best = d;
        }
        if (best != UINT64_MAX) {
            l->wheel_min = best;
            return;
        }
    }
    if (l->ntimers) /* everything is more than a turn away */
        l->wheel_min = (now_ms + NSLOT) * 1000000;
}

static void put_ids(struct vp_uac_loop *l, struct vp_sip_buf *b, uint32_t idx)
{
    vp_sip_put(b, l->token, l->token_len);
    VP_SIP_PUTL(b, "-");
    vp_sip_put_hex(b, idx);
    VP_SIP_PUTL(b, "-");
    vp_sip_put_hex(b, l->calls[idx].gen);
}

/* Request line, Via (branch kind 'i', 'a' or 'b'), Max-Forwards, From, Call-ID. */
static void put_head(struct vp_uac_loop *l, struct vp_sip_buf *b, uint32_t idx, const char *method,
                     bool in_dialog, char kind)
{
    struct vp_uac_call *c = &l->calls[idx];
    vp_sip_puts(b, method);
    if (in_dialog && c->ruri_len) {
        VP_SIP_PUTL(b, " ");
        vp_sip_put(b, c->ruri, c->ruri_len);
    } else {
        VP_SIP_PUTL(b, " sip:service@");
        vp_sip_put(b, l->target, l->target_len);
    }
    VP_SIP_PUTL(b, " SIP/2.0\r\nVia: SIP/2.0/UDP ");
    vp_sip_put(b, l->local, l->local_len);
    VP_SIP_PUTL(b, ";branch=" VP_SIP_COOKIE "-");
    put_ids(l, b, idx);
    char k[3] = {'-', kind, 0};
    vp_sip_puts(b, k);
    VP_SIP_PUTL(b, ";rport\r\n");
    if (in_dialog && c->route)
        vp_sip_put(b, c->route, c->route_len);
    VP_SIP_PUTL(b, "Max-Forwards: 70\r\nFrom: <sip:virtperf@");
    vp_sip_put(b, l->local, l->local_len);
    VP_SIP_PUTL(b, ">;tag=");
    put_ids(l, b, idx);
    VP_SIP_PUTL(b, "\r\nTo: <sip:service@");
    vp_sip_put(b, l->target, l->target_len);
    VP_SIP_PUTL(b, ">");
    if (c->tag_len) {
        VP_SIP_PUTL(b, ";tag=");
        vp_sip_put(b, c->to_tag, c->tag_len);
    }
    VP_SIP_PUTL(b, "\r\nCall-ID: ");
    put_ids(l, b, idx);
    VP_SIP_PUTL(b, "@virtperf\r\n");
}

static void send_invite(struct vp_uac_loop *l, uint32_t idx)
{
    struct vp_sip_buf b;
    out_begin(l, &b);
    put_head(l, &b, idx, "INVITE", false, 'i');
    VP_SIP_PUTL(&b, "CSeq: 1 INVITE\r\nContact: <sip:virtperf@");
    vp_sip_put(&b, l->local, l->local_len);
    VP_SIP_PUTL(&b, ">\r\nContent-Type: application/sdp\r\nContent-Length: ");
    vp_sip_put_u64(&b, sizeof sdp - 1);
    VP_SIP_PUTL(&b, "\r\n\r\n");
    vp_sip_put(&b, sdp, sizeof sdp - 1);
    out_commit(l, &b);
}

/* ACK: for a 2xx a new transaction in the dialog; otherwise hop-by-hop. */
static void send_ack(struct vp_uac_loop *l, uint32_t idx, bool success)
{
    struct vp_sip_buf b;
    out_begin(l, &b);
    put_head(l, &b, idx, "ACK", success, success ? 'a' : 'i');
    VP_SIP_PUTL(&b, "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n");
    out_commit(l, &b);
}

static void send_bye(struct vp_uac_loop *l, uint32_t idx)
{
    struct vp_sip_buf b;
    out_begin(l, &b);
    put_head(l, &b, idx, "BYE", true, 'b');
    VP_SIP_PUTL(&b, "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n");
    out_commit(l, &b);
}

static void call_end(struct vp_uac_loop *l, uint32_t idx, uint64_t now, int fail)
{
    struct vp_uac_call *c = &l->calls[idx];
    struct vp_sip_interval *iv = cur_iv(l, now);
    if (fail < 0)
        iv->c.successful++;
    else
        iv->c.failed[fail]++;
    timer_unlink(l, idx);
    free(c->route);
    c->route = NULL;
    c->state = C_FREE;
    c->gen++;
    c->next = l->free_head;
    l->free_head = idx + 1;
    l->active--;
}

static int fail_of(int status)
{
    return status >= 600   ? VP_SIP_FAIL_6XX
           : status >= 500 ? VP_SIP_FAIL_5XX
           : status >= 400 ? VP_SIP_FAIL_4XX
                           : VP_SIP_FAIL_UNEXPECTED;
}

static void start_bye(struct vp_uac_loop *l, uint32_t idx, uint64_t now)
{
    struct vp_uac_call *c = &l->calls[idx];
    send_bye(l, idx);
    c->state = C_BYE;
    c->retx = l->cfg->t1_ns;
    c->deadline = now + 64 * l->cfg->t1_ns; /* timer F */
    timer_set(l, idx, now + c->retx);       /* timer E */
}

/* Keep the remote target (Contact) and route set (Record-Route, reversed). */
static void keep_dialog(struct vp_uac_call *c, const struct vp_sip_msg *m)
{
    c->tag_len = m->to_tag.len < sizeof c->to_tag ? (uint8_t)m->to_tag.len : 0;
    memcpy(c->to_tag, m->to_tag.p, c->tag_len);
    c->ruri_len = 0;
    if (m->contact.len) {
        const char *a = m->contact.p, *e = a + m->contact.len;
        const char *lt = memchr(a, '<', m->contact.len);
        if (lt) {
            a = lt + 1;
            const char *gt = memchr(a, '>', (size_t)(e - a));
            e = gt ? gt : e;
        } else {
            const char *semi = memchr(a, ';', m->contact.len);
            e = semi ? semi : e;
        }
        if (e > a && (size_t)(e - a) < sizeof c->ruri) {
            memcpy(c->ruri, a, (size_t)(e - a));
            c->ruri_len = (uint8_t)(e - a);
        }
    }
    if (m->nrr) {
        size_t n = 16;
        for (int i = 0; i < m->nrr; i++)
            n += m->rr[i].len + 2;
        c->route = malloc(n);
        if (c->route) {
            struct vp_sip_buf b;
            vp_sip_buf_init(&b, c->route, n);
            VP_SIP_PUTL(&b, "Route: ");
            for (int i = m->nrr - 1; i >= 0; i--) {
                vp_sip_put_str(&b, m->rr[i]);
                vp_sip_puts(&b, i ? ", " : "\r\n");
            }
            c->route_len = (uint16_t)b.len;
        }
    }
}

static void on_invite_resp(struct vp_uac_loop *l, uint32_t idx, const struct vp_sip_msg *m,
                           uint64_t now)
{
    struct vp_uac_call *c = &l->calls[idx];
    struct vp_sip_interval *iv = cur_iv(l, now);
    if (c->state == C_HOLD || c->state == C_BYE) {
        iv->c.resp_dups++;
        if (m->status >= 200 && m->status < 300)
            send_ack(l, idx, true);
        return;
    }
    if (m->status < 200) {
        if (m->status == 100 && !c->got100) {
            c->got100 = true;
            vp_hist_add(&iv->inv100, now - c->t_invite);
        }
        if (c->state == C_CALLING) {
            c->state = C_PROCEEDING;
            timer_set(l, idx, c->deadline); /* no more timer A; timer B still bounds it */
        }
        return;
    }
    if (m->status < 300) {
        if (m->to_tag.len == 0) {
            call_end(l, idx, now, VP_SIP_FAIL_UNEXPECTED);
            return;
        }
        vp_hist_add(&iv->inv200, now - c->t_invite);
        keep_dialog(c, m);
        send_ack(l, idx, true);
        if (l->cfg->hold_ns == 0) {
            start_bye(l, idx, now);
        } else {
            c->state = C_HOLD;
            timer_set(l, idx, now + l->cfg->hold_ns);
        }
        return;
    }
    c->tag_len = m->to_tag.len < sizeof c->to_tag ? (uint8_t)m->to_tag.len : 0;
    memcpy(c->to_tag, m->to_tag.p, c->tag_len);
    send_ack(l, idx, false);
    call_end(l, idx, now, fail_of(m->status));
}

static void on_bye_resp(struct vp_uac_loop *l, uint32_t idx, const struct vp_sip_msg *m,
                        uint64_t now)
{
    struct vp_uac_call *c = &l->calls[idx];
    if (c->state != C_BYE) {
        cur_iv(l, now)->c.stray++;
        return;
    }
    if (m->status < 200) {
        c->retx = T2_NS;
        return;
    }
    call_end(l, idx, now, m->status < 300 ? -1 : fail_of(m->status));
}

/* Our branches read "z9hG4bK-<token>-<slot>-<gen>-<kind>". */
static bool decode_branch(struct vp_uac_loop *l, struct vp_sip_str br, uint32_t *idx, char *kind)
{
    size_t tl = l->token_len, pl = sizeof VP_SIP_COOKIE;
    if (br.len < pl + tl + 6 || memcmp(br.p, VP_SIP_COOKIE "-", pl) != 0 ||
        memcmp(br.p + pl, l->token, tl) != 0 || br.p[pl + tl] != '-')
        return false;
    const char *q = br.p + pl + tl + 1, *e = br.p + br.len;
    uint64_t v[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        const char *s = q;
        for (; q < e && *q != '-'; q++) {
            int d = (*q >= '0' && *q <= '9')   ? *q - '0'
                    : (*q >= 'a' && *q <= 'f') ? *q - 'a' + 10
                                               : -1;
            if (d < 0 || q - s > 8)
                return false;
            v[k] = v[k] * 16 + (uint64_t)d;
        }
        if (q == s || q >= e)
            return false;
        q++;
    }
    if (e - q != 1 || v[0] >= l->ncalls || l->calls[v[0]].gen != (uint32_t)v[1] ||
        l->calls[v[0]].state == C_FREE)
        return false;
    *idx = (uint32_t)v[0];
    *kind = *q;
    return true;
}

static void on_message(struct vp_uac_loop *l, const char *buf, size_t len, uint64_t now)
{
    struct vp_sip_msg m;
    enum vp_sip_perr e = vp_sip_parse(buf, len, &m);
    struct vp_sip_interval *iv = cur_iv(l, now);
    if (e != VP_SIP_OK) {
        iv->c.malformed[e]++;
        return;
    }
    l->any_answer = true;
    uint32_t idx;
    char kind;
    if (m.is_request || !decode_branch(l, m.branch, &idx, &kind)) {
        iv->c.stray++;
        return;
    }
    const char *want = kind == 'i' ? "INVITE" : kind == 'b' ? "BYE" : NULL;
    if (want == NULL) {
        iv->c.stray++;
    } else if (!vp_sip_txn_match(&m, m.branch, want)) {
        call_end(l, idx, now, VP_SIP_FAIL_UNEXPECTED);
    } else if (kind == 'i') {
        on_invite_resp(l, idx, &m, now);
    } else {
        on_bye_resp(l, idx, &m, now);
    }
}

static void on_timer(struct vp_uac_loop *l, uint32_t idx, uint64_t now)
{
    struct vp_uac_call *c = &l->calls[idx];
    if (c->state == C_HOLD) {
        start_bye(l, idx, now);
        return;
    }
    if (now >= c->deadline) { /* timer B or F */
        call_end(l, idx, now, VP_SIP_FAIL_TIMEOUT);
        return;
    }
    if (c->state == C_CALLING) { /* timer A: doubling */
        send_invite(l, idx);
        c->retx *= 2;
    } else if (c->state == C_BYE) { /* timer E: doubling up to T2 */
        send_bye(l, idx);
        c->retx = c->retx * 2 < T2_NS ? c->retx * 2 : T2_NS;
    } else { /* proceeding: only the deadline is left */
        timer_set(l, idx, c->deadline);
        return;
    }
    cur_iv(l, now)->c.retransmissions++;
    timer_set(l, idx, now + c->retx < c->deadline ? now + c->retx : c->deadline);
}

static void run_timers(struct vp_uac_loop *l, uint64_t now)
{
    uint64_t now_ms = now / 1000000;
    if (l->wheel_ms == 0)
        l->wheel_ms = now_ms - 1;
    uint64_t from = l->wheel_ms + 1;
    if (now_ms + 1 - from > NSLOT)
        from = now_ms + 1 - NSLOT;
    for (uint64_t ms = from; ms <= now_ms && l->ntimers; ms++) {
        uint32_t i = l->wheel[ms % NSLOT];
        while (i) {
            uint32_t idx = i - 1;
            i = l->calls[idx].next;
            if (l->calls[idx].due <= now) {
                timer_unlink(l, idx);
                on_timer(l, idx, now);
            }
        }
    }
    l->wheel_ms = now_ms - 1; /* timers later in this millisecond stay in its slot */
    wheel_rescan(l, now);
}

/* The next call of the global plan that belongs to this thread. The plan is
 * exact per constant-rate segment (start + k/rate), a ramp step starting a
 * new segment at its boundary, so no rounding accumulates. */
static void plan_next(struct vp_uac_loop *l)
{
    const struct vp_sip_uac_cfg *cfg = l->cfg;
    bool ramp = cfg->ramp_max > 0 && cfg->ramp_interval_ns > 0 && cfg->ramp_step > 0;
    for (;;) {
        double t = (double)l->seg_start + (double)l->seg_k * 1e9 / l->seg_rate;
        if (ramp && l->seg_rate < cfg->ramp_max) {
            uint64_t b = (l->seg_start / cfg->ramp_interval_ns + 1) * cfg->ramp_interval_ns;
            if (t >= (double)b) {
                l->seg_start = b;
                l->seg_k = 0;
                l->seg_rate = vp_sip_uac_rate_at(cfg, b);
                continue;
            }
        }
        l->seg_k++;
        uint64_t j = l->planned++;
        if (j % (uint64_t)l->nthreads == (uint64_t)l->index) {
            l->next_start = (uint64_t)(t + 0.5);
            l->starting = t < (double)cfg->duration_ns && (!cfg->calls || j < cfg->calls);
            return;
        }
    }
}

static void start_call(struct vp_uac_loop *l, uint64_t now)
{
    struct vp_sip_interval *iv = cur_iv(l, now);
    uint64_t limit = l->cfg->max_concurrent ? (l->cfg->max_concurrent + (uint64_t)l->nthreads - 1) /
                                                  (uint64_t)l->nthreads
                                            : UINT64_MAX;
    if ((l->free_head == 0 && l->used_max == l->ncalls) || l->active >= limit) {
        iv->c.limited++;
        return;
    }
    /* a recycled slot, else one never touched (pages are faulted in lazily) */
    uint32_t idx = l->free_head ? l->free_head - 1 : l->used_max++;
    struct vp_uac_call *c = &l->calls[idx];
    if (l->free_head)
        l->free_head = c->next;
    c->state = C_CALLING;
    c->got100 = false;
    c->tag_len = c->ruri_len = 0;
    c->t_invite = now;
    c->retx = l->cfg->t1_ns;
    c->deadline = now + 64 * l->cfg->t1_ns; /* timer B */
    send_invite(l, idx);
    timer_set(l, idx, now + c->retx); /* timer A */
    vp_hist_add(&l->lateness, now - (l->t0 + l->next_start));
    iv->c.created++;
    if (++l->active > l->max_active)
        l->max_active = l->active;
}

/* The kernel's receive time of message i (SO_TIMESTAMPNS, CLOCK_REALTIME)
 * on the monotonic clock; now when there is none. */
static uint64_t rx_time(struct vp_uac_io *io, int i, int64_t real_minus_mono, uint64_t now)
{
    struct msghdr *h = &io->rmsg[i].msg_hdr;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            int64_t t = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - real_minus_mono;
            return t > 0 && (uint64_t)t <= now ? (uint64_t)t : now;
        }
    }
    return now;
}

/* Everything waiting on the socket. Latencies use the kernel's receive
 * times, so they stay exact however late the loop reads. */
static int receive(struct vp_uac_loop *l)
{
    struct vp_uac_io *io = l->io;
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            io->riov[i].iov_len = RECV_MAX;
            io->rmsg[i].msg_hdr.msg_control = io->ctl[i];
            io->rmsg[i].msg_hdr.msg_controllen = sizeof io->ctl[i];
        }
        int n = recvmmsg(l->sock, io->rmsg, BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return 0;
            if (errno == ECONNREFUSED) {
                if (!l->any_answer)
                    return vp_input_error(&l->err,
                                          "sip-uac: target %s is unreachable (connection refused)",
                                          l->target);
                continue;
            }
            return vp_run_error(&l->err, errno, "sip-uac: receive");
        }
        uint64_t now = vp_now_ns();
        int64_t off = (int64_t)vp_wall_ns() - (int64_t)now;
        for (int i = 0; i < n; i++)
            on_message(l, io->rbuf[i], io->rmsg[i].msg_len, rx_time(io, i, off, now));
        if (n < BATCH)
            return 0;
    }
}

static void arm(struct vp_uac_loop *l, uint64_t at)
{
    struct itimerspec its = {0};
    its.it_value.tv_sec = (time_t)(at / 1000000000);
    its.it_value.tv_nsec = (long)(at % 1000000000);
    if (at == 0)
        its.it_value.tv_nsec = 1;
    timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

int vp_uac_loop_run(struct vp_uac_loop *l)
{
    const struct vp_sip_uac_cfg *cfg = l->cfg;
    uint64_t deadline = l->t0 + cfg->duration_ns + cfg->drain_ns;
    int rc = 0;
    l->seg_rate = vp_sip_uac_rate_at(cfg, 0);
    plan_next(l);
    if (cfg->tick_ns) {
        struct itimerspec its = {.it_interval = {(time_t)(cfg->tick_ns / 1000000000),
                                                 (long)(cfg->tick_ns % 1000000000)}};
        its.it_value.tv_sec = (time_t)(l->t0 / 1000000000);
        its.it_value.tv_nsec = (long)(l->t0 % 1000000000);
        timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
    }
    for (;;) {
        uint64_t now = vp_now_ns();
        if (vp_interrupted) {
            l->interrupted = true;
            break;
        }
        if (vp_stop_requested && l->starting) {
            /* the experiment runner's stop (its measured loads ended): no new
             * calls; the open ones finish as at the end of the duration */
            l->starting = false;
            if (now + cfg->drain_ns < deadline)
                deadline = now + cfg->drain_ns;
        }
        while (l->starting && l->t0 + l->next_start <= now) {
            start_call(l, now);
            plan_next(l);
        }
        if (l->ntimers && now >= l->wheel_min)
            run_timers(l, now);
        flush(l);
        if (!l->starting && l->active == 0)
            break;
        if (now >= deadline) {
            l->abandoned = l->active;
            break;
        }
        if (cfg->tick_ns) { /* tick mode: the periodic timerfd paces everything */
            uint64_t x;
            if (read(l->tfd, &x, sizeof x) < 0 && errno != EINTR) {
                rc = vp_run_error(&l->err, errno, "sip-uac: timerfd");
                break;
            }
            if ((rc = receive(l)) < 0)
                return rc;
            continue;
        }
        uint64_t wake = deadline;
        if (l->starting && l->t0 + l->next_start < wake)
            wake = l->t0 + l->next_start;
        if (l->ntimers && l->wheel_min < wake)
            wake = l->wheel_min;
        if (wake != l->armed || wake <= now) {
            arm(l, wake);
            l->armed = wake;
        }
        struct epoll_event ev[2];
        int n = epoll_wait(l->ep, ev, 2, -1);
        if (n < 0 && errno != EINTR) {
            rc = vp_run_error(&l->err, errno, "sip-uac: epoll");
            break;
        }
        for (int i = 0; i < n; i++) {
            if (ev[i].data.fd == l->tfd) {
                uint64_t x;
                if (read(l->tfd, &x, sizeof x) < 0) { /* nothing: it was re-armed */
                }
            } else if ((rc = receive(l)) < 0) {
                return rc;
            }
        }
    }
    cur_iv(l, vp_now_ns());
    return rc;
}
