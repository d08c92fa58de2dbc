#include "net/udp_pace.h"

#include <sys/prctl.h>
#include <time.h>

void vp_udp_pace_begin(unsigned long slack_ns)
{
    prctl(PR_SET_TIMERSLACK, slack_ns, 0, 0, 0);
}

void vp_udp_sleep_until(uint64_t mono_ns)
{
    struct timespec ts = {(time_t)(mono_ns / 1000000000ull), (long)(mono_ns % 1000000000ull)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

void vp_udp_wheel_init(struct vp_udp_wheel *w, uint64_t start, uint64_t period, uint64_t tick,
                       int n)
{
    *w = (struct vp_udp_wheel){.start = start, .period = period, .tick = tick, .n = n};
}
