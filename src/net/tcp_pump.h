/* The workers that move a TCP load's bytes: up to VP_TCP_PUMP_THREADS
 * threads, the streams spread over them. A thread with one stream makes
 * blocking calls of the whole length (bounded by a timeout, so that a stop
 * is seen), one with several waits on epoll for whichever is ready. A
 * sender writes `length`-byte buffers as fast as its streams take them
 * until stopped, then half-closes each (shutdown SHUT_WR) so that the
 * receiving end reads to the end; a receiver reads until every stream has
 * ended. They count every stream's bytes (those send took, those recv
 * returned) where the controlling thread reads them while they run, and
 * their own CPU time. */
#ifndef VP_NET_TCP_PUMP_H
#define VP_NET_TCP_PUMP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

/* Threads per pump: one per stream up to this many. */
#define VP_TCP_PUMP_THREADS 8

struct vp_tcp_pump_cfg {
    int n;           /* streams */
    const int *fds;  /* n non-blocking connected sockets (the caller's) */
    uint32_t length; /* bytes per send or recv */
    bool send;       /* a sender, or a receiver */
};

struct vp_tcp_pump_stats {
    int threads;
    uint64_t cpu_ns;   /* the worker threads' CPU time, all of them */
    uint64_t busy_ns;  /* from the start to the last one's end */
    double max_thread; /* the busiest thread's CPU / its time: a core's fraction */
    uint64_t last_ns;  /* CLOCK_MONOTONIC of its last byte; 0: none */
    int failed;        /* streams that ended in an error (reset, ...) */
    int first_errno;   /* the first such error */
};

struct vp_tcp_pump;

int vp_tcp_pump_start(const struct vp_tcp_pump_cfg *cfg, struct vp_tcp_pump **out,
                      struct vp_err *err);
/* Stream i's bytes so far. */
uint64_t vp_tcp_pump_bytes(const struct vp_tcp_pump *p, int i);
bool vp_tcp_pump_failed(const struct vp_tcp_pump *p, int i);
/* Readable once the worker is done (a receiver: every stream ended). */
int vp_tcp_pump_done_fd(const struct vp_tcp_pump *p);
bool vp_tcp_pump_done(const struct vp_tcp_pump *p);
/* Ask the worker to end: a sender stops and half-closes its streams; a
 * receiver stops reading (an abort). */
void vp_tcp_pump_stop(struct vp_tcp_pump *p);
/* Join the worker (stopping it first when it is not done): its figures,
 * and (when not NULL) each stream's final bytes and whether it failed;
 * frees p. */
void vp_tcp_pump_finish(struct vp_tcp_pump *p, struct vp_tcp_pump_stats *st, uint64_t *bytes,
                        bool *failed);

#endif
