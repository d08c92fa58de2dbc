/* The virtual machine platforms: `vm` (QEMU run by virtperf, KVM where it
 * really works, else multi-threaded TCG) and `libvirt` (a transient domain
 * of this host's libvirtd); the accelerator used is recorded with
 * every run (platform/guest_image.h).
 *
 * The guest boots the image of scripts/guest-image: a Debian kernel and an
 * initramfs whose init starts virtperf-guest, the agent (guest/agent.h), on
 * the virtio-serial ports vp.agent.0..3. Disk workloads run on a virtio-blk
 * scratch disk, a sparse ext4 file per appliance (its /var/tmp), never on
 * the initramfs.
 *
 * Field mapping (the same on both):
 *   vcpus   the vCPU count (0 = as many as the host has)
 *   memory  the guest's RAM (0 = 512 MiB; more than the host has is an
 *           input error)
 *   cpus    each vCPU thread pinned: one CPU each, in list order, when the
 *           list has a CPU per vCPU (a core per vCPU), else every vCPU to
 *           the whole list; QEMU's other threads to the whole list
 *   weight  the CPU share of the QEMU process's cgroup (4·weight shares,
 *           as for containers); cap: its CFS quota, for the whole VM like
 *           a Xen domain's cap
 *   accel   auto | kvm | tcg
 *   disk    the scratch disk's size (default 4 GiB, sparse)
 *   net     bridge, routed: a tap on the run's bridge or routed path;
 *           direct: a macvtap (the VMM-bypass path of seed 001, the SR-IOV
 *           role of seed 004); the guest's eth0 gets its address from
 *           its kernel command line (platform/net.h)
 *
 * start() runs on the host, beside QEMU, a process that speaks for the one
 * in the guest: virtperf's own `workload run` gets --guest-agent (its rounds
 * run in the guest, its store and start barrier stay here); any other
 * command runs in the guest under `virtperf guest-exec`, its output and
 * exit status relayed. Each takes a free agent port.
 *
 * The appliance's directory (journal directory/virtperf-<run>-vm.XXXXXX) holds
 * the agent and QMP sockets (mode 0600), console.log and platform.json;
 * everything is journaled before it exists and goes with the run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/host.h"
#include "core/signals.h"
#include "guest/console.h"
#include "guest/remote.h"
#include "platform/cgroup.h"
#include "platform/journal.h"
#include "platform/spawn.h"
#include "platform/vm_priv.h"

#define HOST_RESERVE     (256ull << 20) /* what the host keeps for itself */
#define BOOT_WAIT_TCG_NS 90000000000ull /* 3 s on a quiet host; a loaded one is slower */
#define BOOT_WAIT_KVM_NS 30000000000ull
/* how long one greeting connection waits (vp_remote_open greets again on
 * it every 100 ms) before QEMU is looked at again */
#define READY_POLL_MS 1000

static const char *vm_unsupported(void)
{
    return vp_guest_image_missing();
}

/* The checks that need nothing built. */
static int check_spec(const struct vm_backend *be, const struct vp_appliance_spec *s,
                      struct vp_err *err)
{
    int rc = vp_appliance_spec_check(s, err);
    if (rc < 0)
        return rc;
    const char *why = vm_unsupported();
    if (why)
        return vp_input_error(err, "platform %s: %s", be->platform, why);
    if (s->accel < VP_ACCEL_AUTO || s->accel > VP_ACCEL_TCG)
        return vp_input_error(err, "accel %d: not auto, kvm or tcg", s->accel);
    struct vp_host h;
    vp_host_read(&h);
    uint64_t mem = s->memory ? s->memory : VP_VM_DEFAULT_MEMORY;
    if (h.mem_total && mem + HOST_RESERVE > h.mem_total)
        return vp_input_error(err, "memory %llu MiB: more than this host's %llu MiB can give a VM",
                              (unsigned long long)(mem >> 20),
                              (unsigned long long)((h.mem_total - HOST_RESERVE) >> 20));
    return be->check ? be->check(s, err) : 0;
}

/* The image and the accelerator: built and probed once, then cached. */
static int image_and_accel(const struct vp_appliance_spec *s, struct vp_guest_image *img,
                           enum vp_accel *used, struct vp_err *err)
{
    int rc = vp_guest_image_get(img, err);
    return rc < 0 ? rc : vp_accel_resolve(img, (enum vp_accel)s->accel, used, err);
}

