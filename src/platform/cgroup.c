#include "platform/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "platform/journal.h"

#define CG_ROOT   "/sys/fs/cgroup"
#define CG2_MAGIC 0x63677270
#define CG1_MAGIC 0x27e0eb
#define LEVELS    3
#define MAXDIRS   (4 * LEVELS)

static const char *const v1_ctrls[] = {"cpu", "cpuacct", "cpuset", "memory"};
#define NV1 4

struct cgdir {
    char path[PATH_MAX];
    int id;
};

struct vp_cgroup {
    struct vp_journal *j;
    int version;
    struct cgdir dir[MAXDIRS];
    int ndirs;
    char leaf[NV1][PATH_MAX]; /* v1: per controller (cpu, cpuacct, cpuset, memory); v2: [0] */
};

/* The v2 hierarchy: /sys/fs/cgroup, or (test hook) $VIRTPERF_CGROUP2_ROOT,
 * for example the controller-less /sys/fs/cgroup/unified of a v1 host. */
static const char *v2_root(void)
{
    const char *r = getenv("VIRTPERF_CGROUP2_ROOT");
    return r && *r ? r : CG_ROOT;
}

const char *vp_cgroup_dir(const struct vp_cgroup *cg)
{
    return cg->leaf[0];
}

int64_t vp_cgroup_v2_weight(int64_t weight)
{
    return 1 + (weight * 1024 / 256 - 2) * 9999 / 262142;
}

int vp_cgroup_version(void)
{
    struct statfs s;
    if (statfs(v2_root(), &s) == 0 && s.f_type == CG2_MAGIC)
        return 2;
    if (statfs(CG_ROOT "/cpu", &s) == 0 && s.f_type == CG1_MAGIC)
        return 1;
    return 0;
}

const char *vp_cgroup_unsupported(void)
{
    if (geteuid() != 0)
        return "needs root (cgroups)";
    if (vp_cgroup_version() == 0)
        return "no cgroup hierarchy mounted at " CG_ROOT;
    return NULL;
}

static int write_file(const char *dir, const char *file, const char *val)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, val, strlen(val));
    int rc = n < 0 ? -errno : 0;
    close(fd);
    return rc;
}

static int read_file(const char *dir, const char *file, char *buf, size_t len)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    int rc = n < 0 ? -errno : 0;
    buf[n < 0 ? 0 : n] = '\0';
    close(fd);
    return rc;
}

/* The process's own cgroup directory for a v1 controller, or the mount root. */
static void v1_base(const char *ctrl, char *out, size_t len)
{
    char mount[PATH_MAX];
    snprintf(mount, sizeof mount, CG_ROOT "/%s", ctrl);
    snprintf(out, len, "%s", mount);
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        char *p = c2 + 1;
        p[strcspn(p, "\n")] = '\0';
        bool match = false;
        for (char *tok = strtok(c1 + 1, ","); tok; tok = strtok(NULL, ","))
            match |= strcmp(tok, ctrl) == 0;
        struct stat st;
        char full[PATH_MAX + 8];
        snprintf(full, sizeof full, "%s%s", mount, p);
        if (match && stat(full, &st) == 0) {
            snprintf(out, len, "%s", strcmp(p, "/") == 0 ? mount : full);
            break;
        }
    }
    fclose(f);
}

/* Make one directory (journaled first); cpuset directories get the parent's
 * cpus and mems so tasks can join them. */
static int make_dir(struct vp_cgroup *cg, const char *path, bool cpuset, struct vp_err *err)
{
    struct cgdir *d = NULL;
    for (int i = 0; i < cg->ndirs && !d; i++) /* made again (make_levels): journaled already */
        d = strcmp(cg->dir[i].path, path) == 0 ? &cg->dir[i] : NULL;
    int id = d ? d->id : vp_journal_add(cg->j, VP_RES_CGROUP, path, err);
    if (id < 0)
        return id;
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        int e = errno;
        if (!d)
            vp_journal_done(cg->j, id);
        return vp_run_error(err, e, "cgroup %s", path);
    }
    if (!d) {
        d = &cg->dir[cg->ndirs++];
        snprintf(d->path, sizeof d->path, "%s", path);
        d->id = id;
    }
    if (cpuset) {
        char parent[PATH_MAX], buf[256];
        snprintf(parent, sizeof parent, "%s", path);
        *strrchr(parent, '/') = '\0';
        const char *files[] = {"cpuset.cpus", "cpuset.mems"};
        for (int i = 0; i < 2; i++) {
            if (read_file(path, files[i], buf, sizeof buf) == 0 && buf[0] != '\n' && buf[0])
                continue;
            if (read_file(parent, files[i], buf, sizeof buf) == 0)
                write_file(path, files[i], buf);
        }
    }
    return 0;
}

