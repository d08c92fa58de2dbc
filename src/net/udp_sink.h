/* The sink of UDP runs (virtperf udp-sink): receives the test datagrams of
 * any number of generators on the engine's SO_REUSEPORT sockets, counts
 * each flow exactly (net/udp_flow.h, per interval once a run's START gave
 * them), answers the control datagrams of net/udp_report.h and
 * net/udp_ctl.h, and for a run that asks for the down direction sends a
 * paced flow back to the generator from a thread of its own, with the
 * engine's sender. Built into the guest agent too: core/, net/ and
 * rtp/hist.c only. */
#ifndef VP_NET_UDP_SINK_H
#define VP_NET_UDP_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "net/udp_engine.h"
#include "net/udp_flow.h"

#define VP_UDP_SINK_MAX_FLOWS 256 /* flows (and runs) a sink keeps at once */

/* A flow the sink received, or (down) sent. */
struct vp_udp_sink_flow {
    uint64_t token;
    uint16_t id;
    bool down;             /* sent by this sink: sent is its count, f unused */
    struct vp_udp_flow *f; /* received */
    uint64_t sent;         /* down: once its sender ended */
};

struct vp_udp_sink;

int vp_udp_sink_open(const struct vp_udp_rx_cfg *cfg, struct vp_udp_sink **out, struct vp_err *err);
int vp_udp_sink_port(const struct vp_udp_sink *s);
/* Receive and answer for up to timeout_ms: 0 or -errno. */
int vp_udp_sink_poll(struct vp_udp_sink *s, int timeout_ms);
/* Stop and wait for the down senders, close the sockets; the flows stay
 * readable until vp_udp_sink_free. */
void vp_udp_sink_stop(struct vp_udp_sink *s);
void vp_udp_sink_free(struct vp_udp_sink *s);

/* What it counted: flows in the order first seen; datagrams not of a test
 * run (foreign), and of flows beyond VP_UDP_SINK_MAX_FLOWS. */
int vp_udp_sink_flows(const struct vp_udp_sink *s, const struct vp_udp_sink_flow **flows);
uint64_t vp_udp_sink_foreign(const struct vp_udp_sink *s);
uint64_t vp_udp_sink_overflow(const struct vp_udp_sink *s);

#endif
