/* Names that cannot collide and death of the runner (issue 18, items 2 and
 * 3): runs at once get distinct ids and network blocks; no block left is an
 * error; an old journal replayed beside a live run cannot touch what that
 * run made; a run killed with SIGKILL takes every process of its appliances
 * with it, those its processes forked and moved out of their group too, and
 * its direct children die even without the watcher. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "check.h"
#include "core/signals.h"
#include "core/clock.h"
#include "core/workdir.h"
#include "platform/cgroup.h"
#include "platform/journal.h"
#include "platform/net.h"
#include "platform_util.h"

#define RUNS 8

static const char *virtperf;

/* A fresh journal folder for a test; $VIRTPERF_RUNDIR points there. */
static void rundir_make(char *dir)
{
    CHECK(mkdtemp(dir) != NULL);
    setenv("VIRTPERF_RUNDIR", dir, 1);
}

static void rundir_drop(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, VP_JOURNAL_SUBNET_LOCK);
    unlink(path);
    if (rmdir(dir) != 0 && errno != ENOENT) { /* a cleanup removes it when empty */
        fprintf(stderr, "  %s is not empty:\n", dir);
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (e->d_name[0] != '.')
                fprintf(stderr, "    %s\n", e->d_name);
        if (d)
            closedir(d);
        CHECK(!"journal folder left with files");
    }
    unsetenv("VIRTPERF_RUNDIR");
}

/* RUNS processes open a journal and claim a network block at the same
 * moment, and hold them until all have: every id and block differs, each
 * block's lease names its run, and closing leaves nothing. */
static void test_runs_at_once(void)
{
    char dir[] = "/tmp/vp-ids.XXXXXX";
    rundir_make(dir);
    int go[2], out[2], hold[2];
    CHECK_INT(pipe(go), 0);
    CHECK_INT(pipe(out), 0);
    CHECK_INT(pipe(hold), 0);
    pid_t kids[RUNS];
    for (int i = 0; i < RUNS; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            struct vp_journal *j;
            struct vp_err err = {0};
            char c, line[64];
            close(go[1]);
            close(hold[1]);
            if (read(go[0], &c, 1) < 0 || vp_journal_open(&j, &err) < 0)
                _exit(1);
            int b = vp_net_block(j, &err);
            int n = snprintf(line, sizeof line, "%s %d\n", vp_journal_run(j), b);
            if (b < 0)
                fprintf(stderr, "  %s\n", err.msg);
            if (write(out[1], line, (size_t)n) != n)
                _exit(1);
            if (read(hold[0], &c, 1) < 0) /* until the parent has seen all */
                _exit(1);
            vp_journal_close(j);
            _exit(b < 0);
        }
    }
    close(go[0]);
    close(out[1]);
    close(hold[0]);
    close(go[1]); /* all start together */
    char ids[RUNS][16];
    int blocks[RUNS], n = 0;
    FILE *f = fdopen(out[0], "r");
    while (n < RUNS && f && fscanf(f, "%15s %d", ids[n], &blocks[n]) == 2)
        n++;
    CHECK_INT(n, RUNS);
    for (int i = 0; i < n; i++) {
        CHECK(vp_journal_id_valid(ids[i]));
        CHECK(blocks[i] >= 0 && blocks[i] < VP_NET_BLOCKS);
        char path[600], who[32] = "";
        snprintf(path, sizeof path, "%s/subnet-%d.lease", dir, blocks[i]);
        FILE *l = fopen(path, "r");
        CHECK(l && fgets(who, sizeof who, l));
        if (l)
            fclose(l);
        who[strcspn(who, "\n")] = '\0';
        CHECK_STR(who, ids[i]);
        for (int k = 0; k < i; k++) {
            CHECK(strcmp(ids[i], ids[k]) != 0);
            CHECK(blocks[i] != blocks[k]);
        }
    }
    close(hold[1]);
    for (int i = 0; i < RUNS; i++) {
        int ws = 0;
        waitpid(kids[i], &ws, 0);
        CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    }
    if (f)
        fclose(f);
    rundir_drop(dir); /* leases and journals went with their runs */
}

/* Every block leased to a live run: a one-line error naming the problem; a
 * lease whose run's journal is gone is stale and taken over. */
