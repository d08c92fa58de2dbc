/* One worker's bounded call table in the signaling server (see uas_calls.h). */
#include "sip/uas_calls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MAX     4096
#define CID_MAX     1024
#define TAG_LEN     16
#define NBUCKET_MIN 1024u
#define NBUCKET_MAX (1u << 20)
#define SWEEPS      64u /* ticks to sweep the whole table */
#define T2_NS       4000000000ull
#define T4_NS       5000000000ull    /* Timer I after the ACK of a 503 */
#define DIALOG_NS   3600000000000ull /* a confirmed dialog without its BYE */

enum ustate { S_QUEUED, S_ANSWERED, S_CONFIRMED, S_ENDED };

union peer_addr {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

/* One call. Until its 200 the INVITE's responses (100 | 180 | 200, or the
 * 503) are kept for retransmitted INVITEs; then the 200 alone until the ACK;
 * then nothing (a BYE's 200 is rebuilt from the BYE, as it only echoes it). */
struct ucall {
    struct ucall *hnext, *qnext, *anext, *aprev;
    uint64_t expire, retx_at, retx;
    union peer_addr peer;
    socklen_t peer_len;
    char *resp;
    uint16_t off180, len180, off200, len200, last_off, last_len;
    uint16_t cid_len;
    uint8_t state;
    bool in_ack_list, rejected, bye_answered;
    char tag[TAG_LEN + 1];
    char cid[];
};

struct vp_sip_uas_calls {
    const struct vp_sip_uas_cfg *cfg;
    const struct vp_sip_uas_io *io;
    int index;
    unsigned char bucket_key[crypto_shorthash_KEYBYTES], tag_key[crypto_shorthash_KEYBYTES];
    struct ucall **buckets;
    uint32_t nbucket, sweep;
    struct ucall *qhead, *qtail, *ack_head, *serving;
    uint64_t qlen, ncalls;
    double tokens; /* retransmissions allowed now */
    uint64_t tokens_at;
    struct vp_sip_uas_stats st;
};

static void send_msg(struct vp_sip_uas_calls *k, const void *to, socklen_t tolen, const char *msg,
                     size_t len)
{
    k->io->send(k->io->ctx, to, tolen, msg, len);
}

static uint64_t keyed_hash(const unsigned char *key, struct vp_sip_str s)
{
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)s.p, s.len, key);
    uint64_t v;
    memcpy(&v, h, sizeof v);
    return v;
}

/* Our To tag for a Call-ID: unguessable without the key, the same for every
 * response to the same call (so a stateless 503 repeats it too). */
static void tag_of(const struct vp_sip_uas_calls *k, struct vp_sip_str cid, char tag[TAG_LEN + 1])
{
    snprintf(tag, TAG_LEN + 1, "%016llx", (unsigned long long)keyed_hash(k->tag_key, cid));
}

static struct ucall *lookup(struct vp_sip_uas_calls *k, struct vp_sip_str cid, uint32_t *b)
{
    *b = (uint32_t)keyed_hash(k->bucket_key, cid) & (k->nbucket - 1);
    for (struct ucall *c = k->buckets[*b]; c; c = c->hnext)
        if (c->cid_len == cid.len && memcmp(c->cid, cid.p, cid.len) == 0)
            return c;
    return NULL;
}

static void ack_list_del(struct vp_sip_uas_calls *k, struct ucall *c)
{
    if (!c->in_ack_list)
        return;
    if (c->aprev)
        c->aprev->anext = c->anext;
    else
        k->ack_head = c->anext;
    if (c->anext)
        c->anext->aprev = c->aprev;
    c->in_ack_list = false;
}

static void call_free(struct ucall *c)
{
    free(c->resp);
    free(c);
}

static void drop_responses(struct ucall *c)
{
    free(c->resp);
    c->resp = NULL;
    c->last_len = 0;
}

static void resend_last(struct vp_sip_uas_calls *k, struct ucall *c)
{
    if (c->last_len)
        send_msg(k, &c->peer, c->peer_len, c->resp + c->last_off, c->last_len);
}

