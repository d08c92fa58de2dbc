/* The native platform: plain processes on the host.
 *
 * Field mapping:
 *   cpus    sched_setaffinity() of each started process
 *   weight  a cgroup (cgroup.h) with cpu.shares / cpu.weight, when not 256
 *   cap     a cgroup with a CFS quota of cap% of one CPU
 *   vcpus   when fewer than the CPUs it may use and no cap: a quota of
 *           vcpus full CPUs (what OpenVZ's --cpus does)
 *   memory  a cgroup memory limit
 *   net     the host's own network: address() is 127.0.0.1 in every mode
 * As root every native appliance gets a cgroup (so appliances compete as
 * sibling groups: a lone process would weigh as much as the whole virtperf
 * tree). Without root, weight 256, no cap, no vcpus limit and no memory
 * limit need none; stop() then kills each started process's group.
 * A started process gets no_new_privs and only the capabilities its
 * vp_exec keeps, as its user when it names one (privs.h); it shares the
 * host's file system (binds mean nothing here). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/cgroup.h"
#include "platform/journal.h"
#include "platform/platform.h"
#include "platform/privs.h"
#include "platform/spawn.h"

#define MAXPROCS 64

struct vp_appliance {
    struct vp_appliance_spec spec;
    struct vp_journal *j;
    struct vp_cgroup *cg;
    struct vp_cpumask mask;
    bool pinned;
    pid_t pid[MAXPROCS];
    int proc_id[MAXPROCS];
    int nprocs;
};

/* The quota the spec asks for, in percent of one CPU (0 = none). */
static int64_t effective_cap(const struct vp_appliance_spec *s, int usable)
{
    if (s->cap > 0)
        return s->cap;
    if (s->vcpus > 0 && s->vcpus < usable)
        return s->vcpus * 100;
    return 0;
}

static int usable_cpus(const struct vp_appliance_spec *s)
{
    struct vp_cpumask m;
    struct vp_err err;
    int n = s->cpus[0] ? vp_cpulist_parse("cpus", s->cpus, &m, &err) : vp_cpus_online();
    return n > 0 ? n : vp_cpus_online();
}

/* Fields only a cgroup can give; as root a cgroup is made anyway, so that
 * appliances compete as sibling groups whatever their weights. */
static bool needs_cgroup(const struct vp_appliance_spec *s)
{
    return s->weight != 256 || s->memory > 0 || effective_cap(s, usable_cpus(s)) > 0;
}

static bool wants_cgroup(const struct vp_appliance_spec *s)
{
    return needs_cgroup(s) || vp_cgroup_unsupported() == NULL;
}

static const char *native_unsupported(void)
{
    return NULL;
}

static int native_validate(const struct vp_appliance_spec *s, struct vp_err *err)
{
    int rc = vp_appliance_spec_check(s, err);
    if (rc == 0)
        rc = vp_appliance_spec_no_nics(s, "native", err);
    if (rc < 0)
        return rc;
    if (needs_cgroup(s)) {
        const char *why = vp_cgroup_unsupported();
        if (why) {
            const char *field = s->weight != 256 ? "weight"
                                : s->memory      ? "memory"
                                : s->cap         ? "cap"
                                                 : "vcpus";
            return vp_input_error(err, "%s: %s", field, why);
        }
    }
    return 0;
}

static int native_create(const struct vp_appliance_spec *s, struct vp_journal *j,
                         struct vp_appliance **out, struct vp_err *err)
{
    int rc = native_validate(s, err);
    if (rc < 0)
        return rc;
    struct vp_appliance *a = calloc(1, sizeof *a);
    if (!a)
        return vp_run_error(err, ENOMEM, "appliance");
    a->spec = *s;
    a->j = j;
    if (s->cpus[0]) {
        vp_cpulist_parse("cpus", s->cpus, &a->mask, err);
        a->pinned = true;
    }
    if (wants_cgroup(s)) {
        struct vp_cgroup_limits lim = {
            .weight = s->weight,
            .cap = effective_cap(s, usable_cpus(s)),
            .memory = s->memory,
        };
        if ((rc = vp_cgroup_create(j, s->name, &lim, &a->cg, err)) < 0) {
            free(a);
            return rc;
        }
    }
    *out = a;
    return 0;
}

struct start {
    struct vp_appliance *a;
    const struct vp_exec *ex;
};

/* In the child: the cgroup and the pinning, then down to the privileges
 * ex leaves it. */
static int prepare(void *arg, int status_fd)
{
    const struct start *st = arg;
    struct vp_appliance *a = st->a;
    struct vp_err err;
    (void)status_fd;
    if (a->cg && vp_cgroup_attach(a->cg, getpid(), &err) < 0)
        return -EPERM;
    if (a->pinned && sched_setaffinity(0, sizeof a->mask.bits, (cpu_set_t *)a->mask.bits) < 0)
        return -errno;
    return vp_privs_drop(st->ex);
}

static int native_start(struct vp_appliance *a, const struct vp_exec *ex, pid_t *pid,
                        struct vp_err *err)
{
    if (a->nprocs == MAXPROCS)
        return vp_run_error(err, EMFILE, "appliance %s: too many processes", a->spec.name);
    struct start st = {a, ex};
    int rc = vp_spawn(a->j, ex, prepare, &st, pid, &a->proc_id[a->nprocs], err);
    if (rc < 0)
        return rc;
    a->pid[a->nprocs++] = *pid;
    return 0;
}

static int native_stop(struct vp_appliance *a, struct vp_err *err)
{
    (void)err;
    if (a->cg)
        vp_cgroup_kill(a->cg);
    for (int i = 0; i < a->nprocs; i++)
        vp_spawn_kill(a->j, a->pid[i], a->proc_id[i]);
    a->nprocs = 0;
    return 0;
}

static int native_usage(struct vp_appliance *a, struct vp_appliance_usage *u, struct vp_err *err)
{
    if (a->cg)
        return vp_cgroup_usage(a->cg, u, err);
    memset(u, 0, sizeof *u);
    vp_proc_usage(a->pid, a->nprocs, u);
    return 0;
}

static const char *native_cgroup_path(struct vp_appliance *a)
{
    return a->cg ? vp_cgroup_dir(a->cg) : NULL;
}

static const char *native_address(struct vp_appliance *a)
{
    (void)a;
    return "127.0.0.1";
}

static void native_destroy(struct vp_appliance *a)
{
    if (!a)
        return;
    struct vp_err err;
    native_stop(a, &err);
    vp_cgroup_destroy(a->cg);
    free(a);
}

const struct vp_platform_ops vp_platform_native = {
    .version = VP_PLATFORM_OPS_VERSION,
    .name = "native",
    .summary =
        "plain processes on the host; affinity for pinning, a cgroup for weight, cap, memory",
    .unsupported = native_unsupported,
    .validate = native_validate,
    .create = native_create,
    .start = native_start,
    .stop = native_stop,
    .usage = native_usage,
    .address = native_address,
    .destroy = native_destroy,
    .cgroup_path = native_cgroup_path,
    .set_user = true,
};
