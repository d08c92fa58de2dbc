#include "platform/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/if_tun.h>
#include <linux/veth.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/netns.h"
#include "net/rtnl.h"
#include "platform/journal.h"
#include "platform/platform.h"

int vp_net_link_remove(const char *name, bool dry_run)
{
    if (strncmp(name, "vp", 2) != 0) /* only ever our own links */
        return -EINVAL;
    int idx = (int)if_nametoindex(name);
    if (idx == 0)
        return 0;
    if (dry_run)
        return 1;
    struct vp_rtnl nl = {0};
    struct vp_err err;
    if (vp_rtnl_open(&nl, &err) < 0)
        return -EIO;
    int rc = vp_rtnl_link_del(&nl, idx);
    vp_rtnl_close(&nl);
    return rc == 0 || rc == -ENODEV ? 1 : rc;
}

/* The third octet of the run's /24 for mode (its block claimed already). */
static int octet(const struct vp_journal *j, int mode)
{
    int block = vp_journal_block(j);
    return (block < 0 ? 0 : block) * 3 + (mode - VP_NET_BRIDGE);
}

void vp_net_host_address(const struct vp_journal *j, int mode, char *out, size_t len)
{
    snprintf(out, len, "10.213.%d.1", octet(j, mode));
}

static int fail(struct vp_err *err, int rc, const char *what, const char *name)
{
    return vp_run_error(err, -rc, "network: %s %s", what, name);
}

/* A journaled host link: recorded, created, brought up (as a port of master). */
static int host_link(struct vp_rtnl *nl, struct vp_journal *j, const struct vp_link_req *r,
                     int master, int *ifindex, int *link_id, struct vp_err *err)
{
    int rc, id = vp_journal_add(j, VP_RES_LINK, r->name, err);
    if (id < 0)
        return id;
    if (link_id)
        *link_id = id;
    if ((rc = vp_rtnl_link_add(nl, r)) < 0) {
        vp_journal_done(j, id);
        if (link_id)
            *link_id = -1;
        return fail(err, rc, "create", r->name);
    }
    *ifindex = (int)if_nametoindex(r->name);
    if (*ifindex == 0 || (rc = vp_rtnl_link_up(nl, *ifindex, master)) < 0)
        return fail(err, *ifindex == 0 ? -ENODEV : rc, "up", r->name);
    return 0;
}

/* A run-wide link made once: the bridge, the direct parent and its host macvlan. */
static int shared_link(struct vp_rtnl *nl, struct vp_journal *j, const char *name, const char *kind,
                       int parent, const char *addr, int plen, int *ifindex, struct vp_err *err)
{
    *ifindex = (int)if_nametoindex(name);
    if (*ifindex > 0)
        return 0;
    struct vp_link_req r = {.name = name, .kind = kind, .parent = parent};
    int rc = host_link(nl, j, &r, 0, ifindex, NULL, err);
    if (rc == -EOPNOTSUPP && strcmp(kind, "dummy") == 0) { /* no dummy driver: a port-less bridge */
        r.kind = "bridge";
        rc = host_link(nl, j, &r, 0, ifindex, NULL, err);
    }
    if (rc == 0 && addr && (rc = vp_rtnl_addr_add(nl, *ifindex, addr, plen)) < 0)
        return fail(err, rc, "address on", name);
    return rc;
}

static int set_forwarding(const char *ifname)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/forwarding", ifname);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = write(fd, "1", 1) == 1 ? 0 : -errno;
    close(fd);
    return rc;
}

