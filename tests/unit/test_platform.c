/* The native and container platforms: refusals before anything is made,
 * the container's own hostname, pid 1 and /proc, pinning, weights (1:3 within
 * 10%), a cap (50% of a core within 5 points), and nothing left behind after
 * a normal run or after SIGKILL and `virtperf cleanup`. Needs root. */
#include <fcntl.h>
#include <signal.h>
#include <time.h>

#include "core/clock.h"
#include "core/signals.h"
#include "core/workdir.h"
#include "platform_util.h"

static struct vp_journal *journal;
static const char *virtperf; /* the binary, for `virtperf cleanup` */

/* The platforms whose appliances run host processes; a VM's contract is
 * checked in test_vm.c. */
static const struct vp_platform_ops *const host_platforms[] = {&vp_platform_native,
                                                               &vp_platform_container, NULL};

static void spec(struct vp_appliance_spec *s, const char *name, const char *cpus)
{
    vp_appliance_spec_init(s, name);
    snprintf(s->cpus, sizeof s->cpus, "%s", cpus);
}

static void expect_refusal(const struct vp_appliance_spec *s, const char *field)
{
    struct vp_err err = {0};
    for (int i = 0; vp_platforms[i]; i++) {
        err.msg[0] = '\0';
        CHECK_INT(vp_platforms[i]->validate(s, &err), -EINVAL);
        CHECK_INT(err.kind, VP_ERR_INPUT);
        if (strncmp(err.msg, field, strlen(field)) != 0)
            fprintf(stderr, "  %s: \"%s\" does not start with %s\n", vp_platforms[i]->name, err.msg,
                    field);
        CHECK(strncmp(err.msg, field, strlen(field)) == 0);
    }
}

static void test_validate(void)
{
    struct vp_appliance_spec s;
    struct vp_err err = {0};
    spec(&s, "ok", "");
    CHECK_INT(vp_platform_native.validate(&s, &err), 0);
    CHECK_INT(vp_platform_container.validate(&s, &err), 0);
    s.weight = 0;
    expect_refusal(&s, "weight");
    s.weight = 65536;
    expect_refusal(&s, "weight");
    s.weight = 256;
    s.cap = 100LL * vp_cpus_online() + 1;
    expect_refusal(&s, "cap");
    s.cap = 0;
    s.vcpus = vp_cpus_online() + 1;
    expect_refusal(&s, "vcpus");
    s.overcommit = true;
    CHECK_INT(vp_platform_container.validate(&s, &err), 0);
    spec(&s, "ok", "4095");
    expect_refusal(&s, "cpus");
    spec(&s, "ok", "0-");
    expect_refusal(&s, "cpus");
    spec(&s, "bad/name", "");
    expect_refusal(&s, "name");
    CHECK(vp_platform_find("container") == &vp_platform_container);
    CHECK(vp_platform_find("xen") == NULL);
}

static void test_container_isolation(void)
{
    struct vp_appliance_spec s;
    spec(&s, "vpt-iso", "");
    struct vp_appliance *a = make(&vp_platform_container, journal, &s);
    if (!a)
        return;
    char out[4096], host[256];
    gethostname(host, sizeof host);
    CHECK_INT(
        run_sh(&vp_platform_container, a,
               "hostname; echo $$; ls /proc | grep -c '^[0-9]'; tr '\\0' '\\n' </proc/1/cmdline",
               out, sizeof out),
        0);
    char name[128] = "", exe[256] = "";
    int pid = 0, nproc = 0;
    CHECK_INT(sscanf(out, "%127s %d %d %255s", name, &pid, &nproc, exe), 4);
    CHECK_STR(name, "vpt-iso");
    CHECK(strcmp(host, "vpt-iso") != 0); /* the host kept its own */
    /* pid 1 is the appliance's init; the shell is the next one in there */
    CHECK(pid >= 2 && pid < 10);
    CHECK(nproc >= 2 && nproc < 10); /* its own /proc: a handful of processes */
    CHECK(strstr(exe, "test_platform") != NULL);

    /* SIGTERM to the pid start() gave ends the process inside */
    char *argv[] = {"/bin/sleep", "30", NULL};
    struct vp_exec ex = {
        .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, .sync_fd = -1};
    struct vp_err err = {0};
    pid_t p;
    CHECK_INT(vp_platform_container.start(a, &ex, &p, &err), 0);
    usleep(100000);
    uint64_t t0 = vp_now_ns();
    kill(p, SIGTERM);
    int ws = 0;
    CHECK_INT(waitpid(p, &ws, 0), p);
    CHECK(vp_now_ns() - t0 < 2000000000ULL);
    CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 128 + SIGTERM);
    vp_platform_container.destroy(a);
}

