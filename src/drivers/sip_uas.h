/* The SIP signaling server (virtperf sip-uas): its options, shared by the
 * command and experiment files. */
#ifndef VP_DRIVERS_SIP_UAS_H
#define VP_DRIVERS_SIP_UAS_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/server.h"

struct vp_sip_uas_opts {
    char listen[VP_STR_MAX], disk_log[VP_STR_MAX];
    int64_t threads, queue_limit, max_calls, max_retransmits;
    uint64_t work, t1;
    int sync; /* 0 none, 1 fsync */
    bool ringing;
};
extern const struct vp_opt vp_sip_uas_opt_table[];

extern const struct vp_server vp_server_sip_uas;

#endif
