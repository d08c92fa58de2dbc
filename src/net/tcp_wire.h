/* The TCP load's wire: what tcp-gen and tcp-sink say to each other.
 *
 * Every connection a generator opens to a sink starts with a 16-byte
 * preamble, integers in network byte order:
 *
 *   off size field
 *     0   4  magic    "VPTC" (control) or "VPTS" (a data stream)
 *     4   1  version  1
 *     5   1  0
 *     6   2  stream   a data stream's index, 0..streams-1 (control: 0)
 *     8   8  token    the run's random token (a stream of another run is refused)
 *
 * A data stream then carries only test bytes (their content is not looked
 * at), in the run's direction(s). The control connection carries frames:
 * an 8-byte header (type, three zero bytes, body length) and the body:
 *
 *   HELLO   gen → sink  streams u16, direction u8, 0, length u32, window u32,
 *                       duration_ns u64, interval_ns u64
 *   READY   sink → gen  (empty): open the streams
 *   ERROR   sink → gen  a message (text): the run is refused
 *   START   sink → gen  (empty): every stream is there, the clocks start
 *   SAMPLE  sink → gen  index u32, 0 u32, elapsed_ns u64, then a record per
 *                       stream: the sink's cumulative figures at the end of
 *                       interval `index` (1-based)
 *   STOP    gen → sink  intervals u32: the generator's duration is over
 *                       after that many intervals; the sink stops sending,
 *                       sends the SAMPLEs it still owes, reads to the end
 *   REPORT  sink → gen  rx_elapsed_ns, rx_cpu_ns, rx_busy_ns, tx_cpu_ns,
 *                       tx_busy_ns (u64 each), then a record per stream:
 *                       the sink's final figures
 *
 * A record is one end's view of one stream (VP_TCP_RECORD bytes): bytes
 * received u64, bytes sent u64, then from its socket's TCP_INFO (what the
 * sending end knows): total retransmissions, smoothed RTT (us), its
 * variation (us), congestion window (segments), send MSS (bytes), flags
 * (VP_TCP_FIG_ERROR: the stream failed), u32 each. Bytes are counted where
 * they arrive: a direction's goodput is its receiver's count. */
#ifndef VP_NET_TCP_WIRE_H
#define VP_NET_TCP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VP_TCP_MAGIC_CONTROL 0x56505443u /* "VPTC" */
#define VP_TCP_MAGIC_STREAM  0x56505453u /* "VPTS" */
#define VP_TCP_VERSION       1
#define VP_TCP_PREAMBLE      16
#define VP_TCP_FRAME_HEADER  8
#define VP_TCP_RECORD        40
#define VP_TCP_HELLO_SIZE    28
#define VP_TCP_SAMPLE_HEAD   16
#define VP_TCP_REPORT_HEAD   40
#define VP_TCP_STREAMS_MAX   128       /* iperf3's -P limit too */
#define VP_TCP_BODY_MAX      (1 << 20) /* a longer frame is not ours */
#define VP_TCP_ERROR_MAX     400

enum vp_tcp_type {
    VP_TCP_HELLO = 1,
    VP_TCP_READY,
    VP_TCP_ERROR,
    VP_TCP_START,
    VP_TCP_SAMPLE,
    VP_TCP_STOP,
    VP_TCP_REPORT,
};

/* Which way the bytes go: up from the generator to the sink, down from the
 * sink to the generator, or both at once over the same connections. */
enum vp_tcp_dir { VP_TCP_UP = 1, VP_TCP_DOWN = 2, VP_TCP_BOTH = 3 };
extern const char *const vp_tcp_dir_names[]; /* "up", "down", "both": index dir - 1 */

struct vp_tcp_preamble {
    uint32_t magic;
    uint16_t stream;
    uint64_t token;
};

struct vp_tcp_hello {
    uint16_t streams;
    uint8_t dir; /* enum vp_tcp_dir */
    uint32_t length, window;
    uint64_t duration_ns, interval_ns;
};

#define VP_TCP_FIG_ERROR 0x1

/* One end's figures of one stream. */
struct vp_tcp_fig {
    uint64_t rx_bytes, tx_bytes;
    uint32_t retrans, rtt_us, rttvar_us, cwnd, snd_mss, flags;
};

/* The sink's sample (SAMPLE) or final figures (REPORT: the times too). */
struct vp_tcp_sample {
    uint32_t index;
    uint64_t elapsed_ns;
    uint64_t rx_elapsed_ns, rx_cpu_ns, rx_busy_ns, tx_cpu_ns, tx_busy_ns; /* REPORT */
    int n;                                                                /* records */
    struct vp_tcp_fig *fig; /* n of them, the caller's */
};

void vp_tcp_preamble_put(uint8_t *p, const struct vp_tcp_preamble *pre);
/* False for anything but a preamble of this version. */
bool vp_tcp_preamble_get(const uint8_t *p, struct vp_tcp_preamble *pre);

/* A frame's header: type and body length. */
void vp_tcp_frame_put(uint8_t *p, uint8_t type, uint32_t len);
/* 0 and *type, *len for a header of a known type and a body within
 * VP_TCP_BODY_MAX; -EBADMSG otherwise. */
int vp_tcp_frame_get(const uint8_t *p, uint8_t *type, uint32_t *len);

void vp_tcp_hello_put(uint8_t *body, const struct vp_tcp_hello *h);
/* 0, or -EBADMSG for a body of the wrong size or values out of range
 * (streams 1..VP_TCP_STREAMS_MAX, a direction, a length of 1 B..16 MiB,
 * an interval of at least 1 ms). */
int vp_tcp_hello_get(const uint8_t *body, size_t len, struct vp_tcp_hello *h);

/* A SAMPLE's (report false) or REPORT's body for s->n records; its size. */
size_t vp_tcp_sample_size(int n, bool report);
void vp_tcp_sample_put(uint8_t *body, const struct vp_tcp_sample *s, bool report);
/* 0, or -EBADMSG when the body is not one for exactly s->n records. */
int vp_tcp_sample_get(const uint8_t *body, size_t len, struct vp_tcp_sample *s, bool report);

#endif
