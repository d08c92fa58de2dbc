#include "core/fds.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

int vp_fds_each(int first, bool cloexec)
{
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return -errno;
    char buf[4096] __attribute__((aligned(8)));
    long n;
    int rc = 0;
    /* closing while reading is fine: an entry seen once is not seen again */
    while ((n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            long fd = 0;
            const char *p = d->d_name;
            if (*p < '0' || *p > '9')
                continue;
            while (*p >= '0' && *p <= '9')
                fd = fd * 10 + (*p++ - '0');
            if (fd < first || fd == dir)
                continue;
            if (cloexec) {
                int fl = fcntl((int)fd, F_GETFD);
                if (fl >= 0 && !(fl & FD_CLOEXEC))
                    fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC);
            } else {
                close((int)fd);
            }
        }
    }
    if (n < 0)
        rc = -errno;
    close(dir);
    return rc;
}

int vp_fds_close_from(int first)
{
    if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0)
        return 0;
    return vp_fds_each(first, false);
}

int vp_fds_cloexec_from(int first)
{
    if (syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return 0;
    return vp_fds_each(first, true);
}

bool vp_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}
