/* Shared by the platform tests: run a shell line in an appliance and read
 * what it prints; find what a run left behind. Needs root (skipped if not). */
#ifndef VP_TESTS_PLATFORM_UTIL_H
#define VP_TESTS_PLATFORM_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "platform/journal.h"
#include "platform/platform.h"

/* Run argv in a; its stdout (and its stderr too when both) goes to out.
 * Returns its exit status, -1 on failure. */
__attribute__((unused)) static int run_argv_out(const struct vp_platform_ops *ops,
                                                struct vp_appliance *a, char *const *argv,
                                                bool both, char *out, size_t len)
{
    int p[2];
    struct vp_err err = {0};
    pid_t pid;
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    struct vp_exec ex = {.argv = argv,
                         .stdin_fd = -1,
                         .stdout_fd = p[1],
                         .stderr_fd = both ? p[1] : 2,
                         .sync_fd = -1};
    int rc = ops->start(a, &ex, &pid, &err);
    close(p[1]);
    if (rc < 0) {
        fprintf(stderr, "  start: %s\n", err.msg);
        close(p[0]);
        return -1;
    }
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len && (r = read(p[0], out + n, len - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(p[0]);
    int ws;
    if (waitpid(pid, &ws, 0) != pid)
        return -1;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

__attribute__((unused)) static int run_argv(const struct vp_platform_ops *ops,
                                            struct vp_appliance *a, char *const *argv, char *out,
                                            size_t len)
{
    return run_argv_out(ops, a, argv, false, out, len);
}

__attribute__((unused)) static int run_sh(const struct vp_platform_ops *ops, struct vp_appliance *a,
                                          const char *line, char *out, size_t len)
{
    char *argv[] = {"/bin/sh", "-c", (char *)line, NULL};
    return run_argv(ops, a, argv, out, len);
}

__attribute__((unused)) static struct vp_appliance *
make(const struct vp_platform_ops *ops, struct vp_journal *j, const struct vp_appliance_spec *s)
{
    struct vp_err err = {0};
    struct vp_appliance *a = NULL;
    int rc = ops->create(s, j, &a, &err);
    if (rc < 0)
        fprintf(stderr, "  create %s on %s: %s\n", s->name, ops->name, err.msg);
    CHECK_INT(rc, 0);
    return rc < 0 ? NULL : a;
}

/* What is left of run (its id, vp_journal_run): cgroup directories
 * virtperf/<run> under any controller, links named after it, its journal,
 * its network lease. Prints and counts them. */
__attribute__((unused)) static int leftovers(const char *run)
{
    static const char *const ctrls[] = {"cpu", "cpuacct", "cpuset", "memory", ""};
    int n = 0;
    char path[512], name[IFNAMSIZ + 8];
    for (int c = 0; c < 5; c++) {
        /* the test runs at the top of each hierarchy or in its own cgroup */
        FILE *f = fopen("/proc/self/cgroup", "r");
        char line[512], own[400] = "";
        while (f && fgets(line, sizeof line, f)) {
            char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
            if (!b)
                continue;
            *b = '\0';
            b[1 + strcspn(b + 1, "\n")] = '\0';
            if ((ctrls[c][0] && strstr(a + 1, ctrls[c])) || (!ctrls[c][0] && a[1] == '\0'))
                snprintf(own, sizeof own, "%s", strcmp(b + 1, "/") == 0 ? "" : b + 1);
        }
        if (f)
            fclose(f);
        snprintf(path, sizeof path, "/sys/fs/cgroup/%s%s/virtperf/%s", ctrls[c], own, run);
        if (access(path, F_OK) == 0) {
            fprintf(stderr, "  left: %s\n", path);
            n++;
        }
    }
    const char *sfx[] = {"br", "d", "m", "b0", "r0", "b1", "r1", "t0", "v0"};
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(name, sizeof name, "vp%s%s", run, sfx[i]);
        if (if_nametoindex(name) != 0) {
            fprintf(stderr, "  left: link %s\n", name);
            n++;
        }
    }
    char dir[256];
    vp_journal_dir(dir, sizeof dir);
    const char *jfmts[] = {"%s/%s.journal", "%s/subnet-*.lease"};
    for (int i = 0; i < 2; i++) {
        glob_t g;
        snprintf(path, sizeof path, jfmts[i], dir, run);
        if (glob(path, 0, NULL, &g) == 0) {
            for (size_t k = 0; k < g.gl_pathc; k++) {
                FILE *f = i == 1 ? fopen(g.gl_pathv[k], "r") : NULL;
                char who[32] = "";
                if (f && !fgets(who, sizeof who, f))
                    who[0] = '\0';
                if (f)
                    fclose(f);
                who[strcspn(who, "\n")] = '\0';
                if (i == 0 || strcmp(who, run) == 0) {
                    fprintf(stderr, "  left: %s\n", g.gl_pathv[k]);
                    n++;
                }
            }
            globfree(&g);
        }
    }
    return n;
}

/* `virtperf cleanup --json`: it must succeed and fail on nothing; what it
 * printed is left in out. */
__attribute__((unused)) static void run_cleanup(const char *virtperf, char *out, size_t len)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s cleanup --json", virtperf);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, len - 1, p) : 0;
    out[n] = '\0';
    int st = p ? pclose(p) : -1;
    if (st != 0 || !strstr(out, "\"failed\": 0"))
        fprintf(stderr, "%s\n", out);
    CHECK_INT(st, 0);
}

#define SKIP_UNLESS_ROOT()                                                                         \
    do {                                                                                           \
        if (geteuid() != 0 || vp_platform_container.unsupported()) {                               \
            fprintf(stderr, "skipped: %s\n",                                                       \
                    geteuid() ? "needs root" : vp_platform_container.unsupported());               \
            return 77;                                                                             \
        }                                                                                          \
    } while (0)

extern const struct vp_platform_ops vp_platform_native;
extern const struct vp_platform_ops vp_platform_container;

#endif
