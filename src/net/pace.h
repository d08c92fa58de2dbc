/* Sending on absolute deadlines, shared by the UDP engine, the RTP client
 * and the packet generator: item k of a run at rate R is due at start + k/R. Each wake-up
 * hands out what is due, at most `batch` items, then sleeps until the next
 * deadline (clock_nanosleep, TIMER_ABSTIME, 1 us timer slack), so no burst
 * is larger than a batch; a sender that fell behind catches up a batch at a
 * time, and how late each batch left (after its first item's deadline) is
 * kept. Rate 0: unpaced, a full batch at every call.
 *
 *     struct vp_pace p;
 *     vp_pace_start(&p, rate, batch, duration_ns, &st->late);
 *     for (int n; (n = vp_pace_next(&p)) > 0;)
 *         p.done += send(n);              // what the kernel took
 *     st->elapsed_ns = vp_pace_finish(&p, st->sent, &st->planned);
 */
#ifndef VP_NET_PACE_H
#define VP_NET_PACE_H

#include <stdbool.h>
#include <stdint.h>

#include "rtp/hist.h"

/* How long after its end a paced sender may still send what was due. */
#define VP_PACE_GRACE_NS 50000000

/* A paced sender whose batches leave later than this at p99 is the limit. */
#define VP_PACE_LATE_LIMIT_NS 1000000

struct vp_pace {
    double rate;          /* items per second; 0: unpaced */
    int batch;            /* items per wake-up at most */
    uint64_t start, end;  /* CLOCK_MONOTONIC ns */
    uint64_t done;        /* items sent so far: the caller adds what went */
    struct vp_hist *late; /* paced: per batch, ns after its deadline (may be NULL) */
};

/* Start a run of duration_ns now; late is initialised. Also sets this
 * thread's timer slack to 1 us (wake at the deadline, not 50 us after). */
void vp_pace_start(struct vp_pace *p, double rate, int batch, uint64_t duration_ns,
                   struct vp_hist *late);

/* Sleep until something is due; how many items to send now (1..batch), or
 * 0 once the run is over: paced, its plan sent (a late last wake-up still
 * sends what was due before the end, up to VP_PACE_GRACE_NS after it);
 * unpaced, its end reached; or SIGINT/SIGTERM, or SIGUSR1 (a stoppable load
 * asked to end). */
int vp_pace_next(struct vp_pace *p);

/* The run's elapsed ns; *planned: paced, the items due before it ended
 * (at least sent); unpaced, sent. */
uint64_t vp_pace_finish(const struct vp_pace *p, uint64_t sent, uint64_t *planned);

/* Whether the sender, not what it sends into, was the limit: paced, it
 * fell behind its plan (under 99% of it sent, or batches late past
 * VP_PACE_LATE_LIMIT_NS at p99); unpaced, it kept its core busy (over 90%
 * of the elapsed time on CPU). */
bool vp_pace_behind(double rate, uint64_t sent, uint64_t planned, const struct vp_hist *late,
                    uint64_t cpu_ns, uint64_t elapsed_ns);

/* CPU time of the calling thread, ns. */
uint64_t vp_thread_cpu_ns(void);

/* Wake at deadlines within slack_ns, not the default 50 us after them
 * (the calling thread's timer slack; vp_pace_start sets 1 us). */
void vp_pace_slack(unsigned long slack_ns);
/* Sleep until the CLOCK_MONOTONIC time mono_ns (or a signal): never "for a
 * while", so delays do not add up. */
void vp_pace_sleep_until(uint64_t mono_ns);

/* The phase wheel of many flows of one period (the RTP client's streams):
 * flow i of n sends its k-th datagram at start + phase(i) + k * period,
 * phase(i) = i * period / n rounded down to a multiple of the tick (so one
 * wake-up serves every flow of a tick: on a virtual machine a wake-up
 * costs tens of microseconds). Flows come due in the fixed cyclic order
 * 0..n-1, so the next deadline is the cursor's, and a flow served goes
 * back to its own place one revolution later: O(1) per datagram, nothing
 * to reorder. */
struct vp_pace_wheel {
    uint64_t start, period, tick;
    int n;
    int cur;        /* the next flow due */
    uint64_t round; /* its datagram's number */
};

void vp_pace_wheel_init(struct vp_pace_wheel *w, uint64_t start, uint64_t period, uint64_t tick,
                        int n);

/* When flow i's datagram k is due. */
static inline uint64_t vp_pace_wheel_due(const struct vp_pace_wheel *w, int i, uint64_t k)
{
    uint64_t phase = (uint64_t)i * w->period / (uint64_t)w->n;
    if (w->tick > 0) /* flows share the tick their phase falls in */
        phase -= phase % w->tick;
    return w->start + phase + k * w->period;
}

/* The next deadline, the cursor's. */
static inline uint64_t vp_pace_wheel_next(const struct vp_pace_wheel *w)
{
    return vp_pace_wheel_due(w, w->cur, w->round);
}

/* The cursor's flow was served: on to the next. */
static inline void vp_pace_wheel_advance(struct vp_pace_wheel *w)
{
    if (++w->cur == w->n) {
        w->cur = 0;
        w->round++;
    }
}

#endif
