#include "platform/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <libmnl/libmnl.h>
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

#include "platform/journal.h"
#include "platform/platform.h"

struct nl {
    struct mnl_socket *s;
    unsigned int seq, portid;
    char buf[8192];
};

static int nl_open(struct nl *nl, struct vp_err *err)
{
    nl->s = mnl_socket_open(NETLINK_ROUTE);
    if (!nl->s || mnl_socket_bind(nl->s, 0, MNL_SOCKET_AUTOPID) < 0) {
        int e = errno;
        if (nl->s)
            mnl_socket_close(nl->s);
        nl->s = NULL;
        return vp_run_error(err, e, "netlink");
    }
    nl->portid = mnl_socket_get_portid(nl->s);
    nl->seq = (unsigned int)time(NULL);
    return 0;
}

static void nl_close(struct nl *nl)
{
    if (nl->s)
        mnl_socket_close(nl->s);
}

static struct nlmsghdr *msg(struct nl *nl, int type, int flags)
{
    struct nlmsghdr *h = mnl_nlmsg_put_header(nl->buf);
    h->nlmsg_type = (uint16_t)type;
    h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
    h->nlmsg_seq = ++nl->seq;
    return h;
}

/* Send one request and wait for its acknowledgement; 0 or -errno. */
static int talk(struct nl *nl, struct nlmsghdr *h)
{
    if (mnl_socket_sendto(nl->s, h, h->nlmsg_len) < 0)
        return -errno;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl->s, nl->buf, sizeof nl->buf);
        if (n < 0)
            return -errno;
        int rc = mnl_cb_run(nl->buf, (size_t)n, nl->seq, nl->portid, NULL, NULL);
        if (rc < 0)
            return -errno;
        if (rc == MNL_CB_STOP)
            return 0;
    }
}

struct link_req {
    const char *name, *kind;
    const unsigned char *mac; /* IFLA_ADDRESS, 6 bytes; NULL = the kernel's */
    int parent;               /* IFLA_LINK, 0 = none */
    pid_t netns;              /* create in the namespace of this pid, 0 = here */
    const char *peer;         /* veth: the peer's name */
    pid_t peer_netns;
};

static int link_add(struct nl *nl, const struct link_req *r)
{
    struct nlmsghdr *h = msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(h, sizeof *ifm);
    ifm->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(h, IFLA_IFNAME, r->name);
    if (r->mac)
        mnl_attr_put(h, IFLA_ADDRESS, 6, r->mac);
    if (r->parent)
        mnl_attr_put_u32(h, IFLA_LINK, (uint32_t)r->parent);
    if (r->netns)
        mnl_attr_put_u32(h, IFLA_NET_NS_PID, (uint32_t)r->netns);
    struct nlattr *info = mnl_attr_nest_start(h, IFLA_LINKINFO);
    mnl_attr_put_strz(h, IFLA_INFO_KIND, r->kind);
    if (r->peer) {
        struct nlattr *data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
        struct nlattr *peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
        struct ifinfomsg *pifm = mnl_nlmsg_put_extra_header(h, sizeof *pifm);
        pifm->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(h, IFLA_IFNAME, r->peer);
        if (r->peer_netns)
            mnl_attr_put_u32(h, IFLA_NET_NS_PID, (uint32_t)r->peer_netns);
        mnl_attr_nest_end(h, peer);
        mnl_attr_nest_end(h, data);
    } else if (strcmp(r->kind, "macvlan") == 0 || strcmp(r->kind, "macvtap") == 0) {
        struct nlattr *data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
        mnl_attr_put_u32(h, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
        mnl_attr_nest_end(h, data);
    }
    mnl_attr_nest_end(h, info);
    return talk(nl, h);
}

/* Bring a link up, and make it a port of master when master > 0. */
static int link_up(struct nl *nl, int ifindex, int master)
{
    struct nlmsghdr *h = msg(nl, RTM_NEWLINK, 0);
    struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(h, sizeof *ifm);
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_index = ifindex;
    ifm->ifi_flags = IFF_UP;
    ifm->ifi_change = IFF_UP;
    if (master > 0)
        mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)master);
    return talk(nl, h);
}

