/* Forwarding rate and latency of virtual routers (seed 004), on the test
 * bed of router/topo.h:
 *
 * - rate: RFC 2544 throughput, the highest offered rate of frame_len-byte
 *   frames the routers forward with loss at most loss_limit, found by the
 *   closed-loop search of analysis/search.h (repeated, 95% CI). A trial
 *   offers rate frames/s for trial_ns from the tester (net/pkt_gen.h),
 *   frames taking turns over the routers and spread over each router's
 *   routes, and the sink (net/pkt_sink.h) counts the trial's frames that
 *   came out forwarded (TTL 63), exactly. A trial fails when more was lost
 *   or the routers' link pushed back (refused frames until the generator
 *   sent under 99% of its plan); it is rejected when the generator fell
 *   behind without being refused (its CPU) or the sink had no room: the
 *   tester, not the routers, was the limit there.
 * - latency: ICMP echoes from the tester through router 0, timed on the
 *   tester, idle and while the routers forward at the rate found.
 *
 * The generator thread runs on gen_cpu; the routers' work is steered to
 * the other CPUs (topo's sut_cpus) when the machine has more than one. */
#ifndef VP_ROUTER_FORWARD_H
#define VP_ROUTER_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/search.h"
#include "router/echo.h"
#include "router/topo.h"

#define VP_FWD_MAX_TRIALS 1024

struct vp_fwd_cfg {
    struct vp_fwd_topo_cfg topo;
    uint32_t frame_len; /* 60: 64-byte frames on the wire */
    uint64_t trial_ns;  /* one trial's sending time */
    double loss_limit;  /* fraction: 0.001 is RFC 2544's 0.1% */
    struct vp_search_cfg search;
    int gen_cpu; /* -1: not pinned */
    int echoes;  /* per latency series, 1 ms apart; 0: no latency */
};

struct vp_fwd_trial {
    int repeat;
    double rate;             /* offered, frames/s */
    uint64_t sent, received; /* frames; received: forwarded and counted by the sink */
    uint64_t not_forwarded;  /* reached the sink with the generator's TTL */
    uint64_t ring_drops;     /* the sink had no room */
    uint64_t peer_received[VP_FWD_MAX_ROUTERS];
    double gen_cpu;    /* the generator's CPU time / the trial's */
    bool pushed_back;  /* the routers' link refused frames: the rate was not taken */
    bool tester_limit; /* the generator's CPU or the sink's room was the limit */
    enum vp_verdict verdict;
};

struct vp_fwd_result {
    struct vp_fwd_topo topo; /* as built (namespaces closed) */
    uint32_t frame_len;
    bool per_router;                  /* the sink tells the routers' frames apart (by source MAC) */
    double share[VP_FWD_MAX_ROUTERS]; /* each router's part of the highest passing trial */
    struct vp_search_result search;
    int ntrials;
    struct vp_fwd_trial trials[VP_FWD_MAX_TRIALS];
    struct vp_echo_result idle, loaded; /* echo round trips through router 0 */
    double loaded_rate;                 /* the offered rate during `loaded` */
};

/* Build the test bed, search, time the echoes, take the test bed down. */
int vp_fwd_run(const struct vp_fwd_cfg *cfg, struct vp_fwd_result *res, struct vp_err *err);

#endif
