/* Starting a process for an appliance: fork, journal the pid, let the
 * driver prepare the child (cgroup, affinity, namespaces), give it the
 * descriptors of struct vp_exec and exec it; an exec failure comes back to
 * the caller as a run error. Shared by the native and container drivers. */
#ifndef VP_PLATFORM_SPAWN_H
#define VP_PLATFORM_SPAWN_H

#include <sys/types.h>

#include "core/error.h"
#include "platform/platform.h"

struct vp_journal;

/* Runs in the child before exec; returns 0 or -errno. status_fd is the
 * close-on-exec pipe back to the parent, for a driver that forks again. */
typedef int (*vp_spawn_prepare)(void *arg, int status_fd);

/* *proc_id gets the journal entry of the process (kind proc). */
int vp_spawn(struct vp_journal *j, const struct vp_exec *ex, vp_spawn_prepare prepare, void *arg,
             pid_t *pid, int *proc_id, struct vp_err *err);

/* In a child just forked by parent: receive sig when the thread that
 * forked it ends (PR_SET_PDEATHSIG); -ESRCH when the parent is already gone
 * (the child should exit: no signal will come). Async-signal-safe. */
int vp_die_with_parent(pid_t parent, int sig);

/* read() and waitpid(pid, NULL, 0) that go on after a signal (SIGINT and
 * SIGTERM interrupt system calls: the run stops after the step at hand). */
ssize_t vp_read_retry(int fd, void *buf, size_t len);
void vp_reap(pid_t pid);

/* Kill the process group of pid (if pid still is the one journaled) and
 * reap pid; for stop paths. */
void vp_spawn_kill(struct vp_journal *j, pid_t pid, int proc_id);

/* Without a cgroup: the CPU time /proc counts for the processes still
 * running (and their reaped children), added to u. */
void vp_proc_usage(const pid_t *pids, int n, struct vp_appliance_usage *u);

#endif