static int addr_add(struct nl *nl, int ifindex, const char *addr, int plen)
{
    struct in_addr a;
    if (inet_pton(AF_INET, addr, &a) != 1)
        return -EINVAL;
    struct nlmsghdr *h = msg(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof *ifa);
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (unsigned char)plen;
    ifa->ifa_index = (unsigned int)ifindex;
    mnl_attr_put(h, IFA_LOCAL, sizeof a, &a);
    mnl_attr_put(h, IFA_ADDRESS, sizeof a, &a);
    return talk(nl, h);
}

/* dst/plen via gw (NULL: on the link oif). */
static int route_add(struct nl *nl, const char *dst, int plen, const char *gw, int oif)
{
    struct in_addr d = {0}, g;
    if (dst && inet_pton(AF_INET, dst, &d) != 1)
        return -EINVAL;
    struct nlmsghdr *h = msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
    struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof *rt);
    rt->rtm_family = AF_INET;
    rt->rtm_dst_len = (unsigned char)plen;
    rt->rtm_table = RT_TABLE_MAIN;
    rt->rtm_protocol = RTPROT_BOOT;
    rt->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    rt->rtm_type = RTN_UNICAST;
    if (plen > 0)
        mnl_attr_put(h, RTA_DST, sizeof d, &d);
    if (gw) {
        if (inet_pton(AF_INET, gw, &g) != 1)
            return -EINVAL;
        mnl_attr_put(h, RTA_GATEWAY, sizeof g, &g);
    }
    mnl_attr_put_u32(h, RTA_OIF, (uint32_t)oif);
    return talk(nl, h);
}

int vp_net_link_remove(const char *name, bool dry_run)
{
    if (strncmp(name, "vp", 2) != 0) /* only ever our own links */
        return -EINVAL;
    int idx = (int)if_nametoindex(name);
    if (idx == 0)
        return 0;
    if (dry_run)
        return 1;
    struct nl nl = {0};
    struct vp_err err;
    if (nl_open(&nl, &err) < 0)
        return -EIO;
    struct nlmsghdr *h = msg(&nl, RTM_DELLINK, 0);
    struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(h, sizeof *ifm);
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_index = idx;
    int rc = talk(&nl, h);
    nl_close(&nl);
    return rc == 0 || rc == -ENODEV ? 1 : rc;
}

#define NBLOCKS 84 /* blocks of three /24s (bridge, routed, direct) in 10.213.0.0/16 */

/* Whether a host link belongs to this run: vpbr<run>, vpm<run>, vp<run>r<k>. */
static bool ours(const char *name, const char *run)
{
    char want[IFNAMSIZ + 8];
    size_t n = strlen(run);
    snprintf(want, sizeof want, "vpbr%s", run);
    if (strcmp(name, want) == 0)
        return true;
    snprintf(want, sizeof want, "vpm%s", run);
    if (strcmp(name, want) == 0)
        return true;
    return strncmp(name, "vp", 2) == 0 && strncmp(name + 2, run, n) == 0 && name[2 + n] == 'r';
}

/* The run's block: the one its links already use, else the first block from
 * pid % 84 on that no host address uses (another run's, or anyone's). */
static int octet(const struct vp_journal *j, int mode)
{
    const char *run = vp_journal_run(j);
    bool used[NBLOCKS] = {false};
    int mine = -1;
    struct ifaddrs *ifa = NULL;
    if (getifaddrs(&ifa) == 0) {
        for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
            if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
                continue;
            uint32_t a = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
            if ((a >> 16) != ((10u << 8) | 213u) || ((a >> 8) & 0xff) >= 3 * NBLOCKS)
                continue;
            int block = (int)((a >> 8) & 0xff) / 3;
            if (ours(i->ifa_name, run))
                mine = block;
            else
                used[block] = true;
        }
        freeifaddrs(ifa);
    }
    int start = atoi(run) % NBLOCKS, block = start;
    for (int k = 0; mine < 0 && k < NBLOCKS; k++)
        if (!used[(start + k) % NBLOCKS]) {
            block = (start + k) % NBLOCKS;
            break;
        }
    return (mine >= 0 ? mine : block) * 3 + (mode - VP_NET_BRIDGE);
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
static int host_link(struct nl *nl, struct vp_journal *j, const struct link_req *r, int master,
                     int *ifindex, int *link_id, struct vp_err *err)
{
    int rc, id = vp_journal_add(j, VP_RES_LINK, r->name, err);
    if (id < 0)
        return id;
    if (link_id)
        *link_id = id;
    if ((rc = link_add(nl, r)) < 0) {
        vp_journal_done(j, id);
        if (link_id)
            *link_id = -1;
        return fail(err, rc, "create", r->name);
    }
    *ifindex = (int)if_nametoindex(r->name);
    if (*ifindex == 0 || (rc = link_up(nl, *ifindex, master)) < 0)
        return fail(err, *ifindex == 0 ? -ENODEV : rc, "up", r->name);
    return 0;
}

