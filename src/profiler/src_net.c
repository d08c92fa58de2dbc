/* Source: one network interface's bytes, packets and drops, both ways.
 *
 * Read from /proc/net/dev, which belongs to the network namespace of the
 * task that opened it: for "NETNS/IF" a short-lived thread joins the named
 * namespace (/run/netns/NETNS), opens /proc/thread-self/net/dev and leaves;
 * the open file keeps reading that namespace. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "profiler/series.h"

struct net {
    int fd;
    char iface[64];
    char buf[16384];
};

int vp_parse_net_dev(const char *text, const char *iface, struct vp_net_counters *c)
{
    size_t il = strlen(iface);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        const char *s = p;
        while (*s == ' ')
            s++;
        if (strncmp(s, iface, il) != 0 || s[il] != ':')
            continue;
        unsigned long long v[16];
        if (sscanf(s + il + 1,
                   "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
                   "%llu",
                   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
                   &v[11], &v[12], &v[13], &v[14], &v[15]) != 16)
            return -EINVAL;
        c->rx_bytes = (double)v[0];
        c->rx_packets = (double)v[1];
        c->rx_drops = (double)v[3];
        c->tx_bytes = (double)v[8];
        c->tx_packets = (double)v[9];
        c->tx_drops = (double)v[11];
        return 0;
    }
    return -ENOENT;
}

struct ns_open {
    char path[300];
    int fd, err;
};

static void *open_in_ns(void *arg)
{
    struct ns_open *o = arg;
    int ns = open(o->path, O_RDONLY | O_CLOEXEC);
    if (ns < 0) {
        o->err = errno;
        return NULL;
    }
    if (setns(ns, CLONE_NEWNET) < 0) {
        o->err = errno;
    } else {
        o->fd = open("/proc/thread-self/net/dev", O_RDONLY | O_CLOEXEC);
        o->err = o->fd < 0 ? errno : 0;
    }
    close(ns);
    return NULL;
}

static int net_sample(struct vp_prof_target *t, uint64_t now_ns)
{
    struct net *n = t->state;
    struct vp_net_counters c;
    if (vp_prof_pread(n->fd, n->buf, sizeof n->buf) < 0 ||
        vp_parse_net_dev(n->buf, n->iface, &c) < 0)
        return -ENOENT;
    const char *sub = n->iface;
    struct {
        enum vp_prof_fam fam;
        const char *key, *dir;
        double v;
    } put[] = {
        {VP_FAM_NET_BYTES, "net.rx_bytes", "rx", c.rx_bytes},
        {VP_FAM_NET_BYTES, "net.tx_bytes", "tx", c.tx_bytes},
        {VP_FAM_NET_PACKETS, "net.rx_packets", "rx", c.rx_packets},
        {VP_FAM_NET_PACKETS, "net.tx_packets", "tx", c.tx_packets},
        {VP_FAM_NET_DROPS, "net.rx_drops", "rx", c.rx_drops},
        {VP_FAM_NET_DROPS, "net.tx_drops", "tx", c.tx_drops},
    };
    char esc[80], labels[128];
    vp_prof_label_escape(n->iface, esc, sizeof esc);
    for (size_t i = 0; i < sizeof put / sizeof put[0]; i++) {
        snprintf(labels, sizeof labels, "interface=\"%s\",direction=\"%s\"", esc, put[i].dir);
        if (!vp_prof_put(t, put[i].fam, sub, put[i].key, labels, put[i].v, now_ns))
            return -ENOMEM;
    }
    return 0;
}

static void net_free(void *state)
{
    struct net *n = state;
    if (n) {
        close(n->fd);
        free(n);
    }
}

static const struct vp_prof_source net_source = {"iface", net_sample, net_free};

int vp_prof_net_new(struct vp_prof_target *t, const char *spec, struct vp_err *err)
{
    const char *slash = strchr(spec, '/');
    const char *iface = slash ? slash + 1 : spec;
    if (iface[0] == '\0' || strlen(iface) >= 16 || strchr(iface, '/') || strchr(iface, ':') ||
        (slash && slash == spec))
        return vp_input_error(err, "interface \"%s\": expected IF or NETNS/IF", spec);
    struct net *n = malloc(sizeof *n);
    if (n == NULL)
        return vp_run_error(err, ENOMEM, "profiler");
    snprintf(n->iface, sizeof n->iface, "%s", iface);
    if (slash) {
        struct ns_open o = {.fd = -1};
        snprintf(o.path, sizeof o.path, "/run/netns/%.*s", (int)(slash - spec), spec);
        pthread_t th;
        int rc = pthread_create(&th, NULL, open_in_ns, &o);
        if (rc != 0) {
            free(n);
            return vp_run_error(err, rc, "interface \"%s\": thread", spec);
        }
        pthread_join(th, NULL);
        if (o.fd < 0) {
            free(n);
            if (o.err == ENOENT)
                return vp_input_error(err, "interface \"%s\": no network namespace %s", spec,
                                      o.path);
            return vp_run_error(err, o.err, "interface \"%s\": joining %s", spec, o.path);
        }
        n->fd = o.fd;
    } else {
        n->fd = open("/proc/self/net/dev", O_RDONLY | O_CLOEXEC);
        if (n->fd < 0) {
            int e = errno;
            free(n);
            return vp_run_error(err, e, "/proc/self/net/dev");
        }
    }
    struct vp_net_counters c;
    if (vp_prof_pread(n->fd, n->buf, sizeof n->buf) < 0 ||
        vp_parse_net_dev(n->buf, n->iface, &c) < 0) {
        net_free(n);
        return vp_input_error(err, "interface \"%s\": not found", spec);
    }
    t->src = &net_source;
    t->state = n;
    return 0;
}
