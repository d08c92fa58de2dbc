/* The removers of what a run journals, one per kind, in one table. */
#include "platform/resources.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/workdir.h"
#include "platform/cgroup.h"
#include "platform/journal.h"
#include "platform/net.h"
#include "platform/res_guard.h"
#include "platform/vm_libvirt.h"

/* Kill a process recorded as "<pid> <starttime>" if it is still that one. */
static int remove_proc(const char *what, bool dry_run)
{
    long pid;
    unsigned long long start;
    if (sscanf(what, "%ld %llu", &pid, &start) != 2 || pid <= 1)
        return -EINVAL;
    if (vp_proc_starttime((pid_t)pid) != start)
        return 0;
    if (dry_run)
        return 1;
    kill((pid_t)pid, SIGKILL);
    for (int i = 0; i < 2500; i++) { /* reap it when it is ours, else wait for it to go */
        if (waitpid((pid_t)pid, NULL, WNOHANG) == (pid_t)pid ||
            vp_proc_starttime((pid_t)pid) != start)
            return 1;
        usleep(2000);
    }
    return -ETIMEDOUT;
}

/* Kill a process recorded as "<pid> <starttime>" if it is still that one,
 * and the process group it leads (what it forked and kept there); no wait. */
static int stop_proc(const char *what)
{
    long pid;
    unsigned long long start;
    if (sscanf(what, "%ld %llu", &pid, &start) != 2 || pid <= 1)
        return -EINVAL;
    if (vp_proc_starttime((pid_t)pid) != start)
        return 0;
    if (getpgid((pid_t)pid) == (pid_t)pid)
        kill(-(pid_t)pid, SIGKILL);
    kill((pid_t)pid, SIGKILL);
    return 1;
}

static bool proc_alive(const char *what)
{
    long pid;
    unsigned long long start;
    return sscanf(what, "%ld %llu", &pid, &start) == 2 && pid > 1 &&
           vp_proc_starttime((pid_t)pid) == start;
}

static int remove_dir(const char *path, bool dry_run)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -errno;
    if (dry_run)
        return 1;
    return vp_rmtree(path) < 0 ? -errno : 1;
}

static int remove_file(const char *path, bool dry_run)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -errno;
    if (dry_run)
        return 1;
    return unlink(path) == 0 ? 1 : -errno;
}

/* name, remover, the guard a replay passes first (res_guard.h), whether
 * `what` is a path (journaled absolute, symlinks resolved), and how what
 * runs there is stopped when the run dies and whether it still runs (NULL:
 * nothing runs; a libvirt domain is started to be destroyed with the run's
 * connection). */
static const struct {
    const char *name;
    int (*remove)(const char *what, bool dry_run);
    const char *(*guard)(const char *what, const struct vp_res_owner *o);
    bool path;
    int (*stop)(const char *what);
    bool (*alive)(const char *what);
} kinds[] = {
    [VP_RES_PROC] = {"proc", remove_proc, vp_guard_proc, false, stop_proc, proc_alive},
    [VP_RES_NETNS] = {"netns", remove_proc, vp_guard_proc, false, stop_proc, proc_alive},
    [VP_RES_CGROUP] = {"cgroup", vp_cgroup_remove_path, vp_guard_cgroup, true, vp_cgroup_kill_path,
                       vp_cgroup_has_tasks},
    [VP_RES_LINK] = {"link", vp_net_link_remove, vp_guard_link, false, NULL, NULL},
    [VP_RES_DIR] = {"dir", remove_dir, vp_guard_dir, true, NULL, NULL},
    [VP_RES_FILE] = {"file", remove_file, vp_guard_file, true, NULL, NULL},
    [VP_RES_DOMAIN] = {"domain", vp_libvirt_domain_remove, vp_guard_domain, false, NULL, NULL},
    [VP_RES_LEASE] = {"lease", remove_file, vp_guard_lease, true, NULL, NULL},
};
#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))

const char *vp_res_name(enum vp_res kind)
{
    return (int)kind >= 0 && (int)kind < NKINDS ? kinds[kind].name : "?";
}

int vp_res_parse(const char *name)
{
    for (int k = 0; k < NKINDS; k++)
        if (strcmp(name, kinds[k].name) == 0)
            return k;
    return -1;
}

int vp_res_remove(enum vp_res kind, const char *what, bool dry_run)
{
    if ((int)kind < 0 || (int)kind >= NKINDS)
        return -EINVAL;
    return kinds[kind].remove(what, dry_run);
}

const char *vp_res_guard(enum vp_res kind, const char *what, const struct vp_res_owner *o)
{
    if ((int)kind < 0 || (int)kind >= NKINDS)
        return "unknown kind";
    return kinds[kind].guard(what, o);
}

bool vp_res_runs(enum vp_res kind)
{
    return (int)kind >= 0 && (int)kind < NKINDS && kinds[kind].stop;
}

int vp_res_stop(enum vp_res kind, const char *what)
{
    return vp_res_runs(kind) ? kinds[kind].stop(what) : 0;
}

bool vp_res_alive(enum vp_res kind, const char *what)
{
    return vp_res_runs(kind) && kinds[kind].alive(what);
}

bool vp_res_is_path(enum vp_res kind)
{
    return (int)kind >= 0 && (int)kind < NKINDS && kinds[kind].path;
}
