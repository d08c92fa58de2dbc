#include "run/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/host.h"
#include "core/json.h"
#include "core/progress.h"
#include "core/signals.h"
#include "experiment/exp_store.h"
#include "platform/journal.h"
#include "platform/privs.h"
#include "platform/vm_libvirt.h"
#include "profiler/profiler.h"
#include "run/barrier.h"
#include "platform/cgroup.h"
#include "rtp/addr.h"
#include "run/hostcpu.h"
#include "run/runner_priv.h"
#include "run/remote_hosts.h"
#include "run/ssh_hosts.h"
#include "store/db.h"

#define POLL_MS          200
#define IDLE_SETTLE_NS   500000000ull
#define IDLE_INTERVAL_NS 500000000ull
#define TERM_GRACE_NS    3000000000ull

const struct vp_platform_ops *vp_runner_ops(const struct vp_runner_cfg *cfg, const char *name)
{
    return cfg->find ? cfg->find(name) : vp_platform_find(name);
}

static void make_spec(const struct vp_point *pt, const struct vp_instance *in,
                      struct vp_appliance_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    snprintf(spec->name, sizeof spec->name, "%s", in->name);
    spec->vcpus = in->f.vcpus;
    snprintf(spec->cpus, sizeof spec->cpus, "%s", in->f.cpus);
    spec->weight = in->f.weight;
    spec->cap = in->f.cap;
    spec->memory = in->f.memory;
    spec->net = in->f.net;
    spec->disk = in->f.disk;
    spec->accel = pt->s.accel;
    snprintf(spec->uri, sizeof spec->uri, "%s", pt->s.libvirt_uri);
    snprintf(spec->host, sizeof spec->host, "%s", vp_exp_remote(&in->f) ? in->f.host : "");
    if (spec->host[0])
        snprintf(spec->host_platform, sizeof spec->host_platform, "%s", pt->s.platform);
    char dest[VP_STR_MAX];
    struct vp_err ignored;                                       /* the plan checked it */
    if (spec->host[0] && strcmp(pt->s.platform, "libvirt") == 0) /* that host's own libvirtd */
        vp_libvirt_remote(pt->s.libvirt_uri, dest, sizeof dest, spec->uri, sizeof spec->uri,
                          &ignored);
}

/* Whether the appliance is on a network the loads and time server reach:
 * this host's (native), one of its own, or another host's (its own
 * processes there, or an appliance there with a network). */
static bool networked(const struct vp_platform_ops *ops, const struct vp_appliance_spec *spec)
{
    return strcmp(ops->name, "native") == 0 || spec->net != VP_NET_NONE ||
           (spec->host[0] && strcmp(spec->host_platform, "native") == 0);
}

/* The platform an appliance of the point is on: another host's (platform
 * host) when it names one, else the point's. */
static const struct vp_platform_ops *ops_of(const struct vp_runner_cfg *cfg,
                                            const struct vp_point *pt, const struct vp_instance *in)
{
    return vp_runner_ops(cfg, vp_exp_remote(&in->f) ? "host" : pt->s.platform);
}

/* Load generators run on this machine, each in a native appliance of its
 * own (pinned as the load says; profiled like the rest), or on the load's
 * host as that machine's processes (platform host). */
static void generator_spec(const struct vp_exp_load *l, const struct vp_instance *server, int index,
                           struct vp_appliance_spec *spec)
{
    char name[sizeof spec->name];
    /* LOAD.SERVER, or LOAD.INDEX where that would not fit: unique either way;
     * LOAD alone for a load without a target (one per point) */
    if (server == NULL)
        snprintf(name, sizeof name, "%s", l->f.name);
    else if ((size_t)snprintf(name, sizeof name, "%s.%s", l->f.name, server->name) >= sizeof name)
        snprintf(name, sizeof name, "%s.%d", l->f.name, index);
    vp_appliance_spec_init(spec, name);
    if (vp_exp_host_remote(l->f.host)) {
        snprintf(spec->host, sizeof spec->host, "%s", l->f.host);
        return;
    }
    snprintf(spec->cpus, sizeof spec->cpus, "%s", l->f.cpus);
    /* without cgroups (not root) a weight cannot be set: the generator floats */
    spec->weight = vp_cgroup_unsupported() ? spec->weight : l->f.weight;
}

