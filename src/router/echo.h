/* Latency through routers timed from outside them (seed 004): ICMP echo
 * requests sent from the tester's namespace to an address behind the
 * routers, each reply's round trip from the send time to the kernel's
 * receive stamp (SO_TIMESTAMPNS), kept in a histogram for a boxplot. */
#ifndef VP_ROUTER_ECHO_H
#define VP_ROUTER_ECHO_H

#include <stdint.h>

#include "core/error.h"
#include "rtp/hist.h"

struct vp_echo_cfg {
    const char *target;   /* numeric IPv4 address */
    int count;            /* echo requests */
    uint64_t interval_ns; /* between requests (on absolute deadlines) */
    uint64_t timeout_ns;  /* how long after the last request a reply may come */
};

struct vp_echo_result {
    int sent, received;
    struct vp_hist rtt; /* ns */
};

/* Send from the namespace ns (-1: the calling thread's). */
int vp_echo_run(int ns, const struct vp_echo_cfg *cfg, struct vp_echo_result *res,
                struct vp_err *err);

#endif
