/* Platforms: where appliances run. One ops table per driver (native,
 * container; vm and libvirt later), listed in platform/registry.c.
 *
 * An appliance's fields are platform-neutral; each driver documents how it
 * maps them (README of the driver's file header):
 *   vcpus   how many CPUs it may use at once
 *   cpus    pinning, a cpulist "0,2-3"; empty = float
 *   weight  1..65535, default 256 (Xen credit-scheduler semantics: CPU share
 *           in proportion to weight under contention)
 *   cap     percent of one CPU it may use at most (100 = one core), 0 = none
 *   memory  bytes, 0 = no limit
 *   net     none | bridge | routed | direct
 * and, for the virtual machine drivers (vm, libvirt):
 *   accel   auto | kvm | tcg (platform/guest_image.h)
 *   disk    the scratch disk's size in bytes (disk workloads run there)
 * and, for the host platform (added for several hosts):
 *   host    the SSH destination of the machine it runs on
 *   host_platform  the platform the appliance is on there
 * and, for the container (added for least privilege):
 *   binds   the host's paths its processes use: the rest of the host's file
 *           system is read-only inside, /tmp is a tmpfs of its own
 *
 * Processes in native and container appliances start with no_new_privs and
 * only the capabilities vp_exec keeps (none by default), and, when vp_exec
 * names a user, as that user (platform/privs.h).
 *
 * Everything a driver creates is recorded in the run's journal (journal.h)
 * before it is created, and removed by destroy() on every exit path; what a
 * killed run left is removed by `virtperf cleanup`. */
#ifndef VP_PLATFORM_PLATFORM_H
#define VP_PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"
#include "core/opt.h"

#define VP_PLATFORM_OPS_VERSION 1

enum vp_net_mode { VP_NET_NONE, VP_NET_BRIDGE, VP_NET_ROUTED, VP_NET_DIRECT };

#define VP_SPEC_MAX_NICS 2

/* A host path an appliance's processes use, absolute: a directory or a
 * file, read-only unless writable (a store, a scratch directory, a log). A
 * container binds it from the host at the same place (under /tmp too); one
 * that does not exist is left out. */
struct vp_bind {
    char path[VP_STR_MAX]; /* empty: unused */
    bool writable;
};
#define VP_SPEC_BINDS 12

struct vp_appliance_spec {
    char name[64];         /* unique within a run: "sip1", "cpu-3" */
    int64_t vcpus;         /* 0 = as many as the host has */
    char cpus[VP_STR_MAX]; /* pinning cpulist; empty = float */
    int64_t weight;        /* 1..65535 */
    int64_t cap;           /* percent of one CPU; 0 = none */
    uint64_t memory;       /* bytes; 0 = none */
    int net;               /* enum vp_net_mode */
    bool overcommit;       /* allow vcpus beyond the online CPUs */
    int accel;             /* vm, libvirt: enum vp_accel (auto = 0) */
    uint64_t disk;         /* vm, libvirt: scratch disk bytes; 0 = the driver's default */
    char uri[VP_STR_MAX];  /* libvirt: connection URI; empty = qemu:///system */
    /* vm: network cards besides the run network's (a virtual router's test
     * links), each on an open tap or macvtap descriptor of the caller's,
     * who keeps it, with its MAC ("02:76:70:04:00:00"); other platforms
     * refuse them */
    int nnics;
    struct {
        int fd;
        char mac[18];
    } nic[VP_SPEC_MAX_NICS];
    struct vp_bind binds[VP_SPEC_BINDS]; /* container: the host paths it uses */
    /* added for several hosts: platform host's SSH destination, the
     * machine whose own processes the appliance is (platform/host.c) */
    char host[VP_STR_MAX];
    /* and the platform it is on there: empty or "native" with no limits
     * is that machine's own processes; any other (container, vm, libvirt,
     * native with cpus, weight, cap or memory) is made there by its agent */
    char host_platform[16];
};

/* How a process is started inside an appliance. The child gets stdin,
 * stdout and stderr from the given descriptors (-1 = /dev/null) and, when
 * sync_fd >= 0, that descriptor as fd 3 (the runner's start barrier); no
 * other descriptor. */
struct vp_exec {
    char *const *argv; /* argv[0] is looked up in PATH; "/proc/self/exe" runs virtperf */
    int stdin_fd, stdout_fd, stderr_fd;
    int sync_fd;
    /* Added for least privilege (native and container; a VM's guest is
     * its own): the capabilities the process keeps, bit n for capability n
     * (0: none), and, when user is set, the uid and gid it runs as, with no
     * supplementary groups (ops->set_user says which platforms can). */
    uint64_t caps; /* VP_EXEC_ALL_CAPS: those the runner has, no_new_privs not set */
    bool user;
    uid_t uid;
    gid_t gid;
};

#define VP_EXEC_ALL_CAPS (~0ull)