static const struct vp_platform_ops *generator_ops(const struct vp_runner_cfg *cfg,
                                                   const struct vp_exp_load *l)
{
    return vp_runner_ops(cfg, vp_exp_host_remote(l->f.host) ? "host" : "native");
}

static int validate_generators(const struct vp_runner_cfg *cfg, const struct vp_point *pt,
                               struct vp_err *err)
{
    int target[VP_EXP_MAX_INSTANCES];
    for (int l = 0; l < pt->nloads; l++) {
        const struct vp_exp_load *load = &pt->loads[l];
        const struct vp_platform_ops *ops = generator_ops(cfg, load);
        int n = vp_load_targets(pt, load, target);
        /* its generators write their runs into the store themselves (known
         * when the run validates, not at a dry run's) */
        if (cfg->st && vp_exp_host_remote(load->f.host) && !vp_db_is_url(vp_store_path(cfg->st)))
            return vp_input_error(err,
                                  "load %s on host %s: its runs are written there: the store "
                                  "must be one that host reaches (--store postgresql://...), "
                                  "not the file %s",
                                  load->f.name, load->f.host, vp_store_path(cfg->st));
        for (int k = 0; k < n; k++) {
            struct vp_appliance_spec spec;
            if (ops == NULL)
                return vp_input_error(err, "load %s: no platform for its generator", load->f.name);
            generator_spec(load, target[k] < 0 ? NULL : &pt->inst[target[k]], target[k], &spec);
            int rc = ops->validate ? ops->validate(&spec, err) : 0;
            if (rc < 0) {
                vp_err_prefix(err, "load %s", pt->loads[l].f.name);
                return rc;
            }
        }
    }
    return 0;
}

/* Loads come from the host: native appliances share its network, others
 * need one of their own. */
static bool reachable(const struct vp_platform_ops *ops, const struct vp_appliance_spec *spec)
{
    return ops->address && networked(ops, spec);
}

/* Whether HOST:PORT is a loopback or unspecified address (a malformed one
 * is not: its own error comes when the marks are sent). */
static bool local_only(const char *hostport)
{
    struct sockaddr_storage ss;
    socklen_t len;
    struct vp_err e = {0};
    if (vp_parse_hostport("timeserver", hostport, &ss, &len, &e) < 0)
        return false;
    if (ss.ss_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)&ss)->sin_addr.s_addr);
        return a >> 24 == 127 || a == INADDR_ANY;
    }
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a6))
        return a6->s6_addr[12] == 127 ||
               (a6->s6_addr[12] | a6->s6_addr[13] | a6->s6_addr[14] | a6->s6_addr[15]) == 0;
    return IN6_IS_ADDR_LOOPBACK(a6) || IN6_IS_ADDR_UNSPECIFIED(a6);
}

/* A workload marks its rounds to the time server from where it runs: an
 * appliance with a network namespace of its own (container, VM) reaches
 * it only over its network, and not at a loopback address (its own). */
static int timeserver_reachable(const struct vp_point *pt, const struct vp_platform_ops *ops,
                                const struct vp_appliance_spec *spec, struct vp_err *err)
{
    const char *ts = pt->s.timeserver;
    if (!ts[0] || strcmp(ops->name, "native") == 0)
        return 0;
    if (!networked(ops, spec))
        return vp_input_error(err,
                              "its rounds' marks cannot reach time server %s from platform "
                              "%s: give it net: bridge, routed or direct",
                              ts, ops->name);
    if (local_only(ts))
        return vp_input_error(err,
                              "time server %s is a loopback or unspecified address, the "
                              "appliance's own on platform %s: name the server's address on "
                              "its network",
                              ts, ops->name);
    return 0;
}

/* A server's user: a platform that starts it as one, and the right to. */
static int user_possible(const struct vp_platform_ops *ops, const char *user, struct vp_err *err)
{
    uid_t uid;
    gid_t gid;
    int rc = vp_user_lookup(user, &uid, &gid, err);
    if (rc < 0)
        return rc;
    if (!ops->set_user)
        return vp_input_error(err, "user \"%s\": platform %s cannot start a server as a user", user,
                              ops->name);
    if (geteuid() != 0 && (uid != geteuid() || gid != getegid()))
        return vp_input_error(err, "user \"%s\": starting a server as another user needs root",
                              user);
    return 0;
}

