/* An experiment's other machines at its start and end (issue 17): each
 * host greeted through its agent, its kernel and clock offsets kept with
 * the experiment's host facts; and the time server on the time host (the
 * file's timeserver: NAME:PORT), run for the whole experiment. */
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

struct vp_time_host {
    const struct vp_platform_ops *ops; /* the host platform */
    struct vp_appliance *a;
    pid_t pid;  /* the local relay of `virtperf timeserver` there */
    int err_fd; /* its stderr */
};

/* Start the time server on e's time host, listening at s.timeserver and
 * recording marks in the store (one that host reaches: PostgreSQL, checked
 * by vp_runner_validate), its key handed over through the agent's channel;
 * ready when it says it listens. Nothing to do (0) without a time host. */
int vp_time_host_start(const struct vp_experiment *e, const struct vp_platform_ops *host_ops,
                       struct vp_journal *journal, const char *store, struct vp_time_host *t,
                       struct vp_err *err);
void vp_time_host_stop(struct vp_time_host *t);

#endif
