/* The libvirt platform's backend: the same guest as a transient domain of
 * this host's libvirtd (the libvirt C API), on `uri` (default
 * qemu:///system; a remote one is refused: the guest's sockets, disk and
 * network are made here). Weight, cap and pinning are the domain's
 * <cputune>; its QEMU
 * runs as root (a static DAC label, nothing relabelled), so the image and
 * the appliance's files need no other owner.
 *
 * The domain is started with VIR_DOMAIN_START_AUTODESTROY: libvirtd
 * destroys it when this process's connection closes, so a killed run does
 * not leave a guest burning CPU; it is journaled (kind domain) before it
 * exists all the same, for `virtperf cleanup`. */
#include <errno.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/cgroup.h"
#include "platform/journal.h"
#include "platform/vm_libvirt.h"
#include "platform/vm_priv.h"

#define DEFAULT_URI "qemu:///system"

struct vm_libvirt {
    virConnectPtr conn;
    virDomainPtr dom;
    char uri[VP_STR_MAX];
    char name[128];
    int dom_id; /* its journal entry */
    char cgroup[PATH_MAX];
};

/* libvirt prints every error on stderr unless told otherwise: its messages
 * reach the user through ours instead. */
static void quiet(void *arg, virErrorPtr e)
{
    (void)arg, (void)e;
}

static virConnectPtr connect_to(const char *uri, struct vp_err *err)
{
    virSetErrorFunc(NULL, quiet);
    virConnectPtr c = virConnectOpen(uri);
    if (c == NULL)
        vp_input_error(err, "libvirt %s not reachable: %s", uri,
                       virGetLastErrorMessage() ? virGetLastErrorMessage() : "no reason given");
    return c;
}

static const char *uri_of(const struct vp_appliance_spec *s)
{
    return s->uri[0] ? s->uri : DEFAULT_URI;
}

int vp_libvirt_remote(const char *uri, char *dest, size_t dest_len, char *local, size_t local_len,
                      struct vp_err *err)
{
    static const char scheme[] = "qemu+ssh://";
    if (strncmp(uri, scheme, sizeof scheme - 1) != 0)
        return 0;
    const char *host = uri + sizeof scheme - 1, *path = strchr(host, '/');
    size_t n = path ? (size_t)(path - host) : strlen(host);
    if (n == 0 || n >= dest_len || path == NULL ||
        (strcmp(path, "/system") != 0 && strcmp(path, "/session") != 0))
        return vp_input_error(err, "libvirt-uri %s: want qemu+ssh://[USER@]HOST/system", uri);
    if (memchr(host, ':', n) || memchr(host, '[', n))
        return vp_input_error(
            err,
            "libvirt-uri %s: a port goes in hosts: (NAME: {ssh: \"USER@HOST:PORT\"}), "
            "and NAME in the URI",
            uri);
    snprintf(dest, dest_len, "%.*s", (int)n, host);
    snprintf(local, local_len, "qemu://%s", path);
    return 1;
}

/* A local libvirtd that answers: the guest's sockets, disk and network are
 * made on this host, so a domain on another one could not use them. */
static int check(const struct vp_appliance_spec *s, struct vp_err *err)
{
    if (vp_appliance_spec_no_nics(s, "libvirt", err) < 0)
        return -EINVAL;
    const char *uri = uri_of(s), *sep = strstr(uri, "://");
    if (sep == NULL || sep[3] != '/')
        return vp_input_error(err,
                              "libvirt-uri %s: only this host's libvirtd here (qemu:///system): "
                              "the guest's sockets, disk and network are made where it runs "
                              "(an experiment reaches another's, qemu+ssh://HOST/system, "
                              "through that host's agent)",
                              uri);
    virConnectPtr c = connect_to(uri, err);
    if (c == NULL)
        return -EINVAL;
    virConnectClose(c);
    return 0;
}

/* The <cputune> of the appliance's weight, cap and pinning. */
static void cputune(const struct vp_appliance *a, FILE *x)
{
    const struct vp_appliance_spec *s = &a->spec;
    long vcpus = vp_vm_vcpus(a);
    fprintf(x, "<cputune><shares>%lld</shares>", (long long)(4 * s->weight));
    if (s->cap)
        fprintf(x, "<global_period>100000</global_period><global_quota>%lld</global_quota>",
                (long long)(s->cap * 1000));
    for (long i = 0; a->pinned && i < vcpus; i++) {
        int cpu = vp_vm_vcpu_cpu(a, (int)i, (int)vcpus);
        if (cpu >= 0)
            fprintf(x, "<vcpupin vcpu='%ld' cpuset='%d'/>", i, cpu);
        else
            fprintf(x, "<vcpupin vcpu='%ld' cpuset='%s'/>", i, s->cpus);
    }
    if (a->pinned)
        fprintf(x, "<emulatorpin cpuset='%s'/>", s->cpus);
    fputs("</cputune>", x);
}

