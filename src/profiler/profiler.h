/* The host profiler: samples appliances from the host at a fixed interval.
 *
 * Sources (one file each): per-core /proc/stat (always on), per-cgroup CPU,
 * throttling, memory and block I/O (cgroup v1 or v2, detected per
 * controller at run time), per-process and per-thread CPU, context switches
 * and run-queue wait from /proc (QEMU vCPU threads, comm "CPU n/KVM" or
 * "CPU n/TCG", are labelled vcpu n), and per-interface network counters
 * (/proc/net/dev of the host or of a named network namespace).
 *
 * A sampler thread wakes on a timerfd armed with absolute CLOCK_MONOTONIC
 * deadlines (start + k * interval, so no drift), reads every target, and
 * turns counters into rates from their deltas over monotonic time. A counter
 * that goes backwards is a reset (the new value is the delta); a target that
 * vanishes is skipped and, if it comes back, starts again from a baseline.
 * The sampler measures itself: its thread's CPU time and each sample's
 * lateness (wake-up time minus deadline).
 *
 * Outputs: the results store (tables profiles, profile_samples,
 * profile_marks; each sample's rows in one short transaction, so the
 * store's write lock is never held between samples, on the profiler's own
 * SQLite connection), a CSV file, and the
 * Prometheus text exposition format served over HTTP (libmicrohttpd).
 *
 * Stored and CSV values: a counter is stored as its rate per second over the
 * interval that ends at t_s (cpu.* in cores, *_bytes in bytes/s, runq_wait in
 * seconds waited per second); a gauge (memory.bytes) as read. t_s is seconds
 * since the profile started, on CLOCK_MONOTONIC.
 *
 * Use from the experiment runner:
 *
 *     struct vp_profiler_cfg cfg = {.interval_ns = 100000000, .store_path = path,
 *                                   .run_id = run_id};
 *     vp_profiler_start(&cfg, &p, &err);
 *     vp_profiler_add_cgroup(p, "sip1", "virtperf/7/sip1", &err); // relative: see below
 *     vp_profiler_add_pid(p, "sip1", qemu_pid, &err);             // vCPU threads
 *     vp_profiler_add_iface(p, "sip1", "vp-sip1", &err);          // host side veth
 *     struct vp_round_observer obs = vp_profiler_round_observer(p); // marks rounds
 *     vp_profiler_mark(p, "step 200 cps");                          // or load steps
 *     ...
 *     vp_profiler_remove(p, "sip1");  // when an appliance goes away mid-run
 *     vp_profiler_stop(p, &summary, &err);
 *     vp_profiler_free(p);
 *
 * All functions are safe to call from any thread while the sampler runs. */
#ifndef VP_PROFILER_PROFILER_H
#define VP_PROFILER_PROFILER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"
#include "run/rounds.h"

#define VP_PROFILER_MIN_INTERVAL_NS 10000000ull /* 10 ms */

struct vp_profiler;

struct vp_profiler_cfg {
    uint64_t interval_ns;   /* >= 10 ms; 0 means 1 s */
    const char *store_path; /* results store (SQLite file) or NULL */
    int64_t run_id;         /* the run the samples belong to, 0 for none */
    int64_t parent_id;      /* the profile this one is part of (another host's), 0 for none */
    const char *command;    /* recorded in profiles.command; NULL for "" */
    const char *csv_path;   /* CSV file (t_s,target,metric,value) or NULL */
    const char *prometheus; /* "ADDR:PORT", ":PORT" or "PORT" (loopback), or NULL */
    bool no_cores;          /* leave the per-core source out */
    bool realtime;          /* sampler thread SCHED_FIFO 1 (needs CAP_SYS_NICE) */
};

/* Create the profiler and start sampling (targets may be added before or
 * after the first sample). An unusable address or file is an input error. */
int vp_profiler_start(const struct vp_profiler_cfg *cfg, struct vp_profiler **out,
                      struct vp_err *err);

