/* Host CPU use from /proc/stat: the share of all CPUs' time spent busy
 * (everything but idle and iowait) between two readings, in percent. */
#ifndef VP_RUN_HOSTCPU_H
#define VP_RUN_HOSTCPU_H

#include <stdint.h>

#include "analysis/stats.h"
#include "core/error.h"

struct vp_cpu_times {
    uint64_t busy, total; /* jiffies over all CPUs */
};

int vp_cpu_times_read(struct vp_cpu_times *t);
/* Busy percent between a and b; NaN when no time passed. */
double vp_cpu_busy_pct(const struct vp_cpu_times *a, const struct vp_cpu_times *b);

/* Sample every interval_ns for duration_ns; one busy percent per interval,
 * summarised. Interrupts end it early with -EINTR. */
int vp_cpu_sample(uint64_t duration_ns, uint64_t interval_ns, struct vp_summary *s,
                  struct vp_err *err);

#endif
