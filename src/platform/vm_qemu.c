/* The vm platform's backend: QEMU run by virtperf itself, in a cgroup of
 * its own (weight, cap: the same code as containers), journaled, dying with
 * the thread that started it; its vCPU threads pinned through QMP before
 * the guest boots. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "platform/cgroup.h"
#include "platform/journal.h"
#include "platform/spawn.h"
#include "platform/vm_priv.h"

#define QMP_WAIT_NS  10000000000ull
#define QUIT_WAIT_NS 3000000000ull

static bool qemu_argv(const struct vp_appliance *a, struct vp_argv *c)
{
    const struct vp_appliance_spec *s = &a->spec;
    long vcpus = vp_vm_vcpus(a);
    unsigned long long mib = vp_vm_memory(a) >> 20;
    c->argc = 0;
    bool ok = vp_argv_add(c, VP_QEMU) && vp_argv_add(c, "-name") &&
              /* named threads ("CPU 0/TCG"): the profiler's vCPU figures */
              vp_argv_add(c, "vp-%s-%s,debug-threads=on", vp_journal_run(a->j), s->name) &&
              vp_argv_add(c, "-accel") && vp_argv_add(c, "%s", vp_accel_qemu_arg(a->accel)) &&
              vp_argv_add(c, "-cpu") && vp_argv_add(c, a->accel == VP_ACCEL_KVM ? "host" : "max") &&
              vp_argv_add(c, "-smp") && vp_argv_add(c, "%ld", vcpus) && vp_argv_add(c, "-m") &&
              vp_argv_add(c, "%llu", mib) && vp_argv_add(c, "-nodefaults") &&
              vp_argv_add(c, "-no-user-config") && vp_argv_add(c, "-nographic") &&
              /* stopped until its vCPU threads are pinned (QMP "cont") */
              vp_argv_add(c, "-S") && vp_argv_add(c, "-no-reboot") && vp_argv_add(c, "-chardev") &&
              vp_argv_add(c, "file,id=con0,path=%s/console.log", a->dir) &&
              vp_argv_add(c, "-serial") && vp_argv_add(c, "chardev:con0") &&
              vp_argv_add(c, "-qmp") &&
              vp_argv_add(c, "unix:%s/qmp.sock,server=on,wait=off", a->dir) &&
              vp_argv_add(c, "-device") && vp_argv_add(c, "virtio-serial-pci");
    for (int p = 0; ok && p < VP_GUEST_PORTS; p++)
        ok = vp_argv_add(c, "-chardev") &&
             vp_argv_add(c, "socket,id=a%d,path=%s/agent.%d.sock,server=on,wait=off", p, a->dir,
                         p) &&
             vp_argv_add(c, "-device") &&
             vp_argv_add(c, "virtserialport,chardev=a%d,name=" VP_GUEST_PORT_NAME, p, p);
    /* the network: a tap by name, or the macvtap's descriptor as fd 3; no
     * boot ROM (the guest boots from -kernel, and iPXE's costs time) */
    if (ok && s->net != VP_NET_NONE) {
        ok = vp_argv_add(c, "-netdev") &&
             (a->net.tapfd >= 0
                  ? vp_argv_add(c, "tap,id=n0,fd=3")
                  : vp_argv_add(c, "tap,id=n0,ifname=%s,script=no,downscript=no", a->net.tap)) &&
             vp_argv_add(c, "-device") &&
             vp_argv_add(c, "virtio-net-pci,netdev=n0,mac=%s,romfile=", a->net.mac);
    }
    char cmdline[256];
    vp_vm_cmdline(a, cmdline, sizeof cmdline);
    return ok && vp_argv_add(c, "-drive") &&
           vp_argv_add(c, "file=%s,format=raw,if=virtio,cache=%s", a->disk,
                       a->disk_direct ? "none" : "writeback") &&
           vp_argv_add(c, "-kernel") && vp_argv_add(c, "%s", a->img.kernel) &&
           vp_argv_add(c, "-initrd") && vp_argv_add(c, "%s", a->img.initrd) &&
           vp_argv_add(c, "-append") && vp_argv_add(c, "%s", cmdline);
}

/* QEMU's process, before exec: its cgroup, and every thread on the list. */
static int prepare(void *arg, int status_fd)
{
    struct vp_appliance *a = arg;
    struct vp_err err;
    (void)status_fd;
    umask(077); /* its sockets and logs are the run's alone */
    if (a->cg && vp_cgroup_attach(a->cg, getpid(), &err) < 0)
        return -EPERM;
    if (a->pinned && sched_setaffinity(0, sizeof a->mask.bits, (cpu_set_t *)a->mask.bits) < 0)
        return -errno;
    return 0;
}

/* The vCPU threads from QMP (its socket appears as QEMU starts), each
 * pinned: on its own CPU when the list has one per vCPU, else the list. */
