/* Series of a target: raw readings, rates from deltas, summaries; the
 * lateness histogram; small file reads shared by the sources. */
#include "profiler/series.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every metric family, in the order the Prometheus page lists them. */
const struct vp_prof_family vp_prof_families[VP_FAM_N] = {
    [VP_FAM_CORE_CPU] = {"virtperf_core_cpu_seconds_total",
                         "Time each core spent in each mode (/proc/stat).", true},
    [VP_FAM_CG_CPU] = {"virtperf_appliance_cpu_seconds_total",
                       "CPU time of an appliance's cgroup by mode (v1: from ticks).", true},
    [VP_FAM_CG_USAGE] = {"virtperf_appliance_cpu_usage_seconds_total",
                         "CPU time of an appliance's cgroup, all modes (precise).", true},
    [VP_FAM_CG_PERIODS] = {"virtperf_appliance_cpu_periods_total",
                           "CFS bandwidth periods elapsed while the cgroup was runnable.", true},
    [VP_FAM_CG_THROTTLED] = {"virtperf_appliance_cpu_throttled_periods_total",
                             "CFS bandwidth periods in which the cgroup was throttled (cap).",
                             true},
    [VP_FAM_CG_THROTTLED_TIME] = {"virtperf_appliance_cpu_throttled_seconds_total",
                                  "Time the cgroup's tasks were throttled by its CPU cap.", true},
    [VP_FAM_CG_MEMORY] = {"virtperf_appliance_memory_bytes",
                          "Memory charged to the cgroup (v1 memory.usage_in_bytes, v2 "
                          "memory.current).",
                          false},
    [VP_FAM_CG_IO_BYTES] = {"virtperf_appliance_io_bytes_total",
                            "Block I/O bytes of the cgroup by operation.", true},
    [VP_FAM_CG_IO_OPS] = {"virtperf_appliance_io_operations_total",
                          "Block I/O operations of the cgroup by operation.", true},
    [VP_FAM_PROC_CPU] = {"virtperf_process_cpu_seconds_total",
                         "CPU time of a process, all threads, by mode.", true},
    [VP_FAM_PROC_USAGE] = {"virtperf_process_cpu_usage_seconds_total",
                           "CPU time of a process's live threads, all modes (schedstat, precise).",
                           true},
    [VP_FAM_PROC_RUNQ] = {"virtperf_process_run_queue_wait_seconds_total",
                          "Time the process's threads were runnable but waiting for a core "
                          "(schedstat; CPU ready).",
                          true},
    [VP_FAM_PROC_CTXSW] = {"virtperf_process_context_switches_total",
                           "Context switches of the process's threads by kind.", true},
    [VP_FAM_THREAD_CPU] = {"virtperf_thread_cpu_seconds_total",
                           "CPU time of one thread (QEMU vCPU threads carry a vcpu label).", true},
    [VP_FAM_THREAD_RUNQ] = {"virtperf_thread_run_queue_wait_seconds_total",
                            "Time one thread was runnable but waiting for a core.", true},
    [VP_FAM_THREAD_CTXSW] = {"virtperf_thread_context_switches_total",
                             "Context switches of one thread by kind.", true},
    [VP_FAM_NET_BYTES] = {"virtperf_network_bytes_total",
                          "Bytes through an interface by direction.", true},
    [VP_FAM_NET_PACKETS] = {"virtperf_network_packets_total",
                            "Packets through an interface by direction.", true},
    [VP_FAM_NET_DROPS] = {"virtperf_network_drops_total",
                          "Packets an interface dropped by direction.", true},
};

struct vp_prof_series *vp_prof_put(struct vp_prof_target *t, enum vp_prof_fam fam, const char *sub,
                                   const char *key, const char *labels, double value, uint64_t t_ns)
{
    struct vp_prof_series *s = NULL;
    /* sources put their series in the same order every sample: try the
     * one after the last first */
    for (size_t n = 0; n < t->nseries; n++) {
        size_t i = (t->hint + n) % t->nseries;
        if (strcmp(t->series[i].key, key) == 0 && strcmp(t->series[i].sub, sub) == 0) {
            s = &t->series[i];
            t->hint = i + 1;
            break;
        }
    }
    if (s == NULL) {
        if (t->nseries == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 8;
            struct vp_prof_series *n = realloc(t->series, cap * sizeof *n);
            if (n == NULL)
                return NULL;
            t->series = n;
            t->cap = cap;
        }
        s = &t->series[t->nseries++];
        t->hint = t->nseries;
        memset(s, 0, sizeof *s);
        s->fam = fam;
        snprintf(s->sub, sizeof s->sub, "%s", sub);
        snprintf(s->key, sizeof s->key, "%s", key);
        snprintf(s->labels, sizeof s->labels, "%s", labels);
    }
    s->value = value;
    s->t_ns = t_ns;
    s->fresh = true;
    return s;
}