int vp_net_attach(struct vp_journal *j, int mode, int index, pid_t pid, char *addr, size_t len,
                  int *link_id, struct vp_err *err)
{
    *link_id = -1;
    if (index < 0 || index + 2 > 254)
        return vp_input_error(err, "network: at most 253 appliances at once");
    const char *run = vp_journal_run(j);
    char host[32], name[IFNAMSIZ], shared[IFNAMSIZ];
    int rc, br, ifi, parent, hostmv;
    if (mode != VP_NET_NONE && (rc = vp_net_block(j, err)) < 0)
        return rc;
    vp_net_host_address(j, mode, host, sizeof host);
    snprintf(addr, len, "10.213.%d.%d", octet(j, mode), index + 2);
    struct vp_rtnl nl = {0};
    if ((rc = vp_rtnl_open(&nl, err)) < 0)
        return rc;
    switch (mode) {
    case VP_NET_BRIDGE: {
        snprintf(shared, sizeof shared, "vp%sbr", run);
        if ((rc = shared_link(&nl, j, shared, "bridge", 0, host, 24, &br, err)) < 0)
            break;
        snprintf(name, sizeof name, "vp%sb%d", run, index);
        struct vp_link_req r = {
            .name = name, .kind = "veth", .peer = "eth0", .peer_ns = {.pid = pid}};
        rc = host_link(&nl, j, &r, br, &ifi, link_id, err);
        break;
    }
    case VP_NET_ROUTED: {
        snprintf(name, sizeof name, "vp%sr%d", run, index);
        struct vp_link_req r = {
            .name = name, .kind = "veth", .peer = "eth0", .peer_ns = {.pid = pid}};
        if ((rc = host_link(&nl, j, &r, 0, &ifi, link_id, err)) < 0)
            break;
        if ((rc = vp_rtnl_addr_add(&nl, ifi, host, 32)) < 0 || (rc = set_forwarding(name)) < 0 ||
            (rc = vp_rtnl_route_add(&nl, addr, 32, NULL, ifi, 0)) < 0)
            rc = fail(err, rc, "addresses and routes on", name);
        break;
    }
    case VP_NET_DIRECT: {
        snprintf(shared, sizeof shared, "vp%sd", run);
        if ((rc = shared_link(&nl, j, shared, "dummy", 0, NULL, 0, &parent, err)) < 0)
            break;
        snprintf(name, sizeof name, "vp%sm", run);
        if ((rc = shared_link(&nl, j, name, "macvlan", parent, host, 24, &hostmv, err)) < 0)
            break;
        /* the appliance's macvlan is made right in its namespace */
        struct vp_link_req r = {
            .name = "eth0", .kind = "macvlan", .parent = parent, .ns = {.pid = pid}};
        if ((rc = vp_rtnl_link_add(&nl, &r)) < 0)
            rc = fail(err, rc, "create macvlan over", shared);
        break;
    }
    default:
        rc = 0;
    }
    vp_rtnl_close(&nl);
    return rc;
}

/* A persistent tap, journaled, brought up (as a port of master): QEMU
 * attaches to it by name. */
static int make_tap(struct vp_rtnl *nl, struct vp_journal *j, const char *name, int master,
                    int *ifindex, int *link_id, struct vp_err *err)
{
    int id = vp_journal_add(j, VP_RES_LINK, name, err), rc;
    if (id < 0)
        return id;
    *link_id = id;
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
        rc = -errno;
        if (fd >= 0)
            close(fd);
        vp_journal_done(j, id);
        *link_id = -1;
        return fail(err, rc, "create tap", name);
    }
    close(fd);
    *ifindex = (int)if_nametoindex(name);
    if (*ifindex == 0 || (rc = vp_rtnl_link_up(nl, *ifindex, master)) < 0)
        return fail(err, *ifindex == 0 ? -ENODEV : rc, "up", name);
    return 0;
}

/* Open a macvtap's character device (net/netns.h). */
static int open_macvtap(const char *name, struct vp_err *err)
{
    int fd = vp_netns_macvtap_open(-1, name, (int)if_nametoindex(name));
    return fd >= 0 ? fd : fail(err, fd, "open the device of", name);
}

