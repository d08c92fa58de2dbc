/* G.711 μ-law (ITU-T G.711, the PCMU of RTP payload type 0) and the
 * per-packet work of the media server: decode a frame to 16-bit linear PCM,
 * run a FIR low-pass filter over it, encode it back. */
#ifndef VP_RTP_G711_H
#define VP_RTP_G711_H

#include <stddef.h>
#include <stdint.h>

#define VP_FIR_MAX_TAPS 1024

int16_t vp_ulaw_decode(uint8_t u);
uint8_t vp_ulaw_encode(int16_t pcm);

/* A windowed-sinc low-pass FIR filter (cutoff at a quarter of the sample
 * rate, Hamming window, unit DC gain) in Q15 fixed point, with the μ-law
 * decode table the transcoder looks samples up in. */
struct vp_fir {
    int16_t ulaw[256];
    int ntaps;
    int32_t taps[VP_FIR_MAX_TAPS];
};

/* ntaps in [1, VP_FIR_MAX_TAPS]; 1 is the identity. */
void vp_fir_init(struct vp_fir *f, int ntaps);

/* Transcode n μ-law samples in place: decode, filter, encode. The filter
 * takes the frame as periodic (circular convolution), so every output
 * sample costs ntaps multiply-adds whatever the frame length, as a filter
 * carrying history across frames would. scratch holds 2·n int16 values. */
void vp_g711_transcode(const struct vp_fir *f, uint8_t *frame, size_t n, int16_t *scratch);

#endif
