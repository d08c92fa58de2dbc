/* The end of a UDP test: the sender says how many datagrams it sent (a FIN
 * datagram, resent until answered) and the sink answers with what it
 * received of that flow (a REPORT datagram), so the sender knows the loss
 * exactly: sent − received.
 *
 * Both are test datagrams (net/udp_wire.h) of the flow and token, flag
 * VP_UDP_FIN / VP_UDP_REPORT; a FIN's seq is the count sent. A REPORT's
 * body follows the header: eleven 64-bit integers, network byte order:
 * received, bytes, duplicates, reordered, too_late, jitter_ns, and the
 * one-way delay's count, min, p50, p99, max (ns; the sink's receive stamp −
 * the sender's, meaningful when they share a clock). */
#ifndef VP_NET_UDP_REPORT_H
#define VP_NET_UDP_REPORT_H

#include <stdint.h>

#include "net/udp_flow.h"
#include "net/udp_wire.h"

#define VP_UDP_FIN         0x02
#define VP_UDP_REPORT      0x04
#define VP_UDP_REPORT_SIZE (VP_UDP_HEADER + 11 * 8)

struct vp_udp_report {
    uint64_t received, bytes, duplicates, reordered, too_late, jitter_ns;
    uint64_t delay_count, delay_min, delay_p50, delay_p99, delay_max;
};

void vp_udp_report_of(const struct vp_udp_flow *f, struct vp_udp_report *r);
void vp_udp_report_put(uint8_t *p, const struct vp_udp_report *r);
void vp_udp_report_get(const uint8_t *p, struct vp_udp_report *r);

#endif
