/* A router's own configuration: see node.h. */
#include "router/node.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "net/rtnl.h"

/* /proc/sys/PATH of the calling thread's namespace. */
static int sysctl_set(const char *path, const char *value)
{
    char full[128];
    snprintf(full, sizeof full, "/proc/sys/%s", path);
    int fd = open(full, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, value, strlen(value));
    int rc = n == (ssize_t)strlen(value) ? 0 : n < 0 ? -errno : -EIO;
    close(fd);
    return rc;
}

static int step_failed(struct vp_err *err, int rc, const char *what, const char *which)
{
    return vp_run_error(err, -rc, "%s %s", what, which);
}

static int links(struct vp_rtnl *nl, const struct vp_router_node *n, struct vp_err *err)
{
    int rc;
    for (int i = 0; i < n->naddr; i++) {
        int dev = vp_rtnl_ifindex(nl, n->addr[i].dev);
        if (dev < 0)
            return step_failed(err, dev, "no link", n->addr[i].dev);
        if ((rc = vp_rtnl_link_up(nl, dev, 0)) < 0 ||
            (rc = vp_rtnl_addr_add(nl, dev, n->addr[i].addr, n->addr[i].plen)) < 0)
            return step_failed(err, rc, "address on", n->addr[i].dev);
    }
    for (int i = 0; i < n->nneigh; i++) {
        int dev = vp_rtnl_ifindex(nl, n->neigh[i].dev);
        if (dev < 0 || (rc = vp_rtnl_neigh_add(nl, dev, n->neigh[i].addr, n->neigh[i].mac)) < 0)
            return step_failed(err, dev < 0 ? dev : rc, "neighbour", n->neigh[i].addr);
    }
    for (int i = 0; i < n->nroute; i++) {
        int dev = vp_rtnl_ifindex(nl, n->route[i].dev);
        if (dev < 0 || (rc = vp_rtnl_route_add(nl, n->route[i].dst, n->route[i].plen,
                                               n->route[i].gw, dev, 0)) < 0)
            return step_failed(err, dev < 0 ? dev : rc, "route to", n->route[i].dst);
    }
    return 0;
}

/* The /24s added or removed through the socket nl, timed. */
static int route_set(struct vp_rtnl *nl, const struct vp_router_node *n, bool add, double *routes_s,
                     struct vp_err *err)
{
    int out = vp_rtnl_ifindex(nl, n->via_dev);
    if (out < 0)
        return step_failed(err, out, "no link", n->via_dev);
    struct vp_route_set set = {n->block, n->routes, 24, n->via, out};
    uint32_t done = 0;
    uint64_t t0 = vp_now_ns();
    int rc = vp_rtnl_routes(nl, &set, add, &done);
    *routes_s = (double)(vp_now_ns() - t0) / 1e9;
    if (rc < 0)
        return vp_run_error(err, -rc, "route %u of %u %s", done + 1, n->routes,
                            add ? "refused" : "not removed");
    return 0;
}

int vp_router_node_apply(const struct vp_router_node *n, double *routes_s, struct vp_err *err)
{
    struct vp_rtnl nl = {0};
    int rc = vp_rtnl_open(&nl, err);
    if (rc < 0)
        return rc;
    if ((rc = sysctl_set("net/ipv4/ip_forward", "1")) < 0)
        rc = step_failed(err, rc, "forwarding", "on");
    /* no IPv6 chatter (router solicitations, DAD) on the test's links, and
     * no reverse-path filter on paths that are asymmetric by design */
    sysctl_set("net/ipv6/conf/all/disable_ipv6", "1");
    sysctl_set("net/ipv4/conf/all/rp_filter", "0");
    sysctl_set("net/ipv4/conf/default/rp_filter", "0");
    if (rc == 0)
        rc = links(&nl, n, err);
    if (rc == 0)
        rc = route_set(&nl, n, true, routes_s, err);
    vp_rtnl_close(&nl);
    return rc;
}

int vp_router_node_routes(const struct vp_router_node *n, bool add, double *routes_s,
                          struct vp_err *err)
{
    struct vp_rtnl nl = {0};
    int rc = vp_rtnl_open(&nl, err);
    if (rc == 0)
        rc = route_set(&nl, n, add, routes_s, err);
    vp_rtnl_close(&nl);
    return rc;
}