int vp_runner_validate(const struct vp_runner_cfg *cfg, struct vp_err *err)
{
    /* the time host's server records marks in the store itself (the store
     * is known when the run validates, not at a dry run's) */
    if (cfg->exp->time_host[0] && cfg->st && !vp_db_is_url(vp_store_path(cfg->st)))
        return vp_input_error(err,
                              "timeserver on host %s: it records its marks in the store: the "
                              "store must be one that host reaches (--store postgresql://...), "
                              "not the file %s",
                              cfg->exp->time_host, vp_store_path(cfg->st));
    for (int p = 0; p < cfg->plan->npoints; p++) {
        const struct vp_point *pt = &cfg->plan->points[p];
        const struct vp_platform_ops *ops = vp_runner_ops(cfg, pt->s.platform);
        if (ops == NULL)
            return vp_input_error(err, "point %d: unknown platform \"%s\"", p + 1, pt->s.platform);
        const char *why = ops->unsupported ? ops->unsupported() : NULL;
        if (why)
            return vp_input_error(err, "point %d: platform %s cannot run here: %s", p + 1,
                                  ops->name, why);
        for (int i = 0; i < pt->ninst; i++) {
            struct vp_appliance_spec spec;
            make_spec(pt, &pt->inst[i], &spec);
            const struct vp_server *server = pt->apps[pt->inst[i].app].server;
            int rc = vp_exp_check_host(cfg->exp, pt->inst[i].f.host, err);
            if (rc < 0) { /* a case or the matrix named it */
                vp_err_prefix(err, "point %d, appliance %s", p + 1, spec.name);
                return rc;
            }
            const struct vp_platform_ops *on = ops_of(cfg, pt, &pt->inst[i]); /* its own */
            if (on != ops && (why = on->unsupported ? on->unsupported() : NULL) != NULL)
                return vp_input_error(err, "point %d, appliance %s: host %s: %s", p + 1, spec.name,
                                      spec.host, why);
            rc = on->validate ? on->validate(&spec, err) : 0;
            if (rc == 0 && pt->kind == VP_POINT_RUN && server == NULL)
                rc = timeserver_reachable(pt, on, &spec, err);
            if (rc == 0 && server && pt->inst[i].f.user[0])
                rc = user_possible(on, pt->inst[i].f.user, err);
            if (rc < 0) {
                vp_err_prefix(err, "point %d, appliance %s", p + 1, spec.name);
                return rc;
            }
            if (pt->kind == VP_POINT_RUN && server && !reachable(on, &spec))
                return vp_input_error(err,
                                      "point %d, appliance %s: its %s on platform %s is out of "
                                      "the loads' reach: give it net: bridge, routed or direct",
                                      p + 1, spec.name, server->name, on->name);
        }
        int rc = validate_generators(cfg, pt, err);
        if (rc < 0) {
            vp_err_prefix(err, "point %d", p + 1);
            return rc;
        }
    }
    return 0;
}

/* How long a point should take relative to the others, for the ETA. */
static double point_work(const struct vp_experiment *exp, const struct vp_point *pt)
{
    if (pt->kind == VP_POINT_IDLE)
        return (double)(exp->overhead_seconds * 3 / 2 + IDLE_SETTLE_NS) / 1e9;
    int P = pt->cpus_available > 0 ? pt->cpus_available : 1;
    double share = pt->ninst > P ? (double)pt->ninst / P : 1.0;
    return (double)(pt->s.rounds + pt->s.warmup) * share;
}

void vp_runner_progress(struct runner *r, const struct vp_point *pt, const char *what)
{
    if (!r->cfg->progress)
        return;
    double elapsed = (double)(vp_now_ns() - r->t0) / 1e9;
    char eta[32] = "--:--";
    if (r->work_done > 0 && !r->eta_unknown) {
        double left = elapsed * (r->work_total - r->work_done) / r->work_done;
        snprintf(eta, sizeof eta, "%d:%02d", (int)left / 60, (int)left % 60);
    }
    vp_progress(true, "point %d/%d %s  ETA %s", pt->index + 1, r->cfg->plan->npoints, what, eta);
}

