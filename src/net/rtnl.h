/* rtnetlink over libmnl: links, addresses, routes, neighbours and rules,
 * the one place virtperf speaks to the kernel's routing layer (appliance
 * networks in platform/net.c, router topologies in router/).
 *
 * A struct vp_rtnl talks to the network namespace its socket was opened in
 * (the calling thread's at vp_rtnl_open), whatever namespace the thread is
 * in later. Requests return 0 or -errno. Many routes go down in batches
 * (vp_rtnl_routes): tens of kilobytes of requests per send, acknowledged
 * only when they fail, so 100,000 routes take a fraction of a second. */
#ifndef VP_NET_RTNL_H
#define VP_NET_RTNL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

struct mnl_socket;

struct vp_rtnl {
    struct mnl_socket *s;
    unsigned int seq, portid;
    char buf[8192];
};

int vp_rtnl_open(struct vp_rtnl *nl, struct vp_err *err);
void vp_rtnl_close(struct vp_rtnl *nl);

/* Where a new link (or a veth's peer) is made: here, in the namespace of a
 * process, or in the namespace an open descriptor refers to. */
struct vp_rtnl_ns {
    pid_t pid; /* 0: not by pid */
    int fd;    /* > 0: by descriptor (0 is never a namespace's) */
};

struct vp_link_req {
    const char *name, *kind;  /* kind: veth, bridge, dummy, macvlan, macvtap */
    const unsigned char *mac; /* IFLA_ADDRESS, 6 bytes; NULL: the kernel's */
    int parent;               /* IFLA_LINK (macvlan's lower link); 0: none */
    struct vp_rtnl_ns ns;     /* where the link is made */
    const char *peer;         /* veth: the peer's name */
    const unsigned char *peer_mac;
    struct vp_rtnl_ns peer_ns;
};

int vp_rtnl_link_add(struct vp_rtnl *nl, const struct vp_link_req *r);
/* Bring a link up, as a port of master when master > 0. */
int vp_rtnl_link_up(struct vp_rtnl *nl, int ifindex, int master);
int vp_rtnl_link_del(struct vp_rtnl *nl, int ifindex);
/* A link's index in the socket's namespace (if_nametoindex asks the
 * calling thread's): > 0, or -errno. */
int vp_rtnl_ifindex(struct vp_rtnl *nl, const char *name);

int vp_rtnl_addr_add(struct vp_rtnl *nl, int ifindex, const char *addr, int plen);
/* dst/plen (dst NULL or plen 0: the default route) via gw (NULL: on the
 * link oif) in table (0: main). */
int vp_rtnl_route_add(struct vp_rtnl *nl, const char *dst, int plen, const char *gw, int oif,
                      int table);
/* A permanent neighbour entry: addr is at mac on ifindex. */
int vp_rtnl_neigh_add(struct vp_rtnl *nl, int ifindex, const char *addr, const unsigned char *mac);
/* A policy rule: what arrives on iif is looked up in table, at priority. */
int vp_rtnl_rule_iif(struct vp_rtnl *nl, const char *iif, int table, int priority);

/* The protocol (rtm_protocol) routes of a vp_route_set are marked with,
 * to tell them from every other route; above the kernel's own numbers. */
#define VP_RTPROT_BULK 118

/* count routes of length plen, the k-th to base + k * 2^(32 - plen)
 * (host order), all via gw on oif in the main table: added (add true) or
 * deleted, in batches. *done gets how many the kernel took; the first
 * refusal ends the call with its -errno. */
struct vp_route_set {
    uint32_t base;
    uint32_t count;
    int plen;
    const char *gw;
    int oif;
};
int vp_rtnl_routes(struct vp_rtnl *nl, const struct vp_route_set *set, bool add, uint32_t *done);
/* The route the kernel would take to addr (family AF_INET or AF_INET6,
 * the address's bytes): its output link *oif and its type *type (RTN_LOCAL
 * for one of the namespace's own addresses); 0 or -errno (-ENETUNREACH). */
int vp_rtnl_route_get(struct vp_rtnl *nl, int family, const void *addr, int *oif, int *type);

/* How many routes of vp_rtnl_routes the namespace's IPv4 tables hold. */
int vp_rtnl_route_count(struct vp_rtnl *nl, uint32_t *count);

#endif
