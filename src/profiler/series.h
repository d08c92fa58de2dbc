/* Inside the profiler: metric families, targets and their series, the
 * source interface, and the parsers each source exports for unit tests.
 *
 * A target (one cgroup, process or interface) owns series; a series is one
 * time line: a family (Prometheus name, help, counter or gauge), its own
 * labels, a store metric name and an optional sub-target ("vcpu0", "cpu1").
 * A source fills the raw values of its target's series on each sample;
 * series.c turns them into rates and keeps the summary. */
#ifndef VP_PROFILER_SERIES_H
#define VP_PROFILER_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct vp_prof_family {
    const char *prom; /* virtperf_appliance_cpu_seconds_total */
    const char *help;
    bool counter;
};

enum vp_prof_fam {
    VP_FAM_CORE_CPU,
    VP_FAM_CG_CPU,
    VP_FAM_CG_USAGE,
    VP_FAM_CG_PERIODS,
    VP_FAM_CG_THROTTLED,
    VP_FAM_CG_THROTTLED_TIME,
    VP_FAM_CG_MEMORY,
    VP_FAM_CG_IO_BYTES,
    VP_FAM_CG_IO_OPS,
    VP_FAM_PROC_CPU,
    VP_FAM_PROC_USAGE,
    VP_FAM_PROC_RUNQ,
    VP_FAM_PROC_CTXSW,
    VP_FAM_THREAD_CPU,
    VP_FAM_THREAD_RUNQ,
    VP_FAM_THREAD_CTXSW,
    VP_FAM_NET_BYTES,
    VP_FAM_NET_PACKETS,
    VP_FAM_NET_DROPS,
    VP_FAM_N
};

extern const struct vp_prof_family vp_prof_families[VP_FAM_N];

struct vp_prof_series {
    enum vp_prof_fam fam;
    char sub[40];     /* "" or a sub-target: "cpu1", "vcpu0", "tid 4242" */
    char key[32];     /* store metric: "cpu.user" */
    char labels[128]; /* Prometheus labels of the series itself: mode="user" */
    double value;     /* latest raw reading (counters cumulative, base unit) */
    double prev;
    uint64_t t_ns, prev_t_ns;
    bool fresh;                         /* value read in the current sample */
    bool had;                           /* prev holds an earlier reading */
    bool rated;                         /* rate holds this sample's rate */
    double rate;                        /* counter: delta per second; gauge: the value */
    double sum_delta, sum_dt, max_rate; /* summary: counters */
    double sum_val;                     /* summary: gauges */
    uint64_t nrates;
};

struct vp_prof_target;

/* A source reads its target. sample returns 0, or -ENOENT when the target
 * is gone for now (its series get no rate this time). */
struct vp_prof_source {
    const char *kind; /* "cgroup", "pid", "iface", "cores", "tag" */
    int (*sample)(struct vp_prof_target *t, uint64_t now_ns);
    void (*free)(void *state);
};

struct vp_prof_target {
    char name[64];    /* appliance name, or "host" */
    char labels[160]; /* appliance="sip1" (cores: none) */
    const struct vp_prof_source *src;
    void *state;
    struct vp_prof_series *series;
    size_t nseries, cap;
    size_t hint; /* where the next put will likely find its series */
    bool absent; /* the last sample found it gone */
};

/* Find or create the series (sub, key) and record a raw value read at t_ns.
 * labels is only used when the series is created. NULL on out of memory. */
struct vp_prof_series *vp_prof_put(struct vp_prof_target *t, enum vp_prof_fam fam, const char *sub,
                                   const char *key, const char *labels, double value,
                                   uint64_t t_ns);

/* Before a sample: mark every series stale. After: compute rates of the
 * fresh ones (resets handled) and update summaries. absent: the target was
 * not found; every series loses its baseline. */
void vp_prof_begin(struct vp_prof_target *t);
void vp_prof_finish(struct vp_prof_target *t, bool absent);

/* The store's target column for a series: "sip1" or "sip1/vcpu0". */
void vp_prof_series_target(const struct vp_prof_target *t, const struct vp_prof_series *s,
                           char *buf, size_t len);

void vp_prof_target_free(struct vp_prof_target *t);

/* Escape a Prometheus label value (backslash, quote, newline) into buf. */
void vp_prof_label_escape(const char *in, char *buf, size_t len);

