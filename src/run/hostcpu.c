#include "run/hostcpu.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int vp_cpu_sample(uint64_t duration_ns, uint64_t interval_ns, vp_cpu_ns_fn apps_ns, void *arg,
                  struct vp_summary *host, struct vp_summary *apps, struct vp_err *err)
{
    int n = (int)(duration_ns / interval_ns), k = 0, rc = 0;
    if (n < 1)
        n = 1;
    const double ns_per_tick = 1e9 / (double)sysconf(_SC_CLK_TCK);
    double *pct = calloc((size_t)n, sizeof *pct), *app_pct = calloc((size_t)n, sizeof *app_pct);
    struct vp_cpu_times a, b;
    uint64_t ns_a = 0, ns_b = 0;
    memset(apps, 0, sizeof *apps);
    if (pct == NULL || app_pct == NULL) {
        rc = vp_run_error(err, ENOMEM, "cpu samples");
        goto out;
    }
    if ((rc = vp_cpu_times_read(&a)) < 0) {
        rc = vp_run_error(err, -rc, "/proc/stat");
        goto out;
    }
    if (apps_ns && (rc = apps_ns(arg, &ns_a, err)) < 0)
        goto out;
    for (int i = 0; i < n; i++) {
        if ((rc = vp_sleep_ns(interval_ns)) < 0) {
            rc = vp_run_error(err, EINTR, "interrupted");
            goto out;
        }
        if ((rc = vp_cpu_times_read(&b)) < 0) {
            rc = vp_run_error(err, -rc, "/proc/stat");
            goto out;
        }
        if (apps_ns && (rc = apps_ns(arg, &ns_b, err)) < 0)
            goto out;
        double p = vp_cpu_busy_pct(&a, &b);
        if (isfinite(p)) {
            double host_ns = (double)(b.total - a.total) * ns_per_tick;
            app_pct[k] = 100.0 * ((double)ns_b - (double)ns_a) / host_ns;
            pct[k++] = p;
        }
        a = b;
        ns_a = ns_b;
    }
    if (k == 0 || vp_summarize(pct, k, false, host) < 0) {
        rc = vp_run_error(err, 0, "/proc/stat did not advance");
        goto out;
    }
    if (apps_ns)
        vp_summarize(app_pct, k, false, apps);
out:
    free(pct);
    free(app_pct);
    return rc;
}
