#include "net/tcp_pump.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

/* Calls on one ready stream before the others get their turn. */
#define BURST 8

struct vp_tcp_pump {
    struct vp_tcp_pump_cfg cfg;
    int *fds;
    _Atomic uint64_t *bytes;
    _Atomic bool *failed;
    int epfd, stop_fd, done_fd;
    _Atomic bool done;
    uint8_t *buf;
    pthread_t thread;
    bool started;
    struct vp_tcp_pump_stats st;
};

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fail_stream(struct vp_tcp_pump *p, int i, int e)
{
    atomic_store_explicit(&p->failed[i], true, memory_order_relaxed);
    if (p->st.failed++ == 0)
        p->st.first_errno = e;
    epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->fds[i], NULL);
}

/* Move bytes on stream i until it would block (or BURST calls); false
 * when the stream is over for this worker (its end, or an error). */
static bool pump_one(struct vp_tcp_pump *p, int i)
{
    const int fd = p->fds[i];
    const size_t len = p->cfg.length;
    for (int k = 0; k < BURST; k++) {
        ssize_t n = p->cfg.send ? send(fd, p->buf, len, MSG_NOSIGNAL) : recv(fd, p->buf, len, 0);
        if (n > 0) {
            atomic_fetch_add_explicit(&p->bytes[i], (uint64_t)n, memory_order_relaxed);
            if (!p->cfg.send)
                p->st.last_ns = vp_now_ns();
            if ((size_t)n < len)
                return true; /* the buffer is (nearly) full or empty: wait */
            continue;
        }
        if (n == 0) { /* a receiver: the sender's end */
            epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL);
            return false;
        }
        if (errno == EAGAIN || errno == EINTR)
            return true;
        fail_stream(p, i, errno);
        return false;
    }
    return true;
}

static void *worker(void *arg)
{
    struct vp_tcp_pump *p = arg;
    const uint64_t cpu0 = thread_cpu_ns(), t0 = vp_now_ns();
    int live = p->cfg.n;
    bool stop = false;
    struct epoll_event ev[64];
    while (live > 0 && !stop) {
        int n = epoll_wait(p->epfd, ev, 64, -1);
        if (n < 0 && errno != EINTR)
            break;
        for (int k = 0; k < n; k++) {
            int i = (int)ev[k].data.u32;
            if (i == p->cfg.n) {
                stop = true;
                break;
            }
            if (!pump_one(p, i))
                live--;
        }
    }
    if (p->cfg.send) /* the receiving end reads to here, then sees the end */
        for (int i = 0; i < p->cfg.n; i++)
            shutdown(p->fds[i], SHUT_WR);
    p->st.busy_ns = vp_now_ns() - t0;
    p->st.cpu_ns = thread_cpu_ns() - cpu0;
    atomic_store(&p->done, true);
    uint64_t one = 1;
    if (write(p->done_fd, &one, sizeof one) < 0) {
        /* an eventfd takes it: cannot fail here */
    }
    return NULL;
}

static void pump_free(struct vp_tcp_pump *p)
{
    if (p == NULL)
        return;
    if (p->epfd >= 0)
        close(p->epfd);
    if (p->stop_fd >= 0)
        close(p->stop_fd);
    if (p->done_fd >= 0)
        close(p->done_fd);
    free(p->fds);
    free(p->bytes);
    free(p->failed);
    free(p->buf);
    free(p);
}

int vp_tcp_pump_start(const struct vp_tcp_pump_cfg *cfg, struct vp_tcp_pump **out,
                      struct vp_err *err)
{
    *out = NULL;
    struct vp_tcp_pump *p = calloc(1, sizeof *p);
    if (p == NULL)
        return vp_run_error(err, ENOMEM, "tcp worker");
    p->cfg = *cfg;
    p->epfd = p->stop_fd = p->done_fd = -1;
    p->fds = calloc((size_t)cfg->n, sizeof *p->fds);
    p->bytes = calloc((size_t)cfg->n, sizeof *p->bytes);
    p->failed = calloc((size_t)cfg->n, sizeof *p->failed);
    /* page-aligned: copies to or from a buffer at another offset within its
     * page than the kernel's ran at half the speed here (the receiver's
     * CPU doubled with malloc's 16-byte offset) */
    p->buf = aligned_alloc(4096, (cfg->length + 4095) / 4096 * 4096);
    if (p->fds == NULL || p->bytes == NULL || p->failed == NULL || p->buf == NULL) {
        pump_free(p);
        return vp_run_error(err, ENOMEM, "tcp worker");
    }
    memcpy(p->fds, cfg->fds, (size_t)cfg->n * sizeof *p->fds);
    for (uint32_t i = 0; i < cfg->length; i++) /* not all zeros: nothing on the way may shrink it */
        p->buf[i] = (uint8_t)(i * 2654435761u >> 24);
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    p->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int rc = p->epfd < 0 || p->stop_fd < 0 || p->done_fd < 0 ? -errno : 0;
    for (int i = 0; rc == 0 && i <= cfg->n; i++) {
        struct epoll_event ev = {.events = i == cfg->n ? EPOLLIN
                                           : cfg->send ? EPOLLOUT
                                                       : EPOLLIN,
                                 .data.u32 = (uint32_t)i};
        if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, i == cfg->n ? p->stop_fd : p->fds[i], &ev) < 0)
            rc = -errno;
    }
    /* signals go to the controlling thread, whose waits they cut short */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    if (rc == 0 && (rc = -pthread_create(&p->thread, NULL, worker, p)) == 0)
        p->started = true;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc < 0) {
        pump_free(p);
        return vp_run_error(err, -rc, "tcp worker");
    }
    *out = p;
    return 0;
}

uint64_t vp_tcp_pump_bytes(const struct vp_tcp_pump *p, int i)
{
    return atomic_load_explicit(&p->bytes[i], memory_order_relaxed);
}

bool vp_tcp_pump_failed(const struct vp_tcp_pump *p, int i)
{
    return atomic_load_explicit(&p->failed[i], memory_order_relaxed);
}

int vp_tcp_pump_done_fd(const struct vp_tcp_pump *p)
{
    return p->done_fd;
}

bool vp_tcp_pump_done(const struct vp_tcp_pump *p)
{
    return atomic_load(&p->done);
}

void vp_tcp_pump_stop(struct vp_tcp_pump *p)
{
    uint64_t one = 1;
    if (write(p->stop_fd, &one, sizeof one) < 0) {
        /* an eventfd takes it: cannot fail here */
    }
}

void vp_tcp_pump_finish(struct vp_tcp_pump *p, struct vp_tcp_pump_stats *st, uint64_t *bytes,
                        bool *failed)
{
    if (p == NULL) {
        memset(st, 0, sizeof *st);
        return;
    }
    if (p->started) {
        if (!vp_tcp_pump_done(p))
            vp_tcp_pump_stop(p);
        pthread_join(p->thread, NULL);
    }
    *st = p->st;
    for (int i = 0; i < p->cfg.n; i++) {
        if (bytes)
            bytes[i] = vp_tcp_pump_bytes(p, i);
        if (failed)
            failed[i] = vp_tcp_pump_failed(p, i);
    }
    pump_free(p);
}
