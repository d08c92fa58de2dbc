#include "net/rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int vp_rtnl_open(struct vp_rtnl *nl, struct vp_err *err)
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

void vp_rtnl_close(struct vp_rtnl *nl)
{
    if (nl->s)
        mnl_socket_close(nl->s);
    nl->s = NULL;
}

static struct nlmsghdr *put_msg(void *buf, unsigned int seq, int type, int flags)
{
    struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
    h->nlmsg_type = (uint16_t)type;
    h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
    h->nlmsg_seq = seq;
    return h;
}

static struct nlmsghdr *msg(struct vp_rtnl *nl, int type, int flags)
{
    return put_msg(nl->buf, ++nl->seq, type, NLM_F_ACK | flags);
}

/* Send one request and wait for its acknowledgement (or its dump's end,
 * each part handed to cb); 0 or -errno. */
static int talk_cb(struct vp_rtnl *nl, struct nlmsghdr *h, mnl_cb_t cb, void *arg)
{
    if (mnl_socket_sendto(nl->s, h, h->nlmsg_len) < 0)
        return -errno;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl->s, nl->buf, sizeof nl->buf);
        if (n < 0)
            return -errno;
        int rc = mnl_cb_run(nl->buf, (size_t)n, nl->seq, nl->portid, cb, arg);
        if (rc < 0)
            return -errno;
        if (rc == MNL_CB_STOP)
            return 0;
    }
}

static int talk(struct vp_rtnl *nl, struct nlmsghdr *h)
{
    return talk_cb(nl, h, NULL, NULL);
}

static void put_ns(struct nlmsghdr *h, const struct vp_rtnl_ns *ns)
{
    if (ns->fd > 0)
        mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)ns->fd);
    else if (ns->pid > 0)
        mnl_attr_put_u32(h, IFLA_NET_NS_PID, (uint32_t)ns->pid);
}

