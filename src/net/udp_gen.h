/* A UDP run of virtperf udp-gen against a udp-sink, in one or both
 * directions at once, each counted exactly to the datagram, in total and
 * per interval.
 *
 * Up: the generator sends with the engine (net/udp_engine.h) and the sink
 * counts; at the end the generator's FIN asks the sink for its figures
 * (net/udp_report.h), then, page by page, for its per-interval figures
 * and delay buckets (net/udp_ctl.h). Down: the START asks the sink to send
 * a flow of its own, the same size and rate, to a receiving socket of the
 * generator's, which counts it with the same accounting (net/udp_flow.h);
 * at the end the generator's FIN for that flow stops it and gets what the
 * sink sent, then the sink's sent count per interval. Per interval, a
 * datagram belongs to the interval of its send stamp on both ends, so
 * lost = sent − received holds per interval as in total; the intervals
 * start at the START (up) or at the sink's answer to it (down).
 *
 * One-way delay needs both ends to read one clock: the sink's clock, in
 * its answers to START and FIN, must fall between the generator's sending
 * and receiving of them (so the clocks differ by less than that round
 * trip); otherwise no delay is reported. */
#ifndef VP_NET_UDP_GEN_H
#define VP_NET_UDP_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"
#include "net/udp_ctl.h"
#include "net/udp_flow.h"
#include "rtp/hist.h"

#define VP_UDP_MAX_INTERVALS 10000

struct vp_udp_gen_cfg {
    struct sockaddr_storage to;
    socklen_t to_len;
    uint32_t size;
    double rate; /* datagrams/s per direction; 0: unpaced */
    int batch;
    uint64_t duration_ns, interval_ns;
    unsigned directions; /* VP_UDP_UP | VP_UDP_DOWN */
    uint64_t token;
};

/* One direction: its sender's figures and its receiver's. */
struct vp_udp_dir {
    bool on;
    /* the sender's: udp-gen's (up) or udp-sink's (down) */
    uint64_t sent, planned, refused, calls, cpu_ns, elapsed_ns;
    uint64_t late_count;
    double late_p50_ns, late_p99_ns, late_max_ns;
    bool sender_limited; /* behind its plan, late, or (unpaced) its core saturated */
    /* the receiver's */
    uint64_t received, bytes, duplicates, reordered, too_late, lost;
    double jitter_ns;
    struct vp_hist delay;   /* one-way, ns; empty unless the clocks are shared */
    struct vp_udp_ival *iv; /* [nintervals]: sent and the receiver's figures */
};

struct vp_udp_gen_result {
    struct vp_udp_dir dir[2]; /* up, down */
    uint32_t nintervals;
    bool clocks_shared;
    uint64_t clock_bound_ns;  /* the round trips that bound the clocks' difference */
    uint64_t wall_ns, cpu_ns; /* udp-gen's run and its CPU (all threads) */
    bool receiver_limited;    /* down: udp-gen's receiving thread saturated its core */
    bool generator_limited;   /* any of the limits above */
    bool interrupted;         /* SIGINT/SIGTERM: a partial run */
    int mtu;                  /* of the path; 0 unknown */
    long link_mbps;           /* of the outgoing link; 0 unknown */
};

/* Run it: 0, an input error (size past the path's MTU, rate past its
 * link), or a run error (the sink silent). Free with
 * vp_udp_gen_result_free, whatever it returned. */
int vp_udp_gen_run(const struct vp_udp_gen_cfg *cfg, struct vp_udp_gen_result *res,
                   struct vp_err *err);
void vp_udp_gen_result_free(struct vp_udp_gen_result *res);

#endif
