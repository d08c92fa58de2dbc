/* An experiment's other machines (issue 17): each host greeted through its
 * agent at the start, its kernel and clock offsets kept with the
 * experiment's host facts; virtperf commands run there for the runner (the
 * time server on the time host, the file's timeserver: NAME:PORT). */
#ifndef VP_RUN_REMOTE_HOSTS_H
#define VP_RUN_REMOTE_HOSTS_H

#include <sys/types.h>

#include "core/error.h"
#include "experiment/experiment.h"
#include "platform/platform.h"
#include "store/store.h"

/* Under "hosts" in the experiment's host facts, per declared host: its
 * kernel, its clock's offset to this machine's and the round trip that
 * bounds it (guest/remote.h, NTP's way); with a time host, each machine's
 * offset to the time host's clock too (this one as "local"). */
int vp_remote_hosts_facts(const struct vp_experiment *e, struct vp_store *st, int64_t exp_id,
                          struct vp_err *err);

/* A virtperf command on another host, through that host's agent (platform
 * host: a local relay), for as long as the runner wants it: the time host's
 * server, a point's profiler there. */
struct vp_remote_process {
    const struct vp_platform_ops *ops; /* the host platform */
    struct vp_appliance *a;
    pid_t pid;  /* the local relay */
    int out_fd; /* its stdout and stderr, together */
};

/* Start argv (argv[0] "/proc/self/exe": the virtperf there) on host as an
 * appliance named name; env, "NAME=VALUE" of virtperf's own or NULL, is
 * handed to it through the agent's channel (never a command line). */
int vp_remote_process_start(const struct vp_platform_ops *host_ops, struct vp_journal *journal,
                            const char *host, const char *name, char *const *argv, const char *env,
                            struct vp_remote_process *p, struct vp_err *err);
/* SIGTERM (the relay passes it on), after 5 s SIGKILL (its channel's end
 * ends the command there); nothing of it is left on either host. */
void vp_remote_process_stop(struct vp_remote_process *p);

/* Start the time server on e's time host, listening at s.timeserver and
 * recording marks in the store (one that host reaches: PostgreSQL, checked
 * by vp_runner_validate), its key handed over through the agent's channel;
 * ready when it says it listens. Nothing to do (0) without a time host. */
int vp_time_host_start(const struct vp_experiment *e, const struct vp_platform_ops *host_ops,
                       struct vp_journal *journal, const char *store, struct vp_remote_process *t,
                       struct vp_err *err);

#endif
