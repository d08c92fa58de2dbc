#include "core/signals.h"

#include <string.h>

volatile sig_atomic_t vp_interrupted;

static void on_signal(int sig)
{
    vp_interrupted = sig;
}

void vp_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}
