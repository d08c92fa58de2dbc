/* The test frames of the packet generator (net/pkt_gen.h) and sink
 * (net/pkt_sink.h): Ethernet II, IPv4, UDP, built once per run, then only
 * the destination (MAC when several peers, IPv4 address and header
 * checksum) and the sequence number are written per frame.
 *
 *   off size field
 *     0   6  destination MAC   the peer's (peers take turns, frame k: k % peers)
 *     6   6  source MAC
 *    12   2  type 0x0800
 *    14  20  IPv4: version 4, IHL 5, TOS 0, total length, ID 0, DF, TTL 64,
 *                  UDP, header checksum, source, destination
 *    34   8  UDP: source and destination port udp_port, length, checksum 0
 *    42   8  token     the run's random number (another run's frame is foreign)
 *    50   8  seq       from 0 per run, +1 per frame
 *    58   2  trial     the trial it belongs to (a late frame of an earlier
 *                      trial is told apart from this one's)
 *    60      zeros up to frame_len
 *
 * Integers in network byte order. frame_len 60..1514 counts from the
 * destination MAC to the end of the payload: 60 is a 64-byte Ethernet frame
 * once the NIC adds its FCS. A router decrements the TTL: 63 says the frame
 * was forwarded once, 64 that it came straight from the generator.
 *
 * Destinations: dst_base + k·dst_stride for k < dst_count, visited in a
 * fixed pseudo-random permutation (the same on every run) so that
 * successive frames hit different routes; with several peers each peer is
 * sent the whole permutation (frame k: peer k % peers, destination
 * perm[(k / peers) % dst_count], moved up by peer · peer_dst_step when
 * each peer has destinations of its own). The IPv4 checksum of each destination is
 * derived once from the first's by RFC 1624's incremental update. */
#ifndef VP_NET_PKT_FRAME_H
#define VP_NET_PKT_FRAME_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"

#define VP_PKT_MAX_PEERS 16
#define VP_PKT_MIN_FRAME 60
#define VP_PKT_MAX_FRAME 1514
#define VP_PKT_MAX_DESTS (1u << 22) /* 32 MiB of destination table */
#define VP_PKT_TTL       64
#define VP_PKT_BATCH     64 /* frames per send (and burst) by default */
#define VP_PKT_BATCH_MAX 256

#define VP_PKT_OFF_IP      14
#define VP_PKT_OFF_UDP     34
#define VP_PKT_OFF_PAYLOAD 42

/* How frames reach the kernel: the default is the faster here (see
 * bench/results/pktgen.md). */
enum vp_pkt_tx {
    VP_PKT_TX_DEFAULT,
    VP_PKT_TX_RING, /* PACKET_TX_RING (TPACKET_V2, PACKET_VNET_HDR): one send() per batch */
    VP_PKT_TX_MMSG, /* sendmmsg: one call per batch, the frames copied */
};

/* What the generator sends. Zero a flow, then fill it. */
struct vp_pkt_flow {
    int ifindex; /* the egress link, in the calling thread's network namespace */
    uint8_t src_mac[6];
    uint8_t dst_mac[VP_PKT_MAX_PEERS][6]; /* frames take turns over the peers' MACs */
    int peers;                            /* 1..VP_PKT_MAX_PEERS */
    uint32_t src_ip;                      /* network order */
    uint32_t dst_base;                    /* network order */
    uint32_t dst_count;                   /* 1..VP_PKT_MAX_DESTS */
    uint32_t dst_stride;                  /* addresses between destinations (256: one per /24) */
    uint32_t peer_dst_step; /* peer p's destinations lie p·step above peer 0's (routers with
                               route blocks of their own); 0: every peer is sent the same */
    uint16_t udp_port;      /* source and destination port */
    uint16_t trial;         /* carried in every frame */
    uint32_t frame_len;     /* VP_PKT_MIN_FRAME..VP_PKT_MAX_FRAME */
    double rate;            /* frames/s; 0: as fast as the kernel takes them */
    int batch;              /* frames per send at most; 0: VP_PKT_BATCH */
    enum vp_pkt_tx tx;
    uint64_t token; /* carried in every frame */
};

/* One destination in visiting order: its address and the IPv4 header
 * checksum of a frame sent to it (both as stored in the frame). */
struct vp_pkt_dest {
    uint32_t ip;
    uint16_t csum;
};

/* An input error unless the flow can be sent (sizes, counts, addresses
 * that stay inside IPv4 space). */
int vp_pkt_flow_check(const struct vp_pkt_flow *f, struct vp_err *err);

/* Write the flow's first frame (peer 0, first destination, seq 0) to
 * frame, f->frame_len bytes. */
void vp_pkt_frame_build(const struct vp_pkt_flow *f, uint8_t *frame);

/* The destinations in visiting order, f->dst_count of them (malloc'd),
 * then as many for each further peer when peer_dst_step is set; -ENOMEM. */
int vp_pkt_dests(const struct vp_pkt_flow *f, struct vp_pkt_dest **out);

/* perm[0..n) = a permutation of 0..n-1 drawn from seed (Fisher-Yates). */
void vp_pkt_perm(uint32_t *perm, uint32_t n, uint64_t seed);

/* RFC 1071: the ones' complement sum of len bytes added to sum (unfolded),
 * and the checksum it folds into. */
uint32_t vp_pkt_csum_add(uint32_t sum, const void *p, size_t len);
uint16_t vp_pkt_csum_fold(uint32_t sum);
/* RFC 1624 (eqn. 3): checksum hc (as stored) after a 32-bit field changed
 * from old to new (both as stored): HC' = ~(~HC + ~m + m'). */
uint16_t vp_pkt_csum_update32(uint16_t hc, uint32_t old, uint32_t new_);

/* Turn frame into the next one: destination MAC (NULL: unchanged),
 * destination address and checksum, sequence number. */
static inline void vp_pkt_frame_patch(uint8_t *frame, const uint8_t *dst_mac,
                                      const struct vp_pkt_dest *d, uint64_t seq)
{
    if (dst_mac)
        memcpy(frame, dst_mac, 6);
    memcpy(frame + VP_PKT_OFF_IP + 10, &d->csum, 2);
    memcpy(frame + VP_PKT_OFF_IP + 16, &d->ip, 4);
    uint64_t s = htobe64(seq);
    memcpy(frame + VP_PKT_OFF_PAYLOAD + 8, &s, 8);
}

/* What the sink reads from a frame. */
struct vp_pkt_seen {
    const uint8_t *src_mac;
    uint8_t ttl;
    bool csum_ok; /* the IPv4 header checksum holds */
    uint16_t trial;
    uint64_t token, seq;
};

/* False unless frame (len bytes) is shaped as a test frame: IPv4 without
 * options, UDP, lengths that agree, room for the payload's fields. */
bool vp_pkt_frame_parse(const uint8_t *frame, uint32_t len, struct vp_pkt_seen *s);

#endif
