/* The SSH configuration of an experiment's hosts: (issue 17): what the file
 * declares of each (Host NAME: HostName, User, Port, IdentityFile) written
 * for the run, ahead of the user's own configuration (or the one
 * $VIRTPERF_SSH_CONFIG names), and made the run's through that variable,
 * so every ssh the run starts — the host platform's, its relays' — reaches
 * a host by its name in the file. The file lives in a scratch directory of
 * the run's (core/workdir.h: journaled, removed after the run or by
 * `virtperf cleanup`). */
#ifndef VP_RUN_SSH_HOSTS_H
#define VP_RUN_SSH_HOSTS_H

#include <stddef.h>

#include "core/error.h"
#include "experiment/experiment.h"

struct vp_ssh_hosts {
    char dir[512];  /* empty: nothing written (no hosts declared) */
    char *previous; /* $VIRTPERF_SSH_CONFIG before, to restore */
    bool had_previous;
};

int vp_ssh_hosts_begin(const struct vp_experiment *e, struct vp_ssh_hosts *h, struct vp_err *err);
void vp_ssh_hosts_end(struct vp_ssh_hosts *h);

#endif