static void test_pinning(void)
{
    int cpu = vp_cpus_online() - 1;
    char cpus[16], out[256], want[32];
    snprintf(cpus, sizeof cpus, "%d", cpu);
    snprintf(want, sizeof want, "%d\n", cpu);
    for (int i = 0; host_platforms[i]; i++) {
        struct vp_appliance_spec s;
        spec(&s, "vpt-pin", cpus);
        struct vp_appliance *a = make(host_platforms[i], journal, &s);
        if (!a)
            continue;
        CHECK_INT(run_sh(host_platforms[i], a,
                         "sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status", out,
                         sizeof out),
                  0);
        if (strcmp(out, want) != 0)
            fprintf(stderr, "  %s: Cpus_allowed_list %s", host_platforms[i]->name, out);
        CHECK_STR(out, want);
        host_platforms[i]->destroy(a);
    }
}

/* A program that does not exist: a run error from start(), nothing left running. */
static void test_start_failure(void)
{
    for (int i = 0; host_platforms[i]; i++) {
        struct vp_appliance_spec s;
        spec(&s, "vpt-nox", "");
        struct vp_appliance *a = make(host_platforms[i], journal, &s);
        if (!a)
            continue;
        char *argv[] = {"/nonexistent/program", NULL};
        struct vp_exec ex = {
            .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, .sync_fd = -1};
        struct vp_err err = {0};
        pid_t p = 0;
        CHECK_INT(host_platforms[i]->start(a, &ex, &p, &err), -ENOENT);
        CHECK_INT(err.kind, VP_ERR_RUN);
        CHECK(strstr(err.msg, "/nonexistent/program") != NULL);
        /* no child of ours left but the container's init */
        char path[64], kids[256] = "";
        snprintf(path, sizeof path, "/proc/self/task/%ld/children", (long)getpid());
        FILE *f = fopen(path, "r");
        int nkids = 0;
        while (f && fscanf(f, "%255s", kids) == 1)
            nkids++;
        if (f)
            fclose(f);
        CHECK_INT(nkids, host_platforms[i] == &vp_platform_container ? 1 : 0);
        host_platforms[i]->destroy(a);
    }
}

static uint64_t cpu_ns(const struct vp_platform_ops *ops, struct vp_appliance *a)
{
    struct vp_appliance_usage u;
    struct vp_err err = {0};
    CHECK_INT(ops->usage(a, &u, &err), 0);
    return u.cpu_user_ns + u.cpu_system_ns;
}

static void spin(const struct vp_platform_ops *ops, struct vp_appliance *a)
{
    char *argv[] = {"/bin/sh", "-c", "while :; do :; done", NULL};
    struct vp_exec ex = {
        .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, .sync_fd = -1};
    struct vp_err err = {0};
    pid_t pid;
    CHECK_INT(ops->start(a, &ex, &pid, &err), 0);
}

