#include "rtp/g711.h"

#include <math.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define ULAW_BIAS 0x84
#define ULAW_CLIP 32635

int16_t vp_ulaw_decode(uint8_t u)
{
    u = (uint8_t)~u;
    int t = ((u & 0x0F) << 3) + ULAW_BIAS;
    t <<= (u & 0x70) >> 4;
    return (int16_t)((u & 0x80) ? ULAW_BIAS - t : t - ULAW_BIAS);
}

/* Inlined in the transcoder's loops (the exported one may be interposed). */
static inline uint8_t ulaw_encode(int16_t pcm)
{
    int v = pcm, sign = 0;
    if (v < 0) {
        v = -v;
        sign = 0x80;
    }
    if (v > ULAW_CLIP)
        v = ULAW_CLIP;
    v += ULAW_BIAS; /* 132..32767: its top bit is bit 7..14, the exponent 0..7 */
    int exponent = 31 - __builtin_clz((unsigned)v) - 7;
    int mantissa = (v >> (exponent + 3)) & 0x0F;
    return (uint8_t) ~(sign | exponent << 4 | mantissa);
}

uint8_t vp_ulaw_encode(int16_t pcm)
{
    return ulaw_encode(pcm);
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
    for (int v = 0; v < 32768; v++)
        f->ulaw_mag[v] = (uint8_t)~ulaw_encode((int16_t)v);
    double h[VP_FIR_MAX_TAPS], sum = 0;
    double mid = (ntaps - 1) / 2.0, fc = 0.25; /* cutoff, in cycles per sample */
    for (int i = 0; i < ntaps; i++) {
        double x = i - mid;
        double sinc = x == 0 ? 2 * fc : sin(2 * M_PI * fc * x) / (M_PI * x);
        double w = ntaps > 1 ? 0.54 - 0.46 * cos(2 * M_PI * i / (ntaps - 1)) : 1;
        h[i] = sinc * w;
        sum += h[i];
    }
    int64_t abs_sum = 0;
    f->narrow = true;
    for (int i = 0; i < ntaps; i++) {
        f->taps[i] = (int32_t)lround(h[i] / sum * 32768.0);
        abs_sum += f->taps[i] < 0 ? -(int64_t)f->taps[i] : f->taps[i];
        f->narrow = f->narrow && f->taps[i] >= INT16_MIN && f->taps[i] <= INT16_MAX;
        f->rtaps[ntaps - 1 - i] = (int16_t)f->taps[i];
    }
    f->rtaps[ntaps] = 0;
    f->narrow = f->narrow && abs_sum * 32768 < INT32_MAX;
}

/* The code of a Q15 sum: |sample| looked up, the sign put back. */
static uint8_t encode_q15(const struct vp_fir *f, int64_t acc)
{
    acc >>= 15;
    int v = (int)(acc > 32767 ? 32767 : acc < -32767 ? -32767 : acc); /* both clip at 32635 */
    return (uint8_t) ~(v < 0 ? 0x80 | f->ulaw_mag[-v] : f->ulaw_mag[v]);
}

#ifdef __SSE2__
/* Outputs i..i+7 in 32-bit lanes: for each pair of taps, pmaddwd of
 * (ext[i+l+m], ext[i+l+m+1]) with (rtaps[m], rtaps[m+1]). */
static void fir_narrow8(const struct vp_fir *f, const int16_t *ext, size_t i, int32_t *acc)
{
    __m128i a0 = _mm_setzero_si128(), a1 = _mm_setzero_si128();
    for (int m = 0; m < f->ntaps; m += 2) {
        __m128i x = _mm_loadu_si128((const __m128i *)(ext + i + m));
        __m128i y = _mm_loadu_si128((const __m128i *)(ext + i + m + 1));
        int32_t pair;
        memcpy(&pair, f->rtaps + m, sizeof pair);
        __m128i t = _mm_set1_epi32(pair);
        a0 = _mm_add_epi32(a0, _mm_madd_epi16(_mm_unpacklo_epi16(x, y), t));
        a1 = _mm_add_epi32(a1, _mm_madd_epi16(_mm_unpackhi_epi16(x, y), t));
    }
    _mm_storeu_si128((__m128i *)acc, a0);
    _mm_storeu_si128((__m128i *)(acc + 4), a1);
}
#endif

/* out[i] = sum over k of taps[k] * in[(i - k) mod n] = sum over m of
 * rtaps[m] * ext[i + m], ext being the frame after its last ntaps - 1
 * samples (taken periodically): a plain dot product per output, eight
 * outputs at a time in SIMD lanes where the sums fit (f->narrow). */
void vp_g711_transcode(const struct vp_fir *f, uint8_t *frame, size_t n, int16_t *scratch)
{
    const int nt = f->ntaps;
    int16_t *ext = scratch, *in = scratch + nt - 1;
    for (size_t i = 0; i < n; i++)
        in[i] = f->ulaw[frame[i]];
    size_t k = n - (size_t)(nt - 1) % n; /* ext[j] = in[(j - (nt - 1)) mod n] */
    for (int j = 0; j < nt - 1; j++, k++)
        ext[j] = in[k < n ? k : (k %= n)];
    size_t i = 0;
#ifdef __SSE2__
    if (f->narrow) {
        in[n] = 0; /* read (times the zero tap) by the last pair */
        for (; i + 8 <= n; i += 8) {
            int32_t acc[8];
            fir_narrow8(f, ext, i, acc);
            for (int l = 0; l < 8; l++)
                frame[i + (size_t)l] = encode_q15(f, acc[l]);
        }
    }
#endif
    for (; i < n; i++) {
        int64_t acc = 0;
        for (int m = 0; m < nt; m++)
            acc += (int64_t)f->taps[nt - 1 - m] * ext[i + (size_t)m];
        frame[i] = encode_q15(f, acc);
    }
}
