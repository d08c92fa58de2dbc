/* The local relay of a process that runs where an agent is (a VM's guest,
 * or another host over SSH: guest/ssh.h): the command line the vm and host
 * platforms start on this host in its place. The runner waits for, signals
 * and reads the relay as it would the process. */
#ifndef VP_PLATFORM_RELAY_H
#define VP_PLATFORM_RELAY_H

#include <stdbool.h>

#include "core/error.h"

/* A command line that owns its strings. */
struct vp_argv {
    char *argv[96];
    char buf[8192];
    int argc;
};
/* Append a word; false once it is full. */
bool vp_argv_add(struct vp_argv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The relay of argv for the agent at address (a socket path, or ssh:DEST):
 * virtperf's own `workload run` with --guest-agent, its `agent` (a session
 * for another host's runner) as `agent --connect` to a socket path, anything
 * else under guest-exec. */
int vp_relay_argv(char *const *argv, const char *address, struct vp_argv *out, struct vp_err *err);

#endif
