/* The cgroup module: v1 files get the mapped values (weight -> shares, cap
 * -> quota, pinning, memory), the v2 weight mapping, and on a v2 hierarchy
 * (the real one, or the controller-less unified mount of a v1 host through
 * $VIRTPERF_CGROUP2_ROOT) a group is made, takes a process, counts its CPU
 * time, kills it and goes away. Needs root. */
#include <signal.h>

#include "platform/cgroup.h"
#include "platform_util.h"

static struct vp_journal *journal;

static void test_v2_weight_mapping(void)
{
    CHECK_INT(vp_cgroup_v2_weight(1), 1);
    CHECK_INT(vp_cgroup_v2_weight(256), 39);
    CHECK_INT(vp_cgroup_v2_weight(768), 118);
    CHECK_INT(vp_cgroup_v2_weight(65535), 9999);
    /* ratios survive the mapping: 1:3 stays within 2% */
    CHECK_NEAR((double)vp_cgroup_v2_weight(768) / (double)vp_cgroup_v2_weight(256), 3.0, 0.06);
}

static void expect_file(struct vp_cgroup *cg, const char *file, const char *want)
{
    char buf[256] = "";
    CHECK_INT(vp_cgroup_read(cg, file, buf, sizeof buf), 0);
    if (strcmp(buf, want) != 0)
        fprintf(stderr, "  %s = %s, expected %s\n", file, buf, want);
    CHECK_STR(buf, want);
}

static void test_v1_files(void)
{
    if (vp_cgroup_version() != 1) {
        fprintf(stderr, "  (not a v1 host: skipped)\n");
        return;
    }
    struct vp_cgroup_limits lim = {.weight = 768, .cap = 30, .cpus = "0", .memory = 64 << 20};
    struct vp_cgroup *cg = NULL;
    struct vp_err err = {0};
    CHECK_INT(vp_cgroup_create(journal, "vpt-files", &lim, &cg, &err), 0);
    if (!cg)
        return;
    expect_file(cg, "cpu.shares", "3072");
    expect_file(cg, "cpu.cfs_period_us", "100000");
    expect_file(cg, "cpu.cfs_quota_us", "30000");
    expect_file(cg, "cpuset.cpus", "0");
    expect_file(cg, "memory.limit_in_bytes", "67108864");
    vp_cgroup_destroy(cg);
}

/* A group on the v2 hierarchy: made, joined, counted, killed, removed. */
static void test_v2_lifecycle(void)
{
    if (vp_cgroup_version() != 2) {
        if (access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) != 0) {
            fprintf(stderr, "  (no v2 hierarchy: skipped)\n");
            return;
        }
        setenv("VIRTPERF_CGROUP2_ROOT", "/sys/fs/cgroup/unified", 1);
    }
    CHECK_INT(vp_cgroup_version(), 2);
    struct vp_cgroup_limits lim = {0};
    struct vp_cgroup *cg = NULL;
    struct vp_err err = {0};
    CHECK_INT(vp_cgroup_create(journal, "vpt-v2", &lim, &cg, &err), 0);
    if (!cg) {
        fprintf(stderr, "  %s\n", err.msg);
        goto out;
    }
    pid_t p = fork();
    if (p == 0) {
        for (;;)
            ;
    }
    CHECK_INT(vp_cgroup_attach(cg, p, &err), 0);
    usleep(300000);
    struct vp_appliance_usage u;
    CHECK_INT(vp_cgroup_usage(cg, &u, &err), 0);
    CHECK(u.cpu_user_ns + u.cpu_system_ns > 50000000ULL); /* it ran */
    char procs[64];
    CHECK_INT(vp_cgroup_read(cg, "cgroup.procs", procs, sizeof procs), 0);
    CHECK_INT(atol(procs), p);
    CHECK_INT(vp_cgroup_kill(cg), 0);
    int ws = 0;
    CHECK_INT(waitpid(p, &ws, 0), p);
    CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
    vp_cgroup_destroy(cg);
out:
    char run[VP_RUN_ID_LEN + 1];
    snprintf(run, sizeof run, "%s", vp_journal_run(journal));
    vp_journal_close(journal);
    CHECK_INT(leftovers(run), 0);
    char path[512];
    snprintf(path, sizeof path, "/sys/fs/cgroup/unified/virtperf/%s", run);
    CHECK(access(path, F_OK) != 0);
    CHECK_INT(vp_journal_open(&journal, &err), 0);
    unsetenv("VIRTPERF_CGROUP2_ROOT");
}

int main(void)
{
    SKIP_UNLESS_ROOT();
    struct vp_err err = {0};
    CHECK_INT(vp_journal_open(&journal, &err), 0);
    RUN(test_v2_weight_mapping);
    RUN(test_v1_files);
    RUN(test_v2_lifecycle);
    char run[VP_RUN_ID_LEN + 1];
    snprintf(run, sizeof run, "%s", vp_journal_run(journal));
    vp_journal_close(journal);
    CHECK_INT(leftovers(run), 0);
    return CHECK_DONE();
}