char *vp_router_node_json(const struct vp_router_node *n)
{
    json_t *addr = json_array(), *neigh = json_array(), *route = json_array();
    for (int i = 0; i < n->naddr; i++)
        json_array_append_new(addr,
                              json_pack("[ssi]", n->addr[i].dev, n->addr[i].addr, n->addr[i].plen));
    for (int i = 0; i < n->nneigh; i++) {
        const uint8_t *m = n->neigh[i].mac;
        char mac[18];
        snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                 m[5]);
        json_array_append_new(neigh, json_pack("[sss]", n->neigh[i].dev, n->neigh[i].addr, mac));
    }
    for (int i = 0; i < n->nroute; i++)
        json_array_append_new(route, json_pack("[siss]", n->route[i].dst, n->route[i].plen,
                                               n->route[i].gw, n->route[i].dev));
    struct in_addr block = {htonl(n->block)};
    json_t *doc = json_pack("{s:o,s:o,s:o,s:s,s:I,s:s,s:s}", "addr", addr, "neigh", neigh, "route",
                            route, "block", inet_ntoa(block), "routes", (json_int_t)n->routes,
                            "via", n->via, "via_dev", n->via_dev);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return text;
}

/* Copy a JSON string into a fixed field; false when it does not fit. */
static bool take(char *field, size_t len, const char *s)
{
    return s && (size_t)snprintf(field, len, "%s", s) < len;
}

static int parse_lists(json_t *doc, struct vp_router_node *n, struct vp_err *err)
{
    json_t *addr, *neigh, *route, *e;
    size_t i;
    if (json_unpack(doc, "{s:o,s:o,s:o}", "addr", &addr, "neigh", &neigh, "route", &route) ||
        !json_is_array(addr) || !json_is_array(neigh) || !json_is_array(route) ||
        json_array_size(addr) > VP_NODE_MAX || json_array_size(neigh) > VP_NODE_MAX ||
        json_array_size(route) > VP_NODE_MAX)
        return vp_input_error(err, "addr, neigh and route: lists of at most %d", VP_NODE_MAX);
    json_array_foreach(addr, i, e)
    {
        const char *dev, *a;
        if (json_unpack(e, "[ssi]", &dev, &a, &n->addr[i].plen) ||
            !take(n->addr[i].dev, sizeof n->addr[i].dev, dev) ||
            !take(n->addr[i].addr, sizeof n->addr[i].addr, a))
            return vp_input_error(err, "addr %zu: want [dev, addr, plen]", i);
    }
    json_array_foreach(neigh, i, e)
    {
        const char *dev, *a, *mac;
        uint8_t *m = n->neigh[i].mac;
        if (json_unpack(e, "[sss]", &dev, &a, &mac) ||
            !take(n->neigh[i].dev, sizeof n->neigh[i].dev, dev) ||
            !take(n->neigh[i].addr, sizeof n->neigh[i].addr, a) ||
            sscanf(mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4],
                   &m[5]) != 6)
            return vp_input_error(err, "neigh %zu: want [dev, addr, mac]", i);
    }
    json_array_foreach(route, i, e)
    {
        const char *dst, *gw, *dev;
        if (json_unpack(e, "[siss]", &dst, &n->route[i].plen, &gw, &dev) ||
            !take(n->route[i].dst, sizeof n->route[i].dst, dst) ||
            !take(n->route[i].gw, sizeof n->route[i].gw, gw) ||
            !take(n->route[i].dev, sizeof n->route[i].dev, dev))
            return vp_input_error(err, "route %zu: want [dst, plen, gw, dev]", i);
    }
    n->naddr = (int)json_array_size(addr);
    n->nneigh = (int)json_array_size(neigh);
    n->nroute = (int)json_array_size(route);
    return 0;
}

int vp_router_node_parse(const char *json, struct vp_router_node *n, struct vp_err *err)
{
    memset(n, 0, sizeof *n);
    json_error_t je;
    json_t *doc = json_loads(json, 0, &je);
    if (doc == NULL)
        return vp_input_error(err, "%s (column %d)", je.text, je.column);
    const char *block, *via, *via_dev;
    json_int_t routes;
    struct in_addr b;
    int rc = parse_lists(doc, n, err);
    if (rc == 0 &&
        (json_unpack(doc, "{s:s,s:I,s:s,s:s}", "block", &block, "routes", &routes, "via", &via,
                     "via_dev", &via_dev) ||
         inet_pton(AF_INET, block, &b) != 1 || routes < 1 || routes > (1 << 24) ||
         !take(n->via, sizeof n->via, via) || !take(n->via_dev, sizeof n->via_dev, via_dev)))
        rc = vp_input_error(err, "want block (an IPv4 address), routes "
                                 "(1..2^24), via and via_dev");
    if (rc == 0) {
        n->block = ntohl(b.s_addr);
        n->routes = (uint32_t)routes;
    }
    json_decref(doc);
    return rc;
}

int vp_router_node_count(uint32_t *count, struct vp_err *err)
{
    struct vp_rtnl nl = {0};
    int rc = vp_rtnl_open(&nl, err);
    if (rc == 0 && (rc = vp_rtnl_route_count(&nl, count)) < 0)
        rc = vp_run_error(err, -rc, "count routes");
    vp_rtnl_close(&nl);
    return rc;
}
