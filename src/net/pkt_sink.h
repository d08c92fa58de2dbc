/* The sink that counts what reached a link of the tester: test frames
 * (net/pkt_frame.h) of one run's token, read from an AF_PACKET socket
 * bound to the link with a TPACKET_V3 receive ring (blocks handed over
 * when full or after 2 ms), counted exactly per trial.
 *
 * A frame is received when it carries the token and the trial being
 * counted, its sequence number not seen before in this trial (a bitmap
 * per trial); frames of an earlier trial that arrive late are stale, not
 * received. The source MAC says which peer (router) forwarded a frame; the
 * TTL whether it was forwarded at all (64: straight from the generator).
 *
 * A trial:
 *     vp_pkt_sink_trial(s, t);                  // counts start from zero
 *     ... run the generator with flow.trial = t, polling meanwhile ...
 *     vp_pkt_sink_drain(s, 50, 1000);           // what is still on its way
 *     vp_pkt_sink_counts(s, &c);                // loss = sent - c.received
 * One thread owns a sink; it is made in that thread's network namespace. */
#ifndef VP_NET_PKT_SINK_H
#define VP_NET_PKT_SINK_H

#include <stdint.h>

#include "core/error.h"
#include "net/pkt_frame.h"

struct vp_pkt_counts {
    uint16_t trial;
    uint64_t received;      /* the token and trial, each sequence number once */
    uint64_t duplicates;    /* a sequence number seen again */
    uint64_t out_of_order;  /* behind a later sequence number from the same source MAC */
    uint64_t not_forwarded; /* of received: TTL still VP_PKT_TTL */
    uint64_t stale;         /* the token, another trial: an earlier trial's late frames */
    uint64_t corrupt;       /* the token, a wrong IPv4 header checksum: not received */
    uint64_t unchecked;     /* of received: past the duplicate bitmap (2^30 frames a trial) */
    uint64_t foreign;       /* anything else on the link */
    uint64_t ring_drops;    /* frames the kernel found no room for in the ring: the sink's loss */
    int peers;              /* source MACs seen, in the order of their first frame */
    uint8_t peer_mac[VP_PKT_MAX_PEERS][6];
    uint64_t peer_received[VP_PKT_MAX_PEERS];
    uint64_t other_peers;       /* received from sources past the first VP_PKT_MAX_PEERS */
    uint64_t first_ns, last_ns; /* kernel receive stamps (CLOCK_REALTIME) of received frames */
};

struct vp_pkt_sink;

/* Count frames of token arriving on ifindex (in the calling thread's
 * network namespace), trial 0 first. */
int vp_pkt_sink_open(int ifindex, uint64_t token, struct vp_pkt_sink **out, struct vp_err *err);
void vp_pkt_sink_close(struct vp_pkt_sink *s);

/* Wait up to timeout_ms for frames and count them; how many were received
 * (this trial's, new), or -errno. */
int vp_pkt_sink_poll(struct vp_pkt_sink *s, int timeout_ms);

/* Poll until no frame of the token came for quiet_ms, or max_ms passed;
 * 0 or -errno. */
int vp_pkt_sink_drain(struct vp_pkt_sink *s, int quiet_ms, int max_ms);

/* Count trial from now on, from zero (earlier trials' frames are stale). */
void vp_pkt_sink_trial(struct vp_pkt_sink *s, uint16_t trial);

/* The counts of the trial so far. */
void vp_pkt_sink_counts(const struct vp_pkt_sink *s, struct vp_pkt_counts *c);

/* The socket, to wait on beside other work (POLLIN: a block is ready). */
int vp_pkt_sink_fd(const struct vp_pkt_sink *s);

#endif
