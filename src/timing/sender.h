/* Sending round marks to a time server (timing/server.h) and collecting its
 * authenticated acknowledgements, retransmitting with backoff (20 ms,
 * doubling up to 500 ms) until they come or the time limit passes.
 *
 * A mark can be posted (sent once, no waiting) and waited for later, so a
 * round's start mark leaves just before the round's clock starts and the
 * round does not wait for the server: the round driver posts the start,
 * then at the end posts the end and waits for both.
 *
 * The seq of a mark is round * 4 + kind: a retransmission is the same mark
 * to the server (counted once), while another mark for the same round and
 * kind (a script running `virtperf mark end` twice) carries another clock
 * reading and is refused as a replay. The copy number in each datagram tells
 * which copy the server stamped. */
#ifndef VP_TIMING_SENDER_H
#define VP_TIMING_SENDER_H

#include <stdint.h>

#include "core/error.h"
#include "timing/probe.h"

struct vp_mark_client_cfg {
    const char *server; /* "ADDR:PORT" */
    struct vp_probe_key key;
    uint64_t token;
    const char *appliance;
    uint64_t timeout_ns; /* per wait; 0: 5 s */
};

/* What the server said about a mark. */
struct vp_mark_ack {
    uint64_t server_ns; /* its receive time of the first copy to arrive */
    int stamped_copy;   /* which copy that was (1 unless the first was lost) */
    int copies;         /* copies sent */
};

struct vp_mark_client;

int vp_mark_client_open(const struct vp_mark_client_cfg *cfg, struct vp_mark_client **out,
                        struct vp_err *err);
void vp_mark_client_close(struct vp_mark_client *c);

/* Send the first copy of a mark (one outstanding mark per kind). */
int vp_mark_post(struct vp_mark_client *c, int kind, uint32_t round, struct vp_err *err);

/* Wait for the acknowledgement of the posted mark of this kind, meanwhile
 * retransmitting every outstanding mark that is due. No acknowledgement in
 * time is a run error naming the server. */
int vp_mark_wait(struct vp_mark_client *c, int kind, struct vp_mark_ack *ack, struct vp_err *err);

/* Post and wait. */
int vp_mark_send(struct vp_mark_client *c, int kind, uint32_t round, struct vp_mark_ack *ack,
                 struct vp_err *err);

/* A round's two marks as the server stamped them. */
struct vp_mark_round {
    uint64_t start_ns, end_ns; /* the server's receive stamps (CLOCK_REALTIME) */
    int copies;                /* datagrams sent for the two (2 when none was lost) */
};

/* Wait for the acknowledgements of a round's posted start and end marks.
 * A first copy lost (stamped late) or the server's clock stepped back
 * between them is a run error: the round cannot be timed externally. */
int vp_mark_round_wait(struct vp_mark_client *c, uint32_t round, struct vp_mark_round *out,
                       struct vp_err *err);

#endif
