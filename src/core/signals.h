/* The one signal flag: SIGINT and SIGTERM ask the running command to stop
 * cleanly. Long loops check vp_interrupted and return -EINTR. */
#ifndef VP_CORE_SIGNALS_H
#define VP_CORE_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t vp_interrupted;

/* Install the SIGINT/SIGTERM handlers that set vp_interrupted. */
void vp_signals_install(void);

#endif
