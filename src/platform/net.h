/* Appliance networks, set up by rtnetlink (libmnl), never by running `ip`.
 *
 * Addresses come from 10.213.0.0/16, a /24 per run and mode: third octet
 * 3b + {0 bridge, 1 routed, 2 direct}, where block b is the run's own
 * (vp_net_block: chosen under a lock, leased while its journal lasts); the
 * host is .1 and appliance k gets .(k + 2). Host links are named
 * vp<run id><suffix>, at most 14 characters:
 *   bridge  a veth pair: the host end vp<run>b<k> is a port of the run's
 *           bridge vp<run>br (10.213.X.1/24), the other end is eth0 in the
 *           appliance (.N/24, default route via .1).
 *   routed  a veth pair and no bridge (layer 3, like Xen's routed mode or
 *           OpenVZ's venet): the host end vp<run>r<k> holds .1/32, forwards,
 *           and routes .N/32 to it; the appliance has .N/32, a link route to
 *           .1 and a default route via .1.
 *   direct  macvlan in bridge mode (the bypass path) over the run's parent
 *           link vp<run>d (a dummy, or a port-less bridge where the kernel
 *           has no dummy driver): eth0 in the appliance is a macvlan, and the
 *           host reaches it through its own macvlan vp<run>m (.1/24), since
 *           a macvlan's parent cannot talk to its macvlans.
 * In every mode loopback is up in the appliance. Host links are journaled;
 * the appliance's end lives and dies with its namespace. */
#ifndef VP_PLATFORM_NET_H
#define VP_PLATFORM_NET_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/error.h"

struct vp_journal;

#define VP_NET_BLOCKS 84 /* blocks of three /24s (bridge, routed, direct) in 10.213.0.0/16 */

/* The run's block (0..VP_NET_BLOCKS-1), claimed on first use: under an
 * flock of the journal folder's VP_JOURNAL_SUBNET_LOCK, the first from a
 * random one on that no live lease and no host address holds, leased
 * (journaled) to the run. -ENOSPC with a one-line error when none is free. */
int vp_net_block(struct vp_journal *j, struct vp_err *err);

/* Host side for appliance number index, whose network namespace is held by
 * pid: links journaled and created, the appliance's eth0 created in its
 * namespace. addr gets the appliance's address ("10.213.X.N"); *link_id the
 * journal entry of its own host link (-1 when it has none), set even when a
 * later step fails, for the caller to undo. Run-wide
 * links (bridge, parent, host macvlan) are made on first use and removed when
 * the journal closes. */
int vp_net_attach(struct vp_journal *j, int mode, int index, pid_t pid, char *addr, size_t len,
                  int *link_id, struct vp_err *err);

/* For a VM appliance (index as above): the host side of mode, with the
 * guest's end left to QEMU.
 *   bridge  a persistent tap vp<run>t<k>, a port of the run's bridge
 *   routed  the same tap, not bridged: .1/32 on it, forwarding, a route to
 *           the guest's .N/32 (the guest routes to .1 on its link)
 *   direct  a macvtap vp<run>v<k> in bridge mode over the run's parent
 *           link, beside the host's own macvlan; its character device is
 *           opened into *tapfd (QEMU takes it as a descriptor)
 * vm->tap gets the tap's or macvtap's name, vm->mac a MAC address
 * unique on the run's network, addr the guest's address; *link_id the
 * journal entry of the tap or macvtap (-1 when none). The run-wide links
 * are made on first use, as for containers. */
struct vp_net_vm {
    char tap[16]; /* vp<run>t<k>, vp<run>r<k> or (macvtap) vp<run>v<k> */
    char mac[18];
    int tapfd; /* direct: the macvtap's /dev/tapN, else -1 */
};
int vp_net_attach_vm(struct vp_journal *j, int mode, int index, char *addr, size_t len,
                     struct vp_net_vm *vm, int *link_id, struct vp_err *err);

/* Inside the appliance's namespace (call from a process that joined it):
 * lo up, eth0 up with its address and routes. mode VP_NET_NONE: lo only. */
int vp_net_configure_inside(int mode, const char *addr, struct vp_err *err);

/* The host's address on the run's network for mode ("10.213.X.1"), once
 * the run has a block (an appliance's network is attached). */
void vp_net_host_address(const struct vp_journal *j, int mode, char *out, size_t len);

/* For the journal: delete a host link by name. 1 removed, 0 gone, -errno. */
int vp_net_link_remove(const char *name, bool dry_run);

#endif