/* A run-wide link made once: the bridge, the direct parent and its host macvlan. */
static int shared_link(struct nl *nl, struct vp_journal *j, const char *name, const char *kind,
                       int parent, const char *addr, int plen, int *ifindex, struct vp_err *err)
{
    *ifindex = (int)if_nametoindex(name);
    if (*ifindex > 0)
        return 0;
    struct link_req r = {.name = name, .kind = kind, .parent = parent};
    int rc = host_link(nl, j, &r, 0, ifindex, NULL, err);
    if (rc == -EOPNOTSUPP && strcmp(kind, "dummy") == 0) { /* no dummy driver: a port-less bridge */
        r.kind = "bridge";
        rc = host_link(nl, j, &r, 0, ifindex, NULL, err);
    }
    if (rc == 0 && addr && (rc = addr_add(nl, *ifindex, addr, plen)) < 0)
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
    vp_net_host_address(j, mode, host, sizeof host);
    snprintf(addr, len, "10.213.%d.%d", octet(j, mode), index + 2);
    struct nl nl = {0};
    int rc, br, ifi, parent, hostmv;
    if ((rc = nl_open(&nl, err)) < 0)
        return rc;
    switch (mode) {
    case VP_NET_BRIDGE: {
        snprintf(shared, sizeof shared, "vpbr%s", run);
        if ((rc = shared_link(&nl, j, shared, "bridge", 0, host, 24, &br, err)) < 0)
            break;
        snprintf(name, sizeof name, "vp%sb%d", run, index);
        struct link_req r = {.name = name, .kind = "veth", .peer = "eth0", .peer_netns = pid};
        rc = host_link(&nl, j, &r, br, &ifi, link_id, err);
        break;
    }
    case VP_NET_ROUTED: {
        snprintf(name, sizeof name, "vp%sr%d", run, index);
        struct link_req r = {.name = name, .kind = "veth", .peer = "eth0", .peer_netns = pid};
        if ((rc = host_link(&nl, j, &r, 0, &ifi, link_id, err)) < 0)
            break;
        if ((rc = addr_add(&nl, ifi, host, 32)) < 0 || (rc = set_forwarding(name)) < 0 ||
            (rc = route_add(&nl, addr, 32, NULL, ifi)) < 0)
            rc = fail(err, rc, "addresses and routes on", name);
        break;
    }
    case VP_NET_DIRECT: {
        snprintf(shared, sizeof shared, "vpd%s", run);
        if ((rc = shared_link(&nl, j, shared, "dummy", 0, NULL, 0, &parent, err)) < 0)
            break;
        snprintf(name, sizeof name, "vpm%s", run);
        if ((rc = shared_link(&nl, j, name, "macvlan", parent, host, 24, &hostmv, err)) < 0)
            break;
        /* the appliance's macvlan is made right in its namespace */
        struct link_req r = {.name = "eth0", .kind = "macvlan", .parent = parent, .netns = pid};
        if ((rc = link_add(&nl, &r)) < 0)
            rc = fail(err, rc, "create macvlan over", shared);
        break;
    }
    default:
        rc = 0;
    }
    nl_close(&nl);
    return rc;
}

/* A persistent tap, journaled, brought up (as a port of master): QEMU
 * attaches to it by name. */
static int make_tap(struct nl *nl, struct vp_journal *j, const char *name, int master, int *ifindex,
                    int *link_id, struct vp_err *err)
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
    if (*ifindex == 0 || (rc = link_up(nl, *ifindex, master)) < 0)
        return fail(err, *ifindex == 0 ? -ENODEV : rc, "up", name);
    return 0;
}

/* Open a macvtap's character device /dev/tapN: a node made for the
 * moment (there is no udev to make it) and unlinked once open. */
