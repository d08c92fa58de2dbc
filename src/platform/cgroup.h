/* Cgroups for appliances, v1 or v2 chosen at run time.
 *
 * v1 (cpu, cpuacct, cpuset, memory mounted separately under
 * /sys/fs/cgroup/<controller>): one directory per controller, under the
 * process's own cgroup of that controller. v2 (cgroup2 on /sys/fs/cgroup):
 * one directory under the hierarchy root, with +cpu +cpuset +memory enabled
 * down the path ($VIRTPERF_CGROUP2_ROOT names another v2 root: a test hook). Either way the path is
 * virtperf/<run>/<appliance>, and every directory is journaled before it is made.
 *
 * Mapping of appliance fields:
 *   weight w (1..65535, 256 default)
 *     v1 cpu.shares = w * 1024 / 256 = 4w (256 -> 1024, the default)
 *     v2 cpu.weight = 1 + (4w - 2) * 9999 / 262142, the shares->weight
 *        conversion runc/crun/systemd use (256 -> 39, 768 -> 118, 65535 -> 9999)
 *   cap c (percent of one CPU, 0 none): quota c*1000 us per 100000 us period
 *     (v1 cpu.cfs_quota_us / cpu.cfs_period_us, v2 cpu.max "quota period")
 *   cpus (cpulist): cpuset.cpus, with cpuset.mems copied from the parent
 *   memory (bytes): v1 memory.limit_in_bytes, v2 memory.max */
#ifndef VP_PLATFORM_CGROUP_H
#define VP_PLATFORM_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"
#include "platform/platform.h"

struct vp_journal;
struct vp_sweep_fn;

struct vp_cgroup_limits {
    int64_t weight;   /* 0 = leave the default */
    int64_t cap;      /* percent of one CPU; 0 = none */
    const char *cpus; /* cpulist; NULL or "" = inherit */
    uint64_t memory;  /* bytes; 0 = none */
};

struct vp_cgroup;

/* 1 or 2, 0 when no usable cgroup hierarchy is mounted. */
int vp_cgroup_version(void);
/* NULL when cgroups can be made here, else why not. */
const char *vp_cgroup_unsupported(void);

int vp_cgroup_create(struct vp_journal *j, const char *name, const struct vp_cgroup_limits *lim,
                     struct vp_cgroup **out, struct vp_err *err);
/* Move pid into the cgroup (all its directories). */
int vp_cgroup_attach(struct vp_cgroup *cg, pid_t pid, struct vp_err *err);
int vp_cgroup_usage(struct vp_cgroup *cg, struct vp_appliance_usage *u, struct vp_err *err);
/* The CFS bandwidth figures (periods, throttled periods and time) of any
 * cgroup's cpu directory (v1 or v2), into u; left as they are when it has
 * no cpu.stat. */
void vp_cgroup_throttling(const char *cpu_dir, struct vp_appliance_usage *u);

/* Read one file of the appliance's cgroup ("cpu.shares", "memory.max"; v1
 * finds the controller from the name), first line, without its newline. */
int vp_cgroup_read(struct vp_cgroup *cg, const char *file, char *buf, size_t len);
/* The cgroup's directory (v1: the cpu controller's; the profiler finds the
 * others from it), an absolute path valid until destroy. */
const char *vp_cgroup_dir(const struct vp_cgroup *cg);
/* The v2 cpu.weight for a weight (the mapping above). */
int64_t vp_cgroup_v2_weight(int64_t weight);

/* SIGKILL every task until none is left alive; 0 or -ETIMEDOUT. */
int vp_cgroup_kill(struct vp_cgroup *cg);
/* Kill what is left, remove the directories (deepest first), free. */
void vp_cgroup_destroy(struct vp_cgroup *cg);

/* For the journal: kill the tasks of one directory and rmdir it. A shared
 * directory still holding other runs' children is left (returns 0).
 * Returns 1 removed, 0 gone or in use, -errno. */
int vp_cgroup_remove_path(const char *path, bool dry_run);

/* For the watcher of a killed run: SIGKILL every task of one directory
 * (cgroup.kill on v2) until none is left; the directory stays. 1 when there
 * were tasks, 0 none (or no such directory), -errno. */
int vp_cgroup_kill_path(const char *path);
/* Whether a cgroup directory has a live task (no zombie) in it. */
bool vp_cgroup_has_tasks(const char *path);

/* The fallback for runs whose journal was never written or is lost: in each
 * hierarchy (v1 cpu, cpuacct, cpuset, memory, blkio, at the mount and under
 * this process's own cgroup; v2 at /sys/fs/cgroup, /sys/fs/cgroup/unified and
 * $VIRTPERF_CGROUP2_ROOT), every <base>/virtperf/<run> that is not in use
 * (vp_journal_run_in_use) is removed with vp_cgroup_remove_path, its
 * directories deepest first, each reported to fn->entry. The virtperf
 * directory itself stays. Does nothing unless root. 0 or -errno. */
int vp_cgroup_sweep(bool dry_run, const struct vp_sweep_fn *fn, struct vp_err *err);

#endif
