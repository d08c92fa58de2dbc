/* The start barrier between the experiment runner and the workloads it
 * starts: one stream socket per child. The child, set up and ready to time
 * its first round, writes 'R' and waits; the runner, once every child is
 * ready, writes 'G' to all of them together. A runner that goes away
 * (EOF) cancels the child's run. */
#ifndef VP_RUN_BARRIER_H
#define VP_RUN_BARRIER_H

#include "core/error.h"

/* Child side: report ready on fd and wait for the go; closes fd. */
int vp_barrier_wait(int fd, struct vp_err *err);

/* Runner side: 1 when the child on fd reported ready, 0 not yet (after
 * waiting up to timeout_ms), -errno when it ended without doing so. */
int vp_barrier_poll_ready(int fd, int timeout_ms);

/* Runner side: release one child. */
int vp_barrier_release(int fd);

#endif