int vp_net_attach_vm(struct vp_journal *j, int mode, int index, char *addr, size_t len,
                     struct vp_net_vm *vm, int *link_id, struct vp_err *err)
{
    *link_id = -1;
    vm->tapfd = -1;
    vm->tap[0] = '\0';
    if (index < 0 || index + 2 > 254)
        return vp_input_error(err, "network: at most 253 appliances at once");
    const char *run = vp_journal_run(j);
    char host[32], shared[IFNAMSIZ], hostmv[IFNAMSIZ];
    int rc, br, ifi, parent, hmv;
    if (mode != VP_NET_NONE && (rc = vp_net_block(j, err)) < 0)
        return rc;
    int octet3 = octet(j, mode);
    unsigned char mac[6] = {
        0x52, 0x54, 0x00, 0xd5, (unsigned char)octet3, (unsigned char)(index + 2)};
    snprintf(vm->mac, sizeof vm->mac, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
             mac[3], mac[4], mac[5]);
    vp_net_host_address(j, mode, host, sizeof host);
    snprintf(addr, len, "10.213.%d.%d", octet3, index + 2);
    struct vp_rtnl nl = {0};
    if ((rc = vp_rtnl_open(&nl, err)) < 0)
        return rc;
    switch (mode) {
    case VP_NET_BRIDGE:
        snprintf(shared, sizeof shared, "vp%sbr", run);
        snprintf(vm->tap, sizeof vm->tap, "vp%st%d", run, index);
        if ((rc = shared_link(&nl, j, shared, "bridge", 0, host, 24, &br, err)) == 0)
            rc = make_tap(&nl, j, vm->tap, br, &ifi, link_id, err);
        break;
    case VP_NET_ROUTED:
        snprintf(vm->tap, sizeof vm->tap, "vp%sr%d", run, index);
        if ((rc = make_tap(&nl, j, vm->tap, 0, &ifi, link_id, err)) < 0)
            break;
        if ((rc = vp_rtnl_addr_add(&nl, ifi, host, 32)) < 0 || (rc = set_forwarding(vm->tap)) < 0 ||
            (rc = vp_rtnl_route_add(&nl, addr, 32, NULL, ifi, 0)) < 0)
            rc = fail(err, rc, "addresses and routes on", vm->tap);
        break;
    case VP_NET_DIRECT: {
        snprintf(shared, sizeof shared, "vp%sd", run);
        snprintf(hostmv, sizeof hostmv, "vp%sm", run);
        if ((rc = shared_link(&nl, j, shared, "dummy", 0, NULL, 0, &parent, err)) < 0 ||
            (rc = shared_link(&nl, j, hostmv, "macvlan", parent, host, 24, &hmv, err)) < 0)
            break;
        snprintf(vm->tap, sizeof vm->tap, "vp%sv%d", run, index);
        struct vp_link_req r = {.name = vm->tap, .kind = "macvtap", .mac = mac, .parent = parent};
        if ((rc = host_link(&nl, j, &r, 0, &ifi, link_id, err)) == 0 &&
            (vm->tapfd = open_macvtap(vm->tap, err)) < 0)
            rc = vm->tapfd;
        break;
    }
    default:
        rc = 0;
    }
    vp_rtnl_close(&nl);
    return rc;
}

int vp_net_configure_inside(int mode, const char *addr, struct vp_err *err)
{
    struct vp_rtnl nl = {0};
    int rc;
    if ((rc = vp_rtnl_open(&nl, err)) < 0)
        return rc;
    if ((rc = vp_rtnl_link_up(&nl, 1, 0)) < 0) { /* lo is always ifindex 1 */
        rc = fail(err, rc, "up", "lo");
        goto out;
    }
    if (mode == VP_NET_NONE)
        goto out;
    char host[32];
    snprintf(host, sizeof host, "%s", addr);
    snprintf(strrchr(host, '.'), 3, ".1");
    int eth = (int)if_nametoindex("eth0");
    if (eth == 0) {
        rc = fail(err, -ENODEV, "find", "eth0");
        goto out;
    }
    bool routed = mode == VP_NET_ROUTED;
    if ((rc = vp_rtnl_addr_add(&nl, eth, addr, routed ? 32 : 24)) < 0 ||
        (rc = vp_rtnl_link_up(&nl, eth, 0)) < 0 ||
        (routed && (rc = vp_rtnl_route_add(&nl, host, 32, NULL, eth, 0)) < 0) ||
        (rc = vp_rtnl_route_add(&nl, NULL, 0, host, eth, 0)) < 0)
        rc = fail(err, rc, "configure", "eth0");
out:
    vp_rtnl_close(&nl);
    return rc;
}
