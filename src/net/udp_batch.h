/* Batched UDP sends, the transmit primitive of the UDP engine
 * (net/udp_engine.h): datagrams are queued (written into the queue's own
 * slots, or held by the caller until the next flush) with their
 * destinations, and a flush hands them all to the kernel in one sendmmsg.
 * With UDP GSO, consecutive datagrams of one size to one destination go
 * down the stack as one message of up to VP_UDP_GSO_SEGMENTS datagrams that
 * the kernel cuts (UDP_SEGMENT): one pass for many, the same datagrams on
 * the wire. A path without GSO is found at the first refusal and the queue
 * goes on one datagram per message. */
#ifndef VP_NET_UDP_BATCH_H
#define VP_NET_UDP_BATCH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"

#define VP_UDP_BATCH_MAX    256
#define VP_UDP_GSO_SEGMENTS 64    /* datagrams per UDP_SEGMENT message at most */
#define VP_UDP_GSO_BYTES    65000 /* and bytes */

/* An IPv4 or IPv6 socket address. */
union vp_udp_addr {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

struct vp_udp_txq_cfg {
    int fd;
    int cap;       /* datagrams queued at most, 1..VP_UDP_BATCH_MAX; a full queue flushes */
    uint32_t slot; /* bytes of each of the queue's own slots (0: the caller's buffers only) */
    bool gso;      /* group datagrams into UDP_SEGMENT messages */
    /* a refused message ends the flush (the rest is dropped, uncounted as
     * taken); otherwise it is skipped and the flush goes on */
    bool stop_on_error;
    const struct sockaddr *to; /* the destination of pushes without one (NULL: connected) */
    socklen_t to_len;
};

struct vp_udp_txq_stats {
    uint64_t sent;    /* datagrams the kernel took (flushes of a full queue too) */
    uint64_t calls;   /* sendmmsg calls */
    uint64_t refused; /* messages the kernel refused */
    uint64_t dropped; /* datagrams in them, and those a stopped flush left */
};

struct vp_udp_txq;

int vp_udp_txq_open(const struct vp_udp_txq_cfg *cfg, struct vp_udp_txq **out, struct vp_err *err);
void vp_udp_txq_close(struct vp_udp_txq *q);

/* The next datagram's slot (cfg.slot bytes), to write before pushing it. */
uint8_t *vp_udp_txq_slot(struct vp_udp_txq *q);
/* Queue the datagram written into the slot: len bytes to `to` (NULL: the
 * queue's destination). A full queue is flushed first. */
void vp_udp_txq_push(struct vp_udp_txq *q, uint32_t len, const struct sockaddr *to,
                     socklen_t to_len);
/* Queue len bytes of the caller's, then pad zero bytes: the caller keeps
 * them unchanged until the queue is flushed. */
void vp_udp_txq_push_ref(struct vp_udp_txq *q, const void *data, uint32_t len, uint32_t pad,
                         const struct sockaddr *to, socklen_t to_len);
/* Send what is queued; how many datagrams the kernel took. The queue is
 * empty afterwards. */
int vp_udp_txq_flush(struct vp_udp_txq *q);
/* Datagrams queued; whether GSO is still in use; the counters so far. */
int vp_udp_txq_count(const struct vp_udp_txq *q);
bool vp_udp_txq_gso(const struct vp_udp_txq *q);
const struct vp_udp_txq_stats *vp_udp_txq_stats(const struct vp_udp_txq *q);

#endif
