/* A virtual router's own configuration (seed 004): what the test bed
 * (topo.h) asks of each router once its two links exist — addresses on
 * them, up; permanent neighbours for its next hops; a few static routes;
 * forwarding on; and `routes` /24s from `block` on, all via one next hop,
 * installed in batches and timed. It is applied inside the router, by the
 * same code wherever the router runs: a namespace of the test bed's own
 * (vp_router_node_apply in it) or a VM guest (`virtperf router-node
 * JSON` there), so a router is configured one way on every
 * platform. */
#ifndef VP_ROUTER_NODE_H
#define VP_ROUTER_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

#define VP_NODE_MAX 4 /* addresses, neighbours, static routes: each */

struct vp_router_node {
    struct {
        char dev[16], addr[16];
        int plen;
    } addr[VP_NODE_MAX];
    struct {
        char dev[16], addr[16];
        uint8_t mac[6];
    } neigh[VP_NODE_MAX];
    struct {
        char dst[16], gw[16], dev[16];
        int plen;
    } route[VP_NODE_MAX];
    int naddr, nneigh, nroute;
    uint32_t block;  /* host order: the first /24 of the routes */
    uint32_t routes; /* how many /24s */
    char via[16], via_dev[16];
};

/* Configure the namespace the calling thread is in as n says; *routes_s
 * gets the seconds the /24s took. 0, or a run error naming the step. */
int vp_router_node_apply(const struct vp_router_node *n, double *routes_s, struct vp_err *err);
/* Only the /24s: removed (add false) or installed again, timed. */
int vp_router_node_routes(const struct vp_router_node *n, bool add, double *routes_s,
                          struct vp_err *err);

/* How many of the /24s the namespace holds now. */
int vp_router_node_count(uint32_t *count, struct vp_err *err);

/* n as JSON text, one line (malloc'd; NULL without memory), and back: an
 * input error names what is wrong. */
char *vp_router_node_json(const struct vp_router_node *n);
int vp_router_node_parse(const char *json, struct vp_router_node *n, struct vp_err *err);

#endif