/* Two spinning appliances on one core, weights 256 and 768: CPU 1:3. */
static void test_weight(const struct vp_platform_ops *ops)
{
    struct vp_appliance_spec s1, s2;
    char cpus[16];
    snprintf(cpus, sizeof cpus, "%d", vp_cpus_online() - 1);
    spec(&s1, "vpt-w256", cpus);
    spec(&s2, "vpt-w768", cpus);
    s2.weight = 768;
    struct vp_appliance *a = make(ops, journal, &s1), *b = make(ops, journal, &s2);
    if (a && b) {
        spin(ops, a);
        spin(ops, b);
        usleep(300000);
        uint64_t a0 = cpu_ns(ops, a), b0 = cpu_ns(ops, b);
        usleep(3000000);
        double da = (double)(cpu_ns(ops, a) - a0), db = (double)(cpu_ns(ops, b) - b0);
        double ratio = db / da;
        fprintf(stderr, "  %s: weight 768/256 CPU ratio %.3f (%.2f s, %.2f s)\n", ops->name, ratio,
                da / 1e9, db / 1e9);
        CHECK_NEAR(ratio, 3.0, 0.3);
    }
    if (a)
        ops->destroy(a);
    if (b)
        ops->destroy(b);
}

static void test_weight_native(void)
{
    test_weight(&vp_platform_native);
}

static void test_weight_container(void)
{
    test_weight(&vp_platform_container);
}

/* cap 50 on a spinning appliance: half a core. The cap is an upper bound
 * on any machine; it is also reached when the group was throttled in all
 * periods but one in twenty (a busy machine can starve it below the cap:
 * then the lower bound is not checked, and the test says so). */
static void test_cap(void)
{
    for (int i = 0; host_platforms[i]; i++) {
        const struct vp_platform_ops *ops = host_platforms[i];
        struct vp_appliance_spec s;
        struct vp_appliance_usage u0, u1;
        struct vp_err err = {0};
        spec(&s, "vpt-cap", "");
        s.cap = 50;
        struct vp_appliance *a = make(ops, journal, &s);
        if (!a)
            continue;
        spin(ops, a);
        usleep(200000);
        CHECK_INT(ops->usage(a, &u0, &err), 0);
        uint64_t t0 = vp_now_ns();
        usleep(2000000);
        CHECK_INT(ops->usage(a, &u1, &err), 0);
        double wall = (double)(vp_now_ns() - t0);
        double cpu =
            (double)(u1.cpu_user_ns + u1.cpu_system_ns - u0.cpu_user_ns - u0.cpu_system_ns);
        double share = 100.0 * cpu / wall;
        uint64_t periods = u1.periods - u0.periods;
        double throttled =
            periods ? (double)(u1.throttled_periods - u0.throttled_periods) / (double)periods : 0.0;
        fprintf(stderr, "  %s: cap 50 gave %.1f%% of a core, throttled in %.0f%% of %llu periods\n",
                ops->name, share, 100 * throttled, (unsigned long long)periods);
        CHECK(share <= 55.0);
        CHECK(periods >= 15);  /* a 100 ms period: about 20 in 2 s */
        if (throttled >= 0.95) /* then it used its full quota in 95% of periods */
            CHECK_NEAR(share, 50.0, 5.0);
        else
            fprintf(stderr,
                    "  %s: the machine is busy (throttled in only %.0f%% of periods): "
                    "50%% not reachable, lower bound not checked\n",
                    ops->name, 100 * throttled);
        ops->destroy(a);
    }
}

/* memory 32M: a shell that builds a 100 MB string is killed. */
static void test_memory(void)
{
    for (int i = 0; host_platforms[i]; i++) {
        struct vp_appliance_spec s;
        spec(&s, "vpt-mem", "");
        s.memory = 32 << 20;
        struct vp_appliance *a = make(host_platforms[i], journal, &s);
        if (!a)
            continue;
        char out[64];
        int rc =
            run_sh(host_platforms[i], a,
                   "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived", out, sizeof out);
        if (rc == 0)
            fprintf(stderr, "  %s: %s", host_platforms[i]->name, out);
        CHECK(rc != 0);
        CHECK(strstr(out, "survived") == NULL);
        CHECK_INT(run_sh(host_platforms[i], a,
                         "x=$(head -c 1000000 /dev/zero | tr '\\0' a); echo ok", out, sizeof out),
                  0);
        CHECK_STR(out, "ok\n");
        host_platforms[i]->destroy(a);
    }
}

