/* RTP header and probe, sequence handling with wraps, RFC 3550 jitter,
 * duplicates and reordering, the histogram's error bound and boxplot, G.711. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rtp/g711.h"
#include "rtp/hist.h"
#include "rtp/rtp.h"
#include "rtp/stats.h"

static void test_header_round_trip(void)
{
    struct vp_rtp_header h = {.version = 2,
                              .marker = 1,
                              .payload_type = 0,
                              .seq = 0xBEEF,
                              .timestamp = 0xDEADBEEF,
                              .ssrc = 0x01020304};
    uint8_t pkt[172] = {0};
    vp_rtp_header_encode(&h, pkt);
    /* RFC 3550 §5.1: V=2 in the top two bits, M the top bit of byte 1 */
    CHECK_INT(pkt[0], 0x80);
    CHECK_INT(pkt[1], 0x80);
    CHECK_INT(pkt[2], 0xBE);
    CHECK_INT(pkt[3], 0xEF);
    CHECK_INT(pkt[4], 0xDE);
    CHECK_INT(pkt[11], 0x04);
    struct vp_rtp_header d;
    size_t off, len;
    CHECK_INT(vp_rtp_header_decode(pkt, sizeof pkt, &d, &off, &len), 0);
    CHECK_INT(d.seq, 0xBEEF);
    CHECK_INT(d.timestamp, 0xDEADBEEF);
    CHECK_INT(d.ssrc, 0x01020304);
    CHECK_INT(d.marker, 1);
    CHECK_INT(off, 12);
    CHECK_INT(len, 160);

    struct vp_rtp_probe p = {.token = 7, .stream = 4999, .seq = 123456, .sent_ns = 1ull << 40};
    vp_rtp_probe_encode(&p, pkt + off);
    struct vp_rtp_probe q;
    CHECK_INT(vp_rtp_probe_decode(pkt + off, len, &q), 0);
    CHECK_INT(q.token, 7);
    CHECK_INT(q.stream, 4999);
    CHECK_INT(q.seq, 123456);
    CHECK(q.sent_ns == 1ull << 40);
    CHECK_INT(vp_rtp_probe_decode(pkt + off, VP_RTP_PROBE_LEN - 1, &q), -EBADMSG);
}

static void test_header_rejects(void)
{
    uint8_t pkt[40] = {0};
    struct vp_rtp_header h;
    size_t off, len;
    CHECK_INT(vp_rtp_header_decode(pkt, 11, &h, &off, &len), -EBADMSG);
    pkt[0] = 0x40; /* version 1 */
    CHECK_INT(vp_rtp_header_decode(pkt, 40, &h, &off, &len), -EBADMSG);
    pkt[0] = 0x8F; /* 15 CSRCs claimed: 72 bytes of header in a 40-byte packet */
    CHECK_INT(vp_rtp_header_decode(pkt, 40, &h, &off, &len), -EBADMSG);
    pkt[0] = 0x90; /* extension of 1 word */
    pkt[14] = 0;
    pkt[15] = 1;
    CHECK_INT(vp_rtp_header_decode(pkt, 40, &h, &off, &len), 0);
    CHECK_INT(off, 20);
    pkt[0] = 0xA0; /* padding: last octet counts 5 */
    pkt[39] = 5;
    CHECK_INT(vp_rtp_header_decode(pkt, 40, &h, &off, &len), 0);
    CHECK_INT(len, 40 - 12 - 5);
    pkt[39] = 41;
    CHECK_INT(vp_rtp_header_decode(pkt, 40, &h, &off, &len), -EBADMSG);
    CHECK(vp_rtp_stream_ssrc(1, 0) != vp_rtp_stream_ssrc(1, 1));
    CHECK(vp_rtp_stream_ssrc(1, 0) != vp_rtp_stream_ssrc(2, 0));
}

