#include "net/pace.h"

#include <sys/prctl.h>
#include <time.h>

#include "core/clock.h"
#include "core/signals.h"

uint64_t vp_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void vp_pace_start(struct vp_pace *p, double rate, int batch, uint64_t duration_ns,
                   struct vp_hist *late)
{
    vp_pace_slack(1000);
    *p = (struct vp_pace){.rate = rate, .batch = batch, .late = late};
    if (late)
        vp_hist_init(late);
    p->start = vp_now_ns();
    p->end = p->start + duration_ns;
}

void vp_pace_slack(unsigned long slack_ns)
{
    prctl(PR_SET_TIMERSLACK, slack_ns, 0, 0, 0);
}

void vp_pace_sleep_until(uint64_t mono_ns)
{
    struct timespec ts = {(time_t)(mono_ns / 1000000000ull), (long)(mono_ns % 1000000000ull)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

int vp_pace_next(struct vp_pace *p)
{
    if (p->rate <= 0)
        return vp_now_ns() >= p->end || vp_interrupted || vp_stop_requested ? 0 : p->batch;
    /* the plan: the items due before the end; a wake-up that comes late,
     * even past the end, still sends them (late, as its lateness says),
     * for VP_PACE_GRACE_NS at most: a path that refuses them ends it */
    const uint64_t plan = (uint64_t)((double)(p->end - p->start) * p->rate / 1e9);
    for (;;) {
        uint64_t now = vp_now_ns();
        if (p->done >= plan || now >= p->end + VP_PACE_GRACE_NS || vp_interrupted ||
            vp_stop_requested)
            return 0;
        /* items due by now: k with start + k/R <= now */
        uint64_t due = (uint64_t)((double)(now - p->start) * p->rate / 1e9) + 1;
        if (due > plan)
            due = plan;
        uint64_t deadline = p->start + (uint64_t)((double)p->done * 1e9 / p->rate);
        if (due <= p->done) {
            vp_pace_sleep_until(deadline);
            continue;
        }
        if (p->late)
            vp_hist_add(p->late, now > deadline ? now - deadline : 0);
        return due - p->done < (uint64_t)p->batch ? (int)(due - p->done) : p->batch;
    }
}

uint64_t vp_pace_finish(const struct vp_pace *p, uint64_t sent, uint64_t *planned)
{
    uint64_t now = vp_now_ns(), elapsed = now - p->start;
    /* the plan ends with the run: a last wake-up that came late (or the
     * time spent after the end) plans nothing more */
    uint64_t planned_ns = (now < p->end ? now : p->end) - p->start;
    *planned = p->rate > 0 ? (uint64_t)((double)planned_ns * p->rate / 1e9) : sent;
    if (*planned < sent)
        *planned = sent;
    return elapsed;
}

bool vp_pace_behind(double rate, uint64_t sent, uint64_t planned, const struct vp_hist *late,
                    uint64_t cpu_ns, uint64_t elapsed_ns)
{
    if (rate > 0)
        return (double)sent < 0.99 * (double)planned ||
               (late && vp_hist_percentile(late, 99) > VP_PACE_LATE_LIMIT_NS);
    return cpu_ns > elapsed_ns * 9 / 10;
}

void vp_pace_wheel_init(struct vp_pace_wheel *w, uint64_t start, uint64_t period, uint64_t tick,
                        int n)
{
    *w = (struct vp_pace_wheel){.start = start, .period = period, .tick = tick, .n = n};
}
