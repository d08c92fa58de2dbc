/* Run in a VM guest booted v2-only (tests/cli/cgroup_v2.sh: -smp 2,
 * cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1, cgroup2 on
 * /sys/fs/cgroup by guest/init): virtperf's cgroup module
 * (platform/cgroup.c, linked in) makes groups with each limit, and the
 * kernel is seen to enforce them:
 *   files   cpu.weight, cpu.max, cpuset.cpus, memory.max hold the values
 *           cgroup.h documents; the controllers are enabled down the path
 *   weight  burners of weights 256 and 768 on CPU 0 get CPU time 1:3
 *   cap     a burner capped at 30 on CPU 1 gets 0.2-0.4 of that CPU,
 *           throttled in most periods (cpu.stat as the module reads it)
 *   cpus    the burners run only on their group's CPU and cannot be moved
 *           off it (outside a group they can); the two on CPU 0 get one
 *           CPU between them
 *   memory  a process touching 64 MiB in a group of 32 MiB is OOM-killed
 *           (memory.events oom_kill >= 1); in one of 128 MiB it is not,
 *           and the module reads its memory.current
 * and destroy kills a task left in a group and removes every directory of
 * the groups, deepest first. One line per figure; exit 0 when all held, 1
 * when a check failed, 3 when only a timing bound was missed (the host
 * tells whether its vCPUs were starved). */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/cgroup.h"
#include "platform/journal.h"
#include "journal_stub.h"

#define SETTLE_NS (300 * 1000000ll)  /* burners running before the window */
#define WINDOW_NS (2000 * 1000000ll) /* the window measured */
#define TAIL_NS   (200 * 1000000ll)  /* burners running after it */
#define TOUCH     (64u << 20)

static int failed, missed; /* checks failed; timing bounds missed */

static void check(bool ok, bool timing, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void check(bool ok, bool timing, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", ok ? "ok  " : timing ? "MISS" : "FAIL");
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    if (!ok && timing)
        missed++;
    else if (!ok)
        failed++;
}

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000ll + t.tv_nsec;
}

static struct vp_cgroup *group(const char *name, struct vp_cgroup_limits lim)
{
    struct vp_cgroup *cg = NULL;
    struct vp_err err = {0};
    int rc = vp_cgroup_create(guest_journal(), name, &lim, &cg, &err);
    check(rc == 0, false, "create %s%s%s", name, rc ? ": " : "", rc ? err.msg : "");
    return cg;
}

static void expect_file(struct vp_cgroup *cg, const char *name, const char *file, const char *want)
{
    char buf[256] = "";
    int rc = cg ? vp_cgroup_read(cg, file, buf, sizeof buf) : -ENOENT;
    check(rc == 0 && strcmp(buf, want) == 0, false, "%s %s = \"%s\" (cgroup.h: \"%s\")", name, file,
          rc ? strerror(-rc) : buf, want);
}

/* The controllers virtperf needs are enabled in dir's subtree_control. */
static void expect_enabled(const char *dir)
{
    char path[512], line[256] = "";
    snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
    FILE *f = fopen(path, "r");
    if (f && !fgets(line, sizeof line, f))
        line[0] = '\0';
    if (f)
        fclose(f);
    line[strcspn(line, "\n")] = '\0';
    char padded[260];
    snprintf(padded, sizeof padded, " %s ", line);
    bool ok = strstr(padded, " cpu ") && strstr(padded, " cpuset ") && strstr(padded, " memory ");
    check(ok, false, "%s: subtree_control \"%s\"", path, line);
}

/* A child that waits for a byte on go, then spins for ns and exits with
 * the mask of the CPUs it was seen on. */
static pid_t burner(int go, long long ns)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    char c;
    if (read(go, &c, 1) != 1)
        _exit(0);
    unsigned mask = 0;
    volatile unsigned long sink = 0;
    for (long long end = now_ns() + ns; now_ns() < end;) {
        for (int i = 0; i < 20000; i++)
            sink += (unsigned long)i;
        int cpu = sched_getcpu();
        mask |= cpu >= 0 && cpu < 8 ? 1u << cpu : 0x80u;
    }
    _exit((int)mask);
}

