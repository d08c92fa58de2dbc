/* The guest agent (`virtperf-guest agent`), PID 1's child in a VM
 * appliance: it serves sessions of the protocol in guest/proto.h on each
 * virtio-serial port vp.agent.N, one process per port, so that a workload
 * and a server can run at once. What a session runs:
 *   agent_workload.c  a workload's setup, rounds (timed here, marked to
 *                     the host around the timed work, and to a time
 *                     server over the guest's network when asked) and
 *                     teardown
 *   agent_exec.c      any command, its output relayed, signals passed on */
#ifndef VP_GUEST_AGENT_H
#define VP_GUEST_AGENT_H

#include <jansson.h>
#include <pthread.h>

#include "guest/proto.h"
#include "timing/sender.h"

/* One connected session: the port and what runs in it. */
struct agent_session {
    int fd;               /* what it sends on; it reads from rd's */
    pthread_mutex_t lock; /* one writer at a time: the heartbeat writes too */
    struct vp_proto_reader rd;
    const struct vp_workload *w; /* after setup */
    void *params, *state;
    struct vp_mark_client *marks; /* setup asked for a time server's marks */
};

/* Send msg (released) on the session's port; below 0 when it is gone. */
int agent_send(struct agent_session *s, json_t *msg);

/* The requests of a workload session; each answers on s->fd. A return
 * below 0 means the channel is gone. */
int agent_setup(struct agent_session *s, const json_t *req);
int agent_round(struct agent_session *s, const json_t *req);
int agent_finish(struct agent_session *s); /* the teardown request, answered */
/* Release what setup made (the session's end, whatever state it is in). */
void agent_teardown(struct agent_session *s);

/* Run argv (req "argv"), relaying its output until it exits or the host
 * goes; returns when the process is gone. */
int agent_exec(struct agent_session *s, const json_t *req);
/* agent_usage.c: the CPU time of the agents with a tag and their processes */
int agent_usage(struct agent_session *s, const json_t *req);

/* agent_keeper.c (the full virtperf only): the "appliance" request, which
 * makes an appliance of this host's for the session's lifetime and ends
 * the session with it; NULL in a guest, which keeps none. */
extern int (*agent_keeper)(struct agent_session *s, const json_t *req);
int agent_appliance(struct agent_session *s, const json_t *req);
/* `virtperf agent --connect ADDRESS`: stdio spliced to a UNIX socket. */
int vp_agent_splice(const char *address);

/* `virtperf-guest agent`. */
int vp_guest_agent_main(int argc, char **argv);

#endif
