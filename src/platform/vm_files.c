/* A VM appliance's files, and the command lines both VM platforms make. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fds.h"
#include "core/workdir.h"
#include "platform/journal.h"
#include "platform/vm_priv.h"

#define DISK_BASE "/var/tmp" /* a real disk: the scratch disk's writes must not fill RAM */

void vp_vm_port_path(const struct vp_appliance *a, int port, char *out, size_t len)
{
    snprintf(out, len, "%s/agent.%d.sock", a->dir, port);
}

/* mkfs.ext4 on the disk file (no root needed on a file). */
static int format_disk(const char *disk, struct vp_err *err)
{
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 1);
        dup2(null, 2);
        vp_fds_close_from(3);
        signal(SIGPIPE, SIG_DFL);
        execlp("mkfs.ext4", "mkfs.ext4", "-q", "-F", "-m", "0", "-E",
               "lazy_itable_init=1,lazy_journal_init=1,nodiscard", disk, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return vp_run_error(
            err, 0, "mkfs.ext4 %s failed%s", disk,
            WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (is e2fsprogs installed?)" : "");
    return 0;
}

static int make_disk(struct vp_appliance *a, struct vp_err *err)
{
    int rc = vp_workdir_make(DISK_BASE, "vm-disk", a->disk_dir, sizeof a->disk_dir, err);
    if (rc < 0)
        return rc;
    a->disk_made = true;
    snprintf(a->disk, sizeof a->disk, "%s/disk.img", a->disk_dir);
    int fd = open(a->disk, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    uint64_t size = a->spec.disk ? a->spec.disk : VP_VM_DEFAULT_DISK;
    if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
        rc = vp_run_error(err, errno, "scratch disk %s", a->disk);
        if (fd >= 0)
            close(fd);
        return rc;
    }
    close(fd);
    if ((rc = format_disk(a->disk, err)) < 0)
        return rc;
    /* the guest's writes go to the disk, not to the host's page cache,
     * where the filesystem allows it */
    fd = open(a->disk, O_RDONLY | O_DIRECT | O_CLOEXEC);
    a->disk_direct = fd >= 0;
    if (fd >= 0)
        close(fd);
    return 0;
}

int vp_vm_make_files(struct vp_appliance *a, struct vp_err *err)
{
    char jdir[PATH_MAX];
    int rc = vp_journal_dir_make(jdir, sizeof jdir, err);
    if (rc < 0)
        return rc;
    /* a UNIX socket's path has 108 bytes: the sockets' directory must be short */
    if (strlen(jdir) + sizeof "/" VP_WORKDIR_PREFIX "12345678-vm.XXXXXX/agent.0.sock" > 108)
        return vp_input_error(err, "journal directory %s: too long for a VM's sockets", jdir);
    rc = vp_workdir_make(jdir, "vm", a->dir, sizeof a->dir, err);
    if (rc < 0)
        return rc;
    a->dir_made = true;
    return make_disk(a, err);
}

void vp_vm_remove_files(struct vp_appliance *a)
{
    if (a->disk_made)
        vp_rmtree(a->disk_dir);
    if (a->dir_made)
        vp_rmtree(a->dir);
    a->disk_made = a->dir_made = false;
}

int vp_vm_write_platform(struct vp_appliance *a, struct vp_err *err)
{
    char path[sizeof a->dir + 16];
    const char *key = strrchr(a->img.dir, '/');
    snprintf(path, sizeof path, "%s/platform.json", a->dir);
    json_t *p = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:f}", "name", a->be->platform,
                          "accel", vp_accel_names[a->accel], "vcpus", (json_int_t)vp_vm_vcpus(a),
                          "memory", (json_int_t)vp_vm_memory(a), "cpus", a->spec.cpus, "disk_cache",
                          a->disk_direct ? "none" : "writeback", "image",
                          key ? key + 1 : a->img.dir, "boot_s", a->boot_s);
    free(a->facts);
    a->facts = p ? json_dumps(p, JSON_COMPACT) : NULL;
    int rc = a->facts && json_dump_file(p, path, JSON_COMPACT) == 0
                 ? 0
                 : vp_run_error(err, errno, "appliance %s: %s", a->spec.name, path);
    json_decref(p);
    return rc;
}

long vp_vm_vcpus(const struct vp_appliance *a)
{
    return a->spec.vcpus > 0 ? (long)a->spec.vcpus : (long)vp_cpus_online();
}

unsigned long long vp_vm_memory(const struct vp_appliance *a)
{
    return a->spec.memory ? a->spec.memory : VP_VM_DEFAULT_MEMORY;
}

/* panic=-1 with -no-reboot: a panic ends QEMU. pci=noacpi skips ACPI's
 * PCI interrupt links, 0.4 s of a TCG boot; but the kernel (Debian's has
 * no MP-table support) then runs without its local APIC and brings up one
 * CPU only, so a guest of more vCPUs boots without it. */
void vp_vm_cmdline(const struct vp_appliance *a, char *out, size_t len)
{
    char host[32], net[96] = "";
    if (a->spec.net != VP_NET_NONE) {
        vp_net_host_address(a->j, a->spec.net, host, sizeof host);
        snprintf(net, sizeof net, " vp.addr=%s/%d vp.gw=%s", a->addr,
                 a->spec.net == VP_NET_ROUTED ? 32 : 24, host);
    }
    snprintf(out, len, "console=ttyS0 panic=-1 quiet%s vp.name=%s%s",
             vp_vm_vcpus(a) == 1 ? " pci=noacpi" : "", a->spec.name, net);
}

int vp_vm_vcpu_cpu(const struct vp_appliance *a, int vcpu, int nvcpus)
{
    const size_t w = 8 * sizeof(unsigned long);
    int k = 0, cpu = -1, ncpu = 0;
    for (int c = 0; c < 1024; c++) {
        if (!(a->mask.bits[c / w] & (1UL << (c % w))))
            continue;
        if (k++ == vcpu)
            cpu = c;
        ncpu++;
    }
    return a->pinned && ncpu >= nvcpus ? cpu : -1;
}
