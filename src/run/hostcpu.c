#include "run/hostcpu.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"

int vp_cpu_times_read(struct vp_cpu_times *t)
{
    uint64_t v[10] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (f == NULL)
        return -errno;
    int n = fscanf(f,
                   "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                   " %" SCNu64 " %" SCNu64,
                   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n < 5)
        return -EIO;
    /* user nice system idle iowait irq softirq steal (guest time is in user) */
    t->total = 0;
    for (int i = 0; i < 8; i++)
        t->total += v[i];
    t->busy = t->total - v[3] - v[4];
    return 0;
}

double vp_cpu_busy_pct(const struct vp_cpu_times *a, const struct vp_cpu_times *b)
{
    if (b->total <= a->total)
        return NAN;
    return 100.0 * (double)(b->busy - a->busy) / (double)(b->total - a->total);
}

int vp_cpu_sample(uint64_t duration_ns, uint64_t interval_ns, struct vp_summary *s,
                  struct vp_err *err)
{
    int n = (int)(duration_ns / interval_ns), k = 0, rc = 0;
    if (n < 1)
        n = 1;
    double *pct = calloc((size_t)n, sizeof *pct);
    struct vp_cpu_times a, b;
    if (pct == NULL)
        return vp_run_error(err, ENOMEM, "cpu samples");
    if ((rc = vp_cpu_times_read(&a)) < 0) {
        rc = vp_run_error(err, -rc, "/proc/stat");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if ((rc = vp_sleep_ns(interval_ns)) < 0) {
            rc = vp_run_error(err, EINTR, "interrupted");
            goto out;
        }
        if ((rc = vp_cpu_times_read(&b)) < 0) {
            rc = vp_run_error(err, -rc, "/proc/stat");
            goto out;
        }
        double p = vp_cpu_busy_pct(&a, &b);
        if (isfinite(p))
            pct[k++] = p;
        a = b;
    }
    if (k == 0 || vp_summarize(pct, k, false, s) < 0)
        rc = vp_run_error(err, 0, "/proc/stat did not advance");
out:
    free(pct);
    return rc;
}