static int validate(const struct vm_backend *be, const struct vp_appliance_spec *s,
                    struct vp_err *err)
{
    struct vp_guest_image img;
    enum vp_accel used;
    int rc = check_spec(be, s, err);
    return rc < 0 ? rc : image_and_accel(s, &img, &used, err);
}

/* The guest's console (or QEMU's own log) says why it is not there. */
static int guest_missing(struct vp_appliance *a, int errnum, const char *what, struct vp_err *err)
{
    char path[sizeof a->dir + 16], msg[160];
    snprintf(path, sizeof path, "%s/console.log", a->dir);
    snprintf(msg, sizeof msg, "appliance %s: %s", a->spec.name, what);
    return vp_guest_error(err, errnum, path, msg);
}

/* Wait until the guest's agent answers on port 0, or the machine is gone. */
static int wait_ready(struct vp_appliance *a, struct vp_err *err)
{
    char sock[sizeof a->dir + 32];
    vp_vm_port_path(a, 0, sock, sizeof sock);
    uint64_t deadline =
        vp_now_ns() + (a->accel == VP_ACCEL_KVM ? BOOT_WAIT_KVM_NS : BOOT_WAIT_TCG_NS);
    for (;;) {
        struct vp_remote *r;
        struct vp_err e = {0};
        if (vp_interrupted)
            return vp_run_error(err, EINTR, "appliance %s: interrupted while booting",
                                a->spec.name);
        if (!a->be->running(a))
            return guest_missing(a, 0, "the machine ended while the guest booted", err);
        if (vp_remote_open(sock, READY_POLL_MS, &r, &e) == 0) {
            vp_remote_close(r);
            return 0;
        }
        if (vp_now_ns() > deadline)
            return guest_missing(a, ETIMEDOUT, "the guest did not come up", err);
    }
}

/* The host side of the guest's network (platform/net.h). */
static int attach_net(struct vp_appliance *a, struct vp_err *err)
{
    if (a->spec.net == VP_NET_NONE)
        return 0;
    if ((a->slot = vp_journal_slot_take(a->j)) < 0)
        return vp_input_error(err, "appliance %s: more than %d appliances at once", a->spec.name,
                              VP_JOURNAL_SLOTS);
    return vp_net_attach_vm(a->j, a->spec.net, a->slot, a->addr, sizeof a->addr, &a->net,
                            &a->link_id, err);
}

static void detach_net(struct vp_appliance *a)
{
    if (a->net.tapfd >= 0)
        close(a->net.tapfd);
    a->net.tapfd = -1;
    vp_journal_undo(a->j, a->link_id);
    a->link_id = -1;
    if (a->slot >= 0)
        vp_journal_slot_give(a->j, a->slot);
    a->slot = -1;
}

static void destroy(struct vp_appliance *a);

static int create(const struct vm_backend *be, const struct vp_appliance_spec *s,
                  struct vp_journal *j, struct vp_appliance **out, struct vp_err *err)
{
    struct vp_appliance *a = calloc(1, sizeof *a);
    int rc;
    if (a == NULL)
        return vp_run_error(err, ENOMEM, "appliance");
    a->be = be;
    a->spec = *s;
    a->j = j;
    a->qemu_id = a->slot = a->link_id = -1;
    a->net.tapfd = -1;
    for (int p = 0; p < VP_GUEST_PORTS; p++)
        a->port_id[p] = -1;
    if ((rc = check_spec(be, s, err)) < 0 || (rc = image_and_accel(s, &a->img, &a->accel, err)) < 0)
        goto fail;
    if (s->cpus[0]) {
        vp_cpulist_parse("cpus", s->cpus, &a->mask, err);
        a->pinned = true;
    }
    if ((rc = vp_vm_make_files(a, err)) < 0 || (rc = attach_net(a, err)) < 0)
        goto fail;
    uint64_t t0 = vp_now_ns();
    if ((rc = be->launch(a, err)) < 0 || (rc = wait_ready(a, err)) < 0)
        goto fail;
    a->boot_s = (double)(vp_now_ns() - t0) / 1e9;
    if ((rc = vp_vm_write_platform(a, err)) < 0)
        goto fail;
    *out = a;
    return 0;
fail:
    destroy(a);
    return rc;
}

/* A port no process of ours holds (one whose relay ended is free again). */
static int free_port(struct vp_appliance *a)
{
    for (int p = 0; p < VP_GUEST_PORTS; p++)
        if (a->port_pid[p] <= 0 || vp_proc_starttime(a->port_pid[p]) != a->port_start[p])
            return p;
    return -1;
}

