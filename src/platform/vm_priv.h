/* The virtual machine platforms' own parts. Both run the same guest image
 * with the same agent and differ only in who runs QEMU: `vm` starts it
 * itself (vm_qemu.c), `libvirt` asks libvirtd for a transient domain
 * (vm_libvirt.c). vm.c holds what they share: the appliance's life, the
 * host-side processes on the agent ports; vm_files.c its files. */
#ifndef VP_PLATFORM_VM_PRIV_H
#define VP_PLATFORM_VM_PRIV_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "guest/proto.h"
#include "platform/guest_image.h"
#include "platform/net.h"
#include "platform/platform.h"
#include "platform/relay.h"
#include "platform/qmp.h"

#define VP_VM_DEFAULT_MEMORY (512ull << 20)
#define VP_VM_DEFAULT_DISK   (4ull << 30) /* sparse: it costs what is written */

/* Who runs the machine. */
struct vm_backend {
    const char *platform; /* "vm", "libvirt" */
    /* What only this backend must check (libvirt: its connection). Optional. */
    int (*check)(const struct vp_appliance_spec *s, struct vp_err *err);
    /* Start the machine with its weight, cap and vCPU pinning in force, and
     * fill the vCPU threads when they can be known (a local QEMU). */
    int (*launch)(struct vp_appliance *a, struct vp_err *err);
    bool (*running)(struct vp_appliance *a);
    int (*usage)(struct vp_appliance *a, struct vp_appliance_usage *u, struct vp_err *err);
    const char *(*cgroup_dir)(struct vp_appliance *a);
    /* Stop the machine (for good) and forget it; never fails loudly. */
    void (*halt)(struct vp_appliance *a);
};
extern const struct vm_backend vp_vm_qemu, vp_vm_libvirt;

struct vm_libvirt; /* vm_libvirt.c's own */

struct vp_appliance {
    const struct vm_backend *be;
    struct vp_appliance_spec spec;
    struct vp_journal *j;
    struct vp_guest_image img;
    enum vp_accel accel;
    struct vp_cpumask mask;
    bool pinned;
    char dir[PATH_MAX]; /* sockets, console.log, qemu.log, platform.json */
    bool dir_made;
    char disk_dir[PATH_MAX];  /* the scratch disk's directory, on a real disk */
    char disk[PATH_MAX + 16]; /* disk_dir/disk.img */
    bool disk_made, disk_direct;
    /* vm: the QEMU process, its journal entry and cgroup */
    pid_t qemu;
    int qemu_id;
    struct vp_cgroup *cg;
    struct vm_libvirt *lv; /* libvirt: the connection and the domain */
    pid_t vcpu_tid[VP_QMP_MAX_VCPUS];
    int nvcpus;
    double boot_s; /* from starting the machine to the agent's answer */
    char *facts;   /* what platform.json holds (malloc'd), for ops->facts */
    /* the network (net != none): its slot, the guest's address, the host
     * side (a tap, or a macvtap's descriptor) and its journal entry */
    int slot;
    char addr[32];
    struct vp_net_vm net;
    int link_id;
    pid_t port_pid[VP_GUEST_PORTS];                /* the host-side process on each agent port */
    unsigned long long port_start[VP_GUEST_PORTS]; /* its start time: pids are reused */
    int port_id[VP_GUEST_PORTS];
};

/* The UNIX socket of agent port n. */
void vp_vm_port_path(const struct vp_appliance *a, int port, char *out, size_t len);

/* The appliance's directory (in the journal's: short, for the sockets)
 * and its scratch disk's (sparse, ext4, on a real disk), both journaled
 * scratch directories (core/workdir.h); and their removal (what was
 * made, idempotent). */
int vp_vm_make_files(struct vp_appliance *a, struct vp_err *err);
void vp_vm_remove_files(struct vp_appliance *a);

/* platform.json in the appliance's directory: what the runs in it are
 * stored with (guest/remote.h): accelerator, vCPUs, memory, pinning, the
 * disk's cache mode, the image, and how long the guest took to come up. */
int vp_vm_write_platform(struct vp_appliance *a, struct vp_err *err);

/* The vCPUs and the memory the guest gets (the spec's, or the defaults). */
long vp_vm_vcpus(const struct vp_appliance *a);
unsigned long long vp_vm_memory(const struct vp_appliance *a);

/* The guest kernel's command line: console, panic, "vp.name=NAME", and
 * with a network "vp.addr=A/NN vp.gw=H". */
void vp_vm_cmdline(const struct vp_appliance *a, char *out, size_t len);

/* The CPU each vCPU is pinned to: one each, in list order, when the list
 * has a CPU per vCPU, else -1 (the whole list). */
int vp_vm_vcpu_cpu(const struct vp_appliance *a, int vcpu, int nvcpus);

#endif
