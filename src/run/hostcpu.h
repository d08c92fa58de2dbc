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

/* What a set of processes has used so far, CPU nanoseconds (cumulative). */
typedef int (*vp_cpu_ns_fn)(void *arg, uint64_t *ns, struct vp_err *err);

/* Sample every interval_ns for duration_ns; one busy percent of the host per
 * interval, summarised in host. With apps_ns, also the percent of the host's
 * CPU time (the same intervals, the same denominator) that apps_ns grew by,
 * in apps. Interrupts end it early with -EINTR. */
int vp_cpu_sample(uint64_t duration_ns, uint64_t interval_ns, vp_cpu_ns_fn apps_ns, void *arg,
                  struct vp_summary *host, struct vp_summary *apps, struct vp_err *err);

#endif
