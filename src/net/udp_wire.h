/* The test datagram of the UDP engine (net/udp_engine.h): a 32-byte header,
 * integers in network byte order, then padding to the datagram's size.
 *
 *   off size field
 *     0   4  magic    "VPUD" (0x56505544)
 *     4   1  version  1
 *     5   1  flags    VP_UDP_ECHOED: a sink sent it back
 *     6   2  flow     the sending socket's flow number
 *     8   8  seq      per flow, from 0, +1 per datagram
 *    16   8  tx_ns    the sender's CLOCK_REALTIME when its batch left
 *    24   8  token    the run's random token (a stray datagram of another
 *                     run is not counted)
 *
 * Datagrams are 64 to 65507 bytes of UDP payload (65507: the IPv4 limit). */
#ifndef VP_NET_UDP_WIRE_H
#define VP_NET_UDP_WIRE_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define VP_UDP_MAGIC    0x56505544u
#define VP_UDP_VERSION  1
#define VP_UDP_HEADER   32
#define VP_UDP_MIN_SIZE 64
#define VP_UDP_MAX_SIZE 65507
#define VP_UDP_ECHOED   0x01

struct vp_udp_header {
    uint8_t flags;
    uint16_t flow;
    uint64_t seq, tx_ns, token;
};

static inline void vp_udp_header_put(uint8_t *p, const struct vp_udp_header *h)
{
    uint32_t magic = htobe32(VP_UDP_MAGIC);
    uint16_t flow = htobe16(h->flow);
    uint64_t seq = htobe64(h->seq), tx = htobe64(h->tx_ns), token = htobe64(h->token);
    memcpy(p, &magic, 4);
    p[4] = VP_UDP_VERSION;
    p[5] = h->flags;
    memcpy(p + 6, &flow, 2);
    memcpy(p + 8, &seq, 8);
    memcpy(p + 16, &tx, 8);
    memcpy(p + 24, &token, 8);
}

/* False for anything that is not a test datagram of this version. */
static inline bool vp_udp_header_get(const uint8_t *p, size_t len, struct vp_udp_header *h)
{
    uint32_t magic;
    uint16_t flow;
    uint64_t seq, tx, token;
    if (len < VP_UDP_HEADER)
        return false;
    memcpy(&magic, p, 4);
    if (be32toh(magic) != VP_UDP_MAGIC || p[4] != VP_UDP_VERSION)
        return false;
    memcpy(&flow, p + 6, 2);
    memcpy(&seq, p + 8, 8);
    memcpy(&tx, p + 16, 8);
    memcpy(&token, p + 24, 8);
    *h = (struct vp_udp_header){p[5], be16toh(flow), be64toh(seq), be64toh(tx), be64toh(token)};
    return true;
}

/* The interval of a datagram sent at tx_ns, of n intervals from epoch_ns
 * (both the sender's clock): the sender counts what it sent by it and the
 * receiver what it received, from the same stamp, so the two agree exactly.
 * Stamps outside the run fall in its first or last interval. */
static inline uint32_t vp_udp_interval_of(uint64_t tx_ns, uint64_t epoch_ns, uint64_t interval_ns,
                                          uint32_t n)
{
    if (n == 0 || interval_ns == 0)
        return 0;
    uint64_t i = tx_ns > epoch_ns ? (tx_ns - epoch_ns) / interval_ns : 0;
    return i < n ? (uint32_t)i : n - 1;
}

#endif
