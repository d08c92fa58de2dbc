/* The signal flags. SIGINT and SIGTERM ask the running command to stop
 * cleanly: long loops check vp_interrupted and return -EINTR, mid-round
 * included. SIGUSR1 asks a run to end normally once the round at hand is
 * done (`workload run --until-stopped`): it sets vp_stop_requested only,
 * which the round driver checks between rounds, so it never aborts a round.
 * SIGPIPE is ignored: a write to a closed socket or pipe fails with EPIPE
 * (processes virtperf starts get it back at its default, platform/spawn.c). */
#ifndef VP_CORE_SIGNALS_H
#define VP_CORE_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t vp_interrupted;
extern volatile sig_atomic_t vp_stop_requested;

/* Install the SIGINT/SIGTERM handlers that set vp_interrupted and the
 * SIGUSR1 handler that sets vp_stop_requested (SA_RESTART: system calls in
 * the round go on), ignore SIGPIPE, and unblock SIGUSR1. Called at startup, before the
 * process can be sent SIGUSR1, whose default action would kill it. */
void vp_signals_install(void);

#endif
