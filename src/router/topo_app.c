/* Routers as appliances of a platform: see topo_app.h. */
#include "router/topo_app.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/capability.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/path.h"
#include "core/units.h"
#include "net/netns.h"
#include "platform/journal.h"
#include "platform/platform.h"

#define VM_MEMORY (256ull << 20) /* a guest's default: its kernel and 100k routes */

static const struct vp_platform_ops *ops_of(enum vp_fwd_platform p)
{
    return vp_platform_find(p == VP_FWD_VM ? "vm" : "container");
}

const char *vp_fwd_app_unsupported(enum vp_fwd_platform p)
{
    const struct vp_platform_ops *ops = ops_of(p);
    if (ops == NULL)
        return "no such platform in this build";
    return ops->unsupported();
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

/* The last line of text, for an error: router-node's own one-line error
 * without the program's name. */
static const char *last_line(char *text)
{
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == '\n')
        text[--n] = '\0';
    const char *nl = strrchr(text, '\n'), *line = nl ? nl + 1 : text;
    return strncmp(line, "virtperf: ", 10) == 0 ? line + 10 : line;
}

/* Each router's memory: what the test asks, or the platform's default. */
static uint64_t router_memory(const struct vp_fwd_topo *t)
{
    return t->cfg.memory ? t->cfg.memory : t->cfg.platform == VP_FWD_VM ? VM_MEMORY : 0;
}

/* Why router i's process ended with status ws (not exit 0): what it said
 * on stderr, or the signal that killed it — its cgroup's OOM killer
 * (-ENOMEM) when the kernel counted a kill there. A container's process is
 * waited for through a helper, which exits with 128 + the signal. */
static int ended(struct vp_fwd_topo *t, int i, int ws, char *said, struct vp_err *err)
{
    int sig = WIFSIGNALED(ws) ? WTERMSIG(ws) : WEXITSTATUS(ws) > 128 ? WEXITSTATUS(ws) - 128 : 0;
    if (sig == 0)
        return vp_run_error(err, 0, "%s", said[0] ? last_line(said) : "router-node failed in it");
    const struct vp_platform_ops *ops = ops_of(t->cfg.platform);
    struct vp_appliance_usage u = {0};
    struct vp_err ignored;
    if (ops->usage && ops->usage(t->r[i].app, &u, &ignored) == 0 && u.oom_kills > 0) {
        vp_run_error(err, 0, "router-node killed by the out-of-memory killer of its cgroup");
        return -ENOMEM;
    }
    return vp_run_error(err, 0, "router-node killed by signal %d", sig);
}

/* Run argv in router i; its output in out; why it failed in err. */
static int run_in(struct vp_fwd_topo *t, int i, char *const *argv, char *out, size_t len,
                  struct vp_err *err)
{
    const struct vp_platform_ops *ops = ops_of(t->cfg.platform);
    int p[2], e[2] = {-1, -1};
    pid_t pid;
    if (pipe2(p, O_CLOEXEC) < 0)
        return vp_run_error(err, errno, "pipe");
    if (pipe2(e, O_CLOEXEC) < 0) {
        close(p[0]);
        close(p[1]);
        return vp_run_error(err, errno, "pipe");
    }
    /* in a container it needs what configuring its own namespace takes */
    struct vp_exec ex = {.argv = argv,
                         .stdin_fd = -1,
                         .stdout_fd = p[1],
                         .stderr_fd = e[1],
                         .sync_fd = -1,
                         .caps = 1ull << CAP_NET_ADMIN};
    int rc = ops->start(t->r[i].app, &ex, &pid, err);
    close(p[1]);
    close(e[1]);
    char said[512];
    size_t n = 0, m = 0;
    ssize_t got;
    while (rc == 0 && n + 1 < len && (got = read(p[0], out + n, len - 1 - n)) > 0)
        n += (size_t)got;
    out[n] = '\0';
    while (rc == 0 && m + 1 < sizeof said && (got = read(e[0], said + m, sizeof said - 1 - m)) > 0)
        m += (size_t)got;
    said[m] = '\0';
    close(p[0]);
    close(e[0]);
    int ws = 0;
    if (rc == 0 && waitpid(pid, &ws, 0) != pid)
        rc = vp_run_error(err, errno, "waitpid");
    if (rc == 0 && !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0))
        rc = ended(t, i, ws, said, err);
    return rc;
}

/* The routes the namespace ns holds, counted from outside it. */
static int count_in(int ns, uint32_t *count, struct vp_err *err)
{
    int back, rc = vp_netns_enter(ns, &back, err);
    if (rc == 0) {
        rc = vp_router_node_count(count, err);
        vp_netns_leave(back);
    }
    return rc;
}