static void test_seq_wrap(void)
{
    struct vp_rtp_seq s = {0};
    uint16_t seq = 65530;
    for (int i = 0; i < 20; i++)
        CHECK_INT(vp_rtp_seq_update(&s, seq++), 0);
    CHECK_INT(vp_rtp_seq_ext_max(&s), 65536 + 13);
    CHECK_INT(vp_rtp_seq_expected(&s), 20);
    CHECK_INT(s.received, 20);
    /* a gap of 5 (lost packets) across nothing special */
    seq += 5;
    CHECK_INT(vp_rtp_seq_update(&s, seq), 0);
    CHECK_INT(vp_rtp_seq_expected(&s) - (int64_t)s.received, 5);
    /* a late packet from before the wrap is neither a wrap nor a restart */
    CHECK_INT(vp_rtp_seq_update(&s, 65535), 0);
    CHECK_INT(vp_rtp_seq_ext_max(&s), 65536 + 19);
    /* a jump of 10000: rejected once, accepted as a restart when the next follows */
    CHECK_INT(vp_rtp_seq_update(&s, (uint16_t)(seq + 10000)), -1);
    CHECK_INT(vp_rtp_seq_update(&s, (uint16_t)(seq + 10001)), 0);
    CHECK_INT(s.base_seq, (uint16_t)(seq + 10001));
}

static void test_jitter(void)
{
    /* packets 20 ms apart in timestamp (160 units at 8 kHz); arrivals alternate
     * 0 and 1 ms late: |D| is 1 ms = 8 units each time; J converges to 8 */
    struct vp_rtp_stream_stats st;
    vp_rtp_stream_stats_init(&st);
    uint32_t ts = 4294967000u; /* wraps during the run */
    for (int i = 0; i < 400; i++) {
        uint64_t arrival = 1000000000ull + (uint64_t)i * 20000000ull + (i % 2 ? 1000000 : 0);
        vp_rtp_stream_stats_add(&st, arrival, (uint16_t)(100 + i), ts + (uint32_t)i * 160u,
                                (uint32_t)i, 5000000, 8000);
    }
    CHECK_NEAR(st.jit.jitter, 8.0, 1e-6);
    CHECK_NEAR(vp_rtp_jitter_ms(&st, 8000), 1.0, 1e-6);
    CHECK_INT(st.max_delta_ns, 21000000);
    /* first step by hand: J = 0 + (16 − 0)/16 = 1 */
    struct vp_rtp_jitter j = {0};
    vp_rtp_jitter_update(&j, 0, 0);
    vp_rtp_jitter_update(&j, 176, 160);
    CHECK_NEAR(j.jitter, 1.0, 1e-12);
    vp_rtp_jitter_update(&j, 320, 320);
    CHECK_NEAR(j.jitter, 1.0 + (16 - 1.0) / 16, 1e-12);
}

