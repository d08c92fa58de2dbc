/* The TCP load's generator end: N streams to a tcp-sink, in one direction
 * or both at once, for a duration (net/tcp_wire.h says what the two ends
 * say). The result keeps, at every interval's end, each end's cumulative
 * figures of each stream, so that any interval's goodput is its
 * receiver's count and its retransmissions, RTT and window its sender's;
 * the last interval runs to the receivers' last bytes, so the intervals
 * add up to the whole exactly. */
#ifndef VP_NET_TCP_GEN_H
#define VP_NET_TCP_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"
#include "net/tcp_pump.h"
#include "net/tcp_wire.h"

struct vp_tcp_result;

struct vp_tcp_gen_cfg {
    struct sockaddr_storage to;
    socklen_t to_len;
    int streams;     /* 1..VP_TCP_STREAMS_MAX */
    int dir;         /* enum vp_tcp_dir */
    uint32_t length; /* bytes per write and read */
    uint32_t window; /* SO_SNDBUF/SO_RCVBUF on both ends; 0: the kernel's tuning */
    uint64_t duration_ns, interval_ns, connect_timeout_ns;
    uint64_t token; /* the run's; not 0 */
    /* Called with interval k (1-based) once both ends' figures of it are
     * in; NULL for none. */
    void (*on_interval)(void *arg, const struct vp_tcp_result *r, int k);
    void *arg;
};

struct vp_tcp_result {
    struct vp_tcp_gen_cfg cfg;
    int nbounds;                     /* interval ends taken, the start (0) and the end included */
    int cap;                         /* bounds room */
    int end_bound;                   /* the bound that is the run's end; 0 until it is in */
    uint64_t *t_ns;                  /* [bound]: since the start; the end: the duration's */
    struct vp_tcp_fig *gen;          /* [bound * streams + s]: the generator's view */
    struct vp_tcp_fig *sink;         /* the sink's */
    uint64_t rx_elapsed_ns[2];       /* up, down: the start to the receiver's last byte */
    uint64_t cpu_ns, wall_ns;        /* the generator process's, from the start to its end */
    int cpus;                        /* the CPUs it may run on */
    struct vp_tcp_pump_stats tx, rx; /* the generator's workers (zero when unused) */
    uint64_t sink_rx_cpu_ns, sink_rx_busy_ns, sink_tx_cpu_ns, sink_tx_busy_ns;
    bool interrupted; /* SIGINT/SIGTERM cut it short (a SIGUSR1 stop is a clean end) */
};

/* Run the load; the result is filled as far as the run went (free it in
 * any case). A stream that failed, a sink that went away or whose counts
 * disagree with the generator's are run errors. */
int vp_tcp_gen_run(const struct vp_tcp_gen_cfg *cfg, struct vp_tcp_result *r, struct vp_err *err);
void vp_tcp_result_free(struct vp_tcp_result *r);

/* One direction of one stream (or of all: s = -1) over interval k (1-based;
 * k = 0: the whole run): bytes where they arrived, and the sending end's
 * TCP_INFO (retransmissions in the span; RTT, window and MSS at its end,
 * averaged over the streams for s = -1). */
struct vp_tcp_span {
    uint64_t sent, received; /* bytes */
    double seconds;          /* the receiver's time for it */
    double bits_per_second;  /* received * 8 / seconds; NaN when no time */
    uint64_t retrans;
    double rtt_ms, rttvar_ms, cwnd, snd_mss;
};
void vp_tcp_span_of(const struct vp_tcp_result *r, int k, int s, int dir, struct vp_tcp_span *out);
/* The intervals of the run: nbounds - 1. */
int vp_tcp_intervals(const struct vp_tcp_result *r);
/* Interval k's start and end on the generator's clock, in seconds. */
double vp_tcp_interval_start(const struct vp_tcp_result *r, int k);
/* Whether one of the generator's worker threads used 90% of a core or
 * more, or the whole process 90% of the CPUs it may run on: it, not the
 * path, may have set the pace. */
bool vp_tcp_generator_limited(const struct vp_tcp_result *r);

#endif
