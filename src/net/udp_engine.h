/* The UDP packet engine: test datagrams (net/udp_wire.h) sent in batches
 * of sendmmsg on absolute deadlines, and received in batches of recvmmsg
 * on several SO_REUSEPORT sockets with the kernel's receive stamps.
 *
 * Pacing: datagram k of a sender at rate R is due at start + k/R. Each
 * wake-up sends what is due, at most `batch` datagrams in one call, then
 * sleeps until the next deadline (clock_nanosleep, TIMER_ABSTIME), so no
 * burst is larger than the batch; a sender that falls behind catches up a
 * batch at a time, and how late each batch left is kept (lateness). A
 * sequence number is given only to a datagram the kernel took, so a
 * receiver's loss is the path's, never the sender's (a local firewall's
 * drop on output is refused to the sender, which sends again). A batch
 * leaves through the engine's transmit queue (net/udp_batch.h: sendmmsg,
 * UDP GSO where the kernel has it).
 *
 * The receiver reads its sockets with recvmmsg and hands on each datagram
 * with the kernel's receive stamp: test datagrams to a handler
 * (vp_udp_rx_poll), or any datagram, with its socket, to a raw receiver
 * (vp_udp_rx_ops: the RTP client and the media server). A raw receiver may
 * ask for UDP GRO (a run of datagrams from one source arrives as one and is
 * split here), sockets of their own ports to send from, and larger socket
 * buffers. */
#ifndef VP_NET_UDP_ENGINE_H
#define VP_NET_UDP_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"
#include "net/udp_batch.h"
#include "net/udp_wire.h"
#include "rtp/hist.h"

struct vp_udp_tx_cfg {
    struct sockaddr_storage to; /* where the datagrams go */
    socklen_t to_len;
    uint32_t size; /* UDP payload bytes, VP_UDP_MIN_SIZE..VP_UDP_MAX_SIZE */
    double rate;   /* datagrams per second; 0: as fast as the kernel takes them */
    int batch;     /* datagrams per sendmmsg at most, 1..VP_UDP_BATCH_MAX */
    uint16_t flow;
    uint64_t token;
    /* optional: datagrams sent per interval (net/udp_wire.h's
     * vp_udp_interval_of), added into interval_sent[nintervals] */
    uint64_t epoch_ns, interval_ns;
    uint32_t nintervals;
    uint64_t *interval_sent;
};

struct vp_udp_tx_stats {
    uint64_t sent, bytes; /* datagrams the kernel took */
    uint64_t planned;     /* paced: datagrams due before the end; unpaced: = sent */
    uint64_t calls;       /* sendmmsg calls */
    uint64_t refused;     /* calls the kernel refused (ENOBUFS, ...); retried */
    struct vp_hist late;  /* paced: per batch, ns after its first datagram's deadline */
    uint64_t cpu_ns;      /* the sending thread's CPU time */
    uint64_t elapsed_ns;
};

struct vp_udp_tx;

int vp_udp_tx_open(const struct vp_udp_tx_cfg *cfg, struct vp_udp_tx **out, struct vp_err *err);
void vp_udp_tx_close(struct vp_udp_tx *t);
/* The sending socket (its replies, an echoing sink's, arrive there). */
int vp_udp_tx_fd(const struct vp_udp_tx *t);
/* Send for duration_ns, or until interrupted (SIGINT/SIGTERM), asked to
 * stop (SIGUSR1) or vp_udp_tx_stop. */
int vp_udp_tx_run(struct vp_udp_tx *t, uint64_t duration_ns, struct vp_udp_tx_stats *st,
                  struct vp_err *err);
/* End a vp_udp_tx_run in another thread at its next wake-up. */
void vp_udp_tx_stop(struct vp_udp_tx *t);