/* base/virtperf/<run>/<name>, each level made if need be. Another run
 * that ends meanwhile removes the shared virtperf level when it holds no
 * run: a level gone under us (ENOENT) is made again, from the top. */
static int make_levels(struct vp_cgroup *cg, const char *base, const char *name, bool cpuset,
                       bool v2, char *leaf, struct vp_err *err)
{
    char path[PATH_MAX];
    const char *parts[LEVELS] = {"virtperf", vp_journal_run(cg->j), name};
    int rc = 0;
    for (int tries = 0; tries < 5; tries++) {
        snprintf(path, sizeof path, "%s", base);
        for (int l = 0; l < LEVELS; l++) {
            if (v2) /* enable the controllers for the level below */
                for (int c = 0; c < 3; c++) {
                    const char *en[] = {"+cpu", "+cpuset", "+memory"};
                    write_file(path, "cgroup.subtree_control", en[c]);
                }
            size_t n = strlen(path);
            snprintf(path + n, sizeof path - n, "/%s", parts[l]);
            if ((rc = make_dir(cg, path, cpuset, err)) < 0)
                break;
        }
        if (rc != -ENOENT) /* else a level went under us: from the top again */
            break;
    }
    if (rc < 0)
        return rc;
    snprintf(leaf, PATH_MAX, "%s", path);
    return 0;
}

static int set(const char *dir, const char *file, const char *val, struct vp_err *err)
{
    int rc = write_file(dir, file, val);
    if (rc < 0)
        return vp_run_error(err, -rc, "cgroup %s/%s = %s", dir, file, val);
    return 0;
}

static int apply_limits(struct vp_cgroup *cg, const struct vp_cgroup_limits *lim,
                        struct vp_err *err)
{
    char v[64];
    int rc = 0;
    bool v2 = cg->version == 2;
    const char *cpu = cg->leaf[0], *cpuset = v2 ? cg->leaf[0] : cg->leaf[2];
    const char *mem = v2 ? cg->leaf[0] : cg->leaf[3];
    if (lim->weight > 0) {
        long long shares = lim->weight * 1024 / 256;
        if (v2)
            snprintf(v, sizeof v, "%lld", (long long)vp_cgroup_v2_weight(lim->weight));
        else
            snprintf(v, sizeof v, "%lld", shares);
        if ((rc = set(cpu, v2 ? "cpu.weight" : "cpu.shares", v, err)) < 0)
            return rc;
    }
    if (lim->cap > 0) {
        long long quota = lim->cap * 1000;
        if (v2) {
            snprintf(v, sizeof v, "%lld 100000", quota);
            rc = set(cpu, "cpu.max", v, err);
        } else {
            snprintf(v, sizeof v, "%lld", quota);
            if ((rc = set(cpu, "cpu.cfs_period_us", "100000", err)) == 0)
                rc = set(cpu, "cpu.cfs_quota_us", v, err);
        }
        if (rc < 0)
            return rc;
    }
    if (lim->cpus && lim->cpus[0] && (rc = set(cpuset, "cpuset.cpus", lim->cpus, err)) < 0)
        return rc;
    if (lim->memory > 0) {
        snprintf(v, sizeof v, "%llu", (unsigned long long)lim->memory);
        if ((rc = set(mem, v2 ? "memory.max" : "memory.limit_in_bytes", v, err)) < 0)
            return rc;
    }
    return 0;
}