/* SIGTERM to a process owning appliances: it destroys them and exits. */
static void test_sigterm(void)
{
    int ready[2];
    CHECK_INT(pipe(ready), 0);
    pid_t child = fork();
    if (child == 0) {
        struct vp_journal *j;
        struct vp_err err = {0};
        struct vp_appliance_spec s;
        close(ready[0]);
        vp_signals_install();
        if (vp_journal_open(&j, &err) < 0)
            _exit(1);
        spec(&s, "vpt-t1", "");
        s.net = VP_NET_ROUTED;
        struct vp_appliance *a = make(&vp_platform_container, j, &s);
        spec(&s, "vpt-t2", "");
        struct vp_appliance *b = make(&vp_platform_native, j, &s);
        if (!a || !b)
            _exit(1);
        spin(&vp_platform_container, a);
        spin(&vp_platform_native, b);
        if (write(ready[1], vp_journal_run(j), VP_RUN_ID_LEN + 1) < 0)
            _exit(1);
        while (!vp_interrupted)
            pause();
        vp_platform_container.destroy(a);
        vp_platform_native.destroy(b);
        vp_journal_close(j);
        exit(0);
    }
    close(ready[1]);
    char run[VP_RUN_ID_LEN + 1] = "";
    CHECK_INT(read(ready[0], run, sizeof run), (int)sizeof run);
    close(ready[0]);
    CHECK(leftovers(run) > 0);
    kill(child, SIGTERM);
    int ws = 0;
    waitpid(child, &ws, 0);
    CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    CHECK_INT(leftovers(run), 0);
}

/* A disk workload killed inside a container: its journal waits for the
 * container to go, then `virtperf cleanup` removes its scratch directory. */
static void test_container_workdir(void)
{
    char base[] = "/var/tmp/vpt-wd.XXXXXX", cmd[1024], out[8192];
    CHECK(mkdtemp(base) != NULL);
    struct vp_appliance_spec s;
    spec(&s, "vpt-wd", "");
    /* what it writes: its scratch directory's base, and the journal there */
    s.binds[0] = (struct vp_bind){.writable = true};
    s.binds[1] = (struct vp_bind){.writable = true};
    snprintf(s.binds[0].path, sizeof s.binds[0].path, "%s", base);
    vp_journal_dir(s.binds[1].path, sizeof s.binds[1].path);
    struct vp_appliance *a = make(&vp_platform_container, journal, &s);
    if (!a)
        goto out;
    char store[600];
    snprintf(store, sizeof store, "%s/store.db", base);
    char *argv[] = {(char *)virtperf, "workload", "run",    "disk-zfg", "--preset",
                    "small",          "--rounds", "100000", "--dir",    base,
                    "--store",        store,      NULL};
    struct vp_exec ex = {
        .argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, .sync_fd = -1};
    struct vp_err err = {0};
    pid_t p;
    CHECK_INT(vp_platform_container.start(a, &ex, &p, &err), 0);
    char dir[600] = "";
    for (int i = 0; i < 200 && !dir[0]; i++) { /* wait for its scratch directory */
        usleep(20000);
        DIR *d = opendir(base);
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (strncmp(e->d_name, "virtperf-", 9) == 0 && strstr(e->d_name, "-zfg."))
                snprintf(dir, sizeof dir, "%s/%s", base, e->d_name);
        if (d)
            closedir(d);
    }
    CHECK(dir[0] != '\0');
    snprintf(cmd, sizeof cmd, "%s cleanup", virtperf);
    FILE *f = popen(cmd, "r");
    size_t len = f ? fread(out, 1, sizeof out - 1, f) : 0;
    out[len] = '\0';
    CHECK(f && pclose(f) == 0);
    CHECK(access(dir, F_OK) == 0);    /* still in use: left alone */
    vp_platform_container.destroy(a); /* kills it, as a crash would */
    CHECK(access(dir, F_OK) == 0);
    f = popen(cmd, "r");
    len = f ? fread(out, 1, sizeof out - 1, f) : 0;
    out[len] = '\0';
    CHECK(f && pclose(f) == 0);
    if (access(dir, F_OK) == 0)
        fprintf(stderr, "  cleanup said: %s", out);
    CHECK(access(dir, F_OK) != 0);
    CHECK(strstr(out, "removed dir") != NULL);
out:
    CHECK_INT(vp_rmtree(base), 0);
}