/* The domain: the vm platform's QEMU command line, said in libvirt's XML. */
static char *domain_xml(const struct vp_appliance *a, const char *name)
{
    const struct vp_appliance_spec *s = &a->spec;
    char *xml = NULL;
    size_t len = 0;
    FILE *x = open_memstream(&xml, &len);
    if (x == NULL)
        return NULL;
    bool kvm = a->accel == VP_ACCEL_KVM;
    char cmdline[256];
    vp_vm_cmdline(a, cmdline, sizeof cmdline);
    fprintf(x, "<domain type='%s'><name>%s</name>", kvm ? "kvm" : "qemu", name);
    fprintf(x, "<memory unit='MiB'>%llu</memory>", vp_vm_memory(a) >> 20);
    fprintf(x, "<vcpu placement='static'>%lld</vcpu>", (long long)vp_vm_vcpus(a));
    cputune(a, x);
    fprintf(x,
            "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>%s</kernel>"
            "<initrd>%s</initrd><cmdline>%s</cmdline></os>",
            a->img.kernel, a->img.initrd, cmdline);
    fprintf(x, "<features><acpi/></features><cpu mode='%s'/>",
            kvm ? "host-passthrough" : "maximum");
    fputs("<on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot>"
          "<on_crash>destroy</on_crash>"
          "<seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>",
          x);
    fprintf(x,
            "<devices><emulator>/usr/bin/" VP_QEMU "</emulator>"
            "<disk type='file' device='disk'><driver name='qemu' type='raw' cache='%s'/>"
            "<source file='%s'/><target dev='vda' bus='virtio'/></disk>"
            "<controller type='virtio-serial' index='0'/>",
            a->disk_direct ? "none" : "writeback", a->disk);
    for (int p = 0; p < VP_GUEST_PORTS; p++)
        fprintf(x,
                "<channel type='unix'><source mode='bind' path='%s/agent.%d.sock'/>"
                "<target type='virtio' name='" VP_GUEST_PORT_NAME "'/></channel>",
                a->dir, p, p);
    if (s->net != VP_NET_NONE) /* the tap or macvtap made for it (platform/net.h) */
        fprintf(x,
                "<interface type='ethernet'><target dev='%s' managed='no'/><mac address='%s'/>"
                "<model type='virtio'/><rom enabled='no'/></interface>",
                a->net.tap, a->net.mac);
    fprintf(x,
            "<serial type='file'><source path='%s/console.log'/><target port='0'/></serial>"
            "<memballoon model='none'/></devices></domain>",
            a->dir);
    if (fclose(x) != 0) {
        free(xml);
        return NULL;
    }
    return xml;
}

/* The vCPU threads, through libvirt's QEMU monitor pass-through. */
static void find_vcpus(struct vp_appliance *a)
{
    char *reply = NULL;
    if (virDomainQemuMonitorCommand(a->lv->dom, "{\"execute\":\"query-cpus-fast\"}", &reply, 0) < 0)
        return;
    json_t *m = json_loads(reply, 0, NULL);
    a->nvcpus = vp_qmp_parse_vcpus(json_object_get(m, "return"), a->vcpu_tid, VP_QMP_MAX_VCPUS);
    json_decref(m);
    free(reply);
}

/* Whether a /proc/PID/cgroup line's controller list ("cpu,cpuacct")
 * names controller. */
