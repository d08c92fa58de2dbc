/* The media-server appliance: a pool of worker threads, each reading its
 * own SO_REUSEPORT socket of the UDP engine's receiver (net/udp_engine.h:
 * recvmmsg batches) on one port, that do per-packet work resembling a media
 * path (G.711 μ-law → linear PCM, a FIR filter, back to μ-law) and relay
 * each packet to the other leg: back to its source, or to a configured
 * peer, a batch at a time through the engine's transmit queue (sendmmsg,
 * UDP GSO). It counts what it could not take: socket-buffer overflows
 * (sk_drops, what SO_RXQ_OVFL tells), cross-checked against the kernel's
 * UDP RcvbufErrors counter (host-wide, so only an upper bound). */
#ifndef VP_RTP_MEDIA_SERVER_H
#define VP_RTP_MEDIA_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"

struct vp_media_server_cfg {
    struct sockaddr_storage listen;
    socklen_t listen_len;
    struct sockaddr_storage peer; /* peer_len 0: relay to each packet's source */
    socklen_t peer_len;
    int threads;
    bool transcode; /* false: relay untouched (--work none) */
    int fir_taps;
    bool gso; /* a batch's relays to one address leave as one UDP GSO message */
};

struct vp_media_server_counters {
    uint64_t received, relayed, transcoded;
    uint64_t not_rtp;     /* dropped: not RTP version 2 */
    uint64_t send_errors; /* relays the kernel refused */
    uint64_t rxq_drops;   /* datagrams the sockets' buffers overflowed on (sk_drops, SO_MEMINFO) */
    int64_t snmp_rcvbuf_errors; /* host-wide Udp RcvbufErrors over the server's life, -1 unknown */
};

struct vp_media_server;

/* Bind the sockets (port 0 picks one) and start the workers. */
int vp_media_server_start(const struct vp_media_server_cfg *cfg, struct vp_media_server **out,
                          struct vp_err *err);
uint16_t vp_media_server_port(const struct vp_media_server *ms);
/* Counters so far (summed over the workers). */
void vp_media_server_counters(struct vp_media_server *ms, struct vp_media_server_counters *c);
/* Stop the workers, fill the final counters, free everything. */
void vp_media_server_stop(struct vp_media_server *ms, struct vp_media_server_counters *c);

/* Host-wide UDP RcvbufErrors from /proc/net/snmp, or -1. */
int64_t vp_udp_rcvbuf_errors(void);

#endif