static void test_no_block_left(void)
{
    char dir[] = "/tmp/vp-ids.XXXXXX", path[600];
    rundir_make(dir);
    bool host[VP_NET_BLOCKS] = {false};
    for (int b = 0; b < VP_NET_BLOCKS; b++) { /* another's journal and its lease */
        char id[16];
        snprintf(id, sizeof id, "z%07d", b);
        snprintf(path, sizeof path, "%s/%s.journal", dir, id);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (f)
            fclose(f);
        snprintf(path, sizeof path, "%s/subnet-%d.lease", dir, b);
        f = fopen(path, "w");
        CHECK(f != NULL);
        if (f) {
            fprintf(f, "%s\n", id);
            fclose(f);
        }
    }
    struct vp_journal *j;
    struct vp_err err = {0};
    CHECK_INT(vp_journal_open(&j, &err), 0);
    CHECK_INT(vp_net_block(j, &err), -ENOSPC);
    CHECK(strstr(err.msg, "no free address block") != NULL);
    CHECK(strchr(err.msg, '\n') == NULL);
    fprintf(stderr, "  %s\n", err.msg);
    /* the host's own addresses in 10.213/16 (other runs here) hold blocks too */
    FILE *ip = popen("ip -o -4 addr show 2>/dev/null", "r");
    char line[512];
    while (ip && fgets(line, sizeof line, ip)) {
        int o3;
        char *p = strstr(line, " 10.213.");
        if (p && sscanf(p, " 10.213.%d.", &o3) == 1 && o3 / 3 < VP_NET_BLOCKS)
            host[o3 / 3] = true;
    }
    if (ip)
        pclose(ip);
    int stale = VP_NET_BLOCKS - 1;
    while (stale > 0 && host[stale])
        stale--;
    snprintf(path, sizeof path, "%s/z%07d.journal", dir, stale);
    unlink(path); /* its run is gone: its lease is stale */
    err.msg[0] = '\0';
    CHECK_INT(vp_net_block(j, &err), stale);
    vp_journal_close(j);
    for (int b = 0; b < VP_NET_BLOCKS; b++) {
        snprintf(path, sizeof path, "%s/z%07d.journal", dir, b);
        unlink(path);
        snprintf(path, sizeof path, "%s/subnet-%d.lease", dir, b);
        if (b != stale)
            unlink(path);
        else
            CHECK(access(path, F_OK) != 0); /* ours, gone with our journal */
    }
    rundir_drop(dir);
}

/* The text of each line of a journal file of kind in kinds (space-separated
 * names), copied into out as journal_line texts "+ <n> <kind> <what>". */
static int live_entries(const char *path, const char *kinds, char out[][600], int max)
{
    FILE *f = fopen(path, "r");
    char line[700];
    int n = 0;
    while (f && n < max && fgets(line, sizeof line, f)) {
        char kind[16], what[560];
        int id;
        line[strcspn(line, "\n")] = '\0';
        if (sscanf(line + 9, "+ %d %15s %559[^\n]", &id, kind, what) == 3 && strstr(kinds, kind))
            snprintf(out[n++], 600, "%s %s", kind, what);
    }
    if (f)
        fclose(f);
    return n;
}

/* Write a checksummed journal: header, then "+ k <entry>" lines. */
static void forge(const char *path, const char *header, char entries[][600], int n)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    char text[700];
    fprintf(f, "%08lx %s\n", crc32(0L, (const Bytef *)header, (uInt)strlen(header)), header);
    for (int i = 0; i < n; i++) {
        snprintf(text, sizeof text, "+ %d %s", i, entries[i]);
        fprintf(f, "%08lx %s\n", crc32(0L, (const Bytef *)text, (uInt)strlen(text)), text);
    }
    fclose(f);
}

/* Whether everything the live run's journal lists is still there. */
static int missing(char entries[][600], int n)
{
    int gone = 0;
    for (int i = 0; i < n; i++) {
        const char *what = strchr(entries[i], ' ') + 1;
        bool there = strncmp(entries[i], "link ", 5) == 0 ? if_nametoindex(what) != 0
                                                          : access(what, F_OK) == 0;
        if (!there) {
            fprintf(stderr, "  the live run lost %s\n", entries[i]);
            gone++;
        }
    }
    return gone;
}

