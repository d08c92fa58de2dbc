/* The signaling-server appliance (virtperf sip-uas): answers INVITE with 100,
 * an optional 180, then 200 after a configurable amount of CPU work and an
 * optional call-record append per call; ACK and BYE; server transactions
 * absorb retransmissions by resending the last response, and the 200 is
 * retransmitted (T1 doubling up to T2) until its ACK. Worker threads each own
 * a SO_REUSEPORT socket and a bounded call table with its queue of calls
 * waiting for their work (sip/uas_calls.h); past the queue limit an INVITE is
 * answered 503 at once, past the table's maximum 503 without any state. */
#ifndef VP_SIP_UAS_H
#define VP_SIP_UAS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"
#include "core/opt.h"
#include "sip/msg.h"

struct vp_sip_uas_cfg {
    struct sockaddr_storage listen;
    socklen_t listen_len;
    int threads;
    uint64_t work_ns; /* CPU time spent per call before the 200 */
    char disk_log[VP_STR_MAX];
    bool fsync;           /* fsync the call record before the 200 */
    bool ringing;         /* send 180 before the work */
    uint64_t queue_limit; /* INVITEs waiting for work beyond this get 503 */
    uint64_t t1_ns;
    uint64_t max_calls;       /* call table entries per worker (0: no bound) */
    uint64_t max_retransmits; /* 200 retransmissions per second per worker (0: no ceiling) */
};

struct vp_sip_uas_stats {
    uint64_t invites, acks, byes, other_requests, responses;
    uint64_t retrans_absorbed; /* request retransmissions answered from the stored response */
    uint64_t sent_100, sent_180, sent_200, sent_503, sent_481, sent_501;
    uint64_t retrans_200; /* our 200 retransmissions (no ACK yet) */
    uint64_t calls_completed;
    uint64_t malformed[VP_SIP_E_COUNT];
    uint64_t queue_max, disk_errors;
    uint64_t calls_max;          /* the call table's high-water mark (per worker) */
    uint64_t rejected_full;      /* INVITEs answered 503 statelessly: the table was full */
    uint64_t retrans_suppressed; /* 200 retransmissions skipped: past --max-retransmits */
};

struct vp_sip_uas;

/* Bind every worker's socket (port in use: input error). A port of 0 picks
 * one; vp_sip_uas_port tells which. */
int vp_sip_uas_open(const struct vp_sip_uas_cfg *cfg, struct vp_sip_uas **out, struct vp_err *err);
unsigned vp_sip_uas_port(const struct vp_sip_uas *u);

/* Serve until vp_interrupted is set; the workers' counters summed in st. */
int vp_sip_uas_run(struct vp_sip_uas *u, struct vp_sip_uas_stats *st, struct vp_err *err);
void vp_sip_uas_close(struct vp_sip_uas *u);

#endif
