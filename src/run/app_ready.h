/* Whether an app (role app) is ready, asked from the host the way its loads
 * will reach it: a TCP connection accepted, or a SIP OPTIONS request over
 * UDP answered with any SIP response. */
#ifndef VP_RUN_APP_READY_H
#define VP_RUN_APP_READY_H

#include <stdint.h>

#include "drivers/app.h"

/* One probe of host:port by method (tcp or sip) that waits at most wait_ms:
 * 1 ready, 0 not (yet). */
int vp_app_probe(enum vp_app_ready method, const char *host, int port, int wait_ms);

/* A port nothing on this host listens on now (UDP and TCP), or 0. */
int vp_app_free_port(void);

#endif