/* A response built from req alone and sent at once, nothing kept. */
static void respond(struct vp_sip_uas_calls *k, const struct vp_sip_msg *req,
                    const struct sockaddr *to, socklen_t tolen, int status, const char *reason,
                    const char *tag)
{
    char buf[MSG_MAX];
    struct vp_sip_buf b;
    vp_sip_buf_init(&b, buf, sizeof buf);
    vp_sip_build_response(&b, req, status, reason, tag, NULL);
    if (!b.overflow)
        send_msg(k, to, tolen, buf, b.len);
}

/* Build the 100, 180 and 200 (or a 503) for a new INVITE into one buffer. */
static struct ucall *new_call(struct vp_sip_uas_calls *k, const struct vp_sip_msg *m,
                              const struct sockaddr *from, socklen_t fromlen, bool reject)
{
    char buf[3 * MSG_MAX];
    char tag[TAG_LEN + 1], contact[96];
    struct vp_sip_buf b;
    if (fromlen > sizeof(union peer_addr))
        return NULL;
    tag_of(k, m->call_id, tag);
    char host[INET6_ADDRSTRLEN] = "127.0.0.1";
    const struct sockaddr_in *la = (const void *)&k->cfg->listen;
    if (k->cfg->listen.ss_family == AF_INET)
        inet_ntop(AF_INET, &la->sin_addr, host, sizeof host);
    snprintf(contact, sizeof contact, "<sip:uas@%s:%u>", host, ntohs(la->sin_port));
    vp_sip_buf_init(&b, buf, sizeof buf);
    uint16_t off180 = 0, len180 = 0, off200, len200;
    if (reject) {
        vp_sip_build_response(&b, m, 503, "Service Unavailable", tag, NULL);
        off200 = 0;
    } else {
        vp_sip_build_response(&b, m, 100, "Trying", NULL, NULL);
        if (k->cfg->ringing) {
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
    c->last_len = reject ? len200 : (uint16_t)(k->cfg->ringing ? off180 : off200);
    memcpy(&c->peer, from, fromlen);
    c->peer_len = fromlen;
    memcpy(c->tag, tag, sizeof tag);
    c->cid_len = (uint16_t)m->call_id.len;
    memcpy(c->cid, m->call_id.p, m->call_id.len);
    return c;
}

static void on_invite(struct vp_sip_uas_calls *k, const struct vp_sip_msg *m,
                      const struct sockaddr *from, socklen_t fromlen, uint64_t now)
{
    uint32_t b;
    k->st.invites++;
    struct ucall *c = lookup(k, m->call_id, &b);
    if (c) { /* a retransmission (or re-INVITE): the last response again */
        k->st.retrans_absorbed++;
        resend_last(k, c);
        return;
    }
    if (m->call_id.len > CID_MAX)
        return;
    if (k->cfg->max_calls && k->ncalls >= k->cfg->max_calls) {
        char tag[TAG_LEN + 1];
        tag_of(k, m->call_id, tag);
        respond(k, m, from, fromlen, 503, "Service Unavailable", tag);
        k->st.sent_503++;
        k->st.rejected_full++;
        return;
    }
    bool reject = k->cfg->queue_limit && k->qlen >= k->cfg->queue_limit;
    if ((c = new_call(k, m, from, fromlen, reject)) == NULL)
        return;
    c->hnext = k->buckets[b];
    k->buckets[b] = c;
    if (++k->ncalls > k->st.calls_max)
        k->st.calls_max = k->ncalls;
    c->expire = now + 64 * k->cfg->t1_ns; /* Timer H for the 503 */
    if (reject) {
        c->state = S_ANSWERED;
        c->rejected = true;
        k->st.sent_503++;
        resend_last(k, c);
        return;
    }
    k->st.sent_100++;
    resend_last(k, c);
    c->state = S_QUEUED;
    if (k->qtail)
        k->qtail->qnext = c;
    else
        k->qhead = c;
    k->qtail = c;
    if (++k->qlen > k->st.queue_max)
        k->st.queue_max = k->qlen;
}

static void on_ack(struct vp_sip_uas_calls *k, const struct vp_sip_msg *m, uint64_t now)
{
    uint32_t b;
    k->st.acks++;
    struct ucall *c = lookup(k, m->call_id, &b);
    if (c == NULL || c->state != S_ANSWERED)
        return;
    if (c->rejected) {
        c->state = S_ENDED; /* ACK of the 503: absorb its copies for T4 (timer I) */
        c->expire = now + T4_NS;
        return;
    }
    if (m->to_tag.len != TAG_LEN || memcmp(m->to_tag.p, c->tag, TAG_LEN) != 0)
        return; /* not from whoever received our 200 */
    ack_list_del(k, c);
    drop_responses(c); /* no INVITE is retransmitted after its 2xx was acknowledged */
    c->state = S_CONFIRMED;
    c->expire = now + DIALOG_NS; /* until its BYE */
}

static void on_bye(struct vp_sip_uas_calls *k, const struct vp_sip_msg *m,
                   const struct sockaddr *from, socklen_t fromlen, uint64_t now)
{
    uint32_t b;
    k->st.byes++;
    struct ucall *c = lookup(k, m->call_id, &b);
    if (c == NULL || c->state == S_QUEUED) {
        respond(k, m, from, fromlen, 481, "Call/Transaction Does Not Exist", NULL);
        k->st.sent_481++;
        return;
    }
    respond(k, m, from, fromlen, 200, "OK", NULL);
    if (c->bye_answered) {
        k->st.retrans_absorbed++;
        return;
    }
    ack_list_del(k, c);
    drop_responses(c); /* no INVITE can follow its BYE */
    c->bye_answered = true;
    c->state = S_ENDED;
    c->expire = now + 64 * k->cfg->t1_ns; /* timer J */
    k->st.sent_200++;
    k->st.calls_completed++;
}

static void on_request(struct vp_sip_uas_calls *k, const struct vp_sip_msg *m,
                       const struct sockaddr *from, socklen_t fromlen, uint64_t now)
{
    if (vp_sip_str_eq(m->method, "INVITE")) {
        on_invite(k, m, from, fromlen, now);
    } else if (vp_sip_str_eq(m->method, "ACK")) {
        on_ack(k, m, now);
    } else if (vp_sip_str_eq(m->method, "BYE")) {
        on_bye(k, m, from, fromlen, now);
    } else {
        k->st.other_requests++;
        bool options = vp_sip_str_eq(m->method, "OPTIONS");
        respond(k, m, from, fromlen, options ? 200 : 501, options ? "OK" : "Not Implemented", NULL);
        k->st.sent_501 += !options;
    }
}

void vp_sip_uas_calls_input(struct vp_sip_uas_calls *k, const char *buf, size_t len,
                            const struct sockaddr *from, socklen_t fromlen, uint64_t now)
{
    struct vp_sip_msg m;
    enum vp_sip_perr e = vp_sip_parse(buf, len, &m);
    if (e != VP_SIP_OK)
        k->st.malformed[e]++;
    else if (m.is_request)
        on_request(k, &m, from, fromlen, now);
    else
        k->st.responses++;
}

bool vp_sip_uas_calls_begin(struct vp_sip_uas_calls *k, struct vp_sip_str *cid)
{
    struct ucall *c = k->qhead;
    if (c == NULL)
        return false;
    k->qhead = c->qnext;
    if (k->qhead == NULL)
        k->qtail = NULL;
    c->qnext = NULL;
    k->qlen--;
    k->serving = c;
    if (c->len180) {
        send_msg(k, &c->peer, c->peer_len, c->resp + c->off180, c->len180);
        c->last_off = c->off180;
        c->last_len = c->len180;
        k->st.sent_180++;
    }
    cid->p = c->cid;
    cid->len = c->cid_len;
    return true;
}

void vp_sip_uas_calls_answer(struct vp_sip_uas_calls *k, uint64_t now)
{
    struct ucall *c = k->serving;
    if (c == NULL)
        return;
    k->serving = NULL;
    /* keep the 200 alone: the 100 and 180 will not be asked for again */
    memmove(c->resp, c->resp + c->off200, c->len200);
    char *shrunk = realloc(c->resp, c->len200);
    if (shrunk)
        c->resp = shrunk;
    c->off180 = c->len180 = c->off200 = 0;
    c->last_off = 0;
    c->last_len = c->len200;
    c->state = S_ANSWERED;
    c->retx = k->cfg->t1_ns;
    c->retx_at = now + c->retx;
    c->expire = now + 64 * k->cfg->t1_ns; /* Timer H */
    c->aprev = NULL;
    c->anext = k->ack_head;
    if (c->anext)
        c->anext->aprev = c;
    k->ack_head = c;
    c->in_ack_list = true;
    k->st.sent_200++;
    resend_last(k, c);
}

/* The token bucket of 200 retransmissions: true when one may go now. */
static bool retransmit_allowed(struct vp_sip_uas_calls *k, uint64_t now)
{
    double rate = (double)k->cfg->max_retransmits;
    if (rate == 0)
        return true;
    if (now > k->tokens_at) {
        k->tokens += (double)(now - k->tokens_at) * rate / 1e9;
        if (k->tokens > rate)
            k->tokens = rate;
        k->tokens_at = now;
    }
    if (k->tokens < 1)
        return false;
    k->tokens -= 1;
    return true;
}

void vp_sip_uas_calls_tick(struct vp_sip_uas_calls *k, uint64_t now)
{
    for (struct ucall *c = k->ack_head, *next; c; c = next) {
        next = c->anext;
        if (now >= c->expire) {
            ack_list_del(k, c); /* no ACK within 64*T1: give up (timer H) */
            continue;
        }
        if (now >= c->retx_at) {
            if (retransmit_allowed(k, now)) {
                resend_last(k, c);
                k->st.retrans_200++;
            } else {
                k->st.retrans_suppressed++;
            }
            c->retx = c->retx * 2 < T2_NS ? c->retx * 2 : T2_NS;
            c->retx_at = now + c->retx;
        }
    }
    for (uint32_t n = 0; n < k->nbucket / SWEEPS; n++) {
        struct ucall **pp = &k->buckets[k->sweep];
        while (*pp) {
            struct ucall *c = *pp;
            if (now >= c->expire && c->state != S_QUEUED && !c->in_ack_list) {
                *pp = c->hnext;
                call_free(c);
                k->ncalls--;
            } else {
                pp = &c->hnext;
            }
        }
        k->sweep = (k->sweep + 1) & (k->nbucket - 1);
    }
}

int vp_sip_uas_calls_new(const struct vp_sip_uas_cfg *cfg, int index,
                         const struct vp_sip_uas_io *io, struct vp_sip_uas_calls **out)
{
    struct vp_sip_uas_calls *k = calloc(1, sizeof *k);
    if (k == NULL || sodium_init() < 0) {
        free(k);
        return -ENOMEM;
    }
    k->cfg = cfg;
    k->io = io;
    k->index = index;
    /* about four entries a bucket at the table's maximum */
    k->nbucket = NBUCKET_MIN;
    while (k->nbucket < NBUCKET_MAX && (!cfg->max_calls || k->nbucket * 4ull < cfg->max_calls))
        k->nbucket *= 2;
    randombytes_buf(k->bucket_key, sizeof k->bucket_key);
    randombytes_buf(k->tag_key, sizeof k->tag_key);
    k->tokens = (double)cfg->max_retransmits;
    if ((k->buckets = calloc(k->nbucket, sizeof *k->buckets)) == NULL) {
        free(k);
        return -ENOMEM;
    }
    *out = k;
    return 0;
}

void vp_sip_uas_calls_free(struct vp_sip_uas_calls *k)
{
    if (k == NULL)
        return;
    for (uint32_t b = 0; b < k->nbucket; b++) {
        for (struct ucall *c = k->buckets[b], *n; c; c = n) {
            n = c->hnext;
            call_free(c);
        }
    }
    free(k->buckets);
    free(k);
}

uint64_t vp_sip_uas_calls_count(const struct vp_sip_uas_calls *k)
{
    return k->ncalls;
}

uint64_t vp_sip_uas_calls_queued(const struct vp_sip_uas_calls *k)
{
    return k->qlen;
}

struct vp_sip_uas_stats *vp_sip_uas_calls_stats(struct vp_sip_uas_calls *k)
{
    return &k->st;
}
