#include "router/topo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "net/netns.h"
#include "net/rtnl.h"
#include "router/echo.h"
#include "router/node.h"
#include "router/topo_app.h"

const char *const vp_fwd_path_names[VP_FWD_PATHS + 1] = {"bridge", "routed", "direct", NULL};
const char *const vp_fwd_platform_names[VP_FWD_PLATFORMS + 1] = {"netns", "vm", "container", NULL};

#define TABLE_FROM_TESTER 100 /* routed: H's table for what arrives from T */
#define TABLE_FROM_SINK   101 /* routed: H's table for what arrives from S */
#define READY_EVERY_NS    20000000
#define READY_TRIES       150

/* Locally administered MACs: 02:76:70:ROLE:INDEX:SIDE. */
enum role { ROLE_TESTER = 1, ROLE_SINK, ROLE_HOST, ROLE_ROUTER };
static void mac_of(uint8_t mac[6], enum role role, int index, int side)
{
    const uint8_t m[6] = {0x02, 0x76, 0x70, (uint8_t)role, (uint8_t)index, (uint8_t)side};
    memcpy(mac, m, 6);
}

/* One namespace being built: its descriptor and a netlink socket in it. */
struct place {
    int ns;
    struct vp_rtnl nl;
    const char *what;
};

struct build {
    struct vp_fwd_topo *t;
    struct place tester, host, sink, router[VP_FWD_MAX_ROUTERS];
    struct vp_err *err;
};

static int fail(struct vp_err *err, int rc, const char *what, const char *where)
{
    return vp_run_error(err, -rc, "router test bed: %s in %s", what, where);
}

/* p in a new namespace, or (ns >= 0) in that one, which p then owns. */
static int place_open(struct place *p, const char *what, int ns, struct vp_err *err)
{
    p->what = what;
    p->ns = ns;
    int rc, back;
    if (ns < 0 && (rc = vp_netns_new(&p->ns, err)) < 0)
        return rc;
    if ((rc = vp_netns_enter(p->ns, &back, err)) < 0)
        return rc;
    rc = vp_rtnl_open(&p->nl, err);
    vp_netns_leave(back);
    if (rc < 0)
        return rc;
    /* no IPv6 chatter (router solicitations, DAD) on the test's links */
    vp_netns_sysctl(p->ns, "net/ipv6/conf/default/disable_ipv6", "1");
    vp_netns_sysctl(p->ns, "net/ipv6/conf/all/disable_ipv6", "1");
    if ((rc = vp_netns_sysctl(p->ns, "net/ipv4/conf/all/rp_filter", "0")) < 0 ||
        (rc = vp_netns_sysctl(p->ns, "net/ipv4/conf/default/rp_filter", "0")) < 0)
        return fail(err, rc, "rp_filter off", what);
    return vp_rtnl_link_up(&p->nl, 1, 0) < 0 ? fail(err, -EIO, "loopback up", what) : 0;
}

static void place_close(struct place *p, bool keep_ns)
{
    vp_rtnl_close(&p->nl);
    if (!keep_ns && p->ns >= 0)
        close(p->ns);
    p->ns = -1;
}

/* A link in p: its index, brought up (as a port of master), with addr/plen
 * when addr is given. */
static int link_ready(struct build *b, struct place *p, const char *name, int master,
                      const char *addr, int plen, int *index)
{
    int rc = vp_rtnl_ifindex(&p->nl, name);
    if (rc < 0)
        return fail(b->err, rc, name, p->what);
    *index = rc;
    if ((rc = vp_rtnl_link_up(&p->nl, *index, master)) < 0)
        return fail(b->err, rc, "up", name);
    if (addr && (rc = vp_rtnl_addr_add(&p->nl, *index, addr, plen)) < 0)
        return fail(b->err, rc, "address on", name);
    return 0;
}

/* A veth pair: a in p (mac_a), z in q (mac_z). */
static int veth(struct build *b, struct place *p, const char *a, const uint8_t *mac_a,
                struct place *q, const char *z, const uint8_t *mac_z)
{
    struct vp_link_req r = {.name = a,
                            .kind = "veth",
                            .mac = mac_a,
                            .peer = z,
                            .peer_mac = mac_z,
                            .peer_ns = {.fd = q->ns}};
    int rc = vp_rtnl_link_add(&p->nl, &r);
    return rc < 0 ? fail(b->err, rc, "veth", a) : 0;
}