struct vp_udp_rx_cfg {
    struct sockaddr_storage at; /* port 0: one chosen, shared by all the sockets */
    socklen_t at_len;
    int sockets;    /* SO_REUSEPORT sockets, 1..1024 */
    int batch;      /* datagrams per recvmmsg at most, 1..VP_UDP_BATCH_MAX */
    bool echo;      /* send every test datagram back to its source (not FINs, reports) */
    uint64_t token; /* 0: count any run's datagrams */
    /* raw receivers */
    bool own_ports;     /* each socket on a port of its own (port 0), not one shared */
    bool gro;           /* UDP_GRO: runs from one source arrive as one message (a drop
                           of one then counts once in vp_udp_rx_drops) */
    bool no_stamps;     /* no kernel receive stamps (a relay has no use for them) */
    int rcvbuf, sndbuf; /* bytes, past rmem_max/wmem_max where allowed (0: the defaults) */
};

struct vp_udp_rx;

/* One test datagram received: its header, its first `kept` bytes (all of
 * a control datagram's), its size, the kernel's receive stamp
 * (CLOCK_REALTIME ns) and where it came from. */
struct vp_udp_dgram {
    struct vp_udp_header h;
    const uint8_t *data;
    uint32_t size, kept;
    uint64_t rx_ns;
    const struct sockaddr *from;
    socklen_t from_len;
};

/* The handler of each test datagram. It may answer the sender: the
 * answer's length (0: none), written to reply (VP_UDP_REPLY_MAX bytes: one
 * unfragmented datagram on a 1500-byte MTU). */
#define VP_UDP_REPLY_MAX 1472
typedef size_t (*vp_udp_rx_fn)(void *arg, const struct vp_udp_dgram *d, uint8_t *reply);

int vp_udp_rx_open(const struct vp_udp_rx_cfg *cfg, struct vp_udp_rx **out, struct vp_err *err);
void vp_udp_rx_close(struct vp_udp_rx *r);
/* The port the sockets share. */
int vp_udp_rx_port(const struct vp_udp_rx *r);
/* Wait up to timeout_ms for datagrams, hand each test datagram to fn (and
 * echo it when asked); returns how many, or -errno. Foreign datagrams
 * (not ours, another token) are counted in *foreign. */
int vp_udp_rx_poll(struct vp_udp_rx *r, int timeout_ms, vp_udp_rx_fn fn, void *arg,
                   uint64_t *foreign);

/* Any datagram received, on socket `sock`: its first `kept` bytes (all of
 * it unless it was longer than the engine keeps), its size, the kernel's
 * receive stamp (CLOCK_REALTIME ns; the time it was read with no_stamps)
 * and its source. The bytes are the
 * receiver's to change until its batch_end. */
struct vp_udp_pkt {
    uint8_t *data;
    uint32_t size, kept;
    uint64_t rx_ns;
    const struct sockaddr *from;
    socklen_t from_len;
    int sock;
};

/* A raw receiver: each datagram, then the end of each recvmmsg batch
 * (optional; where a relay sends what the batch made, and a paced sender
 * stops reading when its next deadline nears: false ends the call). */
struct vp_udp_rx_ops {
    void (*datagram)(void *arg, struct vp_udp_pkt *p);
    bool (*batch_end)(void *arg, int sock);
};

/* Wait up to timeout_ms for datagrams on any socket, and hand on all that
 * wait; returns how many, or -errno. */
int vp_udp_rx_poll_raw(struct vp_udp_rx *r, int timeout_ms, const struct vp_udp_rx_ops *ops,
                       void *arg);
/* The same on one socket only: one thread per socket may call it at once. */
int vp_udp_rx_read(struct vp_udp_rx *r, int sock, int timeout_ms, const struct vp_udp_rx_ops *ops,
                   void *arg);
/* A socket, to send from (its replies come back to it). */
int vp_udp_rx_fd(const struct vp_udp_rx *r, int sock);
/* The port of socket sock (own_ports), or the one they share. */
int vp_udp_rx_sock_port(const struct vp_udp_rx *r, int sock);
/* Datagrams the sockets' buffers overflowed on so far (any thread). */
uint64_t vp_udp_rx_drops(const struct vp_udp_rx *r);

#endif
