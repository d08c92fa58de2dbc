/* The container platform: Linux namespaces (net, pid, mount, uts, ipc) and
 * a cgroup, the OpenVZ-like OS-level case. Needs root.
 *
 * create() starts the appliance's init, pid 1 of the new namespaces: it
 * sets the hostname to the appliance's name, makes its file system (the
 * host's read-only, its own /tmp, the spec's binds: container_fs.h), mounts
 * its own /proc and then only reaps orphans; a forked helper that joins its network namespace sets
 * up the network inside (net.h). start() forks a
 * helper that joins the cgroup and the namespaces and forks the process
 * (a child of the helper, inside the pid namespace); the helper exits with
 * its status, so the caller can wait for it (and passes SIGTERM, SIGINT
 * and SIGUSR1 on to it). Killing init kills everything
 * in the namespace, and the namespace with it. When the runner dies, init
 * gets SIGKILL (its parent-death signal) and the helper SIGHUP (its own),
 * on which it kills its child and reaps it before it ends: no zombie of the
 * namespace is left for the host's init, which the namespace's init would
 * wait for.
 *
 * Field mapping (cgroup.h for the values):
 *   cpus    cpuset.cpus of the appliance's cgroup
 *   weight  cpu.shares (v1) / cpu.weight (v2)
 *   cap     CFS quota, cap% of one CPU
 *   vcpus   when fewer than the CPUs it may use and no cap: a quota of
 *           vcpus full CPUs (OpenVZ's --cpus)
 *   memory  memory.limit_in_bytes (v1) / memory.max (v2)
 *   net     none: loopback only; bridge, routed, direct: see net.h
 *   binds   the host paths its processes use (container_fs.h)
 * A process started in it gets no_new_privs and the capabilities and user
 * its vp_exec says (privs.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fds.h"
#include "platform/cgroup.h"
#include "platform/container_fs.h"
#include "platform/journal.h"
#include "platform/net.h"
#include "platform/platform.h"
#include "platform/privs.h"
#include "platform/spawn.h"

#define MAXPROCS 64
#define NS_FLAGS (CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC)

struct vp_appliance {
    struct vp_appliance_spec spec;
    struct vp_journal *j;
    struct vp_cgroup *cg;
    pid_t init;
    int init_id, link_id, slot;
    char addr[32];
    pid_t pid[MAXPROCS];
    int proc_id[MAXPROCS];
    int nprocs;
};

static const char *container_unsupported(void)
{
    if (geteuid() != 0)
        return "needs root (namespaces, cgroups, network)";
    if (access("/proc/self/ns/pid", F_OK) != 0 || access("/proc/self/ns/net", F_OK) != 0)
        return "no namespace support in this kernel";
    return vp_cgroup_unsupported();
}

static int container_validate(const struct vp_appliance_spec *s, struct vp_err *err)
{
    int rc = vp_appliance_spec_check(s, err);
    if (rc == 0)
        rc = vp_appliance_spec_no_nics(s, "container", err);
    if (rc < 0)
        return rc;
    const char *why = container_unsupported();
    if (why)
        return vp_input_error(err, "platform container: %s", why);
    return 0;
}

/* What init reports when its set-up fails. */
struct init_failure {
    int err;  /* errno */
    int step; /* index into init_steps */
    int bind; /* the spec's bind it was at, or -1 */
};
/* the file system's steps (container_fs.h) follow the first three */
static const char *const init_steps[] = {"sethostname", "mount private /",  "mount /proc", "bind",
                                         "read-only /", "mount tmpfs /tmp", "bind"};
#define INIT_FS_STEP 3

/* pid 1 of the appliance: set itself up, report, then reap forever. It runs
 * right after a raw clone(), so it makes system calls only (no malloc): safe
 * even when the caller has other threads. */