int vp_cgroup_create(struct vp_journal *j, const char *name, const struct vp_cgroup_limits *lim,
                     struct vp_cgroup **out, struct vp_err *err)
{
    int rc;
    const char *why = vp_cgroup_unsupported();
    if (why)
        return vp_run_error(err, EPERM, "cgroup: %s", why);
    struct vp_cgroup *cg = calloc(1, sizeof *cg);
    if (!cg)
        return vp_run_error(err, ENOMEM, "cgroup");
    cg->j = j;
    cg->version = vp_cgroup_version();
    if (cg->version == 2) {
        if ((rc = make_levels(cg, v2_root(), name, false, true, cg->leaf[0], err)) < 0)
            goto fail;
    } else {
        for (int c = 0; c < NV1; c++) {
            char base[PATH_MAX];
            v1_base(v1_ctrls[c], base, sizeof base);
            bool cpuset = strcmp(v1_ctrls[c], "cpuset") == 0;
            if ((rc = make_levels(cg, base, name, cpuset, false, cg->leaf[c], err)) < 0)
                goto fail;
        }
    }
    if ((rc = apply_limits(cg, lim, err)) < 0)
        goto fail;
    *out = cg;
    return 0;
fail:
    vp_cgroup_destroy(cg);
    return rc;
}

int vp_cgroup_attach(struct vp_cgroup *cg, pid_t pid, struct vp_err *err)
{
    char v[32];
    snprintf(v, sizeof v, "%ld", (long)pid);
    int n = cg->version == 2 ? 1 : NV1;
    for (int c = 0; c < n; c++) {
        int rc = set(cg->leaf[c], "cgroup.procs", v, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* "key value" lines of a stat file. */
static uint64_t stat_key(const char *buf, const char *key)
{
    size_t k = strlen(key);
    for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, key, k) == 0 && p[k] == ' ')
            return strtoull(p + k + 1, NULL, 10);
    return 0;
}

/* The exact total (scheduler runtime) split in the proportion of the
 * tick-sampled user and system figures, which alone can be far off for a
 * capped group whose run and throttle phases beat with the tick. */
static void split(uint64_t total, uint64_t user, uint64_t sys, struct vp_appliance_usage *u)
{
    double f = user + sys > 0 ? (double)user / (double)(user + sys) : 1.0;
    u->cpu_user_ns = (uint64_t)((double)total * f);
    u->cpu_system_ns = total - u->cpu_user_ns;
}

void vp_cgroup_throttling(const char *cpu_dir, struct vp_appliance_usage *u)
{
    char buf[4096];
    if (read_file(cpu_dir, "cpu.stat", buf, sizeof buf) < 0)
        return;
    u->throttled_periods = stat_key(buf, "nr_throttled");
    u->periods = stat_key(buf, "nr_periods");
    /* v2 counts microseconds, v1 nanoseconds */
    u->throttled_ns = strstr(buf, "throttled_usec") ? stat_key(buf, "throttled_usec") * 1000
                                                    : stat_key(buf, "throttled_time");
}

int vp_cgroup_usage(struct vp_cgroup *cg, struct vp_appliance_usage *u, struct vp_err *err)
{
    char buf[4096];
    int rc;
    memset(u, 0, sizeof *u);
    if (cg->version == 2) {
        if ((rc = read_file(cg->leaf[0], "cpu.stat", buf, sizeof buf)) < 0)
            return vp_run_error(err, -rc, "cgroup %s/cpu.stat", cg->leaf[0]);
        split(stat_key(buf, "usage_usec") * 1000, stat_key(buf, "user_usec"),
              stat_key(buf, "system_usec"), u);
        vp_cgroup_throttling(cg->leaf[0], u);
        if (read_file(cg->leaf[0], "memory.current", buf, sizeof buf) == 0)
            u->memory_bytes = strtoull(buf, NULL, 10);
        if (read_file(cg->leaf[0], "memory.events", buf, sizeof buf) == 0)
            u->oom_kills = stat_key(buf, "oom_kill");
        return 0;
    }
    if ((rc = read_file(cg->leaf[1], "cpuacct.usage", buf, sizeof buf)) < 0)
        return vp_run_error(err, -rc, "cgroup %s/cpuacct.usage", cg->leaf[1]);
    uint64_t total = strtoull(buf, NULL, 10), user = 0, sys = 0;
    if (read_file(cg->leaf[1], "cpuacct.usage_user", buf, sizeof buf) == 0)
        user = strtoull(buf, NULL, 10);
    if (read_file(cg->leaf[1], "cpuacct.usage_sys", buf, sizeof buf) == 0)
        sys = strtoull(buf, NULL, 10);
    split(total, user, sys, u);
    vp_cgroup_throttling(cg->leaf[0], u);
    if (read_file(cg->leaf[3], "memory.usage_in_bytes", buf, sizeof buf) == 0)
        u->memory_bytes = strtoull(buf, NULL, 10);
    if (read_file(cg->leaf[3], "memory.oom_control", buf, sizeof buf) == 0)
        u->oom_kills = stat_key(buf, "oom_kill");
    return 0;
}

/* SIGKILL the tasks listed in dir/cgroup.procs; how many were alive. A
 * zombie stays listed until its parent reaps it (the host's init, when its
 * parent died too): it is dead, nothing waits for it. */
static int kill_tasks(const char *dir)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    long pid;
    int n = 0;
    while (fscanf(f, "%ld", &pid) == 1) {
        if (pid > 1 && pid != (long)getpid())
            kill((pid_t)pid, SIGKILL);
        n += vp_proc_starttime((pid_t)pid) != 0;
    }
    fclose(f);
    return n;
}

