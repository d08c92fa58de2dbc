/* Receive statistics of one RTP stream: RFC 3550 §A.1 sequence handling
 * (16-bit sequence numbers extended across wraps, restart after a large
 * jump), duplicates and reordering, §6.4.1 interarrival jitter, and the
 * round-trip delay of the probes the stream carries.
 *
 * Loss is counted two ways: against what the sender knows it sent (exact,
 * includes the tail), and the RFC's expected − received over the sequence
 * range seen (what a capture analyser such as tshark reports). */
#ifndef VP_RTP_STATS_H
#define VP_RTP_STATS_H

#include <stdbool.h>
#include <stdint.h>

#define VP_RTP_MAX_DROPOUT  3000
#define VP_RTP_MAX_MISORDER 100
#define VP_RTP_SEQ_MOD      (1u << 16)
#define VP_RTP_DUP_WINDOW   256 /* duplicates are recognised this far back */

struct vp_rtp_seq {
    uint16_t max_seq;  /* highest sequence number seen */
    uint32_t cycles;   /* wraps, shifted left by 16 */
    uint32_t base_seq; /* first sequence number */
    uint32_t bad_seq;  /* last 'bad' one + 1 */
    uint64_t received; /* packets accepted (duplicates included, as in §A.3) */
    bool started;
};

/* §A.1: 0 for a packet to count, -1 for one that is out of range (a restart
 * is taken when two such packets arrive in sequence). */
void vp_rtp_seq_init(struct vp_rtp_seq *s, uint16_t seq);
int vp_rtp_seq_update(struct vp_rtp_seq *s, uint16_t seq);
/* Highest extended sequence number, and packets expected so far. */
uint32_t vp_rtp_seq_ext_max(const struct vp_rtp_seq *s);
int64_t vp_rtp_seq_expected(const struct vp_rtp_seq *s);

/* §6.4.1: J += (|D| − J)/16, kept in RTP timestamp units. */
struct vp_rtp_jitter {
    bool have_prev;
    double prev_transit; /* arrival − timestamp, timestamp units */
    double jitter;
};

/* arrival_ts: arrival time in timestamp units (ns · clock_rate / 1e9). */
void vp_rtp_jitter_update(struct vp_rtp_jitter *j, double arrival_ts, uint32_t rtp_ts);

/* Everything the receiver knows about one stream. */
struct vp_rtp_stream_stats {
    struct vp_rtp_seq seq;
    struct vp_rtp_jitter jit;
    uint64_t received; /* distinct packets */
    uint64_t duplicates, reordered, rejected;
    uint32_t top_probe_seq;                /* highest probe sequence number + 1 seen */
    uint64_t seen[VP_RTP_DUP_WINDOW / 64]; /* bitmap of probe sequence numbers below top */
    uint64_t last_arrival_ns;
    uint64_t max_delta_ns; /* largest gap between consecutive arrivals */
    uint64_t delay_min, delay_max;
    double delay_sum;
    double jitter_max;
};

void vp_rtp_stream_stats_init(struct vp_rtp_stream_stats *st);

enum vp_rtp_verdict { VP_RTP_NEW, VP_RTP_REORDERED, VP_RTP_DUPLICATE, VP_RTP_REJECTED };

/* Account one packet of the stream arriving at arrival_ns with RTP header
 * fields seq/ts, probe sequence number probe_seq and measured round-trip
 * delay delay_ns; clock_rate in Hz. */
enum vp_rtp_verdict vp_rtp_stream_stats_add(struct vp_rtp_stream_stats *st, uint64_t arrival_ns,
                                            uint16_t seq, uint32_t ts, uint32_t probe_seq,
                                            uint64_t delay_ns, unsigned clock_rate);

/* The RFC 3550 jitter in milliseconds. */
double vp_rtp_jitter_ms(const struct vp_rtp_stream_stats *st, unsigned clock_rate);

#endif
