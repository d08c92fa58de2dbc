/* G.711 μ-law (ITU-T G.711, the PCMU of RTP payload type 0) and the
 * per-packet work of the media server: decode a frame to 16-bit linear PCM,
 * run a FIR low-pass filter over it, encode it back. */
#ifndef VP_RTP_G711_H
#define VP_RTP_G711_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VP_FIR_MAX_TAPS 1024

int16_t vp_ulaw_decode(uint8_t u);
uint8_t vp_ulaw_encode(int16_t pcm);

/* A windowed-sinc low-pass FIR filter (cutoff at a quarter of the sample
 * rate, Hamming window, unit DC gain) in Q15 fixed point, with the μ-law
 * tables the transcoder looks samples and codes up in. */
struct vp_fir {
    int16_t ulaw[256];
    uint8_t ulaw_mag[32768]; /* |sample| → exponent and mantissa, before the sign and inversion */
    int ntaps;
    int32_t taps[VP_FIR_MAX_TAPS];
    /* The taps reversed as int16 (and a zero after them, for pairs), when
     * every sum of products fits in 32 bits (sum |tap| * 32768 < 2^31): the
     * transcoder then sums pairs of products in SIMD lanes, exactly as the
     * 64-bit sum would. */
    bool narrow;
    int16_t rtaps[VP_FIR_MAX_TAPS + 1];
};

/* ntaps in [1, VP_FIR_MAX_TAPS]; 1 is the identity. */
void vp_fir_init(struct vp_fir *f, int ntaps);

/* Transcode n μ-law samples in place: decode, filter, encode. The filter
 * takes the frame as periodic (circular convolution), so every output
 * sample costs ntaps multiply-adds whatever the frame length, as a filter
 * carrying history across frames would. scratch holds n + ntaps int16
 * values (the media server's is sized so; the fuzz target gives exactly
 * that). */
void vp_g711_transcode(const struct vp_fir *f, uint8_t *frame, size_t n, int16_t *scratch);

#endif
