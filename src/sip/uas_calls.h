/* One worker's calls in the signaling server (virtperf sip-uas): its INVITE
 * and BYE server transactions and dialogs by Call-ID, the queue of INVITEs
 * waiting for their work, and their timers; no socket, thread or clock of
 * its own, so that tests drive it with theirs.
 *
 * Bounded, so that a peer that never ACKs (spoofed sources) costs at most
 * cfg->max_calls entries and cfg->max_retransmits datagrams a second:
 * - an INVITE that finds the table full is answered 503 statelessly (the
 *   same To tag for the same Call-ID, nothing stored) and counted;
 * - entries leave on RFC 3261's timers once their transaction ends: a 200
 *   or 503 never acknowledged after Timer H (64*T1), a 503's ACK after
 *   Timer I (T4), a BYE's 200 after Timer J (64*T1);
 * - only an ACK carrying the To tag of our 200 (a keyed hash: a blind peer
 *   cannot guess it) confirms a dialog, which then keeps no response, only
 *   its Call-ID, until its BYE (at most an hour);
 * - the 200 is retransmitted until its ACK (T1 doubling up to T2) within a
 *   token bucket of cfg->max_retransmits a second (burst: one second's);
 *   a retransmission past it is skipped (the timer still backs off) and
 *   counted. */
#ifndef VP_SIP_UAS_CALLS_H
#define VP_SIP_UAS_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sip/msg.h"
#include "sip/uas.h"

/* Where the calls' datagrams go: send copies msg (sent later, in a batch). */
struct vp_sip_uas_io {
    void (*send)(void *ctx, const struct sockaddr *to, socklen_t tolen, const char *msg,
                 size_t len);
    void *ctx;
};

struct vp_sip_uas_calls;

/* cfg and io must outlive the table. Returns 0 or -ENOMEM. */
int vp_sip_uas_calls_new(const struct vp_sip_uas_cfg *cfg, int index,
                         const struct vp_sip_uas_io *io, struct vp_sip_uas_calls **out);
void vp_sip_uas_calls_free(struct vp_sip_uas_calls *k);

/* One received datagram at time now (ns, monotonic). */
void vp_sip_uas_calls_input(struct vp_sip_uas_calls *k, const char *buf, size_t len,
                            const struct sockaddr *from, socklen_t fromlen, uint64_t now);

/* Take the oldest queued INVITE (its 180 sent when cfg->ringing): true with
 * its Call-ID in *cid, false when none waits. vp_sip_uas_calls_answer then
 * sends its 200 once the caller has done the call's work. */
bool vp_sip_uas_calls_begin(struct vp_sip_uas_calls *k, struct vp_sip_str *cid);
void vp_sip_uas_calls_answer(struct vp_sip_uas_calls *k, uint64_t now);

/* Timers: 200 retransmissions and expiry; call every few ms. Expired
 * entries are freed by a sweep that covers the table every 64 calls. */
void vp_sip_uas_calls_tick(struct vp_sip_uas_calls *k, uint64_t now);

uint64_t vp_sip_uas_calls_count(const struct vp_sip_uas_calls *k);  /* entries now */
uint64_t vp_sip_uas_calls_queued(const struct vp_sip_uas_calls *k); /* INVITEs waiting */
struct vp_sip_uas_stats *vp_sip_uas_calls_stats(struct vp_sip_uas_calls *k);

#endif