/* A phase of a point begins: "<point> <phase>" appended to the file
 * $VIRTPERF_TRACE names (a test's hook: tests/crash-test kills the runner
 * in the phase it wants and reads where it died). One write per line. */
static void trace(struct runner *r, const struct vp_point *pt, const char *phase)
{
    char line[64];
    int n = snprintf(line, sizeof line, "%d %s\n", pt->index + 1, phase);
    if (r->trace_fd >= 0 && write(r->trace_fd, line, (size_t)n) != n)
        r->trace_fd = -1;
}

/* Whether a started process has ended: reaped when it is our child, else
 * no longer there. */
static bool gone(pid_t pid)
{
    pid_t w = waitpid(pid, NULL, WNOHANG);
    if (w == pid)
        return true;
    return w < 0 && kill(pid, 0) < 0;
}

/* Stop and destroy every appliance of the point; children still running
 * get SIGTERM first so they can store themselves as interrupted. */
static void teardown(struct runner *r)
{
    bool alive = false;
    for (int i = 0; i < r->nslots; i++)
        if (r->slots[i].pid > 0 && !r->slots[i].exited && kill(r->slots[i].pid, SIGTERM) == 0)
            alive = true;
    uint64_t until = vp_now_ns() + TERM_GRACE_NS;
    while (alive && vp_now_ns() < until) {
        alive = false;
        for (int i = 0; i < r->nslots; i++)
            if (r->slots[i].pid > 0 && !r->slots[i].exited && !gone(r->slots[i].pid))
                alive = true;
        if (alive)
            usleep(20000);
    }
    for (int i = 0; i < r->nslots; i++) {
        struct slot *s = &r->slots[i];
        struct vp_err err = {0};
        if (s->a && s->ops->stop(s->a, &err) < 0)
            vp_err_report(&err);
        if (s->pid > 0 && !s->exited)
            waitpid(s->pid, NULL, WNOHANG);
        if (s->a)
            s->ops->destroy(s->a);
        if (s->out_fd >= 0)
            close(s->out_fd);
        if (s->err_fd >= 0)
            close(s->err_fd);
        if (s->sync_fd >= 0)
            close(s->sync_fd);
        free(s->out);
    }
    free(r->slots);
    r->slots = NULL;
    r->nslots = 0;
}

/* The slots of a point: its instances, then a generator per load and
 * instance it drives. */
static int make_slots(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    int n = pt->ninst, target[VP_EXP_MAX_INSTANCES];
    for (int l = 0; l < pt->nloads; l++)
        n += vp_load_targets(pt, &pt->loads[l], target);
    r->slots = calloc((size_t)n, sizeof *r->slots);
    if (r->slots == NULL)
        return vp_run_error(err, ENOMEM, "appliances");
    r->nslots = n;
    for (int k = 0; k < n; k++)
        r->slots[k].out_fd = r->slots[k].err_fd = r->slots[k].sync_fd = -1;
    for (int i = 0; i < pt->ninst; i++) {
        struct slot *s = &r->slots[i];
        bool server = pt->kind == VP_POINT_RUN && pt->apps[pt->inst[i].app].server;
        s->kind = server ? SLOT_SERVER : SLOT_WORKLOAD;
        s->in = &pt->inst[i];
        s->ops = ops_of(r->cfg, pt, &pt->inst[i]);
        snprintf(s->name, sizeof s->name, "%s", pt->inst[i].name);
    }
    int k = pt->ninst;
    for (int l = 0; k < n && l < pt->nloads; l++) {
        int m = vp_load_targets(pt, &pt->loads[l], target);
        for (int t = 0; t < m; t++) {
            struct slot *s = &r->slots[k++];
            s->kind = SLOT_GENERATOR;
            s->load = &pt->loads[l];
            s->target = target[t];
            s->ops = generator_ops(r->cfg, s->load);
        }
    }
    return 0;
}

