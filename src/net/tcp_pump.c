#include "net/tcp_pump.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

/* Calls on one ready stream before the others get their turn. */
#define BURST 8
/* A blocking call's longest wait before it looks whether to stop. */
#define BLOCK_TIMEOUT_US 100000

struct worker {
    struct vp_tcp_pump *p;
    int first, n; /* its streams: first .. first + n - 1 */
    int epfd;     /* several streams: epoll; one: blocking calls */
    uint8_t *buf; /* page-aligned, cfg.length */
    pthread_t thread;
    bool started;
    struct vp_tcp_pump_stats st;
};

struct vp_tcp_pump {
    struct vp_tcp_pump_cfg cfg;
    int *fds;
    _Atomic uint64_t *bytes;
    _Atomic bool *failed;
    int stop_fd, done_fd;
    _Atomic bool stopping, done;
    _Atomic int running; /* workers not done */
    int nworkers;
    struct worker *w;
};

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fail_stream(struct worker *w, int i, int e)
{
    atomic_store_explicit(&w->p->failed[i], true, memory_order_relaxed);
    if (w->st.failed++ == 0)
        w->st.first_errno = e;
    if (w->epfd >= 0)
        epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->p->fds[i], NULL);
}

/* One call on stream i (flags: MSG_DONTWAIT or 0): what it moved, 0 at the
 * stream's end (a receiver), -errno. */
static ssize_t move(struct worker *w, int i, int flags)
{
    struct vp_tcp_pump *p = w->p;
    ssize_t n = p->cfg.send ? send(p->fds[i], w->buf, p->cfg.length, MSG_NOSIGNAL | flags)
                            : recv(p->fds[i], w->buf, p->cfg.length, flags);
    if (n > 0) {
        atomic_fetch_add_explicit(&p->bytes[i], (uint64_t)n, memory_order_relaxed);
        if (!p->cfg.send)
            w->st.last_ns = vp_now_ns();
        return n;
    }
    return n == 0 ? 0 : -errno;
}

/* Move bytes on stream i until it would block (or BURST calls); false
 * when the stream is over for this worker (its end, or an error). */
static bool pump_one(struct worker *w, int i)
{
    for (int k = 0; k < BURST; k++) {
        ssize_t n = move(w, i, MSG_DONTWAIT);
        if (n == 0) { /* a receiver: the sender's end */
            epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->p->fds[i], NULL);
            return false;
        }
        if (n == -EAGAIN || n == -EINTR)
            return true;
        if (n < 0) {
            fail_stream(w, i, (int)-n);
            return false;
        }
        if ((size_t)n < w->p->cfg.length)
            return true; /* the buffer is (nearly) full or empty: wait */
    }
    return true;
}

/* Several streams: whichever is ready, until each has ended or a stop. */
static void run_epoll(struct worker *w)
{
    int live = w->n;
    struct epoll_event ev[64];
    while (live > 0) {
        int n = epoll_wait(w->epfd, ev, 64, -1);
        if (n < 0 && errno != EINTR)
            return;
        for (int k = 0; k < n; k++) {
            if (ev[k].data.u32 == UINT32_MAX)
                return; /* the stop */
            if (!pump_one(w, (int)ev[k].data.u32))
                live--;
        }
    }
}

/* One stream: blocking calls of the whole length (a receiver waits for all
 * of it, as iperf3's reads do), each bounded so that a stop is seen. */