int vp_fwd_app_node(struct vp_fwd_topo *t, int i, const char *step, double *secs, uint32_t *count,
                    struct vp_err *err)
{
    char *spec = vp_router_node_json(&t->r[i].node), out[256];
    if (spec == NULL)
        return vp_run_error(err, ENOMEM, "router-node");
    /* in a guest, "/proc/self/exe" is the guest's virtperf */
    char *self = t->cfg.platform == VP_FWD_VM ? "/proc/self/exe" : (char *)vp_path_self();
    char *all[] = {self, "router-node", spec, NULL};
    char *one[] = {self, "router-node", "--routes", (char *)step, spec, NULL};
    int rc = run_in(t, i, step ? one : all, out, sizeof out, err);
    free(spec);
    uint32_t held;
    struct vp_err ignored;
    if (rc == -ENOMEM && t->r[i].ns >= 0 && count_in(t->r[i].ns, &held, &ignored) == 0)
        vp_run_error(err, 0,
                     "router-node killed by the out-of-memory killer of its cgroup after %u "
                     "of %u routes",
                     held, t->r[i].node.routes);
    if (rc < 0 && router_memory(t)) { /* its routes count against it */
        char size[32];
        vp_format_size(router_memory(t), size, sizeof size);
        vp_err_prefix(err, "memory %s", size);
    }
    unsigned routes = 0;
    double s = 0;
    if (rc == 0 && sscanf(out, "{\"routes\":%u,\"routes_s\":%lf}", &routes, &s) < 1)
        rc = vp_run_error(err, 0, "router-node said \"%.80s\"", out);
    if (step == NULL)
        t->r[i].routes_s = s;
    if (secs)
        *secs = s;
    if (count)
        *count = routes;
    return rc;
}

/* Router 0's facts as the routers' platform (a VM's accelerator too). */
static void keep_facts(struct vp_fwd_topo *t, const struct vp_platform_ops *ops)
{
    const char *facts = ops->facts ? ops->facts(t->r[0].app) : NULL;
    if (facts == NULL) {
        snprintf(t->platform, sizeof t->platform, "{\"name\":\"%s\"}", ops->name);
        return;
    }
    json_t *doc = json_loads(facts, 0, NULL);
    const char *accel = doc ? json_string_value(json_object_get(doc, "accel")) : NULL;
    snprintf(t->platform, sizeof t->platform, "%s", facts);
    if (accel)
        snprintf(t->accel, sizeof t->accel, "%s", accel);
    json_decref(doc);
}

int vp_fwd_app_make(struct vp_fwd_topo *t, int i, const uint8_t in[6], const uint8_t out[6],
                    int *ns, struct vp_err *err)
{
    const struct vp_platform_ops *ops = ops_of(t->cfg.platform);
    bool vm = t->cfg.platform == VP_FWD_VM;
    struct vp_appliance_spec s;
    char name[16];
    snprintf(name, sizeof name, "router%d", i);
    vp_appliance_spec_init(&s, name);
    s.vcpus = 1;
    s.memory = router_memory(t);
    cpulist(t->cfg.sut_cpus, s.cpus, sizeof s.cpus);
    const uint8_t *macs[2] = {in, out};
    for (int k = 0; vm && k < 2; k++) {
        const uint8_t *m = macs[k];
        s.nic[s.nnics].fd = t->r[i].tap[k];
        snprintf(s.nic[s.nnics++].mac, sizeof s.nic[0].mac, "%02x:%02x:%02x:%02x:%02x:%02x", m[0],
                 m[1], m[2], m[3], m[4], m[5]);
    }
    *ns = -1;
    int rc = 0;
    if (t->journal == NULL && (rc = vp_journal_open(&t->journal, err)) < 0)
        return rc;
    if ((rc = ops->create(&s, t->journal, &t->r[i].app, err)) < 0) {
        t->r[i].app = NULL;
        return rc;
    }
    if (i == 0)
        keep_facts(t, ops);
    if (!vm && (*ns = ops->netns(t->r[i].app)) < 0)
        return vp_run_error(err, -*ns, "its network namespace");
    return 0;
}

void vp_fwd_app_free(struct vp_fwd_topo *t)
{
    for (int i = 0; i < VP_FWD_MAX_ROUTERS; i++) {
        if (t->r[i].app)
            ops_of(t->cfg.platform)->destroy(t->r[i].app);
        t->r[i].app = NULL;
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