/* A macvlan (or macvtap) of H's link parent, in the namespace of into. */
static int macvlan(struct build *b, const char *kind, int parent, struct place *into,
                   const char *name, const uint8_t *mac)
{
    struct vp_link_req r = {
        .name = name, .kind = kind, .mac = mac, .parent = parent, .ns = {.fd = into->ns}};
    int rc = vp_rtnl_link_add(&b->host.nl, &r);
    return rc < 0 ? fail(b->err, rc, kind, into->what) : 0;
}

static int route(struct build *b, struct place *p, const char *dst, int plen, const char *gw,
                 int oif, int table)
{
    int rc = vp_rtnl_route_add(&p->nl, dst, plen, gw, oif, table);
    return rc < 0 ? fail(b->err, rc, dst ? dst : "default route", p->what) : 0;
}

static int neigh(struct build *b, struct place *p, int oif, const char *addr, const uint8_t *mac)
{
    int rc = vp_rtnl_neigh_add(&p->nl, oif, addr, mac);
    return rc < 0 ? fail(b->err, rc, "neighbour", p->what) : 0;
}

/* What arrives on link dev of p is handled on the CPUs of mask (RPS). */
static int steer(struct build *b, struct place *p, const char *dev, uint64_t mask)
{
    if (mask == 0)
        return 0;
    char hex[32];
    snprintf(hex, sizeof hex, "%llx", (unsigned long long)mask);
    int rc = vp_netns_sysfs(p->ns, dev, "queues/rx-0/rps_cpus", hex);
    return rc < 0 ? fail(b->err, rc, "steering (RPS) of", dev) : 0;
}

/* The wires: T's t0 to H's wa, S's s0 to H's wb. */
static int wires(struct build *b)
{
    struct vp_fwd_topo *t = b->t;
    uint8_t wa[6], wb[6], s0[6];
    mac_of(t->gen_mac, ROLE_TESTER, 0, 0);
    mac_of(wa, ROLE_HOST, 0, 0);
    mac_of(wb, ROLE_HOST, 0, 1);
    mac_of(s0, ROLE_SINK, 0, 1);
    int rc;
    if ((rc = veth(b, &b->host, "wa", wa, &b->tester, "t0", t->gen_mac)) < 0 ||
        (rc = veth(b, &b->host, "wb", wb, &b->sink, "s0", s0)) < 0 ||
        (rc = link_ready(b, &b->tester, "t0", 0, "10.1.0.1", 24, &t->gen_ifindex)) < 0 ||
        (rc = link_ready(b, &b->sink, "s0", 0, "10.2.0.1", 24, &t->sink_ifindex)) < 0)
        return rc;
    t->gen_ip = 0x0a010001;
    t->echo_target = "10.2.0.1";
    bool routed = t->cfg.path == VP_FWD_ROUTED;
    /* T reaches S through router 0 (or H), and S answers the same way */
    const char *t_gw = routed ? "10.1.0.2" : "10.1.0.10", *s_gw = routed ? "10.2.0.2" : "10.2.0.10";
    uint8_t t_gw_mac[6], s_gw_mac[6];
    mac_of(t_gw_mac, routed ? ROLE_HOST : ROLE_ROUTER, 0, 0);
    mac_of(s_gw_mac, routed ? ROLE_HOST : ROLE_ROUTER, 0, 1);
    if ((rc = route(b, &b->tester, "10.2.0.0", 24, t_gw, t->gen_ifindex, 0)) < 0 ||
        (rc = route(b, &b->sink, "10.1.0.0", 24, s_gw, t->sink_ifindex, 0)) < 0 ||
        (rc = neigh(b, &b->tester, t->gen_ifindex, t_gw, t_gw_mac)) < 0 ||
        (rc = neigh(b, &b->sink, t->sink_ifindex, s_gw, s_gw_mac)) < 0)
        return rc;
    if ((rc = steer(b, &b->host, "wa", t->cfg.sut_cpus)) < 0)
        return rc;
    return steer(b, &b->sink, "s0", t->cfg.tester_cpus);
}

/* Router i's two ends and the host's ends facing them. */
struct ends {
    uint8_t in[6], out[6];   /* the router's eth0 (from T) and eth1 (to S) */
    uint8_t hin[6], hout[6]; /* the host's ra<i> and rb<i> (bridge and routed) */
    char ra[16], rb[16];
};