static void test_no_leak_after_run(void)
{
    /* everything the tests above made is gone once the journal closes */
    char run[VP_RUN_ID_LEN + 1];
    snprintf(run, sizeof run, "%s", vp_journal_run(journal));
    vp_journal_close(journal);
    journal = NULL;
    CHECK_INT(leftovers(run), 0);
    CHECK(vp_journal_open(&journal, &(struct vp_err){0}) == 0);
}

/* A child makes appliances of both kinds with networks, a process in each
 * and a scratch directory, then is killed; `virtperf cleanup` removes it all. */
static void test_cleanup_after_kill(void)
{
    int ready[2];
    char dir[512] = "";
    CHECK_INT(pipe(ready), 0);
    pid_t child = fork();
    if (child == 0) {
        struct vp_journal *j;
        struct vp_err err = {0};
        struct vp_appliance_spec s;
        close(ready[0]);
        if (vp_journal_open(&j, &err) < 0)
            _exit(1);
        spec(&s, "vpt-k1", "");
        s.net = VP_NET_BRIDGE;
        s.weight = 512;
        struct vp_appliance *a = make(&vp_platform_container, j, &s);
        spec(&s, "vpt-k2", "");
        s.net = VP_NET_DIRECT;
        struct vp_appliance *b = make(&vp_platform_container, j, &s);
        spec(&s, "vpt-k3", "0");
        s.cap = 20;
        struct vp_appliance *c = make(&vp_platform_native, j, &s);
        if (!a || !b || !c || vp_workdir_make("/var/tmp", "kill", dir, sizeof dir, &err) < 0)
            _exit(1);
        spin(&vp_platform_container, a);
        spin(&vp_platform_native, c);
        if (write(ready[1], vp_journal_run(j), VP_RUN_ID_LEN + 1) < 0 ||
            write(ready[1], dir, strlen(dir) + 1) < 0)
            _exit(1);
        pause();
        _exit(0);
    }
    close(ready[1]);
    char run[VP_RUN_ID_LEN + 1] = "";
    ssize_t n = read(ready[0], run, sizeof run);
    if (n == (ssize_t)sizeof run)
        n = read(ready[0], dir, sizeof dir - 1);
    close(ready[0]);
    CHECK(n > 0);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    if (n <= 0)
        return;
    CHECK(leftovers(run) > 0); /* there was something to clean */
    char out[8192];
    run_cleanup(virtperf, out, sizeof out);
    CHECK(strstr(out, "\"kind\": \"cgroup\"") != NULL);
    CHECK(strstr(out, "\"kind\": \"link\"") != NULL);
    CHECK(strstr(out, "\"kind\": \"dir\"") != NULL);
    CHECK_INT(leftovers(run), 0);
    CHECK(access(dir, F_OK) != 0);
    /* idempotent: a second pass finds nothing of it */
    run_cleanup(virtperf, out, sizeof out);
    CHECK(strstr(out, run) == NULL);
}

int main(void)
{
    SKIP_UNLESS_ROOT();
    virtperf = getenv("VIRTPERF");
    CHECK(virtperf != NULL);
    struct vp_err err = {0};
    CHECK_INT(vp_journal_open(&journal, &err), 0);
    RUN(test_validate);
    RUN(test_container_isolation);
    RUN(test_start_failure);
    RUN(test_pinning);
    RUN(test_weight_native);
    RUN(test_weight_container);
    RUN(test_cap);
    RUN(test_memory);
    RUN(test_sigterm);
    RUN(test_no_leak_after_run);
    if (virtperf) {
        RUN(test_container_workdir);
        RUN(test_cleanup_after_kill);
    }
    char run[VP_RUN_ID_LEN + 1];
    snprintf(run, sizeof run, "%s", vp_journal_run(journal));
    vp_journal_close(journal);
    CHECK_INT(leftovers(run), 0);
    return CHECK_DONE();
}