void vp_prof_begin(struct vp_prof_target *t)
{
    t->hint = 0;
    for (size_t i = 0; i < t->nseries; i++) {
        t->series[i].fresh = false;
        t->series[i].rated = false;
    }
}

/* One series after a sample: a rate from the delta (a counter that went
 * backwards was reset, and its new value is the delta), then the summary. */
static void finish_series(struct vp_prof_series *s)
{
    bool counter = vp_prof_families[s->fam].counter;
    if (!counter) {
        s->rate = s->value;
        s->rated = true;
        s->sum_val += s->value;
        if (s->nrates == 0 || s->value > s->max_rate)
            s->max_rate = s->value;
        s->nrates++;
    } else if (s->had && s->t_ns > s->prev_t_ns) {
        double dt = (double)(s->t_ns - s->prev_t_ns) / 1e9;
        double delta = s->value >= s->prev ? s->value - s->prev : s->value;
        s->rate = delta / dt;
        s->rated = true;
        s->sum_delta += delta;
        s->sum_dt += dt;
        if (s->nrates == 0 || s->rate > s->max_rate)
            s->max_rate = s->rate;
        s->nrates++;
    }
    s->prev = s->value;
    s->prev_t_ns = s->t_ns;
    s->had = true;
}

void vp_prof_finish(struct vp_prof_target *t, bool absent)
{
    t->absent = absent;
    for (size_t i = 0; i < t->nseries; i++) {
        struct vp_prof_series *s = &t->series[i];
        if (absent || !s->fresh) {
            s->had = false; /* gone: a later reading starts from a new baseline */
            continue;
        }
        finish_series(s);
    }
}

void vp_prof_series_target(const struct vp_prof_target *t, const struct vp_prof_series *s,
                           char *buf, size_t len)
{
    if (s->sub[0])
        snprintf(buf, len, "%s/%s", t->name, s->sub);
    else
        snprintf(buf, len, "%s", t->name);
}

void vp_prof_target_free(struct vp_prof_target *t)
{
    if (t == NULL)
        return;
    if (t->src && t->src->free)
        t->src->free(t->state);
    free(t->series);
    free(t);
}

void vp_prof_label_escape(const char *in, char *buf, size_t len)
{
    size_t o = 0;
    for (; *in && o + 3 < len; in++) {
        if (*in == '\\' || *in == '"') {
            buf[o++] = '\\';
            buf[o++] = *in;
        } else if (*in == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else {
            buf[o++] = *in;
        }
    }
    buf[o] = '\0';
}

static size_t hist_index(uint64_t v)
{
    if (v < VP_HIST_SUB)
        return (size_t)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - 6; /* the top 7 bits: 64 sub-buckets per power of two */
    size_t i = (size_t)(shift + 1) * VP_HIST_SUB + (size_t)((v >> shift) - VP_HIST_SUB);
    return i < VP_HIST_BUCKETS ? i : VP_HIST_BUCKETS - 1;
}

static uint64_t hist_lower(size_t i)
{
    if (i < VP_HIST_SUB)
        return i;
    int shift = (int)(i / VP_HIST_SUB) - 1;
    return ((uint64_t)VP_HIST_SUB + i % VP_HIST_SUB) << shift;
}

void vp_prof_hist_add(struct vp_prof_hist *h, uint64_t v)
{
    h->count[hist_index(v)]++;
    h->n++;
    h->sum += (double)v;
    if (v > h->max)
        h->max = v;
}

uint64_t vp_prof_hist_quantile(const struct vp_prof_hist *h, double q)
{
    if (h->n == 0)
        return 0;
    if (q >= 1)
        return h->max;
    uint64_t rank = (uint64_t)(q * (double)h->n); /* values below the quantile */
    uint64_t seen = 0;
    for (size_t i = 0; i < VP_HIST_BUCKETS; i++) {
        seen += h->count[i];
        if (seen > rank) {
            uint64_t lo = hist_lower(i);
            return lo < h->max ? lo : h->max;
        }
    }
    return h->max;
}

ssize_t vp_prof_pread(int fd, char *buf, size_t len)
{
    ssize_t n = pread(fd, buf, len - 1, 0);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return n;
}

ssize_t vp_prof_read_path(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = vp_prof_pread(fd, buf, len);
    close(fd);
    return n;
}
