#include "net/udp_path.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static bool same_address(const struct sockaddr *a, const struct sockaddr_storage *b)
{
    if (a == NULL || a->sa_family != b->ss_family)
        return false;
    if (a->sa_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->sa_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
    return false;
}

/* The speed of the interface holding the socket's local address, Mbit/s;
 * 0 when the kernel reports none. */
static long link_speed(int fd, char *ifname, size_t len)
{
    struct sockaddr_storage local;
    socklen_t slen = sizeof local;
    struct ifaddrs *ifs = NULL;
    long speed = 0;
    ifname[0] = '\0';
    if (getsockname(fd, (struct sockaddr *)&local, &slen) < 0 || getifaddrs(&ifs) < 0)
        return 0;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next)
        if (same_address(i->ifa_addr, &local)) {
            snprintf(ifname, len, "%s", i->ifa_name);
            break;
        }
    freeifaddrs(ifs);
    char path[64 + IF_NAMESIZE];
    snprintf(path, sizeof path, "/sys/class/net/%s/speed", ifname);
    FILE *f = ifname[0] ? fopen(path, "r") : NULL;
    if (f && fscanf(f, "%ld", &speed) != 1)
        speed = 0;
    if (f)
        fclose(f);
    return speed > 0 ? speed : 0;
}

int vp_udp_path_check(int fd, uint32_t size, double rate, int *mtu, long *speed_mbps,
                      struct vp_err *err)
{
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    bool v6 = getpeername(fd, (struct sockaddr *)&peer, &plen) == 0 && peer.ss_family == AF_INET6;
    int overhead = v6 ? VP_UDP_IP6_OVERHEAD : VP_UDP_IP4_OVERHEAD;
    socklen_t ml = sizeof *mtu;
    *mtu = 0;
    *speed_mbps = 0;
    if (getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU, mtu, &ml) < 0)
        *mtu = 0;
    if (*mtu > 0 && size > (uint32_t)(*mtu - overhead))
        return vp_input_error(err,
                              "--size %u: over the %d bytes a datagram carries unfragmented on "
                              "this path (MTU %d; 64..1472 at 1500, up to 8972 with jumbo frames, "
                              "65507 at most)",
                              size, *mtu - overhead, *mtu);
    char ifname[IF_NAMESIZE + 1];
    *speed_mbps = link_speed(fd, ifname, sizeof ifname);
    double wire = (double)(size + (uint32_t)overhead + VP_UDP_ETH_OVERHEAD) * 8; /* bits */
    if (rate > 0 && *speed_mbps > 0 && rate * wire > (double)*speed_mbps * 1e6)
        return vp_input_error(err,
                              "--rate %g: %.0f Mbit/s of %u-byte datagrams is past the %ld Mbit/s "
                              "the link (%s) can carry",
                              rate, rate * wire / 1e6, size, *speed_mbps, ifname);
    return 0;
}