/* A live run (a child with a container appliance on a bridge and a native
 * one with a cgroup) beside journals of dead owners that list its cgroups,
 * links, lease and scratch folder: a journal of its pid from before run ids
 * (as if the pid had been reused), one of another run id, one that claims
 * its id under another name. `virtperf cleanup` refuses every such line
 * and the live run keeps everything. */
static void test_old_journal_vs_live_run(void)
{
    char dir[] = "/var/tmp/vp-ids.XXXXXX", scratch[] = "/var/tmp/vp-ids-s.XXXXXX";
    rundir_make(dir);
    CHECK(mkdtemp(scratch) != NULL);
    int ready[2];
    CHECK_INT(pipe(ready), 0);
    pid_t child = fork();
    if (child == 0) {
        struct vp_journal *j;
        struct vp_err err = {0};
        struct vp_appliance_spec s;
        char wd[512];
        close(ready[0]);
        vp_signals_install();
        if (vp_journal_open(&j, &err) < 0)
            _exit(1);
        vp_appliance_spec_init(&s, "vpt-live");
        s.net = VP_NET_BRIDGE;
        struct vp_appliance *a = make(&vp_platform_container, j, &s);
        vp_appliance_spec_init(&s, "vpt-live2");
        struct vp_appliance *b = make(&vp_platform_native, j, &s);
        if (!a || !b || vp_workdir_make(scratch, "live", wd, sizeof wd, &err) < 0)
            _exit(1);
        if (write(ready[1], vp_journal_run(j), VP_RUN_ID_LEN + 1) < 0)
            _exit(1);
        while (!vp_interrupted)
            pause();
        vp_rmtree(wd);
        vp_platform_container.destroy(a);
        vp_platform_native.destroy(b);
        vp_journal_close(j);
        exit(0);
    }
    close(ready[1]);
    char run[VP_RUN_ID_LEN + 1] = "", path[600], header[256];
    CHECK_INT(read(ready[0], run, sizeof run), (int)sizeof run);
    close(ready[0]);
    char entries[32][600];
    snprintf(path, sizeof path, "%s/%s.journal", dir, run);
    int n = live_entries(path, "cgroup link lease dir", entries, 32);
    CHECK(n >= 8); /* cgroups, the bridge and veth, the lease, the folder */

    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    unsigned long long start = vp_proc_starttime(child);
    /* its pid, from before ids, "dead" (another start time): a reused pid */
    snprintf(header, sizeof header, "virtperf-journal 2 %ld %llu 0", (long)child, start - 1);
    snprintf(path, sizeof path, "%s/%ld-1.journal", dir, (long)child);
    forge(path, header, entries, n);
    /* another run id, dead */
    snprintf(header, sizeof header, "virtperf-journal 3 q0000000 %ld %llu 0", (long)dead, start);
    snprintf(path, sizeof path, "%s/q0000000.journal", dir);
    forge(path, header, entries, n);
    /* the live run's id, under another name */
    snprintf(header, sizeof header, "virtperf-journal 3 %s %ld %llu 0", run, (long)dead, start);
    snprintf(path, sizeof path, "%s/q0000001.journal", dir);
    forge(path, header, entries, n);

    char cmd[1024], out[16384];
    snprintf(cmd, sizeof cmd, "%s cleanup --json", virtperf);
    FILE *p = popen(cmd, "r");
    size_t len = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[len] = '\0';
    int st = p ? pclose(p) : -1;
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1); /* refusals */
    /* each line of the first two, the third whole (its name); not the
     * cgroup hierarchies' shared virtperf folders, which stay while in use */
    int shared = 0;
    for (int i = 0; i < n; i++)
        shared += strcmp(entries[i] + strlen(entries[i]) - 9, "/virtperf") == 0;
    const char *r = strstr(out, "\"refused\": ");
    CHECK(r && atoi(r + 11) == 2 * (n - shared) + 1);
    if (!r || atoi(r + 11) != 2 * (n - shared) + 1)
        fprintf(stderr, "  %d lines, %d shared: %s\n", n, shared, out);
    CHECK_INT(missing(entries, n), 0);
    if (missing(entries, n))
        fprintf(stderr, "%s\n", out);
    CHECK(kill(child, 0) == 0);

    snprintf(path, sizeof path, "%s/%ld-1.journal", dir, (long)child);
    unlink(path);
    snprintf(path, sizeof path, "%s/q0000000.journal", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/q0000001.journal", dir);
    unlink(path);
    kill(child, SIGTERM);
    int ws = 0;
    waitpid(child, &ws, 0);
    CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    CHECK_INT(leftovers(run), 0);
    rmdir(scratch);
    rundir_drop(dir);
}