static void init_main(const struct vp_appliance_spec *s, int go, int status)
{
    char c;
    struct init_failure f = {0, -1, -1};
    struct vp_cfs_failure fs;
    int rc;
    if (read(go, &c, 1) != 1)
        _exit(1);
    if (sethostname(s->name, strlen(s->name)) < 0) {
        f.step = 0;
    } else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        f.step = 1;
    } else if ((rc = vp_container_fs(s, &fs)) < 0) {
        f.step = INIT_FS_STEP + fs.step;
        f.bind = fs.bind;
        errno = -rc;
    } else if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
        f.step = 2;
    }
    if (f.step >= 0) {
        f.err = errno;
        if (write(status, &f, sizeof f) < 0)
            _exit(1);
        _exit(1);
    }
    vp_fds_close_from(0);
    if (chdir("/") < 0)
        _exit(1);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (;;) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        sigwaitinfo(&set, NULL);
    }
}

static int container_netns(struct vp_appliance *a)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/ns/net", (long)a->init);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

/* Configure the network inside the appliance from a forked process that
 * joins its network namespace. */
static int configure_inside(struct vp_appliance *a, struct vp_err *err)
{
    int p[2], rc = 0;
    if (pipe2(p, O_CLOEXEC) < 0)
        return vp_run_error(err, errno, "pipe");
    pid_t c = fork();
    if (c < 0) {
        rc = vp_run_error(err, errno, "fork");
        goto out;
    }
    if (c == 0) {
        struct vp_err e = {0};
        int fd = container_netns(a);
        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
            vp_run_error(&e, fd < 0 ? -fd : errno, "join its network namespace");
        else if (vp_net_configure_inside(a->spec.net, a->addr, &e) == 0)
            _exit(0);
        if (write(p[1], e.msg, strlen(e.msg)) < 0)
            _exit(2);
        _exit(1);
    }
    close(p[1]);
    p[1] = -1;
    char msg[sizeof err->msg];
    ssize_t n = vp_read_retry(p[0], msg, sizeof msg - 1);
    vp_reap(c);
    if (n != 0) {
        msg[n > 0 ? n : 0] = '\0';
        rc = vp_run_error(err, 0, "appliance %s: %s", a->spec.name, n > 0 ? msg : "network");
    }
out:
    close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    return rc;
}

/* Clone init into new namespaces, journal it, put it in the cgroup, attach
 * the network, then let it set itself up and wait for its report. */
static int start_init(struct vp_appliance *a, struct vp_err *err)
{
    int go[2] = {-1, -1}, st[2] = {-1, -1}, rc = 0;
    if ((a->slot = vp_journal_slot_take(a->j)) < 0)
        return vp_input_error(err, "appliance %s: more than %d appliances at once", a->spec.name,
                              VP_JOURNAL_SLOTS);
    if (pipe2(go, O_CLOEXEC) < 0 || pipe2(st, O_CLOEXEC) < 0) {
        rc = vp_run_error(err, errno, "pipe");
        goto out;
    }
    /* like fork(), with new namespaces: the child is pid 1 of its own */
    long p = syscall(SYS_clone, NS_FLAGS | SIGCHLD, NULL, NULL, NULL, 0);
    if (p < 0) {
        rc = vp_run_error(err, errno, "appliance %s: clone", a->spec.name);
        goto out;
    }
    if (p == 0) {
        /* the run's death kills init, and with it the whole namespace (a
         * death before this closes go: init_main leaves; getppid() is 0 in
         * a namespace of its own and cannot tell) */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(go[1]);
        close(st[0]);
        init_main(&a->spec, go[0], st[1]);
    }
    a->init = (pid_t)p;
    close(st[1]);
    st[1] = -1;
    char what[64];
    snprintf(what, sizeof what, "%ld %llu", p, vp_proc_starttime(a->init));
    if ((a->init_id = vp_journal_add(a->j, VP_RES_NETNS, what, err)) < 0) {
        rc = a->init_id;
        kill(a->init, SIGKILL);
        vp_reap(a->init);
        a->init = 0;
        goto out;
    }
    if ((rc = vp_cgroup_attach(a->cg, a->init, err)) < 0 ||
        (rc = vp_net_attach(a->j, a->spec.net, a->slot, a->init, a->addr, sizeof a->addr,
                            &a->link_id, err)) < 0)
        goto out;
    if (write(go[1], "g", 1) < 0) {
        rc = vp_run_error(err, errno, "appliance %s: init", a->spec.name);
        goto out;
    }
    struct init_failure f;
    ssize_t n = vp_read_retry(st[0], &f, sizeof f);
    int nsteps = (int)(sizeof init_steps / sizeof init_steps[0]);
    if (n == (ssize_t)sizeof f && f.step >= 0 && f.step < nsteps)
        rc = vp_run_error(err, f.err, "appliance %s: %s%s%s", a->spec.name, init_steps[f.step],
                          f.bind >= 0 && f.bind < VP_SPEC_BINDS ? " " : "",
                          f.bind >= 0 && f.bind < VP_SPEC_BINDS ? a->spec.binds[f.bind].path : "");
    else if (n != 0) /* init reports nothing when all went well */
        rc = vp_run_error(err, 0, "appliance %s: init died", a->spec.name);
    else
        rc = configure_inside(a, err);
out:
    for (int i = 0; i < 2; i++) {
        if (go[i] >= 0)
            close(go[i]);
        if (st[i] >= 0)
            close(st[i]);
    }
    return rc;
}