static int open_macvtap(const char *name, struct vp_err *err)
{
    char path[128], dev[32], node[64];
    unsigned major, minor;
    int ifindex = (int)if_nametoindex(name);
    snprintf(path, sizeof path, "/sys/class/net/%s/macvtap/tap%d/dev", name, ifindex);
    FILE *f = fopen(path, "r");
    bool ok = f && fgets(dev, sizeof dev, f) && sscanf(dev, "%u:%u", &major, &minor) == 2;
    if (f)
        fclose(f);
    if (!ok)
        return fail(err, -ENODEV, "find the device of", name);
    snprintf(node, sizeof node, "/run/vp-%s.%ld", name, (long)getpid());
    unlink(node);
    if (mknod(node, S_IFCHR | 0600, makedev(major, minor)) < 0)
        return fail(err, -errno, "make the device node of", name);
    int fd = open(node, O_RDWR | O_CLOEXEC);
    int e = errno;
    unlink(node);
    return fd >= 0 ? fd : fail(err, -e, "open the device of", name);
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
    int octet3 = octet(j, mode);
    unsigned char mac[6] = {
        0x52, 0x54, 0x00, 0xd5, (unsigned char)octet3, (unsigned char)(index + 2)};
    snprintf(vm->mac, sizeof vm->mac, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
             mac[3], mac[4], mac[5]);
    vp_net_host_address(j, mode, host, sizeof host);
    snprintf(addr, len, "10.213.%d.%d", octet3, index + 2);
    struct nl nl = {0};
    int rc, br, ifi, parent, hmv;
    if ((rc = nl_open(&nl, err)) < 0)
        return rc;
    switch (mode) {
    case VP_NET_BRIDGE:
        snprintf(shared, sizeof shared, "vpbr%s", run);
        snprintf(vm->tap, sizeof vm->tap, "vp%st%d", run, index);
        if ((rc = shared_link(&nl, j, shared, "bridge", 0, host, 24, &br, err)) == 0)
            rc = make_tap(&nl, j, vm->tap, br, &ifi, link_id, err);
        break;
    case VP_NET_ROUTED:
        snprintf(vm->tap, sizeof vm->tap, "vp%sr%d", run, index);
        if ((rc = make_tap(&nl, j, vm->tap, 0, &ifi, link_id, err)) < 0)
            break;
        if ((rc = addr_add(&nl, ifi, host, 32)) < 0 || (rc = set_forwarding(vm->tap)) < 0 ||
            (rc = route_add(&nl, addr, 32, NULL, ifi)) < 0)
            rc = fail(err, rc, "addresses and routes on", vm->tap);
        break;
    case VP_NET_DIRECT: {
        snprintf(shared, sizeof shared, "vpd%s", run);
        snprintf(hostmv, sizeof hostmv, "vpm%s", run);
        if ((rc = shared_link(&nl, j, shared, "dummy", 0, NULL, 0, &parent, err)) < 0 ||
            (rc = shared_link(&nl, j, hostmv, "macvlan", parent, host, 24, &hmv, err)) < 0)
            break;
        snprintf(vm->tap, sizeof vm->tap, "vp%sv%d", run, index);
        struct link_req r = {.name = vm->tap, .kind = "macvtap", .mac = mac, .parent = parent};
        if ((rc = host_link(&nl, j, &r, 0, &ifi, link_id, err)) == 0 &&
            (vm->tapfd = open_macvtap(vm->tap, err)) < 0)
            rc = vm->tapfd;
        break;
    }
    default:
        rc = 0;
    }
    nl_close(&nl);
    return rc;
}

int vp_net_configure_inside(int mode, const char *addr, struct vp_err *err)
{
    struct nl nl = {0};
    int rc;
    if ((rc = nl_open(&nl, err)) < 0)
        return rc;
    if ((rc = link_up(&nl, 1, 0)) < 0) { /* lo is always ifindex 1 */
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
    if ((rc = addr_add(&nl, eth, addr, routed ? 32 : 24)) < 0 || (rc = link_up(&nl, eth, 0)) < 0 ||
        (routed && (rc = route_add(&nl, host, 32, NULL, eth)) < 0) ||
        (rc = route_add(&nl, NULL, 0, host, eth)) < 0)
        rc = fail(err, rc, "configure", "eth0");
out:
    nl_close(&nl);
    return rc;
}