static int start(struct vp_appliance *a, const struct vp_exec *ex, pid_t *pid, struct vp_err *err)
{
    int port = free_port(a);
    if (port < 0)
        return vp_run_error(err, EBUSY, "appliance %s: all %d agent ports busy", a->spec.name,
                            VP_GUEST_PORTS);
    struct vp_argv cl;
    char sock[sizeof a->dir + 32];
    vp_vm_port_path(a, port, sock, sizeof sock);
    int rc = vp_relay_argv(ex->argv, sock, &cl, err);
    if (rc < 0)
        return rc;
    struct vp_exec relay = *ex;
    relay.argv = cl.argv;
    /* the last relay on this port is gone; its caller reaps it, not us */
    if (a->port_id[port] >= 0)
        vp_journal_done(a->j, a->port_id[port]);
    if ((rc = vp_spawn(a->j, &relay, NULL, NULL, pid, &a->port_id[port], err)) < 0) {
        a->port_pid[port] = 0;
        return rc;
    }
    a->port_pid[port] = *pid;
    a->port_start[port] = vp_proc_starttime(*pid);
    return 0;
}

static int stop(struct vp_appliance *a, struct vp_err *err)
{
    (void)err;
    for (int p = 0; p < VP_GUEST_PORTS; p++) {
        if (a->port_id[p] >= 0)
            vp_spawn_kill(a->j, a->port_pid[p], a->port_id[p]);
        a->port_pid[p] = 0;
        a->port_id[p] = -1;
    }
    return 0;
}

static int usage(struct vp_appliance *a, struct vp_appliance_usage *u, struct vp_err *err)
{
    return a->be->usage(a, u, err);
}

static const char *address(struct vp_appliance *a)
{
    return a->spec.net == VP_NET_NONE ? NULL : a->addr;
}

static const char *cgroup_path(struct vp_appliance *a)
{
    return a->be->cgroup_dir(a);
}

static int vcpu_threads(struct vp_appliance *a, pid_t *tids, int max)
{
    int n = a->nvcpus < max ? a->nvcpus : max;
    memcpy(tids, a->vcpu_tid, (size_t)n * sizeof *tids);
    return n;
}

static void destroy(struct vp_appliance *a)
{
    if (a == NULL)
        return;
    struct vp_err err;
    stop(a, &err);
    a->be->halt(a);
    detach_net(a);
    vp_vm_remove_files(a);
    free(a->facts);
    free(a);
}

static const char *facts(struct vp_appliance *a)
{
    return a->facts;
}

/* The two ops tables: the same functions over their backends. */
static int vm_validate(const struct vp_appliance_spec *s, struct vp_err *err)
{
    return validate(&vp_vm_qemu, s, err);
}

static int vm_create(const struct vp_appliance_spec *s, struct vp_journal *j,
                     struct vp_appliance **out, struct vp_err *err)
{
    return create(&vp_vm_qemu, s, j, out, err);
}

const struct vp_platform_ops vp_platform_vm = {
    .version = VP_PLATFORM_OPS_VERSION,
    .name = "vm",
    .summary = "a QEMU virtual machine (KVM where it works, else TCG) with the guest agent",
    .unsupported = vm_unsupported,
    .validate = vm_validate,
    .create = vm_create,
    .start = start,
    .stop = stop,
    .usage = usage,
    .address = address,
    .destroy = destroy,
    .cgroup_path = cgroup_path,
    .vcpu_threads = vcpu_threads,
    .facts = facts,
};

static int libvirt_validate(const struct vp_appliance_spec *s, struct vp_err *err)
{
    return validate(&vp_vm_libvirt, s, err);
}

static int libvirt_create(const struct vp_appliance_spec *s, struct vp_journal *j,
                          struct vp_appliance **out, struct vp_err *err)
{
    return create(&vp_vm_libvirt, s, j, out, err);
}

const struct vp_platform_ops vp_platform_libvirt = {
    .version = VP_PLATFORM_OPS_VERSION,
    .name = "libvirt",
    .summary = "the same virtual machine as a transient domain of this host's libvirtd",
    .unsupported = vm_unsupported,
    .validate = libvirt_validate,
    .create = libvirt_create,
    .start = start,
    .stop = stop,
    .usage = usage,
    .address = address,
    .destroy = destroy,
    .cgroup_path = cgroup_path,
    .vcpu_threads = vcpu_threads,
    .facts = facts,
};