static void container_destroy(struct vp_appliance *a);

static int container_create(const struct vp_appliance_spec *s, struct vp_journal *j,
                            struct vp_appliance **out, struct vp_err *err)
{
    int rc = container_validate(s, err);
    if (rc < 0)
        return rc;
    struct vp_appliance *a = calloc(1, sizeof *a);
    if (!a)
        return vp_run_error(err, ENOMEM, "appliance");
    a->spec = *s;
    a->j = j;
    a->init_id = a->link_id = a->slot = -1;
    struct vp_cpumask m;
    int usable = s->cpus[0] ? vp_cpulist_parse("cpus", s->cpus, &m, err) : vp_cpus_online();
    struct vp_cgroup_limits lim = {
        .weight = s->weight,
        .cap = s->cap > 0 ? s->cap : (s->vcpus > 0 && s->vcpus < usable ? s->vcpus * 100 : 0),
        .cpus = s->cpus,
        .memory = s->memory,
    };
    if ((rc = vp_cgroup_create(j, s->name, &lim, &a->cg, err)) < 0 ||
        (rc = start_init(a, err)) < 0) {
        container_destroy(a);
        return rc;
    }
    *out = a;
    return 0;
}

/* The helper's child, for forwarding SIGTERM, SIGINT and SIGUSR1 (set in
 * the helper process only). */
static volatile sig_atomic_t helper_child;

static void forward(int sig)
{
    if (helper_child > 0)
        kill((pid_t)helper_child, sig);
}

/* The run died (the helper's parent-death signal): its process goes, and
 * the helper reaps it before it ends itself. A child orphaned inside the
 * namespace would be reaped by the host's init, whenever that comes round,
 * and the namespace's init, killed too, waits for that before it ends. */
static void orphaned(int sig)
{
    (void)sig;
    if (helper_child > 0)
        kill((pid_t)helper_child, SIGKILL);
}

/* In the helper: join the cgroup and the namespaces of init, fork the
 * process (inside the pid namespace: it drops to the privileges its
 * vp_exec leaves), wait for it and exit with its status. */
struct start {
    struct vp_appliance *a;
    const struct vp_exec *ex;
};

