/* The TCP load's sink end: one listening socket serving generator runs
 * one after another (net/tcp_wire.h). A run's control connection says how
 * many streams, which way and for how long; the sink takes that many
 * streams of the run's token, says START, receives (and sends, for down
 * and both) until the generator's STOP, sends its samples at every
 * interval's end on its own clock and, once every stream it receives has
 * ended, its final figures. A second generator while a run is on is told
 * the sink is busy. */
#ifndef VP_NET_TCP_SINK_H
#define VP_NET_TCP_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"

struct vp_tcp_sink;

/* One run as the sink saw it. */
struct vp_tcp_sink_run {
    char peer[64]; /* the generator's control address */
    int streams, dir;
    uint32_t length;
    uint64_t rx_bytes, tx_bytes; /* all streams */
    uint64_t rx_elapsed_ns;      /* the start to the last byte received */
    uint64_t elapsed_ns;         /* the start to the report */
    double rx_cpu, tx_cpu;       /* its workers' CPU, fraction of a core */
    bool ok;
    char error[256]; /* why it failed, when !ok */
};

int vp_tcp_sink_open(const struct sockaddr_storage *at, socklen_t len, struct vp_tcp_sink **out,
                     struct vp_err *err);
void vp_tcp_sink_close(struct vp_tcp_sink *k);
int vp_tcp_sink_port(const struct vp_tcp_sink *k);
/* Wait up to timeout_ms for a generator and serve its run: 1 (with *run,
 * ok or not), 0 when none came (or a signal did), or an error of the sink
 * itself. */
int vp_tcp_sink_serve(struct vp_tcp_sink *k, int timeout_ms, struct vp_tcp_sink_run *run);

#endif
