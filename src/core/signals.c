#include "core/signals.h"

#include <string.h>

volatile sig_atomic_t vp_interrupted;
volatile sig_atomic_t vp_stop_requested;

static void on_signal(int sig)
{
    vp_interrupted = sig;
}

static void on_stop(int sig)
{
    (void)sig;
    vp_stop_requested = 1;
}

void vp_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    /* a peer that closes a socket or pipe mid-write is an error return
     * (EPIPE), not the death of a run with its rows and appliances left */
    signal(SIGPIPE, SIG_IGN);

    /* a parent may have left it blocked; a stop must still arrive */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}
