/* The tester's packet generator: test frames (net/pkt_frame.h) written to
 * a link from an AF_PACKET socket that bypasses the qdisc
 * (PACKET_QDISC_BYPASS), paced on absolute deadlines (net/pace.h: a burst
 * is one batch at most, lateness kept per batch), for a duration.
 *
 * Frames are built once; per frame only the destination (its precomputed
 * checksum with it) and the sequence number are written. A frame counts
 * as sent once the kernel took it (the device accepted it): a receiver's
 * loss is then the path's. A frame the device refuses (ENOBUFS, a full
 * queue) is sent again, counted in `refused`. On a veth that includes the
 * far side's full receive backlog (netdev_max_backlog): a receiving
 * namespace (a router) that cannot keep up holds the generator back, so it
 * shows as a generator behind its plan, not as loss at its input; loss is
 * counted past it. The socket is made in the calling thread's
 * network namespace (setns() there first), and the generator refuses to
 * run in the initial namespace (PID 1's): it sends only on links of
 * namespaces the caller made.
 *
 *     struct vp_pkt_flow f = {.ifindex = ..., .peers = 1, .frame_len = 60, ...};
 *     struct vp_pkt_gen_stats st;
 *     if (vp_pkt_gen_run(&f, 2000000000ull, &st, &err) < 0) ...
 */
#ifndef VP_NET_PKT_GEN_H
#define VP_NET_PKT_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "net/pkt_frame.h"
#include "rtp/hist.h"

struct vp_pkt_gen_stats {
    uint64_t sent;       /* frames the kernel took */
    uint64_t planned;    /* paced: frames due before the end (>= sent); unpaced: sent */
    uint64_t calls;      /* send calls */
    uint64_t refused;    /* sends the kernel refused (ENOBUFS, EAGAIN): the frames go again */
    struct vp_hist late; /* paced: per batch, ns after its first frame's deadline */
    uint64_t cpu_ns;     /* the sending thread's CPU time */
    uint64_t elapsed_ns;
    bool behind; /* the generator, not the link, was the limit (net/pace.h vp_pace_behind) */
};

/* Send f for duration_ns (or until SIGINT/SIGTERM): 0, or a negative errno
 * with err filled (an input error for a flow that cannot be sent). */
int vp_pkt_gen_run(const struct vp_pkt_flow *f, uint64_t duration_ns, struct vp_pkt_gen_stats *st,
                   struct vp_err *err);

/* The name of a way of sending ("ring", "mmsg"), for reports. */
const char *vp_pkt_tx_name(enum vp_pkt_tx tx);

#endif