/* Create the point's appliances (and its generators'). */
static int create_all(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    int rc = make_slots(r, pt, err);
    for (int k = 0; rc == 0 && k < r->nslots; k++) {
        struct slot *s = &r->slots[k];
        struct vp_appliance_spec spec;
        if (s->kind == SLOT_GENERATOR)
            generator_spec(s->load, s->target < 0 ? NULL : &pt->inst[s->target], s->target, &spec);
        else
            make_spec(pt, s->in, &spec);
        if (s->kind != SLOT_GENERATOR)
            vp_runner_binds(pt, s->in, vp_store_path(r->cfg->st), &spec);
        snprintf(s->name, sizeof s->name, "%s", spec.name);
        if ((rc = s->ops->create(&spec, r->journal, &s->a, err)) < 0) {
            s->a = NULL;
            vp_err_prefix(err, "appliance %s", spec.name);
        }
    }
    return rc;
}

/* A mark on the point's profile, if it has one. */
void vp_runner_mark(struct runner *r, const struct vp_point *pt, const char *what)
{
    char label[64];
    snprintf(label, sizeof label, "point %d %s", pt->index + 1, what);
    if (r->prof)
        vp_profiler_mark(r->prof, label);
}

/* Start the point's profile (unless profile-interval is 0) with each
 * appliance's cgroup as a target, and tie it to the point in the store. */
static int profile_start(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    char command[96];
    if (pt->s.profile_interval == 0)
        return 0;
    snprintf(command, sizeof command, "experiment %lld point %d", (long long)r->exp_id,
             pt->index + 1);
    struct vp_profiler_cfg cfg = {.interval_ns = pt->s.profile_interval,
                                  .store_path = vp_store_path(r->cfg->st),
                                  .command = command};
    int rc = vp_profiler_start(&cfg, &r->prof, err);
    for (int i = 0; rc == 0 && i < r->nslots; i++) {
        const struct slot *s = &r->slots[i];
        const char *cg = s->ops->cgroup_path ? s->ops->cgroup_path(s->a) : NULL;
        if (cg)
            rc = vp_profiler_add_cgroup(r->prof, s->name, cg, err);
    }
    if (rc == 0 && vp_profiler_id(r->prof) > 0)
        rc = vp_exp_store_point_profile(r->cfg->st, r->exp_id, pt->index, vp_profiler_id(r->prof),
                                        err);
    if (rc == 0)
        rc = vp_runner_rprof_start(r, pt, err);
    if (rc < 0)
        vp_err_prefix(err, "profile");
    vp_runner_mark(r, pt, "start");
    return rc;
}

/* The process a thread belongs to (its Tgid), or 0. */
static pid_t thread_group(pid_t tid)
{
    char path[64], line[128];
    long tgid = 0;
    snprintf(path, sizeof path, "/proc/%ld/status", (long)tid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f) && sscanf(line, "Tgid: %ld", &tgid) != 1)
        ;
    if (f)
        fclose(f);
    return (pid_t)tgid;
}

/* Appliances without a cgroup are profiled by their process; a VM's QEMU
 * process is besides, for its vCPU threads' own figures (vcpuN). Another
 * host's are not profiled from here (their local process is only the
 * relay). */
static int profile_pids(struct runner *r, struct vp_err *err)
{
    for (int i = 0; r->prof && i < r->nslots; i++) {
        struct slot *s = &r->slots[i];
        pid_t vcpu[1], pid = s->pid;
        if (s->ops->vcpu_threads && s->ops->vcpu_threads(s->a, vcpu, 1) == 1)
            pid = thread_group(vcpu[0]);
        else if ((s->ops->cgroup_path && s->ops->cgroup_path(s->a)) || s->pid <= 0 ||
                 (s->in && vp_exp_remote(&s->in->f)))
            continue;
        if (pid <= 0)
            continue;
        int rc = vp_profiler_add_pid(r->prof, s->name, pid, err);
        if (rc < 0) {
            vp_err_prefix(err, "profile");
            return rc;
        }
    }
    return 0;
}

