/* "HOST:PORT" ("127.0.0.1:4000", "[::1]:4000") to a socket address, numeric
 * hosts only: the network targets of the tests are loopback and namespaces. */
#ifndef VP_RTP_ADDR_H
#define VP_RTP_ADDR_H

#include <sys/socket.h>

#include "core/error.h"

/* An input error naming `what` when text is not a numeric address and port. */
int vp_parse_hostport(const char *what, const char *text, struct sockaddr_storage *ss,
                      socklen_t *len, struct vp_err *err);

#endif
