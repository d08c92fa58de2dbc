/* One sip-uac event loop: its socket, its calls, its share of the plan and
 * its own statistics (merged by uac.c). Internal to src/sip. */
#ifndef VP_SIP_UAC_LOOP_H
#define VP_SIP_UAC_LOOP_H

#include <sys/socket.h>

#include "sip/uac.h"

#define BATCH    64
#define MSG_MAX  2048
#define RECV_MAX 4096
#define NSLOT    4096 /* timer wheel: 1 ms slots */
#define T2_NS    4000000000ull

enum cstate { C_FREE, C_CALLING, C_PROCEEDING, C_HOLD, C_BYE };

struct vp_uac_call {
    uint32_t gen, next, prev; /* wheel links: index + 1 */
    uint8_t state;
    bool got100, linked;
    uint8_t tag_len, ruri_len;
    uint16_t slot, route_len;
    uint64_t t_invite, due, deadline, retx;
    char to_tag[64], ruri[128];
    char *route;
};

struct vp_uac_io {
    struct mmsghdr smsg[BATCH], rmsg[BATCH];
    struct iovec siov[BATCH], riov[BATCH];
    char sbuf[BATCH][MSG_MAX], rbuf[BATCH][RECV_MAX];
    char ctl[BATCH][CMSG_SPACE(sizeof(struct timespec))];
    int nsend;
};

struct vp_uac_call;

struct vp_uac_loop {
    const struct vp_sip_uac_cfg *cfg;
    int index, nthreads;
    int sock, tfd, ep;
    char token[16]; /* hex: run token + thread */
    char local[64]; /* "127.0.0.1:port" */
    char target[64];
    size_t token_len, local_len, target_len;
    uint64_t t0;
    struct vp_uac_call *calls;
    uint32_t ncalls, free_head; /* free list, index + 1 */
    uint32_t used_max;          /* slots below this were ever used */
    uint32_t *wheel;            /* timer slots: list heads, index + 1 */
    uint64_t wheel_ms;          /* last processed millisecond */
    uint64_t wheel_min;         /* no timer is due before this */
    uint64_t armed;             /* the timerfd's expiry */
    uint64_t active, max_active, ntimers;
    uint64_t next_start, planned; /* next planned start (ns since t0), calls planned */
    uint64_t seg_start, seg_k;    /* the plan's current constant-rate segment */
    double seg_rate;
    bool starting, any_answer;
    struct vp_sip_interval *iv;
    int niv, niv_used;
    struct vp_hist lateness;
    uint64_t abandoned;
    bool interrupted;
    struct vp_uac_io *io;
    int rc;
    struct vp_err err;
};

int vp_uac_loop_init(struct vp_uac_loop *l, const struct vp_sip_uac_cfg *cfg, int index, int n,
                     uint32_t token, uint64_t t0, struct vp_err *err);
int vp_uac_loop_run(struct vp_uac_loop *l);
void vp_uac_loop_free(struct vp_uac_loop *l);

#endif