/* Stop the point's profile (before its appliances go); samples stay. */
static int profile_stop(struct runner *r, struct vp_err *err)
{
    int rc = 0;
    if (r->prof == NULL)
        return 0;
    vp_runner_rprof_stop(r); /* theirs end first: each closes its profile */
    struct vp_profiler_self self;
    if ((rc = vp_profiler_stop(r->prof, &self, err)) < 0)
        vp_err_prefix(err, "profile");
    vp_profiler_free(r->prof);
    r->prof = NULL;
    return rc;
}

/* Servers first (each until it listens), then the workloads (each until
 * ready at the start barrier), released together; the loads start right
 * after them. The point lasts until its loads end (then the workloads
 * finish their round and the servers stop) or, without loads, until its
 * workloads end. */
static int run_point(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    bool loaded = vp_point_has_load(pt);
    trace(r, pt, "creating");
    int rc = create_all(r, pt, err);
    r->run_floor = r->cfg->progress ? vp_exp_store_max_run(r->cfg->st) : 0;
    if (rc == 0)
        rc = profile_start(r, pt, err);
    if (rc == 0)
        rc = vp_runner_start_servers(r, pt, err);
    if (rc == 0)
        rc = vp_runner_start_workloads(r, pt, err);
    if (rc == 0) {
        vp_runner_mark(r, pt, "release");
        rc = vp_runner_release(r, pt, err);
    }
    if (rc == 0) {
        rc = vp_runner_start_generators(r, pt, err);
        if (loaded)
            vp_runner_mark(r, pt, "load start");
    }
    if (rc == 0)
        rc = profile_pids(r, err);
    trace(r, pt, "mid-round");
    if (rc == 0)
        rc = vp_runner_collect(r, pt, err);
    if (loaded)
        vp_runner_mark(r, pt, "load end");
    if (rc == 0)
        rc = vp_runner_wind_down(r, pt, err);
    vp_runner_mark(r, pt, "end");
    trace(r, pt, "storing");
    if (rc == 0)
        rc = vp_runner_record(r, pt, err);
    return rc;
}

/* The CPU time the point's appliances have been charged so far (cgroups,
 * or the processes' own times where there is none). */
static int appliances_cpu_ns(void *arg, uint64_t *ns, struct vp_err *err)
{
    struct runner *r = arg;
    *ns = 0;
    for (int i = 0; i < r->nslots; i++) {
        const struct slot *s = &r->slots[i];
        struct vp_appliance_usage u;
        if (s->a == NULL || s->ops->usage == NULL)
            continue;
        int rc = s->ops->usage(s->a, &u, err);
        if (rc < 0)
            return rc;
        *ns += u.cpu_user_ns + u.cpu_system_ns;
    }
    return 0;
}

/* n appliances that only sleep, and the host CPU they cost: what their
 * cgroups (processes) were charged, which no neighbour disturbs; and beside
 * it the host's busy percent with them less just before they were made,
 * which also holds what the platform spends outside them but everything
 * else that ran, too. */
static int idle_point(struct runner *r, const struct vp_point *pt, struct vp_summary *host,
                      struct vp_summary *apps, struct vp_err *err)
{
    struct vp_summary base, ignored;
    uint64_t window = r->cfg->exp->overhead_seconds;
    vp_runner_progress(r, pt, "idle appliances: host CPU before");
    int rc = vp_cpu_sample(window / 2 > IDLE_INTERVAL_NS ? window / 2 : IDLE_INTERVAL_NS,
                           IDLE_INTERVAL_NS, NULL, NULL, &base, &ignored, err);
    if (rc == 0)
        rc = create_all(r, pt, err);
    if (rc == 0)
        rc = vp_runner_start_workloads(r, pt, err);
    vp_runner_progress(r, pt, "idle appliances: host CPU with them");
    if (rc == 0 && vp_sleep_ns(IDLE_SETTLE_NS) < 0)
        rc = vp_run_error(err, EINTR, "experiment interrupted");
    if (rc == 0)
        rc = vp_cpu_sample(window, IDLE_INTERVAL_NS, appliances_cpu_ns, r, host, apps, err);
    if (rc == 0) {
        host->mean -= base.mean;
        double a = isfinite(host->ci_half) ? host->ci_half : 0;
        double b = isfinite(base.ci_half) ? base.ci_half : 0;
        host->ci_half = sqrt(a * a + b * b);
    }
    for (int i = 0; i < r->nslots; i++)
        r->slots[i].exited = true; /* sleeps: no SIGTERM grace needed */
    return rc;
}

