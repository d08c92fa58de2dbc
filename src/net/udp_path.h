/* What the path from a connected UDP socket can carry: a datagram within
 * its MTU without fragments (UDP payload 1472 bytes at MTU 1500, 8972 with
 * jumbo frames at 9000; 65507 is UDP over IPv4's absolute limit, which only
 * loopback's MTU reaches), and a rate within the outgoing link's speed
 * where the kernel knows one (/sys/class/net/IF/speed: Ethernet and veth;
 * loopback has none). */
#ifndef VP_NET_UDP_PATH_H
#define VP_NET_UDP_PATH_H

#include <stdint.h>

#include "core/error.h"

/* IPv4 + UDP headers (IPv6: 48), and what Ethernet adds on the wire per
 * frame (header, FCS, preamble, gap). */
#define VP_UDP_IP4_OVERHEAD 28
#define VP_UDP_IP6_OVERHEAD 48
#define VP_UDP_ETH_OVERHEAD 38

/* An input error when size does not fit the path's MTU, or when rate
 * datagrams/s of size (0: unpaced, not checked) are past the link's
 * speed. *mtu and *speed_mbps are what was found (0: unknown). */
int vp_udp_path_check(int fd, uint32_t size, double rate, int *mtu, long *speed_mbps,
                      struct vp_err *err);

#endif
