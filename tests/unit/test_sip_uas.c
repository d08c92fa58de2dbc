/* The signaling server's call table driven directly, on a clock of the
 * test's own: INVITEs from many Call-IDs that never ACK fill it to its
 * maximum and no further (overflow 503s keep no state and repeat their To
 * tag), entries leave after Timer H, 200 retransmissions stay within the
 * token bucket; an ACK with our To tag confirms a call, a forged one does
 * not; a BYE's entry leaves after Timer J. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "sip/uas_calls.h"

#define MS 1000000ull
#define S  1000000000ull

struct sent {
    uint64_t by_status[700];
    uint64_t total;
    char last_tag[64];
    int last_status;
};

static void record(void *ctx, const struct sockaddr *to, socklen_t tolen, const char *msg,
                   size_t len)
{
    struct sent *s = ctx;
    struct vp_sip_msg m;
    (void)to;
    (void)tolen;
    if (vp_sip_parse(msg, len, &m) != VP_SIP_OK || m.is_request) {
        CHECK(0);
        return;
    }
    s->by_status[m.status]++;
    s->total++;
    s->last_status = m.status;
    snprintf(s->last_tag, sizeof s->last_tag, "%.*s", (int)m.to_tag.len, m.to_tag.p);
}

static struct sockaddr_in peer;

static void request(struct vp_sip_uas_calls *k, const char *method, int call, const char *to_tag,
                    uint64_t now)
{
    char buf[1024];
    int cseq = vp_sip_str_eq((struct vp_sip_str){method, (uint32_t)strlen(method)}, "BYE") ? 2 : 1;
    int n = snprintf(buf, sizeof buf,
                     "%s sip:uas@127.0.0.1:5060 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 10.9.%d.%d:5060;branch=z9hG4bK-%s-%d\r\n"
                     "From: <sip:a@10.9.0.1>;tag=f%d\r\n"
                     "To: <sip:uas@127.0.0.1>%s%s\r\n"
                     "Call-ID: spoofed-%d@10.9.0.1\r\n"
                     "CSeq: %d %s\r\n"
                     "Contact: <sip:a@10.9.0.1>\r\n"
                     "Content-Length: 0\r\n\r\n",
                     method, (call >> 8) & 255, call & 255, method, call, call,
                     to_tag ? ";tag=" : "", to_tag ? to_tag : "", call, cseq, method);
    vp_sip_uas_calls_input(k, buf, (size_t)n, (const struct sockaddr *)&peer, sizeof peer, now);
}

static void serve_all(struct vp_sip_uas_calls *k, uint64_t now)
{
    struct vp_sip_str cid;
    while (vp_sip_uas_calls_begin(k, &cid))
        vp_sip_uas_calls_answer(k, now);
}

static struct vp_sip_uas_cfg config(void)
{
    struct vp_sip_uas_cfg cfg = {0};
    struct sockaddr_in *a = (struct sockaddr_in *)&cfg.listen;
    a->sin_family = AF_INET;
    a->sin_port = htons(5060);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cfg.listen_len = sizeof *a;
    cfg.threads = 1;
    cfg.queue_limit = 1000;
    cfg.t1_ns = 500 * MS;
    cfg.max_calls = 100;
    cfg.max_retransmits = 50;
    return cfg;
}

/* 600 Call-IDs that never ACK against a table of 200, then 40 s of ticks. */
static void test_flood_without_ack(void)
{
    struct vp_sip_uas_cfg cfg = config();
    cfg.max_calls = 200;
    struct sent s = {0};
    struct vp_sip_uas_io io = {record, &s};
    struct vp_sip_uas_calls *k;
    CHECK_INT(vp_sip_uas_calls_new(&cfg, 0, &io, &k), 0);
    struct vp_sip_uas_stats *st = vp_sip_uas_calls_stats(k);
    uint64_t now = 1 * S;
    uint64_t most = 0;
    for (int i = 0; i < 600; i++) {
        request(k, "INVITE", i, NULL, now);
        serve_all(k, now);
        most = vp_sip_uas_calls_count(k) > most ? vp_sip_uas_calls_count(k) : most;
    }
    CHECK_INT(most, 200);
    CHECK_INT(vp_sip_uas_calls_count(k), 200);
    CHECK_INT(st->calls_max, 200);
    CHECK_INT(st->sent_200, 200);
    CHECK_INT(s.by_status[503], 400);
    CHECK_INT(st->rejected_full, 400);

    /* an overflow INVITE again: 503 again with the same To tag, still no entry */
    request(k, "INVITE", 500, NULL, now);
    CHECK_INT(s.last_status, 503);
    char tag[64];
    snprintf(tag, sizeof tag, "%s", s.last_tag);
    CHECK(strlen(tag) >= 8);
    request(k, "INVITE", 500, NULL, now);
    CHECK_INT(s.last_status, 503);
    CHECK(strcmp(tag, s.last_tag) == 0);
    CHECK_INT(vp_sip_uas_calls_count(k), 200);
    CHECK_INT(st->retrans_absorbed, 0);

    /* 5 ms ticks: retransmissions within 50/s (burst 50), entries kept
     * until Timer H (32 s), all gone within one sweep after it */
    uint64_t start = now, window_start = now, window_sent = 0, worst_window = 0;
    uint64_t before = st->retrans_200;
    for (now = start; now <= start + 40 * S; now += 5 * MS) {
        vp_sip_uas_calls_tick(k, now);
        if (now - window_start >= S) {
            worst_window = window_sent > worst_window ? window_sent : worst_window;
            window_start = now;
            window_sent = 0;
        }
        window_sent += st->retrans_200 - before;
        before = st->retrans_200;
        if (now == start + 31 * S)
            CHECK_INT(vp_sip_uas_calls_count(k), 200);
    }
    CHECK(worst_window <= 100);             /* rate 50/s plus the bucket's burst of 50 */
    CHECK(st->retrans_200 <= 50 * 33 + 50); /* 2000 without the ceiling */
    CHECK(st->retrans_200 >= 200);          /* the ceiling is not a ban */
    CHECK(st->retrans_suppressed > 0);
    CHECK_INT(s.by_status[200], st->sent_200 + st->retrans_200);
    CHECK_INT(vp_sip_uas_calls_count(k), 0);

    /* room again: a new INVITE is served */
    request(k, "INVITE", 1000, NULL, now);
    serve_all(k, now);
    CHECK_INT(s.last_status, 200);
    CHECK_INT(vp_sip_uas_calls_count(k), 1);
    vp_sip_uas_calls_free(k);
}