static void ends_of(int i, struct ends *e)
{
    mac_of(e->in, ROLE_ROUTER, i, 0);
    mac_of(e->out, ROLE_ROUTER, i, 1);
    mac_of(e->hin, ROLE_HOST, i + 1, 0);
    mac_of(e->hout, ROLE_HOST, i + 1, 1);
    snprintf(e->ra, sizeof e->ra, "ra%d", i);
    snprintf(e->rb, sizeof e->rb, "rb%d", i);
}

/* A VM router's cards on the direct path: macvtaps of H's wires, up, whose
 * character devices QEMU takes as its taps. */
static int macvtaps(struct build *b, int i, const struct ends *e, int wa, int wb)
{
    struct vp_fwd_topo *t = b->t;
    const int parent[2] = {wa, wb};
    const uint8_t *mac[2] = {e->in, e->out};
    for (int k = 0; k < 2; k++) {
        char name[16];
        int rc, index;
        snprintf(name, sizeof name, "mv%c%d", "ab"[k], i);
        if ((rc = macvlan(b, "macvtap", parent[k], &b->host, name, mac[k])) < 0 ||
            (rc = link_ready(b, &b->host, name, 0, NULL, 0, &index)) < 0)
            return rc;
        if ((t->r[i].tap[k] = vp_netns_macvtap_open(b->host.ns, name, index)) < 0)
            return fail(b->err, t->r[i].tap[k], "the device of", name);
    }
    return 0;
}

/* What router i is told (router/node.h), a line at a time. */
static void node_addr(struct vp_router_node *n, const char *dev, const char *fmt, int k, int plen)
{
    snprintf(n->addr[n->naddr].dev, sizeof n->addr[0].dev, "%s", dev);
    snprintf(n->addr[n->naddr].addr, sizeof n->addr[0].addr, fmt, k);
    n->addr[n->naddr++].plen = plen;
}

static void node_neigh(struct vp_router_node *n, const char *dev, const char *addr, enum role role,
                       int index, int side)
{
    snprintf(n->neigh[n->nneigh].dev, sizeof n->neigh[0].dev, "%s", dev);
    snprintf(n->neigh[n->nneigh].addr, sizeof n->neigh[0].addr, "%s", addr);
    mac_of(n->neigh[n->nneigh++].mac, role, index, side);
}

static void node_route(struct vp_router_node *n, const char *dst24, const char *gw, const char *dev)
{
    snprintf(n->route[n->nroute].dst, sizeof n->route[0].dst, "%s", dst24);
    snprintf(n->route[n->nroute].gw, sizeof n->route[0].gw, "%s", gw);
    snprintf(n->route[n->nroute].dev, sizeof n->route[0].dev, "%s", dev);
    n->route[n->nroute++].plen = 24;
}

/* Router i's two links, ra<i> and rb<i> in H: veths whose other ends are
 * the router namespace's (or container's) eth0 and eth1, or (a VM) taps
 * for its two cards. */
static int router_links(struct build *b, int i, const struct ends *e)
{
    struct vp_fwd_topo *t = b->t;
    if (t->cfg.platform == VP_FWD_VM)
        return vp_fwd_vm_taps(b->host.ns, e->ra, e->hin, e->rb, e->hout, t->r[i].tap, b->err);
    int rc = veth(b, &b->host, e->ra, e->hin, &b->router[i], "eth0", e->in);
    return rc < 0 ? rc : veth(b, &b->host, e->rb, e->hout, &b->router[i], "eth1", e->out);
}

/* Router i's links on the bridge or direct path, and what it is told. */
static int router_switched(struct build *b, int i, const struct ends *ends, int bra, int brb,
                           int wa, int wb)
{
    struct vp_fwd_topo *t = b->t;
    struct place *r = &b->router[i];
    struct vp_router_node *n = &t->r[i].node;
    const struct ends e = *ends;
    int rc, port;
    if (t->cfg.path == VP_FWD_BRIDGE) {
        if ((rc = router_links(b, i, &e)) < 0 ||
            (rc = link_ready(b, &b->host, e.ra, bra, NULL, 0, &port)) < 0 ||
            (rc = link_ready(b, &b->host, e.rb, brb, NULL, 0, &port)) < 0)
            return rc;
    } else if (t->cfg.platform == VP_FWD_VM) {
        if ((rc = macvtaps(b, i, &e, wa, wb)) < 0)
            return rc;
    } else if ((rc = macvlan(b, "macvlan", wa, r, "eth0", e.in)) < 0 ||
               (rc = macvlan(b, "macvlan", wb, r, "eth1", e.out)) < 0) {
        return rc;
    }
    node_addr(n, "eth0", "10.1.0.%d", 10 + i, 24);
    node_addr(n, "eth1", "10.2.0.%d", 10 + i, 24);
    node_neigh(n, "eth1", "10.2.0.1", ROLE_SINK, 0, 1);
    snprintf(n->via, sizeof n->via, "10.2.0.1");
    memcpy(t->next_mac[i], e.in, 6);
    memcpy(t->forwarder_mac[i], e.out, 6);
    memcpy(t->r[i].in_mac, e.in, 6);
    return 0;
}

