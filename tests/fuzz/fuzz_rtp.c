/* RTP packets and the probe in their payload (rtp/rtp.c), the media
 * server's work on a payload (rtp/g711.c: scratch of n + ntaps, what the
 * server gives it), and a receiver's statistics (rtp/stats.c) over the
 * input read as a stream of packets: 10 bytes each (seq, ts, probe seq). */
#include "fuzz.h"
#include "rtp/g711.h"
#include "rtp/rtp.h"
#include "rtp/stats.h"

static struct vp_fir fir[3];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    vp_fir_init(&fir[0], 1);
    vp_fir_init(&fir[1], 32); /* the media server's default */
    vp_fir_init(&fir[2], 67); /* odd: the SIMD loop's tail; longer than short frames */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vp_rtp_header h;
    size_t off, len;
    if (vp_rtp_header_decode(data, size, &h, &off, &len) == 0 && len > 0) {
        FUZZ_CHECK(off + len <= size);
        struct vp_rtp_probe p;
        uint8_t again[VP_RTP_PROBE_LEN];
        if (vp_rtp_probe_decode(data + off, len, &p) == 0) {
            vp_rtp_probe_encode(&p, again);
            FUZZ_CHECK(memcmp(again, data + off, sizeof again) == 0);
        }
        const struct vp_fir *f = &fir[h.ssrc % 3];
        uint8_t *frame = malloc(len);
        int16_t *scratch = malloc((len + (size_t)f->ntaps) * sizeof *scratch);
        FUZZ_CHECK(frame && scratch);
        memcpy(frame, data + off, len);
        vp_g711_transcode(f, frame, len, scratch);
        free(frame);
        free(scratch);
    }
    struct vp_rtp_stream_stats st;
    vp_rtp_stream_stats_init(&st);
    uint64_t n = 0, verdicts[4] = {0};
    for (size_t i = 0; i + 10 <= size; i += 10, n++) {
        const uint8_t *r = data + i;
        int v = vp_rtp_stream_stats_add(&st, 1000000 * (n + 1) + r[9], (uint16_t)fuzz_be(r, 2),
                                        (uint32_t)fuzz_be(r + 2, 4), (uint32_t)fuzz_be(r + 6, 3),
                                        r[9], 8000);
        FUZZ_CHECK(v >= VP_RTP_NEW && v <= VP_RTP_REJECTED);
        verdicts[v]++;
    }
    FUZZ_CHECK(st.received == verdicts[VP_RTP_NEW] + verdicts[VP_RTP_REORDERED]);
    FUZZ_CHECK(st.duplicates == verdicts[VP_RTP_DUPLICATE] &&
               st.rejected == verdicts[VP_RTP_REJECTED]);
    FUZZ_CHECK(st.received + st.duplicates + st.rejected == n);
    return 0;
}
