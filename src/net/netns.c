#include "net/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static int open_own(void)
{
    return open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
}

int vp_netns_new(int *fd, struct vp_err *err)
{
    *fd = -1;
    int back = open_own();
    if (back < 0)
        return vp_run_error(err, errno, "network namespace");
    int rc = 0;
    if (unshare(CLONE_NEWNET) < 0)
        rc = vp_run_error(err, errno, "new network namespace");
    else if ((*fd = open_own()) < 0)
        rc = vp_run_error(err, errno, "new network namespace");
    if (setns(back, CLONE_NEWNET) < 0 && rc == 0) /* cannot fail for our own */
        rc = vp_run_error(err, errno, "back to the network namespace");
    close(back);
    if (rc < 0 && *fd >= 0) {
        close(*fd);
        *fd = -1;
    }
    return rc;
}

int vp_netns_enter(int fd, int *back, struct vp_err *err)
{
    if ((*back = open_own()) < 0)
        return vp_run_error(err, errno, "network namespace");
    if (setns(fd, CLONE_NEWNET) < 0) {
        int e = errno;
        close(*back);
        *back = -1;
        return vp_run_error(err, e, "enter a network namespace");
    }
    return 0;
}

void vp_netns_leave(int back)
{
    if (back < 0)
        return;
    setns(back, CLONE_NEWNET);
    close(back);
}

static int write_file(const char *path, const char *value)
{
    int f = open(path, O_WRONLY | O_CLOEXEC);
    if (f < 0)
        return -errno;
    size_t n = strlen(value);
    int rc = write(f, value, n) == (ssize_t)n ? 0 : -errno;
    close(f);
    return rc;
}

int vp_netns_sysctl(int fd, const char *path, const char *value)
{
    char file[256];
    snprintf(file, sizeof file, "/proc/sys/%s", path);
    struct vp_err err;
    int back, rc = vp_netns_enter(fd, &back, &err);
    if (rc < 0)
        return rc;
    rc = write_file(file, value); /* /proc/sys/net is the opener's namespace's */
    vp_netns_leave(back);
    return rc;
}

int vp_netns_sysfs(int fd, const char *dev, const char *file, const char *value)
{
    char path[256];
    snprintf(path, sizeof path, "/sys/class/net/%s/%s", dev, file);
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        int rc = 0;
        if (setns(fd, CLONE_NEWNET) < 0 || unshare(CLONE_NEWNS) < 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
            rc = -errno;
        else
            rc = write_file(path, value);
        _exit(rc < 0 ? -rc : 0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) ? -WEXITSTATUS(status) : -ECHILD;
}