/* Lateness histogram: log-linear, 64 sub-buckets per power of two, so a
 * quantile read back is within 1/64 (1.6%) below the true value. */
#define VP_HIST_SUB     64
#define VP_HIST_BUCKETS (VP_HIST_SUB * 59)
struct vp_prof_hist {
    uint64_t count[VP_HIST_BUCKETS];
    uint64_t n, max;
    double sum;
};
void vp_prof_hist_add(struct vp_prof_hist *h, uint64_t v);
/* q in [0,1]; the lower bound of the bucket holding the q-quantile (max for 1). */
uint64_t vp_prof_hist_quantile(const struct vp_prof_hist *h, double q);

/* Sources. Each *_new returns 0 or a negative errno with a message in err. */
struct vp_err;
int vp_prof_cores_new(struct vp_prof_target *t, struct vp_err *err);
int vp_prof_cgroup_new(struct vp_prof_target *t, const char *path, struct vp_err *err);
int vp_prof_proc_new(struct vp_prof_target *t, int pid, struct vp_err *err);
int vp_prof_net_new(struct vp_prof_target *t, const char *spec, struct vp_err *err);
int vp_prof_tag_new(struct vp_prof_target *t, const char *tag, struct vp_err *err);

/* Parsers over file text, for the sources and for unit tests. */
struct vp_core_times {
    int cpu;                                                      /* -1 for the "cpu" total line */
    double user, nice, system, idle, iowait, irq, softirq, steal; /* seconds */
};
/* The next "cpuN" line of /proc/stat text at *pos; 1 found, 0 none left. */
int vp_parse_proc_stat_line(const char *text, size_t *pos, double tick_s, struct vp_core_times *c);

struct vp_cg_cpu {
    double usage_s, user_s, system_s;
    double periods, throttled, throttled_s;
    bool have_usage, have_split, have_throttle;
};
/* v2 cpu.stat (usage_usec, user_usec, system_usec, nr_periods, nr_throttled,
 * throttled_usec). */
void vp_parse_cg2_cpu_stat(const char *text, struct vp_cg_cpu *c);
/* v1 cpu.stat (nr_periods, nr_throttled, throttled_time ns). */
void vp_parse_cg1_cpu_stat(const char *text, struct vp_cg_cpu *c);
/* v1 cpuacct.stat (user, system in ticks). */
void vp_parse_cg1_cpuacct_stat(const char *text, double tick_s, struct vp_cg_cpu *c);

struct vp_cg_io {
    double rbytes, wbytes, rios, wios;
};
/* v2 io.stat: "MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.." summed over devices. */
void vp_parse_cg2_io_stat(const char *text, struct vp_cg_io *io);
/* v1 blkio.throttle.io_service_bytes or io_serviced: "MAJ:MIN Read N" lines
 * (the "Total" lines are skipped); ops selects which pair is filled. */
void vp_parse_cg1_blkio(const char *text, bool ops, struct vp_cg_io *io);

struct vp_task_stat {
    char comm[32];
    char state;
    double utime_s, stime_s;
    int num_threads;
};
/* /proc/PID/stat; 0 or -EINVAL. The comm may hold spaces and parentheses. */
int vp_parse_task_stat(const char *text, double tick_s, struct vp_task_stat *s);
/* voluntary_ctxt_switches and nonvoluntary_ctxt_switches of /proc/PID/status. */
int vp_parse_status_ctxsw(const char *text, double *vol, double *invol);
/* /proc/PID/schedstat: run time ns, run-queue wait ns, timeslices. */
int vp_parse_schedstat(const char *text, double *run_s, double *wait_s);
/* "CPU 3/KVM" or "CPU 3/TCG" → 3; otherwise -1. */
int vp_vcpu_index(const char *comm);

struct vp_net_counters {
    double rx_bytes, rx_packets, rx_drops, tx_bytes, tx_packets, tx_drops;
};
/* The line for iface in /proc/net/dev text; 0, or -ENOENT. */
int vp_parse_net_dev(const char *text, const char *iface, struct vp_net_counters *c);

/* Read a whole small file at offset 0 of an open fd (pread, so the fd stays
 * open across samples); returns bytes read or -errno. */
ssize_t vp_prof_pread(int fd, char *buf, size_t len);
/* Open and read path into buf; bytes or -errno. */
ssize_t vp_prof_read_path(const char *path, char *buf, size_t len);

#endif
