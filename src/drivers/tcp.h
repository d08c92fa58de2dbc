/* The tcp driver (virtperf tcp-gen): its options, shared by the command
 * and experiment files, and the figures of a stored run. */
#ifndef VP_DRIVERS_TCP_H
#define VP_DRIVERS_TCP_H

#include <stdint.h>

#include "core/opt.h"

struct vp_tcp_gen_opts {
    char target[VP_STR_MAX];
    int64_t streams, token;
    int direction; /* enum vp_tcp_dir - 1 */
    uint64_t duration, interval, length, window, connect_timeout;
};
extern const struct vp_opt vp_tcp_gen_opt_table[];

/* A run's figures, from tcp_runs; a direction the run did not use has
 * bytes -1 and NaN figures. */
struct vp_load_tcp {
    int streams;
    char direction[8];
    int64_t up_bytes, down_bytes;
    double up_mbps, down_mbps;
    int64_t up_retrans, down_retrans;
    double duration_s;
    double generator_cpu_pct, sender_cpu_pct;
};

#endif