/* Router i's /30s to H on the routed path, H's routes to and from it, and
 * what the router is told. */
static int router_routed(struct build *b, int i, const struct ends *ends)
{
    struct vp_fwd_topo *t = b->t;
    struct place *h = &b->host;
    struct vp_router_node *n = &t->r[i].node;
    const struct ends e = *ends;
    char h_in[16], h_out[16], r_in[16], r_out[16], block[16];
    snprintf(h_in, sizeof h_in, "10.3.%d.1", i);
    snprintf(r_in, sizeof r_in, "10.3.%d.2", i);
    snprintf(h_out, sizeof h_out, "10.4.%d.1", i);
    snprintf(r_out, sizeof r_out, "10.4.%d.2", i);
    snprintf(block, sizeof block, "%d.0.0.0", 20 + 2 * i);
    int rc, ia, ib;
    if ((rc = router_links(b, i, &e)) < 0 || (rc = link_ready(b, h, e.ra, 0, h_in, 30, &ia)) < 0 ||
        (rc = link_ready(b, h, e.rb, 0, h_out, 30, &ib)) < 0 ||
        (rc = neigh(b, h, ia, r_in, e.in)) < 0 || (rc = neigh(b, h, ib, r_out, e.out)) < 0 ||
        /* H: the router's block to it, for what comes from T */
        (rc = route(b, h, block, 7, r_in, ia, TABLE_FROM_TESTER)) < 0)
        return rc;
    if (i == 0 && ((rc = route(b, h, "10.2.0.0", 24, r_in, ia, TABLE_FROM_TESTER)) < 0 ||
                   (rc = route(b, h, "10.1.0.0", 24, r_out, ib, TABLE_FROM_SINK)) < 0))
        return rc;
    node_addr(n, "eth0", "10.3.%d.2", i, 30);
    node_addr(n, "eth1", "10.4.%d.2", i, 30);
    node_neigh(n, "eth1", h_out, ROLE_HOST, i + 1, 1);
    node_neigh(n, "eth0", h_in, ROLE_HOST, i + 1, 0);
    /* S and T behind H */
    node_route(n, "10.2.0.0", h_out, "eth1");
    node_route(n, "10.1.0.0", h_in, "eth0");
    snprintf(n->via, sizeof n->via, "%s", h_out);
    mac_of(t->next_mac[i], ROLE_HOST, 0, 0);      /* H's wa */
    mac_of(t->forwarder_mac[i], ROLE_HOST, 0, 1); /* H's wb */
    memcpy(t->r[i].in_mac, e.in, 6);
    return 0;
}

/* H on the routed path: forwarding, the rules that tell T's frames from
 * what the routers send back, and S as the way out. */
static int host_routed(struct build *b, int wb)
{
    struct place *h = &b->host;
    uint8_t s0[6];
    mac_of(s0, ROLE_SINK, 0, 1);
    int rc;
    if ((rc = vp_netns_sysctl(h->ns, "net/ipv4/ip_forward", "1")) < 0)
        return fail(b->err, rc, "forwarding on", h->what);
    if ((rc = vp_rtnl_rule_iif(&h->nl, "wa", TABLE_FROM_TESTER, 1000)) < 0 ||
        (rc = vp_rtnl_rule_iif(&h->nl, "wb", TABLE_FROM_SINK, 1001)) < 0)
        return fail(b->err, rc, "policy rules", h->what);
    if ((rc = neigh(b, h, wb, "10.2.0.1", s0)) < 0)
        return rc;
    return route(b, h, NULL, 0, "10.2.0.1", wb, 0);
}

/* Router i told its node (all: links and routes; else the routes only,
 * added or removed): from this thread in a bare namespace, else by
 * router-node run in the appliance it is. */
