#include "rtp/stats.h"

#include <math.h>
#include <string.h>

void vp_rtp_seq_init(struct vp_rtp_seq *s, uint16_t seq)
{
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = VP_RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
    s->cycles = 0;
    s->received = 0;
    s->started = true;
}

int vp_rtp_seq_update(struct vp_rtp_seq *s, uint16_t seq)
{
    if (!s->started) {
        vp_rtp_seq_init(s, seq);
        s->received = 1;
        return 0;
    }
    uint16_t udelta = (uint16_t)(seq - s->max_seq);
    if (udelta < VP_RTP_MAX_DROPOUT) {
        if (seq < s->max_seq) /* in order, with permissible gap: a wrap */
            s->cycles += VP_RTP_SEQ_MOD;
        s->max_seq = seq;
    } else if (udelta <= VP_RTP_SEQ_MOD - VP_RTP_MAX_MISORDER) {
        /* a very large jump */
        if (seq == s->bad_seq) {
            /* two sequential packets: the source restarted without telling */
            vp_rtp_seq_init(s, seq);
        } else {
            s->bad_seq = (seq + 1u) & (VP_RTP_SEQ_MOD - 1);
            return -1;
        }
    }
    /* else: a duplicate or reordered packet */
    s->received++;
    return 0;
}

uint32_t vp_rtp_seq_ext_max(const struct vp_rtp_seq *s)
{
    return s->cycles + s->max_seq;
}

int64_t vp_rtp_seq_expected(const struct vp_rtp_seq *s)
{
    return s->started ? (int64_t)vp_rtp_seq_ext_max(s) - s->base_seq + 1 : 0;
}

void vp_rtp_jitter_update(struct vp_rtp_jitter *j, double arrival_ts, uint32_t rtp_ts)
{
    /* transit times differ by a whole number of 2^32 wraps at most: work modulo 2^32 */
    double transit = fmod(arrival_ts - (double)rtp_ts, 4294967296.0);
    if (j->have_prev) {
        double d = transit - j->prev_transit;
        if (d > 2147483648.0)
            d -= 4294967296.0;
        else if (d < -2147483648.0)
            d += 4294967296.0;
        j->jitter += (fabs(d) - j->jitter) / 16.0;
    }
    j->prev_transit = transit;
    j->have_prev = true;
}

void vp_rtp_stream_stats_init(struct vp_rtp_stream_stats *st)
{
    memset(st, 0, sizeof *st);
    st->delay_min = UINT64_MAX;
}

/* Mark probe sequence number n seen; false when it already was (or is too
 * old to tell, which is then counted as a duplicate only if marked). */
static bool mark_seen(struct vp_rtp_stream_stats *st, uint32_t n, bool *reordered)
{
    *reordered = false;
    if (n >= st->top_probe_seq) {
        uint32_t shift = n + 1 - st->top_probe_seq;
        if (shift >= VP_RTP_DUP_WINDOW) {
            memset(st->seen, 0, sizeof st->seen);
        } else {
            /* slide the window: bit k stands for top_probe_seq - 1 - k */
            for (uint32_t s = 0; s < shift; s++) {
                for (int w = VP_RTP_DUP_WINDOW / 64 - 1; w > 0; w--)
                    st->seen[w] = st->seen[w] << 1 | st->seen[w - 1] >> 63;
                st->seen[0] <<= 1;
            }
        }
        st->top_probe_seq = n + 1;
        st->seen[0] |= 1;
        return true;
    }
    uint32_t k = st->top_probe_seq - 1 - n;
    *reordered = true;
    if (k >= VP_RTP_DUP_WINDOW)
        return true; /* too old to tell: counted as a late, reordered packet */
    uint64_t bit = 1ull << (k % 64);
    if (st->seen[k / 64] & bit)
        return false;
    st->seen[k / 64] |= bit;
    return true;
}

enum vp_rtp_verdict vp_rtp_stream_stats_add(struct vp_rtp_stream_stats *st, uint64_t arrival_ns,
                                            uint16_t seq, uint32_t ts, uint32_t probe_seq,
                                            uint64_t delay_ns, unsigned clock_rate)
{
    if (vp_rtp_seq_update(&st->seq, seq) < 0) {
        st->rejected++;
        return VP_RTP_REJECTED;
    }
    if (st->last_arrival_ns && arrival_ns - st->last_arrival_ns > st->max_delta_ns)
        st->max_delta_ns = arrival_ns - st->last_arrival_ns;
    st->last_arrival_ns = arrival_ns;
    vp_rtp_jitter_update(&st->jit, (double)arrival_ns * clock_rate / 1e9, ts);
    if (st->jit.jitter > st->jitter_max)
        st->jitter_max = st->jit.jitter;

    bool reordered;
    if (!mark_seen(st, probe_seq, &reordered)) {
        st->duplicates++;
        return VP_RTP_DUPLICATE;
    }
    st->received++;
    if (delay_ns < st->delay_min)
        st->delay_min = delay_ns;
    if (delay_ns > st->delay_max)
        st->delay_max = delay_ns;
    st->delay_sum += (double)delay_ns;
    if (reordered) {
        st->reordered++;
        return VP_RTP_REORDERED;
    }
    return VP_RTP_NEW;
}

double vp_rtp_jitter_ms(const struct vp_rtp_stream_stats *st, unsigned clock_rate)
{
    return st->jit.jitter * 1000.0 / clock_rate;
}