/* Targets. name is the appliance (label appliance="name", store target
 * column); several targets may share it (a cgroup, its QEMU process, its
 * interface). A missing cgroup, pid or interface is an input error at add
 * time; one that vanishes later is skipped until it comes back.
 *
 * Cgroup paths: "/a/b" is relative to each hierarchy's root, "a/b" relative
 * to this process's own cgroup in each hierarchy (where platform/cgroup.c
 * makes appliances), and "/sys/fs/cgroup/cpu/a/b" (a mount point followed by
 * a path) names the same group as "/a/b". */
int vp_profiler_add_cgroup(struct vp_profiler *p, const char *name, const char *path,
                           struct vp_err *err);
/* A process and each of its threads (threads only when it has more than one). */
int vp_profiler_add_pid(struct vp_profiler *p, const char *name, pid_t pid, struct vp_err *err);
/* An interface: "IF" in the host's namespace, "NETNS/IF" in the network
 * namespace named NETNS (ip netns), opened once, when added. */
int vp_profiler_add_iface(struct vp_profiler *p, const char *name, const char *iface,
                          struct vp_err *err);
/* The processes under the agents carrying tag (another host's appliance,
 * profiled on that host: core/proc_tag.h), their CPU as one process's. */
int vp_profiler_add_tag(struct vp_profiler *p, const char *name, const char *tag,
                        struct vp_err *err);
/* Remove every target of that name; returns how many were removed. */
int vp_profiler_remove(struct vp_profiler *p, const char *name);

/* A mark on the profile's timeline (profile_marks): a round, a load step. */
int vp_profiler_mark(struct vp_profiler *p, const char *label);
/* An observer for the round driver that marks "round N start/end". */
struct vp_round_observer vp_profiler_round_observer(struct vp_profiler *p);

/* The latest raw reading of one series: a counter's cumulative value in its
 * base unit (seconds, bytes, packets) or a gauge. target is the store's
 * target column ("sip1", "sip1/vcpu0", "host/cpu1"). -ENOENT if unknown. */
int vp_profiler_read(struct vp_profiler *p, const char *target, const char *metric, double *value);
/* The same series' mean rate over the profile so far (delta / time). */
int vp_profiler_mean_rate(struct vp_profiler *p, const char *target, const char *metric,
                          double *rate);

/* The bound Prometheus port (useful with port 0), or 0. */
int vp_profiler_prometheus_port(const struct vp_profiler *p);
/* The profile's id in the store, or 0. */
int64_t vp_profiler_id(const struct vp_profiler *p);

/* What the profiler cost and how well it kept its schedule. */
struct vp_profiler_self {
    uint64_t samples;   /* samples taken */
    uint64_t missed;    /* deadlines that passed without a sample (overruns) */
    double elapsed_s;   /* monotonic time from start to stop */
    double start_s;     /* CLOCK_MONOTONIC at the start (t = 0 of the samples) */
    double cpu_s;       /* CPU time of the sampler thread */
    double cpu_percent; /* cpu_s / elapsed_s * 100, of one core */
    double lateness_p50_s, lateness_p99_s, lateness_max_s; /* histogram: at most 1.6% low */
};

/* Stop sampling (no extra sample is taken at stop), flush and close outputs. */
int vp_profiler_stop(struct vp_profiler *p, struct vp_profiler_self *self, struct vp_err *err);
/* Free; a profiler never stopped is abandoned: its store rows and CSV file
 * are removed (the error paths of a caller leave nothing half-done). */
void vp_profiler_free(struct vp_profiler *p);

/* One summary row: mean is the mean rate (counters: increase / time) or
 * mean value (gauges), max the highest per-interval rate or value, total
 * the counter's increase over the profile (gauges: the last value). */
struct vp_profiler_row {
    const char *target, *metric;
    bool counter;
    double mean, max, total;
};
typedef void (*vp_profiler_summary_fn)(void *arg, const struct vp_profiler_row *row);
/* Call fn once per series that had at least one rate, in target order. */
void vp_profiler_summary(struct vp_profiler *p, vp_profiler_summary_fn fn, void *arg);

#endif
