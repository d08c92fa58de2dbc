/* Source: one cgroup's CPU, throttling, memory and block I/O.
 *
 * The version is chosen per controller at run time: a controller mounted as
 * cgroup v1 (/proc/self/mountinfo) is read there (cpuacct.usage,
 * cpuacct.stat, cpu.stat, memory.usage_in_bytes, blkio.throttle.*);
 * otherwise the cgroup2 mount is read (cpu.stat, memory.current, io.stat).
 * Files stay open and are re-read with pread; a removed cgroup (ENODEV) is
 * closed and looked for again on the next samples. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "profiler/series.h"

enum { F_USAGE, F_ACCT_STAT, F_CPU_STAT, F_MEM, F_IO_BYTES, F_IO_OPS, F_IO2, NFILES };

struct cgroup {
    char spec[PATH_MAX];
    char dir_cpu[PATH_MAX]; /* where CPU accounting is read: v1 cpuacct or v2 */
    int version;            /* of the CPU accounting */
    int fd[NFILES];
    double tick_s;
    struct vp_cg_cpu last; /* the last reading, reused while usage stands still */
    char buf[8192];
};

/* The mount point of the v1 hierarchy holding ctrl, or of cgroup2 when ctrl
 * is NULL; 0 found, -ENOENT. */
static int find_mount(const char *ctrl, char *mnt, size_t len)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (f == NULL)
        return -errno;
    char line[4096];
    int rc = -ENOENT;
    while (rc < 0 && fgets(line, sizeof line, f)) {
        char point[PATH_MAX], type[64], super[1024];
        const char *dash = strstr(line, " - ");
        if (dash == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 ||
            sscanf(dash + 3, "%63s %*s %1023s", type, super) != 2)
            continue;
        if (ctrl == NULL && strcmp(type, "cgroup2") == 0) {
            rc = 0;
        } else if (ctrl && strcmp(type, "cgroup") == 0) {
            for (char *save = NULL, *o = strtok_r(super, ",", &save); o;
                 o = strtok_r(NULL, ",", &save))
                if (strcmp(o, ctrl) == 0)
                    rc = 0;
        }
        if (rc == 0)
            snprintf(mnt, len, "%s", point);
    }
    fclose(f);
    return rc;
}

/* This process's cgroup path in the hierarchy of ctrl (NULL: v2). */
static void own_path(const char *ctrl, char *out, size_t len)
{
    snprintf(out, len, "/");
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (f == NULL)
        return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        bool match = false;
        if (ctrl == NULL)
            match = strcmp(line, "0") == 0 && c1[1] == '\0';
        else
            for (char *save = NULL, *o = strtok_r(c1 + 1, ",", &save); o;
                 o = strtok_r(NULL, ",", &save))
                match = match || strcmp(o, ctrl) == 0;
        if (match) {
            snprintf(out, len, "%s", c2 + 1);
            break;
        }
    }
    fclose(f);
}

/* The directory of spec in the hierarchy of ctrl (NULL: v2), or -ENOENT. */
static int resolve(const char *spec, const char *ctrl, char *dir, size_t len)
{
    char mnt[PATH_MAX], own[PATH_MAX];
    if (find_mount(ctrl, mnt, sizeof mnt) < 0)
        return -ENOENT;
    size_t ml = strlen(mnt);
    if (strncmp(spec, mnt, ml) == 0 && (spec[ml] == '/' || spec[ml] == '\0')) {
        snprintf(dir, len, "%s", spec); /* already under this mount */
    } else if (strncmp(spec, "/sys/fs/cgroup/", 15) == 0) {
        /* under another controller's mount: take the part below it */
        const char *rest = strchr(spec + 15, '/');
        snprintf(dir, len, "%s%s", mnt, rest ? rest : "");
    } else if (spec[0] == '/') {
        snprintf(dir, len, "%s%s", mnt, spec);
    } else {
        own_path(ctrl, own, sizeof own);
        snprintf(dir, len, "%s%s/%s", mnt, strcmp(own, "/") == 0 ? "" : own, spec);
    }
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -ENOENT;
}

