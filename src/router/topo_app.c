/* Routers as virtual machines: see topo_vm.h. */
#include "router/topo_vm.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/netns.h"
#include "platform/journal.h"
#include "platform/platform.h"

#define ROUTER_MEMORY (256ull << 20)

static const struct vp_platform_ops *vm(void)
{
    return vp_platform_find("vm");
}

const char *vp_fwd_vm_unsupported(void)
{
    return vm() ? vm()->unsupported() : "no vm platform in this build";
}

/* A tap named name with MAC mac (the host's side of a router's card, whose
 * address the router has as a permanent neighbour). */
static int tap_open(const char *name, const uint8_t mac[6], int *fd, struct vp_err *err)
{
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    *fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (*fd < 0)
        return vp_run_error(err, errno, "router test bed: /dev/net/tun");
    struct ifreq hw = {0};
    hw.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memcpy(hw.ifr_hwaddr.sa_data, mac, 6);
    if (ioctl(*fd, TUNSETIFF, &ifr) < 0 || ioctl(*fd, SIOCSIFHWADDR, &hw) < 0) {
        int e = errno;
        close(*fd);
        *fd = -1;
        return vp_run_error(err, e, "router test bed: tap %s", name);
    }
    return 0;
}

int vp_fwd_vm_taps(int ns, const char *a, const uint8_t mac_a[6], const char *b,
                   const uint8_t mac_b[6], int fds[2], struct vp_err *err)
{
    int back, rc = vp_netns_enter(ns, &back, err);
    if (rc < 0)
        return rc;
    /* a tap is made in the namespace of the thread that asks for it */
    if ((rc = tap_open(a, mac_a, &fds[0], err)) == 0 &&
        (rc = tap_open(b, mac_b, &fds[1], err)) < 0) {
        close(fds[0]);
        fds[0] = -1;
    }
    vp_netns_leave(back);
    return rc;
}

/* The CPUs of mask as a cpulist ("1,3"), empty for none. */
static void cpulist(uint64_t mask, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    for (int c = 0; c < 64 && n < len; c++)
        if (mask & (1ull << c))
            n += (size_t)snprintf(out + n, len - n, "%s%d", n ? "," : "", c);
}

/* Run argv in router i's guest; its output in out. */
static int run_in(struct vp_fwd_topo *t, int i, char *const *argv, char *out, size_t len,
                  struct vp_err *err)
{
    int p[2];
    pid_t pid;
    if (pipe2(p, O_CLOEXEC) < 0)
        return vp_run_error(err, errno, "pipe");
    struct vp_exec ex = {
        .argv = argv, .stdin_fd = -1, .stdout_fd = p[1], .stderr_fd = -1, .sync_fd = -1};
    int rc = vm()->start(t->r[i].vm, &ex, &pid, err);
    close(p[1]);
    size_t n = 0;
    ssize_t got;
    while (rc == 0 && n + 1 < len && (got = read(p[0], out + n, len - 1 - n)) > 0)
        n += (size_t)got;
    out[n] = '\0';
    close(p[0]);
    int ws = 0;
    if (rc == 0 && waitpid(pid, &ws, 0) != pid)
        rc = vp_run_error(err, errno, "router %d: waitpid", i);
    if (rc == 0 && !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0))
        rc = vp_run_error(err, 0, "router %d: router-node in the guest failed", i);
    return rc;
}

int vp_fwd_vm_node(struct vp_fwd_topo *t, int i, const char *step, double *secs, uint32_t *count,
                   struct vp_err *err)
{
    char *spec = vp_router_node_json(&t->r[i].node), out[256];
    if (spec == NULL)
        return vp_run_error(err, ENOMEM, "router %d", i);
    char *argv[] = {"/proc/self/exe", "router-node", "--routes", (char *)step, spec, NULL};
    int rc = run_in(t, i, argv, out, sizeof out, err);
    free(spec);
    unsigned routes = 0;
    double s = 0;
    int got = rc == 0 ? sscanf(out, "{\"routes\":%u,\"routes_s\":%lf}", &routes, &s) : 0;
    if (rc == 0 && got < 1)
        rc = vp_run_error(err, 0, "router %d: router-node said \"%.80s\"", i, out);
    if (secs)
        *secs = s;
    if (count)
        *count = routes;
    return rc;
}

int vp_fwd_vm_router(struct vp_fwd_topo *t, int i, const int fds[2], const uint8_t in[6],
                     const uint8_t out[6], struct vp_err *err)
{
    struct vp_appliance_spec s;
    char name[16];
    snprintf(name, sizeof name, "router%d", i);
    vp_appliance_spec_init(&s, name);
    s.vcpus = 1;
    s.memory = ROUTER_MEMORY;
    cpulist(t->cfg.sut_cpus, s.cpus, sizeof s.cpus);
    s.nnics = 2;
    const uint8_t *macs[2] = {in, out};
    for (int k = 0; k < 2; k++) {
        const uint8_t *m = macs[k];
        s.nic[k].fd = fds[k];
        snprintf(s.nic[k].mac, sizeof s.nic[k].mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
                 m[2], m[3], m[4], m[5]);
    }
    int rc = 0;
    if (t->journal == NULL && (rc = vp_journal_open(&t->journal, err)) < 0)
        return rc;
    if ((rc = vm()->create(&s, t->journal, &t->r[i].vm, err)) < 0) {
        t->r[i].vm = NULL;
        return rc;
    }
    const char *facts = vm()->facts ? vm()->facts(t->r[i].vm) : NULL;
    json_t *doc = i == 0 && facts ? json_loads(facts, 0, NULL) : NULL;
    const char *accel = doc ? json_string_value(json_object_get(doc, "accel")) : NULL;
    if (doc) {
        snprintf(t->platform, sizeof t->platform, "%s", facts);
        snprintf(t->accel, sizeof t->accel, "%s", accel ? accel : "?");
    }
    json_decref(doc);
    char *spec = vp_router_node_json(&t->r[i].node), text[256];
    if (spec == NULL)
        return vp_run_error(err, ENOMEM, "router %d", i);
    char *argv[] = {"/proc/self/exe", "router-node", spec, NULL};
    rc = run_in(t, i, argv, text, sizeof text, err);
    free(spec);
    if (rc == 0 && sscanf(text, "{\"routes\":%*u,\"routes_s\":%lf}", &t->r[i].routes_s) != 1)
        rc = vp_run_error(err, 0, "router %d: router-node said \"%.80s\"", i, text);
    return rc;
}

void vp_fwd_vm_free(struct vp_fwd_topo *t)
{
    for (int i = 0; i < VP_FWD_MAX_ROUTERS; i++) {
        if (t->r[i].vm)
            vm()->destroy(t->r[i].vm);
        t->r[i].vm = NULL;
        for (int k = 0; k < 2; k++)
            if (t->r[i].tap[k] >= 0) {
                close(t->r[i].tap[k]);
                t->r[i].tap[k] = -1;
            }
    }
    if (t->journal)
        vp_journal_close(t->journal);
    t->journal = NULL;
}
