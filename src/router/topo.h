/* A virtual-router test bed (seed 004), in network namespaces of the run's
 * own (net/netns.h: nothing outlives the run, even a killed one):
 *
 *   tester T ──t0═wa── host H ──(path)── router R_i ──(path)── H ──wb═s0── sink S
 *
 * T holds the packet generator and sends ICMP echoes; S counts what the
 * routers forwarded and answers the echoes; H is the machine the routers
 * run on (the hypervisor's or the host's network), joined to T and S by
 * one veth each, the test's two "wires". Each router R_i is a namespace
 * with forwarding on, eth0 towards T and eth1 towards S, and `routes`
 * routes (/24s in its own 2^17-prefix block, (20 + 2i).0.0.0/7, all via
 * the next hop towards S), so a destination spread over the block makes
 * every lookup a longest-prefix match in a table that size.
 *
 * The path between H and the routers:
 *   bridge  H bridges: bra {wa, ra<i>}, brb {wb, rb<i>}; veth pairs
 *           ra<i>═eth0, rb<i>═eth1; T and S share a /24 with the routers
 *           (Xen's bridged mode, a Linux bridge in the host)
 *   routed  H routes: frames from T go to H, which routes each router's
 *           block to it over a /30 (policy rule on iif wa), and what the
 *           routers forward comes back to H, which routes it to S (Xen's
 *           routed mode: one more IP hop in the host per packet, twice)
 *   direct  macvlans of wa and wb are the routers' eth0 and eth1 (a VM's
 *           cards: macvtaps of them): frames reach a router by MAC from
 *           the wire with no bridge or IP hop in between (the nearest a
 *           host comes to SR-IOV functions)
 * Addresses: T 10.1.0.1, S 10.2.0.1; bridge and direct: router i's eth0
 * 10.1.0.(10 + i), eth1 10.2.0.(10 + i); routed: H 10.1.0.2 and
 * 10.2.0.2, router i 10.3.i.2 (H 10.3.i.1) and 10.4.i.2 (H 10.4.i.1).
 * Every next hop has a permanent neighbour entry: no frame waits on ARP.
 * T routes 10.2.0.0/24 (S) through router 0, and S answers back the same
 * way, so an echo from T to S crosses router 0 both ways.
 *
 * The routers' work runs on sut_cpus: H's end of the tester's wire steers
 * what arrives on it there (RPS), and every hop after it stays on the CPU
 * that received the frame, up to the sink's end of its wire, which steers
 * the sink's receiving back to tester_cpus. */
#ifndef VP_ROUTER_TOPO_H
#define VP_ROUTER_TOPO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "router/node.h"

struct vp_appliance;
struct vp_journal;

#define VP_FWD_MAX_ROUTERS 8
#define VP_FWD_MAX_ROUTES  131072u /* /24s in a /7 */

enum vp_fwd_path { VP_FWD_BRIDGE, VP_FWD_ROUTED, VP_FWD_DIRECT, VP_FWD_PATHS };

extern const char *const vp_fwd_path_names[VP_FWD_PATHS + 1];

/* What a router is: a bare namespace of the test bed's (the host's kernel
 * forwards), an appliance of the container platform (the same kernel
 * forwards, but the router's own processes — what installs its routes —
 * run in its cgroup, whose memory limit the routes count against), or a
 * QEMU guest of the vm platform (its kernel forwards): topo_app.h. */
enum vp_fwd_platform { VP_FWD_NETNS, VP_FWD_VM, VP_FWD_CONTAINER, VP_FWD_PLATFORMS };

extern const char *const vp_fwd_platform_names[VP_FWD_PLATFORMS + 1];

struct vp_fwd_topo_cfg {
    enum vp_fwd_path path;
    int routers;          /* 1..VP_FWD_MAX_ROUTERS */
    uint32_t routes;      /* per router, 1..VP_FWD_MAX_ROUTES */
    uint64_t sut_cpus;    /* CPU mask the routers' work is steered to; 0: where it lands */
    uint64_t tester_cpus; /* CPU mask the sink's receiving is steered to; 0: where it lands */
    enum vp_fwd_platform platform;
    uint64_t memory; /* container, vm: each router's memory, bytes; 0: the platform's default */
};

struct vp_fwd_router {
    int ns;                     /* its namespace */
    uint8_t in_mac[6];          /* eth0 */
    uint32_t block;             /* first address of its routes' block (host order) */
    double routes_s;            /* time its routes took to install */
    struct vp_router_node node; /* what it was told (router/node.h) */
    struct vp_appliance *app;   /* VP_FWD_CONTAINER, VP_FWD_VM: the appliance it is */
    int tap[2];                 /* VP_FWD_VM: its cards' taps (or macvtaps) in H */
};

struct vp_fwd_topo {
    struct vp_fwd_topo_cfg cfg;
    int tester_ns, host_ns, sink_ns;
    int gen_ifindex;  /* t0 in T */
    int sink_ifindex; /* s0 in S */
    uint8_t gen_mac[6];
    uint32_t gen_ip;                              /* T's address, host order */
    uint8_t next_mac[VP_FWD_MAX_ROUTERS][6];      /* where T sends router i's frames */
    uint8_t forwarder_mac[VP_FWD_MAX_ROUTERS][6]; /* the source of what reaches S from router i */
    struct vp_fwd_router r[VP_FWD_MAX_ROUTERS];
    const char *echo_target;    /* S's address, through router 0 */
    struct vp_journal *journal; /* the routers' appliances' */
    /* what the routers are, as JSON: {"name": "netns"}, or router 0's
     * platform's facts ({"name": "container", ...}; a VM's accelerator) */
    char platform[512];
    char accel[8]; /* VP_FWD_VM: the accelerator router 0 ran under ("tcg") */
};

/* Build the test bed; on failure nothing of it is left. */
int vp_fwd_topo_make(const struct vp_fwd_topo_cfg *cfg, struct vp_fwd_topo *t, struct vp_err *err);
/* Close its namespaces: the kernel removes everything in them. */
void vp_fwd_topo_free(struct vp_fwd_topo *t);

/* Router i's routes removed (add false) or installed again: the seconds it
 * took in *secs; 0 or an error. */
int vp_fwd_topo_routes(struct vp_fwd_topo *t, int i, bool add, double *secs, struct vp_err *err);

/* How many of the test's routes router i's namespace holds now. */
int vp_fwd_topo_route_count(struct vp_fwd_topo *t, int i, uint32_t *count, struct vp_err *err);

#endif
