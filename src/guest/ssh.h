/* The agent of another host (issue 17), reached the way an administrator
 * reaches it: the system's OpenSSH client, in batch mode (no password
 * prompt, the user's known hosts and keys; no keys or listening port of
 * virtperf's own), running `virtperf agent --stdio` there. The
 * session speaks the guest agent's protocol (proto.h) over the SSH
 * channel, so everything a VM's agent does — a workload's rounds, marked
 * on arrival by this host's clock; a command with its output and exit
 * status — runs on that host the same way.
 *
 * An agent address is a VM's agent socket (a path) or "ssh:DEST", DEST an
 * SSH destination ([user@]host, or a Host of the SSH configuration).
 * $VIRTPERF_SSH_CONFIG names an ssh_config to use instead of the user's
 * (ssh -F); $VIRTPERF_REMOTE_AGENT the agent's command there (default
 * "virtperf", looked up in the remote PATH: `virtperf agent --stdio`;
 * virtperf-guest serves too, with the servers it carries only);
 * $VIRTPERF_AGENT_TAG, when set, is given to the agent as --tag (the
 * appliance its session serves: platform/host.c reads their CPU time);
 * $VIRTPERF_AGENT_ATTACH, when set, makes the session one inside an
 * appliance that host keeps (`agent --connect @NAME`: guest/agent_keeper.c). */
#ifndef VP_GUEST_SSH_H
#define VP_GUEST_SSH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

/* Whether address names another host's agent ("ssh:DEST"). */
bool vp_ssh_address(const char *address);

/* A session with the agent at address (a socket path: retried until
 * timeout_ms; ssh: the client started, its channel's end): a descriptor
 * for both directions. */
int vp_agent_connect(const char *address, int timeout_ms, struct vp_err *err);

/* Close a session of vp_agent_connect. */
void vp_agent_close(int fd);

/* When the session fd ended before its agent answered: what ssh said on
 * its way out (its last line of stderr: "Permission denied (publickey).",
 * "Host key verification failed."), or NULL when it said nothing or fd is
 * no ssh session. */
const char *vp_ssh_said(int fd, char *buf, size_t len);

/* The run error for a session fd with the agent at address whose agent
 * WHAT ("went away", "gave no sign of life for 30 s: ..."): a VM's with
 * its console's last lines (console.h), another host's with what ssh said. */
int vp_agent_lost(struct vp_err *err, const char *address, int fd, const char *what);

#endif