static int one_point(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    struct vp_summary host_cpu = {0}, apps_cpu = {0};
    struct vp_err store_err = {0};
    r->ops = vp_runner_ops(r->cfg, pt->s.platform);
    int rc = vp_exp_store_point(r->cfg->st, r->exp_id, pt, err);
    if (rc < 0)
        return rc;
    rc = pt->kind == VP_POINT_RUN ? run_point(r, pt, err)
                                  : idle_point(r, pt, &host_cpu, &apps_cpu, err);
    struct vp_err prof_err = {0};
    int prc = profile_stop(r, &prof_err);
    if (prc < 0 && rc == 0) {
        *err = prof_err;
        rc = prc;
    } else if (prc < 0) {
        vp_err_report(&prof_err);
    }
    trace(r, pt, "removing");
    teardown(r);
    const char *status = rc == 0 ? "complete" : vp_interrupted ? "interrupted" : "failed";
    if (vp_exp_store_point_end(r->cfg->st, r->exp_id, pt->index, status, rc ? err->msg : NULL,
                               &host_cpu, &apps_cpu, &store_err) < 0 &&
        rc == 0) {
        *err = store_err;
        rc = -EIO;
    }
    trace(r, pt, "ended");
    return rc;
}

int vp_runner_run(const struct vp_runner_cfg *cfg, int64_t *exp_id, struct vp_err *err)
{
    struct runner r = {.cfg = cfg, .t0 = vp_now_ns(), .trace_fd = -1};
    struct vp_cpuset cpus;
    int rc;
    *exp_id = 0;
    if ((rc = vp_runner_validate(cfg, err)) < 0)
        return rc;
    const char *tr = getenv("VIRTPERF_TRACE");
    if (tr && *tr)
        r.trace_fd = open(tr, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    vp_cpuset_self(&cpus);
    for (int p = 0; p < cfg->plan->npoints; p++) {
        r.work_total += point_work(cfg->exp, &cfg->plan->points[p]);
        r.eta_unknown |= vp_point_has_load(&cfg->plan->points[p]);
    }
    char *host = vp_host_json_text();
    rc = vp_exp_store_begin(cfg->st, cfg->exp, cfg->spec, host, cpus.n, &r.exp_id, err);
    free(host);
    if (rc < 0)
        return rc;
    *exp_id = r.exp_id;
    struct vp_ssh_hosts hosts = {0};
    struct vp_remote_process time_host = {.out_fd = -1};
    if ((rc = vp_journal_open(&r.journal, err)) == 0) {
        rc = vp_ssh_hosts_begin(cfg->exp, &hosts, err);
        if (rc == 0)
            rc = vp_remote_hosts_facts(cfg->exp, cfg->st, r.exp_id, err);
        if (rc == 0)
            rc = vp_time_host_start(cfg->exp, vp_runner_ops(cfg, "host"), r.journal,
                                    vp_store_path(cfg->st), &time_host, err);
        for (int p = 0; rc == 0 && p < cfg->plan->npoints; p++) {
            const struct vp_point *pt = &cfg->plan->points[p];
            if (pt->warning[0])
                fprintf(stderr, "virtperf: point %d: %s\n", p + 1, pt->warning);
            rc = one_point(&r, pt, err);
            r.work_done += point_work(cfg->exp, pt);
        }
        vp_remote_process_stop(&time_host);
        vp_ssh_hosts_end(&hosts);
        vp_journal_close(r.journal);
    }
    vp_progress_clear(cfg->progress);
    struct vp_err end_err = {0};
    const char *status = rc == 0 ? "complete" : vp_interrupted ? "interrupted" : "failed";
    if (vp_exp_store_end(cfg->st, r.exp_id, status, rc ? err->msg : NULL, &end_err) < 0 &&
        rc == 0) {
        *err = end_err;
        rc = -EIO;
    }
    if (r.trace_fd >= 0)
        close(r.trace_fd);
    return rc;
}