static int kill_until_empty(const char *dir)
{
    write_file(dir, "cgroup.kill", "1"); /* v2 since Linux 5.14: all at once */
    for (int i = 0; i < 1000; i++) {
        if (kill_tasks(dir) == 0)
            return 0;
        usleep(2000);
    }
    return -ETIMEDOUT;
}

int vp_cgroup_read(struct vp_cgroup *cg, const char *file, char *buf, size_t len)
{
    int c = 0;
    if (cg->version == 1)
        for (int k = 0; k < NV1; k++) {
            size_t n = strlen(v1_ctrls[k]);
            if (strncmp(file, v1_ctrls[k], n) == 0 && file[n] == '.')
                c = k;
        }
    int rc = read_file(cg->leaf[c], file, buf, len);
    if (rc == 0)
        buf[strcspn(buf, "\n")] = '\0';
    return rc;
}

int vp_cgroup_kill(struct vp_cgroup *cg)
{
    int rc = 0, n = cg->version == 2 ? 1 : NV1;
    for (int c = 0; c < n; c++)
        if (cg->leaf[c][0] && kill_until_empty(cg->leaf[c]) < 0)
            rc = -ETIMEDOUT;
    return rc;
}

static bool has_subdirs(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return false;
    struct dirent *e;
    bool any = false;
    while (!any && (e = readdir(d)))
        any = e->d_type == DT_DIR && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return any;
}

int vp_cgroup_remove_path(const char *path, bool dry_run)
{
    struct stat st;
    /* only ever our own hierarchy: a damaged journal must not kill others */
    if (strncmp(path, CG_ROOT "/", strlen(CG_ROOT) + 1) != 0 || !strstr(path, "/virtperf"))
        return -EINVAL;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? 0 : -errno;
    if (has_subdirs(path)) /* a shared level another run still uses */
        return 0;
    if (dry_run)
        return 1;
    if (kill_until_empty(path) < 0)
        return -ETIMEDOUT;
    /* tasks just killed may take a moment to leave, zombies until reaped */
    for (int i = 0; i < 600; i++) {
        if (rmdir(path) == 0 || errno == ENOENT)
            return 1;
        if (errno != EBUSY)
            break;
        usleep(5000);
    }
    return errno == ENOTEMPTY ? 0 : -errno;
}

bool vp_cgroup_has_tasks(const char *path)
{
    char procs[PATH_MAX + 32];
    long pid;
    snprintf(procs, sizeof procs, "%s/cgroup.procs", path);
    FILE *f = fopen(procs, "re");
    bool any = false;
    while (f && !any && fscanf(f, "%ld", &pid) == 1)
        any = vp_proc_starttime((pid_t)pid) != 0; /* a zombie is no task that runs */
    if (f)
        fclose(f);
    return any;
}

int vp_cgroup_kill_path(const char *path)
{
    /* only ever our own hierarchy (the caller's guard said so too) */
    if (strncmp(path, CG_ROOT "/", strlen(CG_ROOT) + 1) != 0 || !strstr(path, "/virtperf"))
        return -EINVAL;
    char procs[PATH_MAX + 32];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", path);
    if (access(procs, F_OK) != 0)
        return 0;
    int had = kill_tasks(path) > 0;
    return kill_until_empty(path) < 0 ? -ETIMEDOUT : had;
}

void vp_cgroup_destroy(struct vp_cgroup *cg)
{
    if (!cg)
        return;
    vp_cgroup_kill(cg);
    for (int i = cg->ndirs - 1; i >= 0; i--)
        vp_journal_undo(cg->j, cg->dir[i].id);
    free(cg);
}