static int pin_vcpus(struct vp_appliance *a, struct vp_err *err)
{
    char qmp[sizeof a->dir + 16];
    snprintf(qmp, sizeof qmp, "%s/qmp.sock", a->dir);
    uint64_t deadline = vp_now_ns() + QMP_WAIT_NS;
    int n;
    while ((n = vp_qmp_vcpu_threads(qmp, a->vcpu_tid, VP_QMP_MAX_VCPUS, err)) < 0) {
        if (vp_now_ns() > deadline || !vp_vm_qemu.running(a))
            return n;
        vp_sleep_ns(10000000);
    }
    a->nvcpus = n;
    const size_t w = 8 * sizeof(unsigned long);
    for (int i = 0; a->pinned && i < n; i++) {
        struct vp_cpumask one = {{0}};
        const struct vp_cpumask *m = &a->mask;
        int cpu = vp_vm_vcpu_cpu(a, i, n);
        if (cpu >= 0) {
            one.bits[cpu / w] |= 1UL << (cpu % w);
            m = &one;
        }
        if (sched_setaffinity(a->vcpu_tid[i], sizeof m->bits, (const cpu_set_t *)m->bits) < 0)
            return vp_run_error(err, errno, "appliance %s: pin vCPU %d", a->spec.name, i);
    }
    return 0;
}

static int launch(struct vp_appliance *a, struct vp_err *err)
{
    struct vp_argv c;
    char log[sizeof a->dir + 16];
    int rc;
    if (vp_cgroup_unsupported() == NULL) {
        struct vp_cgroup_limits lim = {.weight = a->spec.weight, .cap = a->spec.cap};
        if ((rc = vp_cgroup_create(a->j, a->spec.name, &lim, &a->cg, err)) < 0)
            return rc;
    }
    if (!qemu_argv(a, &c))
        return vp_input_error(err, "appliance %s: QEMU's command line too long", a->spec.name);
    snprintf(log, sizeof log, "%s/qemu.log", a->dir);
    int fd = open(log, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return vp_run_error(err, errno, "%s", log);
    struct vp_exec ex = {.argv = c.argv,
                         .stdin_fd = -1,
                         .stdout_fd = fd,
                         .stderr_fd = fd,
                         .sync_fd = a->net.tapfd}; /* fd 3: the macvtap, when direct */
    rc = vp_spawn(a->j, &ex, prepare, a, &a->qemu, &a->qemu_id, err);
    close(fd);
    char qmp[sizeof a->dir + 16];
    snprintf(qmp, sizeof qmp, "%s/qmp.sock", a->dir);
    if (rc < 0 || (rc = pin_vcpus(a, err)) < 0)
        return rc;
    /* the caller's network cards, before the guest runs: it finds them at
     * boot, after the run network's */
    for (int i = 0; i < a->spec.nnics; i++) {
        char id[8];
        snprintf(id, sizeof id, "x%d", i);
        if ((rc = vp_qmp_add_nic(qmp, id, a->spec.nic[i].fd, a->spec.nic[i].mac, err)) < 0)
            return rc;
    }
    return vp_qmp_execute(qmp, "cont", err);
}

static bool running(struct vp_appliance *a)
{
    if (a->qemu > 0 && waitpid(a->qemu, NULL, WNOHANG) == a->qemu)
        a->qemu = 0; /* reaped: its journal entry is done in halt() */
    return a->qemu > 0;
}

static int usage(struct vp_appliance *a, struct vp_appliance_usage *u, struct vp_err *err)
{
    if (a->cg)
        return vp_cgroup_usage(a->cg, u, err);
    memset(u, 0, sizeof *u);
    vp_proc_usage(&a->qemu, 1, u);
    return 0;
}

static const char *cgroup_dir(struct vp_appliance *a)
{
    return a->cg ? vp_cgroup_dir(a->cg) : NULL;
}

/* Asked to quit, killed when it does not. */
static void halt(struct vp_appliance *a)
{
    char qmp[sizeof a->dir + 16];
    struct vp_err err;
    snprintf(qmp, sizeof qmp, "%s/qmp.sock", a->dir);
    if (running(a) && vp_qmp_execute(qmp, "quit", &err) == 0) {
        uint64_t deadline = vp_now_ns() + QUIT_WAIT_NS;
        while (running(a) && vp_now_ns() < deadline)
            vp_sleep_ns(10000000);
    }
    if (a->qemu_id >= 0)
        vp_spawn_kill(a->j, a->qemu, a->qemu_id);
    a->qemu = 0;
    a->qemu_id = -1;
    if (a->cg)
        vp_cgroup_destroy(a->cg);
    a->cg = NULL;
}

/* Weight and cap are this backend's own cgroup's. */
static int check(const struct vp_appliance_spec *s, struct vp_err *err)
{
    if ((s->weight != 256 || s->cap) && vp_cgroup_unsupported())
        return vp_input_error(err, "%s: %s", s->cap ? "cap" : "weight", vp_cgroup_unsupported());
    return 0;
}

const struct vm_backend vp_vm_qemu = {
    .platform = "vm",
    .check = check,
    .launch = launch,
    .running = running,
    .usage = usage,
    .cgroup_dir = cgroup_dir,
    .halt = halt,
};