static void run_blocking(struct worker *w)
{
    struct vp_tcp_pump *p = w->p;
    const int fd = p->fds[w->first];
    struct timeval tv = {0, BLOCK_TIMEOUT_US};
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    setsockopt(fd, SOL_SOCKET, p->cfg.send ? SO_SNDTIMEO : SO_RCVTIMEO, &tv, sizeof tv);
    while (!atomic_load_explicit(&p->stopping, memory_order_relaxed)) {
        ssize_t n = move(w, w->first, p->cfg.send ? 0 : MSG_WAITALL);
        if (n == 0)
            return; /* a receiver: the sender's end */
        if (n < 0 && n != -EAGAIN && n != -EINTR) {
            fail_stream(w, w->first, (int)-n);
            return;
        }
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct vp_tcp_pump *p = w->p;
    const uint64_t cpu0 = thread_cpu_ns(), t0 = vp_now_ns();
    if (w->epfd >= 0)
        run_epoll(w);
    else
        run_blocking(w);
    if (p->cfg.send) /* the receiving end reads to here, then sees the end */
        for (int i = w->first; i < w->first + w->n; i++)
            shutdown(p->fds[i], SHUT_WR);
    w->st.busy_ns = vp_now_ns() - t0;
    w->st.cpu_ns = thread_cpu_ns() - cpu0;
    if (atomic_fetch_sub(&p->running, 1) == 1) {
        atomic_store(&p->done, true);
        uint64_t one = 1;
        if (write(p->done_fd, &one, sizeof one) < 0) {
            /* an eventfd takes it: cannot fail here */
        }
    }
    return NULL;
}

static void pump_free(struct vp_tcp_pump *p)
{
    if (p == NULL)
        return;
    for (int i = 0; p->w && i < p->nworkers; i++) {
        if (p->w[i].epfd >= 0)
            close(p->w[i].epfd);
        free(p->w[i].buf);
    }
    if (p->stop_fd >= 0)
        close(p->stop_fd);
    if (p->done_fd >= 0)
        close(p->done_fd);
    free(p->w);
    free(p->fds);
    free(p->bytes);
    free(p->failed);
    free(p);
}

/* Worker k's streams, its buffer and, for several streams, its epoll set
 * (with the stop's eventfd). */
static int worker_init(struct vp_tcp_pump *p, int k)
{
    struct worker *w = &p->w[k];
    const int n = p->cfg.n, m = p->nworkers;
    w->p = p;
    w->first = k * (n / m) + (k < n % m ? k : n % m);
    w->n = n / m + (k < n % m);
    w->epfd = -1;
    /* page-aligned: copies to or from a buffer at another offset within its
     * page than the kernel's ran at half the speed here (the receiver's
     * CPU doubled with malloc's 16-byte offset) */
    if ((w->buf = aligned_alloc(4096, (p->cfg.length + 4095) / 4096 * 4096)) == NULL)
        return -ENOMEM;
    for (uint32_t i = 0; i < p->cfg.length; i++) /* not all zeros */
        w->buf[i] = (uint8_t)(i * 2654435761u >> 24);
    if (w->n == 1)
        return 0;
    if ((w->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
        return -errno;
    for (int i = w->first; i <= w->first + w->n; i++) {
        bool stop = i == w->first + w->n;
        struct epoll_event ev = {.events = stop || !p->cfg.send ? EPOLLIN : EPOLLOUT,
                                 .data.u32 = stop ? UINT32_MAX : (uint32_t)i};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, stop ? p->stop_fd : p->fds[i], &ev) < 0)
            return -errno;
    }
    return 0;
}

int vp_tcp_pump_start(const struct vp_tcp_pump_cfg *cfg, struct vp_tcp_pump **out,
                      struct vp_err *err)
{
    *out = NULL;
    struct vp_tcp_pump *p = calloc(1, sizeof *p);
    if (p == NULL)
        return vp_run_error(err, ENOMEM, "tcp worker");
    p->cfg = *cfg;
    p->stop_fd = p->done_fd = -1;
    p->nworkers = cfg->n < VP_TCP_PUMP_THREADS ? cfg->n : VP_TCP_PUMP_THREADS;
    p->fds = calloc((size_t)cfg->n, sizeof *p->fds);
    p->bytes = calloc((size_t)cfg->n, sizeof *p->bytes);
    p->failed = calloc((size_t)cfg->n, sizeof *p->failed);
    p->w = calloc((size_t)p->nworkers, sizeof *p->w);
    if (p->fds == NULL || p->bytes == NULL || p->failed == NULL || p->w == NULL) {
        pump_free(p);
        return vp_run_error(err, ENOMEM, "tcp worker");
    }
    for (int k = 0; k < p->nworkers; k++)
        p->w[k].epfd = -1;
    memcpy(p->fds, cfg->fds, (size_t)cfg->n * sizeof *p->fds);
    p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    p->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int rc = p->stop_fd < 0 || p->done_fd < 0 ? -errno : 0;
    for (int k = 0; rc == 0 && k < p->nworkers; k++)
        rc = worker_init(p, k);
    /* signals go to the controlling thread, whose waits they cut short */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    atomic_store(&p->running, p->nworkers);
    for (int k = 0; rc == 0 && k < p->nworkers; k++)
        if ((rc = -pthread_create(&p->w[k].thread, NULL, worker_main, &p->w[k])) == 0)
            p->w[k].started = true;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc < 0) {
        vp_tcp_pump_finish(p, &(struct vp_tcp_pump_stats){0}, NULL, NULL);
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
    atomic_store(&p->stopping, true);
    uint64_t one = 1;
    if (write(p->stop_fd, &one, sizeof one) < 0) {
        /* an eventfd takes it: cannot fail here */
    }
}

void vp_tcp_pump_finish(struct vp_tcp_pump *p, struct vp_tcp_pump_stats *st, uint64_t *bytes,
                        bool *failed)
{
    memset(st, 0, sizeof *st);
    if (p == NULL)
        return;
    if (!vp_tcp_pump_done(p))
        vp_tcp_pump_stop(p);
    for (int k = 0; k < p->nworkers; k++) {
        struct worker *w = &p->w[k];
        if (!w->started)
            continue;
        pthread_join(w->thread, NULL);
        st->cpu_ns += w->st.cpu_ns;
        st->busy_ns = w->st.busy_ns > st->busy_ns ? w->st.busy_ns : st->busy_ns;
        st->last_ns = w->st.last_ns > st->last_ns ? w->st.last_ns : st->last_ns;
        if (w->st.busy_ns && (double)w->st.cpu_ns / (double)w->st.busy_ns > st->max_thread)
            st->max_thread = (double)w->st.cpu_ns / (double)w->st.busy_ns;
        if (w->st.failed && st->failed == 0)
            st->first_errno = w->st.first_errno;
        st->failed += w->st.failed;
    }
    st->threads = p->nworkers;
    for (int i = 0; i < p->cfg.n; i++) {
        if (bytes)
            bytes[i] = vp_tcp_pump_bytes(p, i);
        if (failed)
            failed[i] = vp_tcp_pump_failed(p, i);
    }
    pump_free(p);
}