/* Without a ceiling every due retransmission goes out (the counter's zero
 * above is not an accident of the schedule). */
static void test_no_ceiling(void)
{
    struct vp_sip_uas_cfg cfg = config();
    cfg.max_retransmits = 0;
    struct sent s = {0};
    struct vp_sip_uas_io io = {record, &s};
    struct vp_sip_uas_calls *k;
    CHECK_INT(vp_sip_uas_calls_new(&cfg, 0, &io, &k), 0);
    struct vp_sip_uas_stats *st = vp_sip_uas_calls_stats(k);
    for (int i = 0; i < 100; i++)
        request(k, "INVITE", i, NULL, S);
    serve_all(k, S);
    for (uint64_t now = S; now <= 40 * S; now += 5 * MS)
        vp_sip_uas_calls_tick(k, now);
    /* 0.5 1 2 4 4 4 4 4 4 4 s apart: 10 retransmissions before 64*T1 */
    CHECK_INT(st->retrans_200, 100 * 10);
    CHECK_INT(st->retrans_suppressed, 0);
    CHECK_INT(vp_sip_uas_calls_count(k), 0);
    vp_sip_uas_calls_free(k);
}

/* ACK with our tag confirms (no more 200s); a forged tag does not; BYE
 * ends the call and its entry leaves after Timer J. */
static void test_ack_and_bye(void)
{
    struct vp_sip_uas_cfg cfg = config();
    struct sent s = {0};
    struct vp_sip_uas_io io = {record, &s};
    struct vp_sip_uas_calls *k;
    CHECK_INT(vp_sip_uas_calls_new(&cfg, 0, &io, &k), 0);
    struct vp_sip_uas_stats *st = vp_sip_uas_calls_stats(k);
    uint64_t now = S;
    request(k, "INVITE", 1, NULL, now);
    serve_all(k, now);
    char tag[64];
    snprintf(tag, sizeof tag, "%s", s.last_tag);
    request(k, "INVITE", 2, NULL, now);
    serve_all(k, now);
    request(k, "ACK", 1, tag, now);
    request(k, "ACK", 2, "forged", now);
    for (now = S; now < 3 * S; now += 5 * MS)
        vp_sip_uas_calls_tick(k, now);
    CHECK_INT(st->retrans_200, 2); /* call 2's, at 0.5 s and 1.5 s; none for call 1 */
    request(k, "BYE", 1, tag, now);
    CHECK_INT(s.last_status, 200);
    request(k, "BYE", 1, tag, now); /* retransmitted: the same 200 */
    CHECK_INT(s.last_status, 200);
    CHECK_INT(st->retrans_absorbed, 1);
    CHECK_INT(st->calls_completed, 1);
    uint64_t bye_at = now;
    for (; now < bye_at + 64 * cfg.t1_ns + S; now += 5 * MS)
        vp_sip_uas_calls_tick(k, now);
    CHECK_INT(vp_sip_uas_calls_count(k), 0); /* call 1 after Timer J, call 2 after Timer H */
    request(k, "BYE", 1, tag, now);
    CHECK_INT(s.last_status, 481);
    vp_sip_uas_calls_free(k);
}

int main(void)
{
    peer.sin_family = AF_INET;
    peer.sin_port = htons(5070);
    peer.sin_addr.s_addr = htonl(0x0a090001);
    RUN(test_flood_without_ack);
    RUN(test_no_ceiling);
    RUN(test_ack_and_bye);
    return CHECK_DONE();
}
