/* The media server (virtperf media-server): its options, shared by the
 * command and experiment files. */
#ifndef VP_DRIVERS_MEDIA_SERVER_H
#define VP_DRIVERS_MEDIA_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/server.h"

/* --work: what each relayed packet costs. */
enum vp_media_work { VP_MEDIA_WORK_NONE, VP_MEDIA_WORK_TRANSCODE };
extern const char *const vp_media_work_names[];

/* --gso: the kernel's UDP batching, on by default. Off makes every
 * datagram its own skb on the way out, for a capture on a virtual interface
 * (lo, veth), which sees a GSO message as one long packet. */
enum vp_gso { VP_GSO_OFF, VP_GSO_ON };
extern const char *const vp_gso_names[];

struct vp_media_server_opts {
    char listen[VP_STR_MAX], peer[VP_STR_MAX];
    int64_t threads, fir_taps;
    int work; /* enum vp_media_work */
    int gso;  /* enum vp_gso */
    uint64_t duration;
    bool json;
};
extern const struct vp_opt vp_media_server_opt_table[];

extern const struct vp_server vp_server_media;

#endif