/* The pids in a cgroup directory. */
static int tasks(const char *cg, pid_t *pids, int max)
{
    char path[600];
    snprintf(path, sizeof path, "%s/cgroup.procs", cg);
    FILE *f = fopen(path, "r");
    long p;
    int n = 0;
    while (f && n < max && fscanf(f, "%ld", &p) == 1)
        pids[n++] = (pid_t)p;
    if (f)
        fclose(f);
    return n;
}

/* Running or sleeping (a zombie is dead: it only waits to be reaped). */
static bool runs(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* A run with a native and a container appliance, in each a shell that
 * forked a sleep of its own (native: moved to a session of its own, out of
 * the process group the run kills), is killed with SIGKILL: within two
 * seconds not one process of either appliance runs. */
static void test_killed_runner_takes_all(void)
{
    char dir[] = "/var/tmp/vp-ids.XXXXXX";
    rundir_make(dir);
    int ready[2];
    CHECK_INT(pipe(ready), 0);
    pid_t child = fork();
    if (child == 0) {
        struct vp_journal *j;
        struct vp_err err = {0};
        struct vp_appliance_spec s;
        char msg[2048];
        close(ready[0]);
        if (vp_journal_open(&j, &err) < 0)
            _exit(1);
        vp_appliance_spec_init(&s, "vpt-kn");
        struct vp_appliance *a = make(&vp_platform_native, j, &s);
        vp_appliance_spec_init(&s, "vpt-kc");
        struct vp_appliance *b = make(&vp_platform_container, j, &s);
        if (!a || !b)
            _exit(1);
        char *na[] = {"/bin/sh", "-c", "setsid sleep 300 & sleep 300", NULL};
        char *ca[] = {"/bin/sh", "-c", "sleep 300 & sleep 300", NULL};
        struct vp_exec
            nx = {.argv = na, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, .sync_fd = -1},
            cx = {.argv = ca, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, .sync_fd = -1};
        pid_t p;
        if (vp_platform_native.start(a, &nx, &p, &err) < 0 ||
            vp_platform_container.start(b, &cx, &p, &err) < 0)
            _exit(1);
        int n = snprintf(msg, sizeof msg, "%s\n%s\n", vp_platform_native.cgroup_path(a),
                         vp_platform_container.cgroup_path(b));
        if (write(ready[1], vp_journal_run(j), VP_RUN_ID_LEN + 1) < 0 ||
            write(ready[1], msg, (size_t)n) != n)
            _exit(1);
        pause();
        _exit(0);
    }
    close(ready[1]);
    char run[VP_RUN_ID_LEN + 1] = "", msg[2048] = "", cg[2][600] = {"", ""};
    CHECK_INT(read(ready[0], run, sizeof run), (int)sizeof run);
    ssize_t got = read(ready[0], msg, sizeof msg - 1);
    close(ready[0]);
    msg[got > 0 ? got : 0] = '\0';
    CHECK(sscanf(msg, "%599s %599s", cg[0], cg[1]) == 2);
    pid_t pids[64];
    int n = 0;
    /* native: sh, the sleep in its session, the other; container: helper, sh, two sleeps */
    for (int i = 0; i < 500 && n < 7; i++) {
        usleep(10000);
        n = tasks(cg[0], pids, 32);
        n += tasks(cg[1], pids + n, 32);
    }
    CHECK(n >= 7);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    uint64_t t0 = vp_now_ns();
    int left = n;
    while (left > 0 && vp_now_ns() - t0 < 2000000000ull) {
        usleep(10000);
        left = 0;
        for (int i = 0; i < n; i++)
            left += runs(pids[i]);
    }
    fprintf(stderr, "  %d processes of the killed run, all gone after %.0f ms\n", n,
            (double)(vp_now_ns() - t0) / 1e6);
    for (int i = 0; i < n; i++)
        if (runs(pids[i])) {
            fprintf(stderr, "  pid %ld still runs\n", (long)pids[i]);
            kill(pids[i], SIGKILL);
        }
    CHECK_INT(left, 0);
    char out[8192];
    run_cleanup(virtperf, out, sizeof out);
    CHECK_INT(leftovers(run), 0);
    rundir_drop(dir);
}

/* The pid of the process named name (its comm), or 0. */
static pid_t named(const char *name)
{
    char cmd[128], out[32] = "";
    snprintf(cmd, sizeof cmd, "pgrep -x %s", name);
    FILE *p = popen(cmd, "r");
    if (p && !fgets(out, sizeof out, p))
        out[0] = '\0';
    if (p)
        pclose(p);
    return (pid_t)atol(out);
}

/* Its direct children die with the runner by themselves, also one run as
 * another user (a change of user clears the parent-death signal, so it is
 * set again after): with the watcher killed first, the runner's SIGKILL
 * still takes both. */
static void test_children_die_without_watcher(void)
{
    char dir[] = "/var/tmp/vp-ids.XXXXXX";
    rundir_make(dir);
    int ready[2];
    CHECK_INT(pipe(ready), 0);
    pid_t child = fork();
    if (child == 0) {
        struct vp_journal *j;
        struct vp_err err = {0};
        struct vp_appliance_spec s;
        close(ready[0]);
        if (vp_journal_open(&j, &err) < 0)
            _exit(1);
        vp_appliance_spec_init(&s, "vpt-pd");
        struct vp_appliance *a = make(&vp_platform_native, j, &s);
        char *argv[] = {"/bin/sleep", "300", NULL};
        struct vp_exec root = {.argv = argv,
                               .stdin_fd = -1,
                               .stdout_fd = -1,
                               .stderr_fd = -1,
                               .sync_fd = -1},
                       user = root;
        user.user = true;
        user.uid = user.gid = 65534;
        pid_t p[2];
        if (!a || vp_platform_native.start(a, &root, &p[0], &err) < 0 ||
            vp_platform_native.start(a, &user, &p[1], &err) < 0)
            _exit(1);
        if (write(ready[1], vp_journal_run(j), VP_RUN_ID_LEN + 1) < 0 ||
            write(ready[1], p, sizeof p) < 0)
            _exit(1);
        pause();
        _exit(0);
    }
    close(ready[1]);
    char run[VP_RUN_ID_LEN + 1] = "", watcher[32];
    pid_t p[2] = {0, 0};
    CHECK_INT(read(ready[0], run, sizeof run), (int)sizeof run);
    CHECK_INT(read(ready[0], p, sizeof p), (int)sizeof p);
    close(ready[0]);
    snprintf(watcher, sizeof watcher, "vpw-%s", run);
    pid_t w = named(watcher);
    CHECK(w > 0);
    if (w > 0)
        kill(w, SIGKILL);
    for (int i = 0; i < 200 && w > 0 && runs(w); i++)
        usleep(5000);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    uint64_t t0 = vp_now_ns();
    while ((runs(p[0]) || runs(p[1])) && vp_now_ns() - t0 < 2000000000ull)
        usleep(5000);
    for (int i = 0; i < 2; i++)
        if (p[i] > 0 && runs(p[i])) {
            fprintf(stderr, "  the sleep run as %s outlived the runner\n",
                    i ? "uid 65534" : "root");
            kill(p[i], SIGKILL);
            check_failures++;
        }
    char out[8192];
    run_cleanup(virtperf, out, sizeof out);
    CHECK_INT(leftovers(run), 0);
    rundir_drop(dir);
}

int main(void)
{
    RUN(test_runs_at_once);
    RUN(test_no_block_left);
    virtperf = getenv("VIRTPERF");
    if (geteuid() != 0 || vp_platform_container.unsupported() || !virtperf) {
        fprintf(stderr, "skipped the rest: %s\n",
                !virtperf ? "no $VIRTPERF" : "needs root, namespaces and cgroups");
        return CHECK_DONE();
    }
    RUN(test_old_journal_vs_live_run);
    RUN(test_killed_runner_takes_all);
    RUN(test_children_die_without_watcher);
    return CHECK_DONE();
}