static int node_apply(struct vp_fwd_topo *t, int i, bool all, bool add, double *secs,
                      struct vp_err *err)
{
    if (t->cfg.platform != VP_FWD_NETNS)
        return vp_fwd_app_node(t, i, all ? NULL : add ? "add" : "remove", secs, NULL, err);
    int back, rc = vp_netns_enter(t->r[i].ns, &back, err);
    if (rc < 0)
        return rc;
    rc = all ? vp_router_node_apply(&t->r[i].node, secs, err)
             : vp_router_node_routes(&t->r[i].node, add, secs, err);
    vp_netns_leave(back);
    return rc;
}

/* Router i's place: a new namespace, or a container's (made now); none
 * for a VM, made once its cards exist. */
static int router_place(struct build *b, int i, const struct ends *e)
{
    struct vp_fwd_topo *t = b->t;
    int ns = -1, rc;
    if (t->cfg.platform == VP_FWD_VM)
        return 0;
    if (t->cfg.platform == VP_FWD_CONTAINER &&
        (rc = vp_fwd_app_make(t, i, e->in, e->out, &ns, b->err)) < 0)
        return rc;
    rc = place_open(&b->router[i], "a router", ns, b->err);
    t->r[i].ns = b->router[i].ns; /* closed with the test bed, even when it failed */
    return rc;
}

static int build_routers(struct build *b)
{
    struct vp_fwd_topo *t = b->t;
    struct place *h = &b->host;
    bool routed = t->cfg.path == VP_FWD_ROUTED;
    int rc, wa, wb, bra = 0, brb = 0;
    if (t->cfg.path == VP_FWD_BRIDGE) {
        struct vp_link_req ba = {.name = "bra", .kind = "bridge"},
                           bb = {.name = "brb", .kind = "bridge"};
        if ((rc = vp_rtnl_link_add(&h->nl, &ba)) < 0 || (rc = vp_rtnl_link_add(&h->nl, &bb)) < 0)
            return fail(b->err, rc, "bridges", h->what);
        if ((rc = link_ready(b, h, "bra", 0, NULL, 0, &bra)) < 0 ||
            (rc = link_ready(b, h, "brb", 0, NULL, 0, &brb)) < 0)
            return rc;
        /* no netfilter on bridged frames, when br_netfilter is loaded */
        vp_netns_sysctl(h->ns, "net/bridge/bridge-nf-call-iptables", "0");
    }
    if ((rc = link_ready(b, h, "wa", bra, routed ? "10.1.0.2" : NULL, 24, &wa)) < 0 ||
        (rc = link_ready(b, h, "wb", brb, routed ? "10.2.0.2" : NULL, 24, &wb)) < 0)
        return rc;
    if (routed && (rc = host_routed(b, wb)) < 0)
        return rc;
    for (int i = 0; i < t->cfg.routers; i++) {
        char what[32];
        struct ends e;
        snprintf(what, sizeof what, "router %d", i);
        ends_of(i, &e);
        if ((rc = router_place(b, i, &e)) < 0) {
            vp_err_prefix(b->err, "%s", what);
            return rc;
        }
        struct vp_router_node *n = &t->r[i].node;
        memset(n, 0, sizeof *n);
        n->block = (uint32_t)(20 + 2 * i) << 24;
        n->routes = t->cfg.routes;
        snprintf(n->via_dev, sizeof n->via_dev, "eth1");
        t->r[i].block = n->block;
        int vm_ns; /* a VM has none of the test bed's */
        if ((rc = routed ? router_routed(b, i, &e) : router_switched(b, i, &e, bra, brb, wa, wb)) <
                0 ||
            (t->cfg.platform == VP_FWD_VM &&
             (rc = vp_fwd_app_make(t, i, e.in, e.out, &vm_ns, b->err)) < 0) ||
            (rc = node_apply(t, i, true, true, &t->r[i].routes_s, b->err)) < 0) {
            vp_err_prefix(b->err, "%s", what);
            return rc;
        }
    }
    return 0;
}

/* Links that were just brought up may drop what comes first (a bridge
 * port not yet forwarding): wait until an echo crosses router 0. */
static int wait_ready(struct vp_fwd_topo *t, struct vp_err *err)
{
    struct vp_echo_cfg cfg = {t->echo_target, 1, 0, READY_EVERY_NS};
    for (int i = 0; i < READY_TRIES; i++) {
        struct vp_echo_result res;
        int rc = vp_echo_run(t->tester_ns, &cfg, &res, err);
        if (rc < 0 || res.received == 1)
            return rc;
    }
    return vp_run_error(err, 0, "router test bed: no echo crossed router 0 in %d s",
                        READY_TRIES * (int)(READY_EVERY_NS / 1000000) / 1000);
}