static int set_cpu(pid_t pid, int cpu)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    return sched_setaffinity(pid, sizeof s, &s) == 0 ? 0 : -errno;
}

/* Outside a group a burner can be moved to CPU 1; in one pinned to CPU 0,
 * attached, the kernel refuses (EINVAL). */
static void attach_pinned(struct vp_cgroup *cg, const char *name, pid_t pid, int cpu)
{
    struct vp_err err = {0};
    cpu_set_t all;
    CPU_ZERO(&all);
    CPU_SET(0, &all);
    CPU_SET(1, &all);
    int other = 1 - cpu, before = set_cpu(pid, other);
    sched_setaffinity(pid, sizeof all, &all);
    int rc = vp_cgroup_attach(cg, pid, &err);
    check(rc == 0, false, "attach %d to %s%s%s", (int)pid, name, rc ? ": " : "", err.msg);
    int after = set_cpu(pid, other);
    check(before == 0 && after == -EINVAL, false,
          "%s: moving its task to CPU %d: %s outside the group, %s in it", name, other,
          before ? strerror(-before) : "done", after ? strerror(-after) : "done");
}

static double cpu_s(struct vp_cgroup *cg, struct vp_appliance_usage *u)
{
    struct vp_err err = {0};
    memset(u, 0, sizeof *u);
    if (cg && vp_cgroup_usage(cg, u, &err) < 0)
        check(false, false, "usage: %s", err.msg);
    return (double)(u->cpu_user_ns + u->cpu_system_ns) / 1e9;
}

/* weight, cap and cpus at once: a (256) and b (768) on CPU 0, c (cap 30)
 * on CPU 1, over the same window. */
