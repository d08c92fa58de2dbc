/* The UDP load's sink (virtperf udp-sink, role udp-sink): its options,
 * shared by the command and experiment files. */
#ifndef VP_DRIVERS_UDP_SINK_H
#define VP_DRIVERS_UDP_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/server.h"

struct vp_udp_sink_opts {
    char listen[VP_STR_MAX];
    int64_t sockets;
    uint64_t duration;
    bool echo, json;
};
extern const struct vp_opt vp_udp_sink_opt_table[];

extern const struct vp_server vp_server_udp_sink;

#endif