int vp_fwd_topo_make(const struct vp_fwd_topo_cfg *cfg, struct vp_fwd_topo *t, struct vp_err *err)
{
    memset(t, 0, sizeof *t);
    t->cfg = *cfg;
    t->tester_ns = t->host_ns = t->sink_ns = -1;
    for (int i = 0; i < VP_FWD_MAX_ROUTERS; i++)
        t->r[i].ns = t->r[i].tap[0] = t->r[i].tap[1] = -1;
    if (cfg->memory && cfg->platform == VP_FWD_NETNS)
        return vp_input_error(err, "memory: a bare namespace router has none of its own (use "
                                   "platform container or vm)");
    if (cfg->platform != VP_FWD_NETNS && vp_fwd_app_unsupported(cfg->platform))
        return vp_input_error(err, "%s routers: %s", vp_fwd_platform_names[cfg->platform],
                              vp_fwd_app_unsupported(cfg->platform));
    if (cfg->routers < 1 || cfg->routers > VP_FWD_MAX_ROUTERS)
        return vp_input_error(err, "routers: %d is not 1..%d", cfg->routers, VP_FWD_MAX_ROUTERS);
    if (cfg->routes < 1 || cfg->routes > VP_FWD_MAX_ROUTES)
        return vp_input_error(err, "routes: %u is not 1..%u (a /7 of /24s per router)", cfg->routes,
                              VP_FWD_MAX_ROUTES);
    snprintf(t->platform, sizeof t->platform, "{\"name\":\"netns\"}");
    struct build b = {.t = t, .err = err};
    struct place *all[] = {&b.tester, &b.host, &b.sink};
    for (int i = 0; i < VP_FWD_MAX_ROUTERS; i++)
        b.router[i].ns = -1;
    b.tester.ns = b.host.ns = b.sink.ns = -1;
    int rc;
    if ((rc = place_open(&b.tester, "the tester", -1, err)) < 0 ||
        (rc = place_open(&b.host, "the host", -1, err)) < 0 ||
        (rc = place_open(&b.sink, "the sink", -1, err)) < 0)
        goto out;
    t->tester_ns = b.tester.ns;
    t->host_ns = b.host.ns;
    t->sink_ns = b.sink.ns;
    if ((rc = wires(&b)) < 0 || (rc = build_routers(&b)) < 0)
        goto out;
    rc = wait_ready(t, err);
out:
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        place_close(all[i], true);
    for (int i = 0; i < VP_FWD_MAX_ROUTERS; i++)
        place_close(&b.router[i], true);
    if (rc < 0)
        vp_fwd_topo_free(t);
    return rc;
}

void vp_fwd_topo_free(struct vp_fwd_topo *t)
{
    vp_fwd_app_free(t);
    int *fds[] = {&t->tester_ns, &t->host_ns, &t->sink_ns};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
    for (int i = 0; i < VP_FWD_MAX_ROUTERS; i++)
        if (t->r[i].ns >= 0) {
            close(t->r[i].ns);
            t->r[i].ns = -1;
        }
}

int vp_fwd_topo_routes(struct vp_fwd_topo *t, int i, bool add, double *secs, struct vp_err *err)
{
    if (i < 0 || i >= t->cfg.routers)
        return vp_input_error(err, "router %d: there are %d", i, t->cfg.routers);
    int rc = node_apply(t, i, false, add, secs, err);
    if (rc < 0)
        vp_err_prefix(err, "router %d", i);
    return rc;
}

int vp_fwd_topo_route_count(struct vp_fwd_topo *t, int i, uint32_t *count, struct vp_err *err)
{
    if (i < 0 || i >= t->cfg.routers)
        return vp_input_error(err, "router %d: there are %d", i, t->cfg.routers);
    int back, rc;
    if (t->cfg.platform == VP_FWD_VM) {
        rc = vp_fwd_app_node(t, i, "count", NULL, count, err);
    } else if ((rc = vp_netns_enter(t->r[i].ns, &back, err)) == 0) {
        rc = vp_router_node_count(count, err);
        vp_netns_leave(back);
    }
    if (rc < 0)
        vp_err_prefix(err, "router %d", i);
    return rc;
}
