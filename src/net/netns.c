#include "net/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

/* What path holds (its first 256 bytes), to the descriptor out. */
static int copy_file(const char *path, int out)
{
    char buf[256];
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return -errno;
    ssize_t n = read(f, buf, sizeof buf);
    int rc = n < 0 ? -errno : write(out, buf, (size_t)n) == n ? 0 : -EIO;
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

/* A child joins the namespace fd, mounts its own sysfs (which shows the
 * links of the namespace it is mounted from) in a mount namespace of its
 * own and writes value to /sys/class/net/DEV/FILE, or reads it into out
 * (through a pipe). 0 or -errno. */
static int sysfs_io(int fd, const char *dev, const char *file, const char *value, char *out,
                    size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "/sys/class/net/%s/%s", dev, file);
    int p[2];
    if (out && pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        if (out) {
            close(p[0]);
            close(p[1]);
        }
        return -e;
    }
    if (pid == 0) {
        int rc = 0;
        if (setns(fd, CLONE_NEWNET) < 0 || unshare(CLONE_NEWNS) < 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
            rc = -errno;
        else if (value)
            rc = write_file(path, value);
        else
            rc = copy_file(path, p[1]);
        _exit(rc < 0 ? -rc : 0);
    }
    ssize_t n = 0;
    if (out) {
        close(p[1]);
        n = read(p[0], out, len - 1);
        out[n > 0 ? n : 0] = '\0';
        close(p[0]);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    int rc = WIFEXITED(status) ? -WEXITSTATUS(status) : -ECHILD;
    return rc == 0 && n < 0 ? -EIO : rc;
}

int vp_netns_sysfs(int fd, const char *dev, const char *file, const char *value)
{
    return sysfs_io(fd, dev, file, value, NULL, 0);
}

int vp_netns_sysfs_read(int fd, const char *dev, const char *file, char *out, size_t len)
{
    return sysfs_io(fd, dev, file, NULL, out, len);
}

int vp_netns_macvtap_open(int fd, const char *name, int ifindex)
{
    char file[64], dev[32], node[64];
    unsigned major, minor;
    snprintf(file, sizeof file, "macvtap/tap%d/dev", ifindex);
    int rc = fd >= 0 ? vp_netns_sysfs_read(fd, name, file, dev, sizeof dev) : 0;
    if (fd < 0) { /* the caller's own namespace: its /sys shows it */
        char path[128];
        snprintf(path, sizeof path, "/sys/class/net/%s/%s", name, file);
        FILE *f = fopen(path, "r");
        rc = f && fgets(dev, sizeof dev, f) ? 0 : -ENODEV;
        if (f)
            fclose(f);
    }
    if (rc < 0)
        return rc;
    if (sscanf(dev, "%u:%u", &major, &minor) != 2)
        return -ENODEV;
    /* a node made for the moment (there is no udev to make it) and
     * unlinked once open: the descriptor is the device, in any namespace */
    snprintf(node, sizeof node, "/run/vp-%s.%ld", name, (long)getpid());
    unlink(node);
    if (mknod(node, S_IFCHR | 0600, makedev(major, minor)) < 0)
        return -errno;
    int tap = open(node, O_RDWR | O_CLOEXEC);
    int e = errno;
    unlink(node);
    return tap >= 0 ? tap : -e;
}