/* Remove dir after everything below it, reporting each; 0, or -EBUSY when
 * something below could not go (dir is then left). */
static int sweep_tree(const char *dir, bool dry_run, const struct vp_sweep_fn *fn)
{
    struct dirent **names = NULL; /* if dir went meanwhile, remove_path says so */
    int n = scandir(dir, &names, NULL, alphasort), rc = 0;
    bool children = false;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (names[i]->d_type == DT_DIR && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
            char sub[PATH_MAX];
            if (snprintf(sub, sizeof sub, "%s/%s", dir, name) >= (int)sizeof sub ||
                sweep_tree(sub, dry_run, fn) < 0)
                rc = -EBUSY;
            children = true;
        }
        free(names[i]);
    }
    free(names);
    if (rc < 0)
        return rc;
    /* a dry run leaves the children, which would have gone first */
    int r = dry_run && children ? 1 : vp_cgroup_remove_path(dir, dry_run);
    if (fn->entry)
        fn->entry(fn->arg, VP_RES_CGROUP, dir, r);
    return r < 0 ? r : 0;
}

#define MAXBASES 16 /* the hierarchies vp_cgroup_sweep looks at */

struct swept {
    dev_t dev[MAXBASES];
    ino_t ino[MAXBASES];
    int n;
};

/* Sweep base/virtperf once (v1 controllers may share a mount). */
static int sweep_base(const char *base, int magic, struct swept *seen, bool dry_run,
                      const struct vp_sweep_fn *fn, struct vp_err *err)
{
    struct statfs fs;
    struct stat st;
    char top[PATH_MAX];
    if (statfs(base, &fs) != 0 || fs.f_type != magic)
        return 0;
    snprintf(top, sizeof top, "%s/virtperf", base);
    if (stat(top, &st) != 0)
        return errno == ENOENT ? 0 : vp_run_error(err, errno, "cgroup %s", top);
    for (int i = 0; i < seen->n; i++)
        if (seen->dev[i] == st.st_dev && seen->ino[i] == st.st_ino)
            return 0;
    if (seen->n < MAXBASES) {
        seen->dev[seen->n] = st.st_dev;
        seen->ino[seen->n++] = st.st_ino;
    }
    struct dirent **names;
    int n = scandir(top, &names, NULL, alphasort);
    if (n < 0)
        return vp_run_error(err, errno, "cgroup %s", top);
    for (int i = 0; i < n; i++) {
        const char *run = names[i]->d_name;
        char path[PATH_MAX];
        if (names[i]->d_type == DT_DIR && run[0] != '.' && !vp_journal_run_in_use(run) &&
            snprintf(path, sizeof path, "%s/%s", top, run) < (int)sizeof path)
            sweep_tree(path, dry_run, fn);
        free(names[i]);
    }
    free(names);
    return 0;
}

/* An error of one hierarchy is kept (the first) and the others still swept. */
static void keep_first(int *rc, struct vp_err *err, int r, const struct vp_err *e)
{
    if (r < 0 && *rc == 0) {
        *rc = r;
        *err = *e;
    }
}

int vp_cgroup_sweep(bool dry_run, const struct vp_sweep_fn *fn, struct vp_err *err)
{
    static const char *const ctrls[] = {"cpu", "cpuacct", "cpuset", "memory", "blkio"};
    const char *v2[] = {CG_ROOT, CG_ROOT "/unified", v2_root()};
    struct swept seen = {.n = 0};
    struct vp_err e = {0};
    int rc = 0;
    if (geteuid() != 0) /* only root makes them, and could remove them */
        return 0;
    for (size_t c = 0; c < sizeof ctrls / sizeof ctrls[0]; c++) {
        char base[PATH_MAX];
        snprintf(base, sizeof base, CG_ROOT "/%s", ctrls[c]);
        keep_first(&rc, err, sweep_base(base, CG1_MAGIC, &seen, dry_run, fn, &e), &e);
        v1_base(ctrls[c], base, sizeof base); /* where this process would make them */
        keep_first(&rc, err, sweep_base(base, CG1_MAGIC, &seen, dry_run, fn, &e), &e);
    }
    for (size_t i = 0; i < sizeof v2 / sizeof v2[0]; i++)
        keep_first(&rc, err, sweep_base(v2[i], CG2_MAGIC, &seen, dry_run, fn, &e), &e);
    return rc;
}
