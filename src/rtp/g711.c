#include "rtp/g711.h"

#include <math.h>

#define ULAW_BIAS 0x84
#define ULAW_CLIP 32635

int16_t vp_ulaw_decode(uint8_t u)
{
    u = (uint8_t)~u;
    int t = ((u & 0x0F) << 3) + ULAW_BIAS;
    t <<= (u & 0x70) >> 4;
    return (int16_t)((u & 0x80) ? ULAW_BIAS - t : t - ULAW_BIAS);
}

uint8_t vp_ulaw_encode(int16_t pcm)
{
    int v = pcm, sign = 0;
    if (v < 0) {
        v = -v;
        sign = 0x80;
    }
    if (v > ULAW_CLIP)
        v = ULAW_CLIP;
    v += ULAW_BIAS;
    int exponent = 7;
    for (int mask = 0x4000; (v & mask) == 0 && exponent > 0; mask >>= 1)
        exponent--;
    int mantissa = (v >> (exponent + 3)) & 0x0F;
    return (uint8_t) ~(sign | exponent << 4 | mantissa);
}

void vp_fir_init(struct vp_fir *f, int ntaps)
{
    if (ntaps < 1)
        ntaps = 1;
    if (ntaps > VP_FIR_MAX_TAPS)
        ntaps = VP_FIR_MAX_TAPS;
    f->ntaps = ntaps;
    for (int u = 0; u < 256; u++)
        f->ulaw[u] = vp_ulaw_decode((uint8_t)u);
    double h[VP_FIR_MAX_TAPS], sum = 0;
    double mid = (ntaps - 1) / 2.0, fc = 0.25; /* cutoff, in cycles per sample */
    for (int i = 0; i < ntaps; i++) {
        double x = i - mid;
        double sinc = x == 0 ? 2 * fc : sin(2 * M_PI * fc * x) / (M_PI * x);
        double w = ntaps > 1 ? 0.54 - 0.46 * cos(2 * M_PI * i / (ntaps - 1)) : 1;
        h[i] = sinc * w;
        sum += h[i];
    }
    for (int i = 0; i < ntaps; i++)
        f->taps[i] = (int32_t)lround(h[i] / sum * 32768.0);
}

void vp_g711_transcode(const struct vp_fir *f, uint8_t *frame, size_t n, int16_t *scratch)
{
    int16_t *in = scratch, *out = scratch + n;
    for (size_t i = 0; i < n; i++)
        in[i] = f->ulaw[frame[i]];
    for (size_t i = 0; i < n; i++) {
        int64_t acc = 0;
        size_t j = i; /* in[(i - k) mod n]: the frame taken as periodic */
        for (int k = 0; k < f->ntaps; k++) {
            acc += (int64_t)f->taps[k] * in[j];
            j = j ? j - 1 : n - 1;
        }
        acc >>= 15;
        out[i] = (int16_t)(acc > 32767 ? 32767 : acc < -32768 ? -32768 : acc);
    }
    for (size_t i = 0; i < n; i++)
        frame[i] = vp_ulaw_encode(out[i]);
}