static bool has_controller(const char *list, const char *controller)
{
    size_t n = strlen(controller);
    for (const char *p = list; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
        if (strncmp(p, controller, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return true;
    }
    return false;
}

/* The domain's cgroup (local domains): a vCPU thread sits in its vcpuN
 * child (libvirt's layout), the domain is the parent. */
static void find_cgroup(struct vp_appliance *a)
{
    char path[64], line[PATH_MAX];
    if (a->nvcpus == 0)
        return;
    snprintf(path, sizeof path, "/proc/%ld/cgroup", (long)a->vcpu_tid[0]);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
        char *ctrl = strchr(line, ':'), *dir = ctrl ? strchr(ctrl + 1, ':') : NULL;
        if (dir == NULL)
            continue;
        *dir++ = '\0';
        dir[strcspn(dir, "\n")] = '\0';
        char *last = strrchr(dir, '/');
        if (last && strncmp(last, "/vcpu", 5) == 0)
            *last = '\0';
        bool v2 = ctrl[1] == '\0';
        if (v2 && vp_cgroup_version() == 2)
            snprintf(a->lv->cgroup, sizeof a->lv->cgroup, "/sys/fs/cgroup%s", dir);
        else if (has_controller(ctrl + 1, "cpu"))
            snprintf(a->lv->cgroup, sizeof a->lv->cgroup, "/sys/fs/cgroup/%s%s", ctrl + 1, dir);
    }
    if (f)
        fclose(f);
}

static int launch(struct vp_appliance *a, struct vp_err *err)
{
    struct vm_libvirt *lv = calloc(1, sizeof *lv);
    if (lv == NULL)
        return vp_run_error(err, ENOMEM, "appliance %s", a->spec.name);
    a->lv = lv;
    lv->dom_id = -1;
    snprintf(lv->uri, sizeof lv->uri, "%s", uri_of(&a->spec));
    snprintf(lv->name, sizeof lv->name, "vp-%s-%s", vp_journal_run(a->j), a->spec.name);
    if (a->net.tapfd >= 0) { /* libvirt opens the macvtap itself, by name */
        close(a->net.tapfd);
        a->net.tapfd = -1;
    }
    if ((lv->conn = connect_to(lv->uri, err)) == NULL)
        return -EINVAL;
    char what[VP_STR_MAX + 160];
    snprintf(what, sizeof what, "%s %s", lv->uri, lv->name);
    if ((lv->dom_id = vp_journal_add(a->j, VP_RES_DOMAIN, what, err)) < 0)
        return lv->dom_id;
    char *xml = domain_xml(a, lv->name);
    if (xml == NULL)
        return vp_run_error(err, ENOMEM, "appliance %s: domain XML", a->spec.name);
    lv->dom = virDomainCreateXML(lv->conn, xml, VIR_DOMAIN_START_AUTODESTROY);
    free(xml);
    if (lv->dom == NULL)
        return vp_run_error(err, 0, "appliance %s: libvirt: %s", a->spec.name,
                            virGetLastErrorMessage());
    find_vcpus(a);
    find_cgroup(a);
    return 0;
}

static bool running(struct vp_appliance *a)
{
    return a->lv && a->lv->dom && virDomainIsActive(a->lv->dom) == 1;
}

/* CPU time as libvirt counts it (the domain's cgroup), split into user
 * and system in the proportion of its tick-sampled figures. */
static int usage(struct vp_appliance *a, struct vp_appliance_usage *u, struct vp_err *err)
{
    virTypedParameter p[8];
    memset(u, 0, sizeof *u);
    int n = running(a) ? virDomainGetCPUStats(a->lv->dom, p, 8, -1, 1, 0) : -1;
    if (n < 0)
        return vp_run_error(err, 0, "appliance %s: CPU statistics: %s", a->spec.name,
                            virGetLastErrorMessage() ? virGetLastErrorMessage() : "not running");
    unsigned long long total = 0, user = 0, sys = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(p[i].field, VIR_DOMAIN_CPU_STATS_CPUTIME) == 0)
            total = p[i].value.ul;
        else if (strcmp(p[i].field, VIR_DOMAIN_CPU_STATS_USERTIME) == 0)
            user = p[i].value.ul;
        else if (strcmp(p[i].field, VIR_DOMAIN_CPU_STATS_SYSTEMTIME) == 0)
            sys = p[i].value.ul;
    }
    double user_part = user + sys ? (double)user / (double)(user + sys) : 1.0;
    u->cpu_user_ns = (uint64_t)((double)total * user_part);
    u->cpu_system_ns = total - u->cpu_user_ns;
    if (a->lv->cgroup[0]) /* a cap at work (local domains) */
        vp_cgroup_throttling(a->lv->cgroup, u);
    return 0;
}

static const char *cgroup_dir(struct vp_appliance *a)
{
    return a->lv && a->lv->cgroup[0] ? a->lv->cgroup : NULL;
}

static void halt(struct vp_appliance *a)
{
    struct vm_libvirt *lv = a->lv;
    if (lv == NULL)
        return;
    if (lv->dom) {
        virDomainDestroy(lv->dom);
        virDomainFree(lv->dom);
    }
    if (lv->dom_id >= 0)
        vp_journal_done(a->j, lv->dom_id);
    if (lv->conn)
        virConnectClose(lv->conn);
    free(lv);
    a->lv = NULL;
}

int vp_libvirt_domain_remove(const char *what, bool dry_run)
{
    char uri[VP_STR_MAX], name[128];
    if (sscanf(what, "%255s %127s", uri, name) != 2)
        return -EINVAL;
    virSetErrorFunc(NULL, quiet);
    virConnectPtr c = virConnectOpen(uri);
    if (c == NULL)
        return -ECONNREFUSED;
    virDomainPtr d = virDomainLookupByName(c, name);
    int rc = 0;
    if (d) {
        rc = dry_run || virDomainDestroy(d) == 0 ? 1 : -EIO;
        virDomainFree(d);
    }
    virConnectClose(c);
    return rc;
}

const struct vm_backend vp_vm_libvirt = {
    .platform = "libvirt",
    .check = check,
    .launch = launch,
    .running = running,
    .usage = usage,
    .cgroup_dir = cgroup_dir,
    .halt = halt,
};
