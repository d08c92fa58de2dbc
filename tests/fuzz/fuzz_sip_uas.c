/* The signaling server's calls (sip/uas_calls.c) on a clock of the
 * target's own: the input is datagrams separated by NUL bytes, 100 ms
 * apart, each followed by the work and the timers; the table stays within
 * its bound, every datagram sent is a response that parses, and nothing
 * but confirmed dialogs outlives Timer H. */
#include <arpa/inet.h>

#include "fuzz.h"
#include "sip/uas_calls.h"

#define MS 1000000ull

static void sent(void *ctx, const struct sockaddr *to, socklen_t tolen, const char *msg, size_t len)
{
    struct vp_sip_msg m;
    (void)ctx, (void)to, (void)tolen;
    FUZZ_CHECK(vp_sip_parse(msg, len, &m) == VP_SIP_OK && !m.is_request);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vp_sip_uas_cfg cfg = {
        .threads = 1, .queue_limit = 4, .t1_ns = 500 * MS, .max_calls = 8, .max_retransmits = 20};
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(5060)};
    const struct vp_sip_uas_io io = {sent, NULL};
    struct vp_sip_uas_calls *k;
    struct vp_sip_str cid;
    uint64_t now = 1000 * MS;
    FUZZ_CHECK(vp_sip_uas_calls_new(&cfg, 0, &io, &k) == 0);
    for (const uint8_t *p = data, *end = data + size; p < end; now += 100 * MS) {
        const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
        size_t n = (size_t)((nul ? nul : end) - p);
        vp_sip_uas_calls_input(k, (const char *)p, n, (struct sockaddr *)&peer, sizeof peer, now);
        FUZZ_CHECK(vp_sip_uas_calls_queued(k) <= cfg.queue_limit);
        while (vp_sip_uas_calls_begin(k, &cid))
            vp_sip_uas_calls_answer(k, now);
        vp_sip_uas_calls_tick(k, now);
        FUZZ_CHECK(vp_sip_uas_calls_count(k) <= cfg.max_calls);
        p += n + 1;
    }
    vp_sip_uas_calls_tick(k, now + 64 * cfg.t1_ns + 100 * MS);
    vp_sip_uas_calls_tick(k, now + 128 * cfg.t1_ns); /* the sweep's second pass */
    vp_sip_uas_calls_free(k);
    return 0;
}
