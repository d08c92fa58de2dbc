/* The SIP call generator (virtperf sip-uac): stateful INVITE client
 * transactions over UDP with RFC 3261 timers (A/B for INVITE, E/F for BYE),
 * ACK, a hold time, BYE; a constant rate or a ramp; one event loop per thread
 * (epoll + timerfd, recvmmsg/sendmmsg), no thread per call.
 *
 * Counts and latency histograms (rtp/hist.h: log-linear buckets, relative
 * error <= 1/128) are kept per reporting interval and in total, with the
 * generator's own lateness against its plan and its CPU use. */
#ifndef VP_SIP_UAC_H
#define VP_SIP_UAC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"
#include "rtp/hist.h"
#include "sip/msg.h"

struct vp_sip_uac_cfg {
    struct sockaddr_storage target;
    socklen_t target_len;
    double rate;                /* calls/s; with ramp_max > 0 the ramp start */
    double ramp_step, ramp_max; /* ramp: + step every ramp_interval, up to max */
    uint64_t ramp_interval_ns;
    uint64_t duration_ns;    /* time during which calls are started */
    uint64_t calls;          /* stop after this many calls; 0 = no limit */
    uint64_t hold_ns;        /* 200 → BYE */
    uint64_t max_concurrent; /* 0 = no limit */
    uint64_t interval_ns;    /* reporting interval */
    uint64_t drain_ns;       /* after the last start, wait at most this long */
    uint64_t t1_ns;          /* RFC 3261 T1 (500 ms) */
    uint64_t tick_ns;        /* wake every tick: reads, starts and timers batched, latencies
                                from kernel receive stamps; 0: about 10 calls a tick, 0.5..5 ms */
    bool per_event;          /* wake for every packet and every planned start instead */
    int threads;
};

enum vp_sip_fail {
    VP_SIP_FAIL_TIMEOUT,
    VP_SIP_FAIL_4XX,
    VP_SIP_FAIL_5XX,
    VP_SIP_FAIL_6XX,
    VP_SIP_FAIL_UNEXPECTED,
    VP_SIP_FAIL_COUNT
};

extern const char *const vp_sip_fail_names[VP_SIP_FAIL_COUNT];

struct vp_sip_counts {
    uint64_t created, successful, failed[VP_SIP_FAIL_COUNT];
    uint64_t retransmissions; /* requests we sent again (timers A and E) */
    uint64_t resp_dups;       /* responses received again (retransmitted 2xx etc.) */
    uint64_t malformed[VP_SIP_E_COUNT];
    uint64_t stray;   /* responses matching no live transaction */
    uint64_t limited; /* planned calls not started: --max-concurrent reached */
};

struct vp_sip_interval {
    struct vp_sip_counts c;
    double planned_rate; /* calls/s planned at the interval's start */
    struct vp_hist inv100, inv200;
};

struct vp_sip_uac_result {
    int nintervals; /* intervals that saw any time */
    struct vp_sip_interval *iv;
    struct vp_sip_counts total;
    struct vp_hist inv100, inv200, lateness;
    uint64_t abandoned; /* calls still open at the deadline */
    uint64_t max_active;
    uint64_t tick_ns;                      /* the loop's tick (0: per event) */
    double elapsed_s, cpu_s, cpu_fraction; /* cpu_fraction: of the threads' cores */
    bool generator_bottleneck, interrupted;
};

uint64_t vp_sip_counts_failed(const struct vp_sip_counts *c);
uint64_t vp_sip_counts_malformed(const struct vp_sip_counts *c);

/* Planned calls/s at time t (ns) after the start. */
double vp_sip_uac_rate_at(const struct vp_sip_uac_cfg *cfg, uint64_t t);

/* Run the generator. Errors: unreachable target (nothing ever answered and
 * the kernel reported the port closed) is an input error. */
int vp_sip_uac_run(const struct vp_sip_uac_cfg *cfg, struct vp_sip_uac_result *res,
                   struct vp_err *err);
void vp_sip_uac_result_free(struct vp_sip_uac_result *res);

#endif
