/* Source: per-core time by mode from /proc/stat (target "host", sub "cpuN"). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "profiler/series.h"

struct cores {
    int fd;
    double tick_s;
    char buf[65536];
};

int vp_parse_proc_stat_line(const char *text, size_t *pos, double tick_s, struct vp_core_times *c)
{
    const char *p = text + *pos;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t next = eol ? (size_t)(eol + 1 - text) : strlen(text);
        if (strncmp(p, "cpu", 3) == 0) {
            unsigned long long v[8] = {0};
            int cpu = -1;
            int n;
            if (p[3] == ' ')
                n = sscanf(p + 3, " %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                           &v[3], &v[4], &v[5], &v[6], &v[7]);
            else
                n = sscanf(p + 3, "%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
                           &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) -
                    1;
            if (n >= 4) {
                c->cpu = cpu;
                c->user = (double)v[0] * tick_s;
                c->nice = (double)v[1] * tick_s;
                c->system = (double)v[2] * tick_s;
                c->idle = (double)v[3] * tick_s;
                c->iowait = (double)v[4] * tick_s;
                c->irq = (double)v[5] * tick_s;
                c->softirq = (double)v[6] * tick_s;
                c->steal = (double)v[7] * tick_s;
                *pos = next;
                return 1;
            }
        }
        p = text + next;
        *pos = next;
    }
    return 0;
}

static int cores_sample(struct vp_prof_target *t, uint64_t now_ns)
{
    struct cores *c = t->state;
    if (vp_prof_pread(c->fd, c->buf, sizeof c->buf) < 0)
        return -ENOENT;
    size_t pos = 0;
    struct vp_core_times ct;
    static const char *const modes[] = {"user",   "nice", "system",  "idle",
                                        "iowait", "irq",  "softirq", "steal"};
    while (vp_parse_proc_stat_line(c->buf, &pos, c->tick_s, &ct) == 1) {
        if (ct.cpu < 0)
            continue;
        double v[8] = {ct.user,   ct.nice, ct.system,  ct.idle,
                       ct.iowait, ct.irq,  ct.softirq, ct.steal};
        char sub[16], key[32], labels[64];
        snprintf(sub, sizeof sub, "cpu%d", ct.cpu);
        for (int m = 0; m < 8; m++) {
            snprintf(key, sizeof key, "cpu.%s", modes[m]);
            snprintf(labels, sizeof labels, "cpu=\"%d\",mode=\"%s\"", ct.cpu, modes[m]);
            if (vp_prof_put(t, VP_FAM_CORE_CPU, sub, key, labels, v[m], now_ns) == NULL)
                return -ENOMEM;
        }
    }
    return 0;
}

static void cores_free(void *state)
{
    struct cores *c = state;
    if (c) {
        close(c->fd);
        free(c);
    }
}

static const struct vp_prof_source cores_source = {"cores", cores_sample, cores_free};

int vp_prof_cores_new(struct vp_prof_target *t, struct vp_err *err)
{
    struct cores *c = malloc(sizeof *c);
    if (c == NULL)
        return vp_run_error(err, ENOMEM, "profiler");
    c->tick_s = 1.0 / (double)sysconf(_SC_CLK_TCK);
    c->fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
    if (c->fd < 0) {
        int e = errno;
        free(c);
        return vp_run_error(err, e, "/proc/stat");
    }
    snprintf(t->name, sizeof t->name, "host");
    t->labels[0] = '\0';
    t->src = &cores_source;
    t->state = c;
    return 0;
}