static void test_dup_reorder(void)
{
    struct vp_rtp_stream_stats st;
    vp_rtp_stream_stats_init(&st);
    uint32_t order[] = {0, 1, 3, 2, 2, 4, 4, 7, 5};
    enum vp_rtp_verdict want[] = {VP_RTP_NEW,       VP_RTP_NEW,       VP_RTP_NEW,
                                  VP_RTP_REORDERED, VP_RTP_DUPLICATE, VP_RTP_NEW,
                                  VP_RTP_DUPLICATE, VP_RTP_NEW,       VP_RTP_REORDERED};
    for (int i = 0; i < 9; i++) {
        enum vp_rtp_verdict v =
            vp_rtp_stream_stats_add(&st, 1000 + (uint64_t)i, (uint16_t)(65534 + order[i]),
                                    order[i] * 160, order[i], (uint64_t)(i + 1) * 1000, 8000);
        CHECK_INT(v, want[i]);
    }
    CHECK_INT(st.received, 7);
    CHECK_INT(st.duplicates, 2);
    CHECK_INT(st.reordered, 2);
    CHECK_INT(st.delay_min, 1000);
    CHECK_INT(st.delay_max, 9000);
    /* seven distinct of 0..7 seen: one lost (6); RFC count includes the duplicates */
    CHECK_INT(vp_rtp_seq_expected(&st.seq), 8);
    CHECK_INT(st.seq.received, 9);
    /* far past the window: still a distinct packet */
    CHECK_INT(vp_rtp_stream_stats_add(&st, 2000, (uint16_t)(65534 + 1000), 160000, 1000, 1, 8000),
              VP_RTP_NEW);
    CHECK_INT(vp_rtp_stream_stats_add(&st, 2001, (uint16_t)(65534 + 999), 159840, 999, 1, 8000),
              VP_RTP_REORDERED);
    CHECK_INT(vp_rtp_stream_stats_add(&st, 2002, (uint16_t)(65534 + 999), 159840, 999, 1, 8000),
              VP_RTP_DUPLICATE);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_hist_error_bound(void)
{
    enum { N = 100000 };
    static uint64_t v[N];
    static struct vp_hist h;
    vp_hist_init(&h);
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* log-uniform over 10 ns .. 10 s */
        v[i] = (uint64_t)pow(10, 1 + 8 * (double)(x >> 11) / 9007199254740992.0);
        vp_hist_add(&h, v[i]);
    }
    qsort(v, N, sizeof v[0], cmp_u64);
    double ps[] = {1, 10, 25, 50, 75, 90, 99, 99.9, 99.99};
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        size_t rank = (size_t)ceil(ps[k] / 100 * N);
        double exact = (double)v[rank - 1], got = vp_hist_percentile(&h, ps[k]);
        CHECK(fabs(got - exact) <= exact * VP_HIST_REL_ERROR + 0.5);
    }
    CHECK_INT(vp_hist_percentile(&h, 100), v[N - 1]);
    CHECK_INT(vp_hist_percentile(&h, 0), v[0]);
    /* every bucket: contiguous, and no wider than 1/64 of its lower bound */
    uint64_t prev_hi = 0;
    for (unsigned i = 1; i < VP_HIST_BUCKETS; i++) {
        uint64_t lo, hi;
        vp_hist_bucket_bounds(i, &lo, &hi);
        CHECK(lo == prev_hi + 1 || i == 1);
        CHECK((double)(hi - lo + 1) <= (double)lo / 64 + 1);
        CHECK_INT(vp_hist_index(lo), i);
        CHECK_INT(vp_hist_index(hi), i);
        prev_hi = hi;
    }
}

static void test_boxplot(void)
{
    static struct vp_hist h;
    vp_hist_init(&h);
    for (uint64_t i = 1; i <= 100; i++) /* 1..100 µs, one each */
        vp_hist_add(&h, i * 1000);
    vp_hist_add(&h, 1000000); /* one outlier at 1 ms */
    struct vp_boxplot b;
    vp_hist_boxplot(&h, &b);
    CHECK_NEAR(b.median, 51000, 51000 * VP_HIST_REL_ERROR);
    CHECK_NEAR(b.q1, 26000, 26000 * VP_HIST_REL_ERROR);
    CHECK_NEAR(b.q3, 76000, 76000 * VP_HIST_REL_ERROR);
    CHECK_INT(b.outliers_hi, 1);
    CHECK_INT(b.outliers_lo, 0);
    CHECK_NEAR(b.whisker_hi, 100000, 100000 * VP_HIST_REL_ERROR);
    CHECK_NEAR(b.whisker_lo, 1000, 1000 * VP_HIST_REL_ERROR);
    CHECK_INT(b.nout, 1);
    CHECK_NEAR(b.out_value[0], 1000000, 1);
    CHECK_NEAR(b.max, 1000000, 0);
}

