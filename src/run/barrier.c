#include "run/barrier.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "core/signals.h"

int vp_barrier_wait(int fd, struct vp_err *err)
{
    char c = 'R';
    int rc = 0;
    ssize_t n;
    while ((n = write(fd, &c, 1)) < 0 && errno == EINTR && !vp_interrupted)
        ;
    if (n != 1) {
        rc = vp_run_error(err, errno, "start barrier: cannot report ready");
        goto out;
    }
    while ((n = read(fd, &c, 1)) < 0 && errno == EINTR && !vp_interrupted)
        ;
    if (vp_interrupted)
        rc = vp_run_error(err, EINTR, "interrupted at the start barrier");
    else if (n != 1 || c != 'G')
        rc = vp_run_error(err, n < 0 ? errno : 0, "start barrier: the runner went away");
out:
    close(fd);
    return rc;
}

int vp_barrier_poll_ready(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    if (n == 0)
        return 0;
    char c;
    ssize_t r = read(fd, &c, 1);
    if (r == 1 && c == 'R')
        return 1;
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    return -EPIPE;
}

int vp_barrier_release(int fd)
{
    char c = 'G';
    return write(fd, &c, 1) == 1 ? 0 : -errno;
}
