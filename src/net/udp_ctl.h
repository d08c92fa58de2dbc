/* The control datagrams of a UDP run between udp-gen and udp-sink, besides
 * the FIN and REPORT of net/udp_report.h. Each is a test datagram (header
 * of net/udp_wire.h, the run's token) whose body is 64-bit integers in
 * network byte order; the generator resends a request every few ms until
 * the sink answers it (the answer's flags: the request's | VP_UDP_REPORT).
 *
 *   START (flow: the up flow)  the run's plan, before any data: intervals
 *       and their epoch (the generator's clock), the directions, and for
 *       the down direction the flow, size, rate, duration, batch and the
 *       generator's receiving port (its address: the START's source). The
 *       answer carries the down flow's epoch (the sink's clock), 0 or the
 *       errno of a down sender the sink could not start, and in its header
 *       the sink's clock (a check that both ends read the same clock).
 *       A START repeated is answered again; it starts nothing twice.
 *   FIN (flow: the down flow, seq: 1 to stop it now, 0 to let it end)
 *       answered, once the sink's sender has ended, with what it sent
 *       (struct vp_udp_tx_report).
 *   PAGE (flow, seq: the first index wanted, body: the kind)  a page of the
 *       flow's intervals (up: the sink's receive figures; down: what the
 *       sink sent in each) or of its delay buckets (up only; non-empty ones,
 *       from the index on). The answer: the kind, the records' count, the
 *       next index to ask for, then the records.
 *
 * A run starts nothing the sink would keep: a down sender stops at the end
 * of its duration whatever happens to the generator. */
#ifndef VP_NET_UDP_CTL_H
#define VP_NET_UDP_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/udp_flow.h"
#include "net/udp_report.h"
#include "net/udp_wire.h"

#define VP_UDP_START 0x08
#define VP_UDP_PAGE  0x10

/* Directions of a run (bits). */
#define VP_UDP_UP   1u
#define VP_UDP_DOWN 2u

/* Flow numbers: the generator's, the sink's answer. */
#define VP_UDP_FLOW_UP   1
#define VP_UDP_FLOW_DOWN 2

struct vp_udp_start {
    uint64_t interval_ns, epoch_ns;
    uint32_t nintervals;
    unsigned directions;
    /* down: the flow the sink sends back */
    uint16_t down_flow, down_port;
    uint32_t down_size, down_batch;
    double down_rate; /* datagrams/s; 0: unpaced */
    uint64_t down_duration_ns;
};

struct vp_udp_start_ack {
    uint64_t down_epoch_ns;
    uint64_t error; /* 0, or the errno of the down sender that did not start */
};

/* A sender's figures (the sink's down sender): struct vp_udp_tx_stats'. */
struct vp_udp_tx_report {
    uint64_t sent, planned, refused, calls, cpu_ns, elapsed_ns;
    uint64_t late_count, late_p50, late_p99, late_max;
};

enum vp_udp_page_kind { VP_UDP_PAGE_INTERVALS, VP_UDP_PAGE_BUCKETS };

#define VP_UDP_PAGE_INTERVALS_MAX 16 /* records per answer: fit a 1500-byte MTU */
#define VP_UDP_PAGE_BUCKETS_MAX   64

/* A page's answer: count records from first; ask for next (nothing more
 * once next >= the number of intervals or buckets). */
struct vp_udp_page {
    enum vp_udp_page_kind kind;
    uint64_t first, next;
    uint32_t count;
    struct vp_udp_ival iv[VP_UDP_PAGE_INTERVALS_MAX]; /* intervals */
    uint64_t bucket[VP_UDP_PAGE_BUCKETS_MAX][2];      /* buckets: index, count */
};

/* Each writes header and body to p (VP_UDP_REPLY_MAX bytes will do) and
 * returns the datagram's length; each get is false for a body too short. */
size_t vp_udp_start_put(uint8_t *p, const struct vp_udp_header *h, const struct vp_udp_start *s);
bool vp_udp_start_get(const uint8_t *p, size_t len, struct vp_udp_start *s);
size_t vp_udp_start_ack_put(uint8_t *p, const struct vp_udp_header *h,
                            const struct vp_udp_start_ack *a);
bool vp_udp_start_ack_get(const uint8_t *p, size_t len, struct vp_udp_start_ack *a);
size_t vp_udp_tx_report_put(uint8_t *p, const struct vp_udp_header *h,
                            const struct vp_udp_tx_report *r);
bool vp_udp_tx_report_get(const uint8_t *p, size_t len, struct vp_udp_tx_report *r);
/* A request's body is the kind only. */
size_t vp_udp_page_ask_put(uint8_t *p, const struct vp_udp_header *h, enum vp_udp_page_kind kind);
bool vp_udp_page_ask_get(const uint8_t *p, size_t len, enum vp_udp_page_kind *kind);
size_t vp_udp_page_put(uint8_t *p, const struct vp_udp_header *h, const struct vp_udp_page *pg);
bool vp_udp_page_get(const uint8_t *p, size_t len, struct vp_udp_page *pg);

/* Fill a page of f's intervals from first; or of its delay buckets. */
void vp_udp_page_of_intervals(const struct vp_udp_flow *f, uint64_t first, struct vp_udp_page *pg);
void vp_udp_page_of_buckets(const struct vp_udp_flow *f, uint64_t first, struct vp_udp_page *pg);

#endif