static void test_g711(void)
{
    /* every code decodes to a value that encodes back to the same code (0x7F
     * and 0xFF are both zero; the encoder picks 0xFF) */
    for (int u = 0; u < 256; u++) {
        int16_t pcm = vp_ulaw_decode((uint8_t)u);
        uint8_t back = vp_ulaw_encode(pcm);
        CHECK(back == u || (u == 0x7F && back == 0xFF));
    }
    CHECK_INT(vp_ulaw_decode(0xFF), 0);
    CHECK_INT(vp_ulaw_decode(0x80), 32124);
    CHECK_INT(vp_ulaw_decode(0x00), -32124);
    /* quantisation error of encode then decode stays within half a step (≤ 1/32 of the value) */
    for (int v = -32000; v <= 32000; v += 37) {
        int d = vp_ulaw_decode(vp_ulaw_encode((int16_t)v)) - v;
        CHECK(abs(d) <= abs(v) / 32 + 8);
    }
    /* the FIR passes DC and stops a tone at half the sample rate */
    struct vp_fir f;
    vp_fir_init(&f, 32);
    uint8_t frame[160];
    int16_t scratch[320];
    for (int i = 0; i < 160; i++)
        frame[i] = vp_ulaw_encode(8000);
    vp_g711_transcode(&f, frame, 160, scratch);
    CHECK(abs(vp_ulaw_decode(frame[100]) - 8000) < 300);
    for (int i = 0; i < 160; i++)
        frame[i] = vp_ulaw_encode(i % 2 ? 8000 : -8000);
    vp_g711_transcode(&f, frame, 160, scratch);
    CHECK(abs(vp_ulaw_decode(frame[100])) < 300);
    struct vp_fir id;
    vp_fir_init(&id, 1);
    for (int i = 0; i < 160; i++)
        frame[i] = (uint8_t)(i + 1);
    vp_g711_transcode(&id, frame, 160, scratch);
    for (int i = 0; i < 160; i++)
        CHECK(frame[i] == i + 1 || (i + 1 == 0x7F && frame[i] == 0xFF));
}

/* The transcoder against the plain circular convolution it stands for
 * (64-bit sums, frame taken as periodic), for tap counts on both of its
 * paths (32-bit SIMD lanes, 64-bit sums) and frame lengths on and off a
 * multiple of 8: equal to the byte. */
static void test_transcode_exact(void)
{
    static struct vp_fir f;
    static int16_t scratch[2 * 1500 + VP_FIR_MAX_TAPS], in[1500];
    uint8_t a[1500], b[1500];
    int taps[] = {1, 2, 3, 7, 31, 32, 33, 64, 100, 256, 1024};
    uint64_t x = 12345;
    for (size_t t = 0; t < sizeof taps / sizeof taps[0]; t++) {
        vp_fir_init(&f, taps[t]);
        size_t lens[] = {1, 7, 160, 161, 1400};
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
            size_t n = lens[l];
            for (size_t i = 0; i < n; i++) {
                x = x * 6364136223846793005ull + 1442695040888963407ull;
                a[i] = b[i] = l == 2 ? (i % 2 ? 0x80 : 0x00) : (uint8_t)(x >> 56); /* loudest */
            }
            for (size_t i = 0; i < n; i++)
                in[i] = vp_ulaw_decode(a[i]);
            for (size_t i = 0; i < n; i++) {
                int64_t acc = 0;
                for (int k = 0; k < f.ntaps; k++)
                    acc += (int64_t)f.taps[k] * in[((i - (size_t)k % n) + n) % n];
                acc >>= 15;
                a[i] = vp_ulaw_encode((int16_t)(acc > 32767 ? 32767 : acc < -32768 ? -32768 : acc));
            }
            vp_g711_transcode(&f, b, n, scratch);
            CHECK(memcmp(a, b, n) == 0);
        }
    }
    CHECK(f.narrow == false); /* 1024 taps: 64-bit sums */
    vp_fir_init(&f, 32);
    CHECK(f.narrow);
}

int main(void)
{
    RUN(test_header_round_trip);
    RUN(test_header_rejects);
    RUN(test_seq_wrap);
    RUN(test_jitter);
    RUN(test_dup_reorder);
    RUN(test_hist_error_bound);
    RUN(test_boxplot);
    RUN(test_g711);
    RUN(test_transcode_exact);
    return CHECK_DONE();
}
