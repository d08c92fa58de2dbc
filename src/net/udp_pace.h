/* Pacing on absolute deadlines, for the UDP engine's senders
 * (net/udp_engine.h) and the RTP client: sleeping until a CLOCK_MONOTONIC
 * deadline (never "for a while", so delays do not add up), and the phase
 * wheel of many flows of one period.
 *
 * The wheel: flow i of n sends its k-th datagram at start + phase(i) +
 * k * period, phase(i) = i * period / n rounded down to a multiple of the
 * tick (so one wake-up serves every flow of a tick: on a virtual machine a
 * wake-up costs tens of microseconds). Flows come due in the fixed cyclic
 * order 0..n-1, so the next deadline is the cursor's, and a flow served
 * goes back to its own place one revolution later: O(1) per datagram,
 * nothing to reorder. */
#ifndef VP_NET_UDP_PACE_H
#define VP_NET_UDP_PACE_H

#include <stdint.h>

/* Wake at deadlines within slack_ns, not the default 50 µs after them. */
void vp_udp_pace_begin(unsigned long slack_ns);
/* Sleep until the CLOCK_MONOTONIC time mono_ns (or a signal). */
void vp_udp_sleep_until(uint64_t mono_ns);

struct vp_udp_wheel {
    uint64_t start, period, tick;
    int n;
    int cur;        /* the next flow due */
    uint64_t round; /* its datagram's number */
};

void vp_udp_wheel_init(struct vp_udp_wheel *w, uint64_t start, uint64_t period, uint64_t tick,
                       int n);

/* When flow i's datagram k is due. */
static inline uint64_t vp_udp_wheel_due(const struct vp_udp_wheel *w, int i, uint64_t k)
{
    uint64_t phase = (uint64_t)i * w->period / (uint64_t)w->n;
    if (w->tick > 0) /* flows share the tick their phase falls in */
        phase -= phase % w->tick;
    return w->start + phase + k * w->period;
}

/* The next deadline, the cursor's. */
static inline uint64_t vp_udp_wheel_next(const struct vp_udp_wheel *w)
{
    return vp_udp_wheel_due(w, w->cur, w->round);
}

/* The cursor's flow was served: on to the next. */
static inline void vp_udp_wheel_advance(struct vp_udp_wheel *w)
{
    if (++w->cur == w->n) {
        w->cur = 0;
        w->round++;
    }
}

#endif
