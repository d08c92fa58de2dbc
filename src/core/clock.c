#include "core/clock.h"

#include <errno.h>
#include <time.h>

#include "core/signals.h"

static uint64_t read_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t vp_now_ns(void)
{
    return read_clock(CLOCK_MONOTONIC);
}

uint64_t vp_wall_ns(void)
{
    return read_clock(CLOCK_REALTIME);
}

uint64_t vp_cpu_self_ns(void)
{
    return read_clock(CLOCK_PROCESS_CPUTIME_ID);
}

int vp_sleep_ns(uint64_t ns)
{
    uint64_t deadline = vp_now_ns() + ns;
    for (;;) {
        if (vp_interrupted)
            return -EINTR;
        uint64_t now = vp_now_ns();
        if (now >= deadline)
            return 0;
        /* wake at least every 100 ms to notice an interrupt */
        uint64_t step = deadline - now < 100000000u ? deadline - now : 100000000u;
        struct timespec ts = {.tv_sec = (time_t)(step / 1000000000u),
                              .tv_nsec = (long)(step % 1000000000u)};
        nanosleep(&ts, NULL);
    }
}