static int open_in(const char *ctrl, const char *spec, const char *file)
{
    char dir[PATH_MAX], path[PATH_MAX + 64];
    if (resolve(spec, ctrl, dir, sizeof dir) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return open(path, O_RDONLY | O_CLOEXEC);
}

static void close_all(struct cgroup *c)
{
    for (int i = 0; i < NFILES; i++) {
        if (c->fd[i] >= 0)
            close(c->fd[i]);
        c->fd[i] = -1;
    }
}

/* Open every file the cgroup offers; 0 when CPU accounting was found. */
static int open_all(struct cgroup *c)
{
    close_all(c);
    if (resolve(c->spec, "cpuacct", c->dir_cpu, sizeof c->dir_cpu) == 0) {
        c->version = 1;
        c->fd[F_USAGE] = open_in("cpuacct", c->spec, "cpuacct.usage");
        c->fd[F_ACCT_STAT] = open_in("cpuacct", c->spec, "cpuacct.stat");
        c->fd[F_CPU_STAT] = open_in("cpu", c->spec, "cpu.stat");
    } else if (resolve(c->spec, NULL, c->dir_cpu, sizeof c->dir_cpu) == 0) {
        c->version = 2;
        c->fd[F_CPU_STAT] = open_in(NULL, c->spec, "cpu.stat");
    } else {
        return -ENOENT;
    }
    char mnt[PATH_MAX];
    if (find_mount("memory", mnt, sizeof mnt) == 0)
        c->fd[F_MEM] = open_in("memory", c->spec, "memory.usage_in_bytes");
    else
        c->fd[F_MEM] = open_in(NULL, c->spec, "memory.current");
    if (find_mount("blkio", mnt, sizeof mnt) == 0) {
        c->fd[F_IO_BYTES] = open_in("blkio", c->spec, "blkio.throttle.io_service_bytes");
        c->fd[F_IO_OPS] = open_in("blkio", c->spec, "blkio.throttle.io_serviced");
    } else {
        c->fd[F_IO2] = open_in(NULL, c->spec, "io.stat");
    }
    return c->fd[F_USAGE] >= 0 || c->fd[F_CPU_STAT] >= 0 ? 0 : -ENOENT;
}

static void scan_kv(const char *text, const char *key, double *v, bool *found)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
            *v = strtod(p + kl + 1, NULL);
            if (found)
                *found = true;
            return;
        }
    }
}

void vp_parse_cg2_cpu_stat(const char *text, struct vp_cg_cpu *c)
{
    double u = 0, us = 0, sy = 0, per = 0, thr = 0, thr_us = 0;
    bool have_u = false, have_us = false, have_thr = false;
    scan_kv(text, "usage_usec", &u, &have_u);
    scan_kv(text, "user_usec", &us, &have_us);
    scan_kv(text, "system_usec", &sy, NULL);
    scan_kv(text, "nr_periods", &per, NULL);
    scan_kv(text, "nr_throttled", &thr, &have_thr);
    scan_kv(text, "throttled_usec", &thr_us, NULL);
    c->usage_s = u / 1e6;
    c->user_s = us / 1e6;
    c->system_s = sy / 1e6;
    c->periods = per;
    c->throttled = thr;
    c->throttled_s = thr_us / 1e6;
    c->have_usage = have_u;
    c->have_split = have_us;
    c->have_throttle = have_thr;
}

void vp_parse_cg1_cpu_stat(const char *text, struct vp_cg_cpu *c)
{
    double per = 0, thr = 0, thr_ns = 0;
    bool have = false;
    scan_kv(text, "nr_periods", &per, NULL);
    scan_kv(text, "nr_throttled", &thr, &have);
    scan_kv(text, "throttled_time", &thr_ns, NULL);
    c->periods = per;
    c->throttled = thr;
    c->throttled_s = thr_ns / 1e9;
    c->have_throttle = have;
}

void vp_parse_cg1_cpuacct_stat(const char *text, double tick_s, struct vp_cg_cpu *c)
{
    double u = 0, s = 0;
    bool have = false;
    scan_kv(text, "user", &u, &have);
    scan_kv(text, "system", &s, NULL);
    c->user_s = u * tick_s;
    c->system_s = s * tick_s;
    c->have_split = have;
}

void vp_parse_cg2_io_stat(const char *text, struct vp_cg_io *io)
{
    memset(io, 0, sizeof *io);
    static const char *const keys[] = {"rbytes=", "wbytes=", "rios=", "wios="};
    double *dst[] = {&io->rbytes, &io->wbytes, &io->rios, &io->wios};
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        for (int k = 0; k < 4; k++) {
            const char *hit = strstr(p, keys[k]);
            if (hit && hit < p + n)
                *dst[k] += strtod(hit + strlen(keys[k]), NULL);
        }
        p += n + (eol ? 1 : 0);
    }
}

void vp_parse_cg1_blkio(const char *text, bool ops, struct vp_cg_io *io)
{
    double *r = ops ? &io->rios : &io->rbytes, *w = ops ? &io->wios : &io->wbytes;
    *r = *w = 0;
    for (const char *p = text; *p;) {
        const char *eol = strchr(p, '\n');
        char dev[32], op[16];
        double v;
        if (sscanf(p, "%31s %15s %lf", dev, op, &v) == 3) {
            if (strcmp(op, "Read") == 0)
                *r += v;
            else if (strcmp(op, "Write") == 0)
                *w += v;
        }
        if (eol == NULL)
            break;
        p = eol + 1;
    }
}

/* Read one open file into c->buf: 1 read, 0 not open, -ENOENT gone. */
static int read_fd(struct cgroup *c, int i)
{
    if (c->fd[i] < 0)
        return 0;
    ssize_t n = vp_prof_pread(c->fd[i], c->buf, sizeof c->buf);
    return n < 0 ? -ENOENT : 1;
}