int vp_rtnl_link_add(struct vp_rtnl *nl, const struct vp_link_req *r)
{
    struct nlmsghdr *h = msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(h, sizeof *ifm);
    ifm->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(h, IFLA_IFNAME, r->name);
    if (r->mac)
        mnl_attr_put(h, IFLA_ADDRESS, 6, r->mac);
    if (r->parent)
        mnl_attr_put_u32(h, IFLA_LINK, (uint32_t)r->parent);
    put_ns(h, &r->ns);
    struct nlattr *info = mnl_attr_nest_start(h, IFLA_LINKINFO);
    mnl_attr_put_strz(h, IFLA_INFO_KIND, r->kind);
    if (r->peer) {
        struct nlattr *data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
        struct nlattr *peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
        struct ifinfomsg *pifm = mnl_nlmsg_put_extra_header(h, sizeof *pifm);
        pifm->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(h, IFLA_IFNAME, r->peer);
        if (r->peer_mac)
            mnl_attr_put(h, IFLA_ADDRESS, 6, r->peer_mac);
        put_ns(h, &r->peer_ns);
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

int vp_rtnl_link_up(struct vp_rtnl *nl, int ifindex, int master)
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

int vp_rtnl_link_del(struct vp_rtnl *nl, int ifindex)
{
    struct nlmsghdr *h = msg(nl, RTM_DELLINK, 0);
    struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(h, sizeof *ifm);
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_index = ifindex;
    return talk(nl, h);
}

static int ifindex_cb(const struct nlmsghdr *h, void *arg)
{
    const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(h);
    *(int *)arg = ifm->ifi_index;
    return MNL_CB_OK;
}

int vp_rtnl_ifindex(struct vp_rtnl *nl, const char *name)
{
    struct nlmsghdr *h = msg(nl, RTM_GETLINK, 0);
    struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(h, sizeof *ifm);
    ifm->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(h, IFLA_IFNAME, name);
    int index = 0, rc = talk_cb(nl, h, ifindex_cb, &index);
    return rc < 0 ? rc : index > 0 ? index : -ENODEV;
}

int vp_rtnl_addr_add(struct vp_rtnl *nl, int ifindex, const char *addr, int plen)
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

/* One route request into h: dst (network order) / plen via gw on oif. */
static void put_route(struct nlmsghdr *h, uint32_t dst, int plen, const struct in_addr *gw, int oif,
                      int table, unsigned char protocol)
{
    struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof *rt);
    rt->rtm_family = AF_INET;
    rt->rtm_dst_len = (unsigned char)plen;
    rt->rtm_table = RT_TABLE_UNSPEC;
    rt->rtm_protocol = protocol;
    rt->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    rt->rtm_type = RTN_UNICAST;
    mnl_attr_put_u32(h, RTA_TABLE, table > 0 ? (uint32_t)table : RT_TABLE_MAIN);
    if (plen > 0)
        mnl_attr_put(h, RTA_DST, sizeof dst, &dst);
    if (gw)
        mnl_attr_put(h, RTA_GATEWAY, sizeof *gw, gw);
    mnl_attr_put_u32(h, RTA_OIF, (uint32_t)oif);
}

int vp_rtnl_route_add(struct vp_rtnl *nl, const char *dst, int plen, const char *gw, int oif,
                      int table)
{
    struct in_addr d = {0}, g;
    if ((dst && inet_pton(AF_INET, dst, &d) != 1) || (gw && inet_pton(AF_INET, gw, &g) != 1))
        return -EINVAL;
    struct nlmsghdr *h = msg(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
    put_route(h, d.s_addr, dst ? plen : 0, gw ? &g : NULL, oif, table, RTPROT_STATIC);
    return talk(nl, h);
}

int vp_rtnl_neigh_add(struct vp_rtnl *nl, int ifindex, const char *addr, const unsigned char *mac)
{
    struct in_addr a;
    if (inet_pton(AF_INET, addr, &a) != 1)
        return -EINVAL;
    struct nlmsghdr *h = msg(nl, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE);
    struct ndmsg *nd = mnl_nlmsg_put_extra_header(h, sizeof *nd);
    nd->ndm_family = AF_INET;
    nd->ndm_ifindex = ifindex;
    nd->ndm_state = NUD_PERMANENT;
    mnl_attr_put(h, NDA_DST, sizeof a, &a);
    mnl_attr_put(h, NDA_LLADDR, 6, mac);
    return talk(nl, h);
}

int vp_rtnl_rule_iif(struct vp_rtnl *nl, const char *iif, int table, int priority)
{
    struct nlmsghdr *h = msg(nl, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL);
    struct fib_rule_hdr *fr = mnl_nlmsg_put_extra_header(h, sizeof *fr);
    fr->family = AF_INET;
    fr->action = FR_ACT_TO_TBL;
    fr->table = RT_TABLE_UNSPEC;
    mnl_attr_put_strz(h, FRA_IIFNAME, iif);
    mnl_attr_put_u32(h, FRA_TABLE, (uint32_t)table);
    mnl_attr_put_u32(h, FRA_PRIORITY, (uint32_t)priority);
    return talk(nl, h);
}

/* The first error the kernel queued for the batch's requests (they ask
 * for no acknowledgement, so only failures answer), or 0. */
static int batch_errors(struct vp_rtnl *nl)
{
    for (;;) {
        ssize_t got = recv(mnl_socket_get_fd(nl->s), nl->buf, sizeof nl->buf, MSG_DONTWAIT);
        if (got < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        int n = (int)got;
        for (const struct nlmsghdr *h = (void *)nl->buf; mnl_nlmsg_ok(h, n);
             h = mnl_nlmsg_next(h, &n))
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
                if (e->error != 0)
                    return e->error;
            }
    }
}

#define BATCH_BYTES (64 * 1024) /* well under a netlink socket's send buffer */
#define ROUTE_MSG   128         /* room for one route request */

int vp_rtnl_routes(struct vp_rtnl *nl, const struct vp_route_set *set, bool add, uint32_t *done)
{
    *done = 0;
    if (set->plen < 1 || set->plen > 32 || (set->plen < 32 && set->count > 1u << set->plen))
        return -EINVAL;
    struct in_addr g;
    if (set->gw && inet_pton(AF_INET, set->gw, &g) != 1)
        return -EINVAL;
    char *buf = malloc(BATCH_BYTES);
    if (buf == NULL)
        return -ENOMEM;
    uint32_t step = set->plen == 32 ? 1 : 1u << (32 - set->plen);
    int rc = 0;
    for (uint32_t k = 0; k < set->count && rc == 0;) {
        size_t len = 0;
        uint32_t first = k;
        for (; k < set->count && len + ROUTE_MSG <= BATCH_BYTES; k++) {
            struct nlmsghdr *h = put_msg(buf + len, ++nl->seq, add ? RTM_NEWROUTE : RTM_DELROUTE,
                                         add ? NLM_F_CREATE | NLM_F_EXCL : 0);
            put_route(h, htonl(set->base + k * step), set->plen, set->gw ? &g : NULL, set->oif, 0,
                      VP_RTPROT_BULK);
            len += NLMSG_ALIGN(h->nlmsg_len);
        }
        /* rtnetlink handles a send's requests before the send returns */
        if (mnl_socket_sendto(nl->s, buf, len) < 0)
            rc = -errno;
        else if ((rc = batch_errors(nl)) == 0)
            *done += k - first;
    }
    free(buf);
    return rc;
}

static int count_cb(const struct nlmsghdr *h, void *arg)
{
    const struct rtmsg *rt = mnl_nlmsg_get_payload(h);
    if (rt->rtm_protocol == VP_RTPROT_BULK)
        ++*(uint32_t *)arg;
    return MNL_CB_OK;
}

int vp_rtnl_route_count(struct vp_rtnl *nl, uint32_t *count)
{
    *count = 0;
    struct nlmsghdr *h = msg(nl, RTM_GETROUTE, NLM_F_DUMP);
    struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof *rt);
    rt->rtm_family = AF_INET;
    return talk_cb(nl, h, count_cb, count);
}

struct route_found {
    int oif, type;
};

static int route_attr_cb(const struct nlattr *a, void *arg)
{
    if (mnl_attr_get_type(a) == RTA_OIF && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
        ((struct route_found *)arg)->oif = (int)mnl_attr_get_u32(a);
    return MNL_CB_OK;
}

static int route_get_cb(const struct nlmsghdr *h, void *arg)
{
    const struct rtmsg *rt = mnl_nlmsg_get_payload(h);
    ((struct route_found *)arg)->type = rt->rtm_type;
    return mnl_attr_parse(h, sizeof *rt, route_attr_cb, arg);
}

int vp_rtnl_route_get(struct vp_rtnl *nl, int family, const void *addr, int *oif, int *type)
{
    struct nlmsghdr *h = msg(nl, RTM_GETROUTE, 0);
    struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof *rt);
    size_t len = family == AF_INET6 ? 16 : 4;
    rt->rtm_family = (unsigned char)family;
    rt->rtm_dst_len = (unsigned char)(len * 8);
    mnl_attr_put(h, RTA_DST, len, addr);
    struct route_found f = {0, 0};
    int rc = talk_cb(nl, h, route_get_cb, &f);
    *oif = f.oif;
    *type = f.type;
    return rc;
}