static void test_cpu(void)
{
    struct vp_cgroup *a = group("w256", (struct vp_cgroup_limits){.weight = 256, .cpus = "0"});
    struct vp_cgroup *b = group("w768", (struct vp_cgroup_limits){.weight = 768, .cpus = "0"});
    struct vp_cgroup *c = group("cap30", (struct vp_cgroup_limits){.cap = 30, .cpus = "1"});
    expect_file(a, "w256", "cpu.weight", "39");
    expect_file(b, "w768", "cpu.weight", "118");
    expect_file(c, "cap30", "cpu.max", "30000 100000");
    expect_file(a, "w256", "cpuset.cpus", "0");
    expect_file(c, "cap30", "cpuset.cpus", "1");
    int go[2];
    if (!a || !b || !c || pipe(go) < 0)
        goto out;
    struct vp_cgroup *cg[3] = {a, b, c};
    const char *name[3] = {"w256", "w768", "cap30"};
    const int cpu[3] = {0, 0, 1};
    pid_t pid[3];
    for (int i = 0; i < 3; i++) {
        pid[i] = burner(go[0], SETTLE_NS + WINDOW_NS + TAIL_NS);
        attach_pinned(cg[i], name[i], pid[i], cpu[i]);
    }
    if (write(go[1], "xxx", 3) != 3)
        check(false, false, "start the burners: %s", strerror(errno));
    struct timespec settle = {0, SETTLE_NS},
                    window = {WINDOW_NS / 1000000000ll, WINDOW_NS % 1000000000ll};
    struct vp_appliance_usage u0[3], u1[3];
    double s0[3], s1[3], d[3];
    nanosleep(&settle, NULL);
    long long t0 = now_ns();
    for (int i = 0; i < 3; i++)
        s0[i] = cpu_s(cg[i], &u0[i]);
    nanosleep(&window, NULL);
    for (int i = 0; i < 3; i++)
        s1[i] = cpu_s(cg[i], &u1[i]);
    double wall = (double)(now_ns() - t0) / 1e9;
    for (int i = 0; i < 3; i++)
        d[i] = s1[i] - s0[i];
    double ratio = d[0] > 0 ? d[1] / d[0] : 0;
    printf("window %.2f s: w256 %.3f s, w768 %.3f s, cap30 %.3f s of CPU\n", wall, d[0], d[1],
           d[2]);
    check(ratio >= 2.0 && ratio <= 4.5, true, "weight 768:256 got CPU %.2f:1 (bounds 2-4.5)",
          ratio);
    /* pinned together, the two share CPU 0 (apart, they would have ~1.7) */
    check(d[0] + d[1] <= 1.1 * wall, false, "cpus 0: w256 + w768 had %.2f CPUs (at most 1.1)",
          (d[0] + d[1]) / wall);
    uint64_t periods = u1[2].periods - u0[2].periods;
    uint64_t throttled = u1[2].throttled_periods - u0[2].throttled_periods;
    check(d[2] / wall >= 0.2 && d[2] / wall <= 0.4, true,
          "cap 30 gave %.3f of a CPU (bounds 0.2-0.4), throttled in %llu of %llu periods",
          d[2] / wall, (unsigned long long)throttled, (unsigned long long)periods);
    check(periods >= 10 && throttled >= periods / 2, false,
          "cap 30: throttled in %llu of %llu periods (at least half of 10 or more)",
          (unsigned long long)throttled, (unsigned long long)periods);
    /* cpu.stat's throttled_usec and user_usec/system_usec, as the module
     * reads them: 70 ms of each 100 ms throttled; a burner's time is
     * mostly user (the guest's interrupts, slow under TCG on a busy host,
     * are system time) */
    double held = (double)(u1[2].throttled_ns - u0[2].throttled_ns) / 1e9 / wall;
    check(held >= 0.5 && held <= 0.9, true, "cap 30: throttled %.3f of the time (bounds 0.5-0.9)",
          held);
    double user = (double)(u1[0].cpu_user_ns - u0[0].cpu_user_ns) / 1e9;
    check(d[0] > 0 && user / d[0] >= 0.5, true,
          "w256: %.3f s of its %.3f s in user mode (at least half)", user, d[0]);
    printf("busy_s %.3f\n", (double)(SETTLE_NS + WINDOW_NS + TAIL_NS) / 1e9);
    for (int i = 0; i < 3; i++) {
        int ws = 0;
        waitpid(pid[i], &ws, 0);
        unsigned seen = WIFEXITED(ws) ? (unsigned)WEXITSTATUS(ws) : 0;
        check(seen == 1u << cpu[i], false, "%s ran on CPUs mask 0x%x (its group's: 0x%x)", name[i],
              seen, 1u << cpu[i]);
    }
    close(go[0]);
    close(go[1]);
out:
    vp_cgroup_destroy(a);
    vp_cgroup_destroy(b);
    vp_cgroup_destroy(c);
}

/* A child in cg touching TOUCH bytes: 0 when it could, else how it ended
 * (a signal as 128 + it); the group's memory while it held them in mem. */
