/* What a receiver knows of one flow of test datagrams (net/udp_wire.h):
 * 64-bit sequence numbers counted exactly — distinct datagrams received,
 * duplicates, reordered (arrived after a higher sequence number), and
 * lost = sent − distinct received once the sender says how many it sent —
 * RFC 3550 §6.4.1 interarrival jitter, and the one-way delay (receive stamp
 * − send stamp) when both ends read the same clock.
 *
 * Duplicates are recognised within the last VP_UDP_FLOW_WINDOW sequence
 * numbers below the highest seen; an older datagram cannot be told from a
 * duplicate and is counted as `too_late` (neither received nor duplicate),
 * so a figure is never guessed. */
#ifndef VP_NET_UDP_FLOW_H
#define VP_NET_UDP_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "rtp/hist.h"

#define VP_UDP_FLOW_WINDOW 65536 /* sequence numbers; a power of two */

/* One interval of a flow: its datagrams by their send stamps (net/udp_wire.h's
 * vp_udp_interval_of), so that each side counts the same datagrams in it:
 * sent is the sender's count, the rest the receiver's; lost = sent −
 * received. Delay figures only with shared clocks. */
struct vp_udp_ival {
    uint64_t sent, received, duplicates, reordered, too_late;
    uint64_t jitter_ns; /* the flow's RFC 3550 jitter after the interval's last arrival */
    uint64_t delay_count, delay_sum_ns, delay_max_ns;
};
#define VP_UDP_IVAL_FIELDS 9 /* the uint64_t members above, in order */

struct vp_udp_flow {
    uint64_t top;      /* highest sequence number seen + 1 (0: none yet) */
    uint64_t received; /* distinct datagrams */
    uint64_t bytes;    /* of the distinct datagrams */
    uint64_t duplicates, reordered, too_late;
    /* jitter: J += (|D| − J)/16, in ns, over consecutive distinct arrivals */
    bool have_transit;
    int64_t transit_ns;
    double jitter_ns;
    struct vp_hist delay; /* one-way delay, ns: only with shared clocks */
    /* per interval, when asked (vp_udp_flow_intervals): iv[nintervals] */
    uint64_t epoch_ns, interval_ns;
    uint32_t nintervals;
    struct vp_udp_ival *iv;
    uint64_t
        seen[VP_UDP_FLOW_WINDOW / 64]; /* bit (seq % WINDOW): seq seen, for seq in the window */
};

enum vp_udp_verdict { VP_UDP_NEW, VP_UDP_REORDERED, VP_UDP_DUPLICATE, VP_UDP_TOO_LATE };

void vp_udp_flow_init(struct vp_udp_flow *f);
/* Count per interval too: n intervals of interval_ns from epoch_ns (the
 * sender's clock). 0 or -ENOMEM. */
int vp_udp_flow_intervals(struct vp_udp_flow *f, uint64_t epoch_ns, uint64_t interval_ns,
                          uint32_t n);
/* Free what vp_udp_flow_intervals took (the flow itself is the caller's). */
void vp_udp_flow_free(struct vp_udp_flow *f);

/* Account one datagram: its sequence number and size, the sender's stamp
 * and the receive stamp (both CLOCK_REALTIME ns); the delay is kept when
 * shared_clock. */
enum vp_udp_verdict vp_udp_flow_add(struct vp_udp_flow *f, uint64_t seq, uint32_t size,
                                    uint64_t tx_ns, uint64_t rx_ns, bool shared_clock);

/* Lost of `sent` datagrams (sequence numbers 0..sent-1): those never
 * received (a too-late one was received, but is counted lost: it cannot be
 * told from a duplicate). */
uint64_t vp_udp_flow_lost(const struct vp_udp_flow *f, uint64_t sent);

#endif