#define PUT(fam, key, labels, v)                                                                   \
    do {                                                                                           \
        if (vp_prof_put(t, fam, "", key, labels, v, now_ns) == NULL)                               \
            return -ENOMEM;                                                                        \
    } while (0)

static int cgroup_sample(struct vp_prof_target *t, uint64_t now_ns)
{
    struct cgroup *c = t->state;
    if (c->fd[F_USAGE] < 0 && c->fd[F_CPU_STAT] < 0 && open_all(c) < 0)
        return -ENOENT;
    struct vp_cg_cpu cpu = {0};
    int rc;
    if ((rc = read_fd(c, F_USAGE)) > 0) {
        cpu.usage_s = strtod(c->buf, NULL) / 1e9;
        cpu.have_usage = true;
    }
    if (cpu.have_usage && c->last.have_split && cpu.usage_s == c->last.usage_s) {
        /* nothing ran: no tick was charged either (cpuacct.stat skipped) */
        cpu.user_s = c->last.user_s;
        cpu.system_s = c->last.system_s;
        cpu.have_split = true;
    } else if (rc >= 0 && (rc = read_fd(c, F_ACCT_STAT)) > 0) {
        vp_parse_cg1_cpuacct_stat(c->buf, c->tick_s, &cpu);
    }
    if (rc >= 0 && (rc = read_fd(c, F_CPU_STAT)) > 0) {
        if (c->version == 1)
            vp_parse_cg1_cpu_stat(c->buf, &cpu);
        else
            vp_parse_cg2_cpu_stat(c->buf, &cpu);
    }
    if (rc < 0) {
        close_all(c); /* removed: look for it again next time */
        c->last.have_split = false;
        return -ENOENT;
    }
    c->last = cpu;
    if (cpu.have_usage)
        PUT(VP_FAM_CG_USAGE, "cpu.total", "", cpu.usage_s);
    if (cpu.have_split) {
        PUT(VP_FAM_CG_CPU, "cpu.user", "mode=\"user\"", cpu.user_s);
        PUT(VP_FAM_CG_CPU, "cpu.system", "mode=\"system\"", cpu.system_s);
    }
    if (cpu.have_throttle) {
        PUT(VP_FAM_CG_PERIODS, "cpu.periods", "", cpu.periods);
        PUT(VP_FAM_CG_THROTTLED, "cpu.throttled_periods", "", cpu.throttled);
        PUT(VP_FAM_CG_THROTTLED_TIME, "cpu.throttled_s", "", cpu.throttled_s);
    }
    if (read_fd(c, F_MEM) > 0)
        PUT(VP_FAM_CG_MEMORY, "memory.bytes", "", strtod(c->buf, NULL));
    struct vp_cg_io io = {0};
    bool have_io = false;
    if (read_fd(c, F_IO2) > 0) {
        vp_parse_cg2_io_stat(c->buf, &io);
        have_io = true;
    }
    if (read_fd(c, F_IO_BYTES) > 0) {
        vp_parse_cg1_blkio(c->buf, false, &io);
        have_io = true;
    }
    if (read_fd(c, F_IO_OPS) > 0)
        vp_parse_cg1_blkio(c->buf, true, &io);
    if (have_io) {
        PUT(VP_FAM_CG_IO_BYTES, "io.read_bytes", "op=\"read\"", io.rbytes);
        PUT(VP_FAM_CG_IO_BYTES, "io.write_bytes", "op=\"write\"", io.wbytes);
        PUT(VP_FAM_CG_IO_OPS, "io.read_ops", "op=\"read\"", io.rios);
        PUT(VP_FAM_CG_IO_OPS, "io.write_ops", "op=\"write\"", io.wios);
    }
    return 0;
}

static void cgroup_free(void *state)
{
    struct cgroup *c = state;
    if (c) {
        close_all(c);
        free(c);
    }
}

static const struct vp_prof_source cgroup_source = {"cgroup", cgroup_sample, cgroup_free};

int vp_prof_cgroup_new(struct vp_prof_target *t, const char *path, struct vp_err *err)
{
    struct cgroup *c = calloc(1, sizeof *c);
    if (c == NULL)
        return vp_run_error(err, ENOMEM, "profiler");
    snprintf(c->spec, sizeof c->spec, "%s", path);
    c->tick_s = 1.0 / (double)sysconf(_SC_CLK_TCK);
    for (int i = 0; i < NFILES; i++)
        c->fd[i] = -1;
    if (path[0] == '\0' || open_all(c) < 0) {
        free(c);
        return vp_input_error(err, "cgroup \"%s\": not found (no cpuacct or cgroup2 directory)",
                              path);
    }
    t->src = &cgroup_source;
    t->state = c;
    return 0;
}