/* CPU time and memory an appliance used, read from the host side. */
struct vp_appliance_usage {
    uint64_t cpu_user_ns, cpu_system_ns;
    uint64_t throttled_periods, throttled_ns; /* cap at work */
    uint64_t memory_bytes;
    uint64_t periods; /* CFS periods with a cap in force (added: throttled/periods) */
    /* added for the container router: processes the kernel killed for the
     * memory limit (the OOM killer of its cgroup) */
    uint64_t oom_kills;
};

struct vp_appliance; /* a driver's own */
struct vp_journal;

struct vp_platform_ops {
    int version; /* VP_PLATFORM_OPS_VERSION */
    const char *name;
    const char *summary;
    /* NULL when usable here, else why not ("needs root", "no cgroup cpu controller"). */
    const char *(*unsupported)(void);
    /* Check a spec against this host without creating anything: input errors
     * name the field ("weight 70000: out of range 1..65535"). */
    int (*validate)(const struct vp_appliance_spec *spec, struct vp_err *err);
    int (*create)(const struct vp_appliance_spec *spec, struct vp_journal *journal,
                  struct vp_appliance **out, struct vp_err *err);
    int (*start)(struct vp_appliance *a, const struct vp_exec *ex, pid_t *pid, struct vp_err *err);
    /* Kill everything still running in the appliance and reap it. */
    int (*stop)(struct vp_appliance *a, struct vp_err *err);
    int (*usage)(struct vp_appliance *a, struct vp_appliance_usage *u, struct vp_err *err);
    /* The appliance's address on its network (net != none), for load drivers. */
    const char *(*address)(struct vp_appliance *a);
    /* Remove everything create() made; a is freed. Never fails loudly. */
    void (*destroy)(struct vp_appliance *a);
    /* Added for the profiler (optional, may be NULL): the directory of the
     * appliance's cgroup (an absolute path under a cgroup mount, which
     * vp_profiler_add_cgroup takes), or NULL when it has none. */
    const char *(*cgroup_path)(struct vp_appliance *a);
    /* Added for the virtual machine drivers (optional, may be NULL): the
     * host threads that are the appliance's vCPUs, in vCPU order (the
     * profiler's per-vCPU figures, pinning checks); returns how many. */
    int (*vcpu_threads)(struct vp_appliance *a, pid_t *tids, int max);
    /* Added for the virtual router (optional, may be NULL): what the
     * appliance is, as a JSON object ({"name": "vm", "accel": "tcg", ...},
     * what the runs in it store as their platform), or NULL. */
    const char *(*facts)(struct vp_appliance *a);
    /* Added for least privilege: whether start() honours vp_exec's user
     * (a server's `user:`); the vm drivers' guests do not. */
    bool set_user;
    /* Added for the container router (optional, may be NULL): a new
     * descriptor of the appliance's own network namespace, which the
     * caller closes (a router test bed makes its links there), or a
     * negative errno. */
    int (*netns)(struct vp_appliance *a);
};

extern const struct vp_platform_ops *const vp_platforms[];
const struct vp_platform_ops *vp_platform_find(const char *name);

/* Added by the platform drivers (additions only; the shape above is kept):
 * helpers shared by the drivers and usable by the runner. */

/* The tag the agents of an appliance of the host platform (another host's
 * processes) carry there, by which its CPU is read and profiled on that
 * host (core/proc_tag.h): this runner's pid and the appliance's name. */
void vp_host_agent_tag(const char *appliance, char *buf, size_t len);

/* A spec with the defaults: weight 256, everything else zero / empty. */
void vp_appliance_spec_init(struct vp_appliance_spec *spec, const char *name);

/* The platform-neutral checks every driver's validate() makes: name
 * ([A-Za-z0-9_.-], 1..63 chars), weight, cap (0..100 x online CPUs), vcpus
 * (<= online CPUs unless overcommit), cpus (each one online), net. */
int vp_appliance_spec_check(const struct vp_appliance_spec *spec, struct vp_err *err);
/* For the drivers that take no extra network cards: an input error when
 * spec has some. */
int vp_appliance_spec_no_nics(const struct vp_appliance_spec *spec, const char *platform,
                              struct vp_err *err);

/* Parse a cpulist "0,2-3" into a mask of at most 1024 CPUs, each online;
 * input error naming field. Returns the number of CPUs in it. */
struct vp_cpumask {
    unsigned long bits[1024 / (8 * sizeof(unsigned long))];
};
int vp_cpulist_parse(const char *field, const char *list, struct vp_cpumask *m, struct vp_err *err);
/* Online CPUs (sysconf). */
int vp_cpus_online(void);

/* Notes for the runner: start() returns a pid that is the caller's own child
 * (for the container, a helper outside that waits for the process inside and
 * exits with its status), so waitpid() works. Appliance processes and the
 * container's init die with the thread that created them (PR_SET_PDEATHSIG):
 * create and start appliances from the thread that outlives them. What they
 * start in turn dies with the run too: the journal's watcher kills every
 * process and cgroup task the journal lists once the run is gone
 * (journal.h). */

#endif
