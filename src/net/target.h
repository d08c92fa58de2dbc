/* Where a load generator may send: only to loopback, to the namespaces a
 * test made, to the appliances of virtperf's own networks, and to the
 * machines an experiment declares (its hosts:) — never anywhere else. A
 * generator's target is checked by the route the kernel would take to it:
 * to one of the machine's own addresses or over `lo`; from inside a
 * namespace other than the initial one (a test's own); over one of
 * virtperf's links (their names begin "vp": the run networks' bridges,
 * routed links and macvlans, platform/net.h); or, whatever the link, to an
 * address of $VIRTPERF_TARGETS (comma-separated, numeric), which the
 * experiment runner sets for a generator whose server is on one of the
 * experiment's hosts. */
#ifndef VP_NET_TARGET_H
#define VP_NET_TARGET_H

#include <stdbool.h>
#include <sys/socket.h>

#include "core/error.h"

/* Whether the calling thread is in the machine's initial network namespace
 * (PID 1's; where /proc/1 cannot be read, the fixed inode Linux 6.x gives
 * that namespace). */
bool vp_netns_is_initial(void);

/* Parse "HOST:PORT" (numeric) as rtp/addr.h's vp_parse_hostport does, and
 * refuse a target the generator `who` may not send to: an input error
 * naming the link the packets would leave by. */
int vp_parse_target(const char *who, const char *opt, const char *text, struct sockaddr_storage *ss,
                    socklen_t *len, struct vp_err *err);

#endif