static int touch(struct vp_cgroup *cg, double *mem)
{
    int go[2], held[2];
    struct vp_err err = {0};
    struct vp_appliance_usage u = {0};
    if (pipe(go) < 0 || pipe(held) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(go[1]);
        close(held[0]);
        if (read(go[0], &c, 1) != 1)
            _exit(1);
        char *p = malloc(TOUCH);
        if (p == NULL)
            _exit(2);
        for (size_t i = 0; i < TOUCH; i += 4096)
            p[i] = 1;
        if (write(held[1], "y", 1) != 1 || read(go[0], &c, 1) != 0) /* held until go closes */
            _exit(1);
        _exit(0);
    }
    close(go[0]);
    close(held[1]);
    if (vp_cgroup_attach(cg, pid, &err) < 0)
        check(false, false, "attach: %s", err.msg);
    if (write(go[1], "x", 1) != 1)
        check(false, false, "start: %s", strerror(errno));
    char c;
    *mem = 0;
    if (read(held[0], &c, 1) == 1 && vp_cgroup_usage(cg, &u, &err) == 0)
        *mem = (double)u.memory_bytes / (1 << 20);
    close(go[1]);
    close(held[0]);
    int ws = 0;
    waitpid(pid, &ws, 0);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* One "key value" line of a group's file, -1 when there is none. */
static long long stat_of(struct vp_cgroup *cg, const char *file, const char *key)
{
    char path[512], k[64];
    long long v, found = -1;
    snprintf(path, sizeof path, "%s/%s", vp_cgroup_dir(cg), file);
    FILE *f = fopen(path, "r");
    while (f && fscanf(f, "%63s %lld", k, &v) == 2)
        if (strcmp(k, key) == 0)
            found = v;
    if (f)
        fclose(f);
    return found;
}

static void test_memory(void)
{
    struct vp_cgroup *small = group("mem32", (struct vp_cgroup_limits){.memory = 32u << 20});
    /* the other limits at their extremes, in the group that holds 64 MiB */
    struct vp_cgroup *big = group(
        "mem128", (struct vp_cgroup_limits){.weight = 65535, .cap = 150, .memory = 128u << 20});
    expect_file(small, "mem32", "memory.max", "33554432");
    expect_file(big, "mem128", "memory.max", "134217728");
    expect_file(big, "mem128", "cpu.weight", "9999");
    expect_file(big, "mem128", "cpu.max", "150000 100000");
    if (small && big) {
        double mem_small, mem_big;
        int in_small = touch(small, &mem_small), in_big = touch(big, &mem_big);
        long long kills = stat_of(small, "memory.events", "oom_kill");
        check((in_small == 128 + SIGKILL && kills >= 1) || in_small == 2, false,
              "memory 32 MiB: touching 64 MiB %s (status %d), oom_kill %lld",
              in_small == 128 + SIGKILL ? "was killed"
              : in_small == 2           ? "failed"
                                        : "went on",
              in_small, kills);
        check(in_big == 0, false, "memory 128 MiB: touching 64 MiB %s (status %d)",
              in_big == 0 ? "went on" : "failed", in_big);
        /* memory.current, as the module reads it */
        check(mem_big >= 64 && mem_big < 80, false, "memory 128 MiB: %.1f MiB in use (64-80)",
              mem_big);
    }
    vp_cgroup_destroy(small);
    vp_cgroup_destroy(big);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    char cmdline[1024] = "", base[256];
    FILE *f = fopen("/proc/cmdline", "r");
    if (f && !fgets(cmdline, sizeof cmdline, f))
        cmdline[0] = '\0';
    if (f)
        fclose(f);
    check(vp_cgroup_version() == 2 && strstr(cmdline, "cgroup_no_v1=all"), false,
          "cgroup v%d, the kernel booted %s cgroup_no_v1=all", vp_cgroup_version(),
          strstr(cmdline, "cgroup_no_v1=all") ? "with" : "without");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    check(ncpu == 2, false, "%ld CPUs online (want 2)", ncpu);
    if (failed)
        return 1;
    struct vp_cgroup *probe = group("probe", (struct vp_cgroup_limits){0});
    if (!probe)
        return 1;
    expect_enabled("/sys/fs/cgroup");
    snprintf(base, sizeof base, "/sys/fs/cgroup/virtperf/%s", vp_journal_run(guest_journal()));
    expect_enabled(base);
    /* destroy kills what is left in a group (cgroup.kill) */
    struct vp_err err = {0};
    pid_t idle = fork();
    if (idle == 0) {
        pause();
        _exit(0);
    }
    int ws = 0, rc = vp_cgroup_attach(probe, idle, &err);
    vp_cgroup_destroy(probe);
    if (rc < 0)
        kill(idle, SIGKILL);
    waitpid(idle, &ws, 0);
    check(rc == 0 && WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, false,
          "destroy killed the task left in its group%s%s", rc ? ": " : "", err.msg);
    test_cpu();
    test_memory();
    check(access("/sys/fs/cgroup/virtperf", F_OK) != 0, false,
          "the groups and their parents are gone");
    printf("%d failed, %d timing bounds missed\n", failed, missed);
    return failed ? 1 : missed ? 3 : 0;
}
