/* The TCP sink (virtperf tcp-sink): its options, shared by the command and
 * experiment files. */
#ifndef VP_DRIVERS_TCP_SINK_H
#define VP_DRIVERS_TCP_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/server.h"

struct vp_tcp_sink_opts {
    char listen[VP_STR_MAX];
    uint64_t duration;
    bool json;
};
extern const struct vp_opt vp_tcp_sink_opt_table[];

extern const struct vp_server vp_server_tcp_sink;

#endif