static int enter(void *arg, int status_fd)
{
    const struct start *st = arg;
    struct vp_appliance *a = st->a;
    struct vp_err err;
    static const char *const ns[] = {"ipc", "uts", "net", "pid", "mnt"};
    int fd[5];
    if (vp_cgroup_attach(a->cg, getpid(), &err) < 0)
        return -EPERM;
    for (int i = 0; i < 5; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/ns/%s", (long)a->init, ns[i]);
        if ((fd[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
            return -errno;
    }
    for (int i = 0; i < 5; i++)
        if (setns(fd[i], 0) < 0)
            return -errno;
    if (chdir("/") < 0)
        return -errno;
    pid_t c = fork();
    if (c < 0)
        return -errno;
    if (c == 0) { /* inside the namespace: getppid() is 0 there, and init's end is its */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        return vp_privs_drop(st->ex); /* the process itself: on to exec */
    }
    helper_child = c; /* SIGTERM to the helper reaches the process */
    signal(SIGTERM, forward);
    signal(SIGINT, forward);
    signal(SIGUSR1, forward); /* the stop of `workload run --until-stopped` */
    signal(SIGHUP, orphaned);
    /* from now on the run's death is SIGHUP (was SIGKILL, vp_spawn's: one
     * or the other is set at every moment) */
    prctl(PR_SET_PDEATHSIG, SIGHUP);
    sigset_t usr1; /* blocked since the spawn: one sent meanwhile is pending */
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);
    close(status_fd); /* the caller hears the exec (or its failure) from c */
    vp_fds_close_from(0);
    int ws;
    while (waitpid(c, &ws, 0) < 0 && errno == EINTR)
        ;
    _exit(WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws));
}

static int container_start(struct vp_appliance *a, const struct vp_exec *ex, pid_t *pid,
                           struct vp_err *err)
{
    if (a->nprocs == MAXPROCS)
        return vp_run_error(err, EMFILE, "appliance %s: too many processes", a->spec.name);
    struct start st = {a, ex};
    int rc = vp_spawn(a->j, ex, enter, &st, pid, &a->proc_id[a->nprocs], err);
    if (rc < 0)
        return rc;
    a->pid[a->nprocs++] = *pid;
    return 0;
}

/* Kill everything but init, helpers included, and reap the helpers. */
static int container_stop(struct vp_appliance *a, struct vp_err *err)
{
    (void)err;
    for (int i = 0; i < a->nprocs; i++)
        vp_spawn_kill(a->j, a->pid[i], a->proc_id[i]);
    a->nprocs = 0;
    /* what the helpers' children left: everything in the pid namespace but init */
    if (a->init > 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)a->init, (long)a->init);
        for (int round = 0; round < 100; round++) {
            FILE *f = fopen(path, "r");
            long c;
            int n = 0;
            while (f && fscanf(f, "%ld", &c) == 1) {
                kill((pid_t)c, SIGKILL);
                n++;
            }
            if (f)
                fclose(f);
            if (n == 0)
                break;
            usleep(2000);
        }
    }
    return 0;
}

static int container_usage(struct vp_appliance *a, struct vp_appliance_usage *u, struct vp_err *err)
{
    return vp_cgroup_usage(a->cg, u, err);
}

static const char *container_cgroup_path(struct vp_appliance *a)
{
    return a->cg ? vp_cgroup_dir(a->cg) : NULL;
}

static const char *container_address(struct vp_appliance *a)
{
    return a->spec.net == VP_NET_NONE ? NULL : a->addr;
}

static void container_destroy(struct vp_appliance *a)
{
    if (!a)
        return;
    struct vp_err err;
    if (a->init > 0) /* everything in the namespace dies with init */
        kill(a->init, SIGKILL);
    container_stop(a, &err); /* the helpers outside */
    if (a->cg)
        vp_cgroup_kill(a->cg);
    if (a->init > 0)
        vp_reap(a->init);
    vp_journal_undo(a->j, a->link_id);
    vp_journal_undo(a->j, a->init_id);
    vp_cgroup_destroy(a->cg);
    vp_journal_slot_give(a->j, a->slot);
    free(a);
}

const struct vp_platform_ops vp_platform_container = {
    .version = VP_PLATFORM_OPS_VERSION,
    .name = "container",
    .summary = "Linux namespaces (net, pid, mount, uts, ipc) and a cgroup, like OpenVZ",
    .unsupported = container_unsupported,
    .validate = container_validate,
    .create = container_create,
    .start = container_start,
    .stop = container_stop,
    .usage = container_usage,
    .address = container_address,
    .destroy = container_destroy,
    .cgroup_path = container_cgroup_path,
    .set_user = true,
    .netns = container_netns,
};
