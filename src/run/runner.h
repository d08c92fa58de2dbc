/* The experiment runner: every point of a plan, in order. For each point it
 * creates the appliances (all of them checked by the platform's validate()
 * before anything at all is created), starts the servers (sip-server,
 * media-server roles) and waits until each listens, starts in each other
 * appliance, one after the other, a `virtperf workload run` that sets up
 * and waits at a start barrier, releases them all together once all are
 * ready, then starts the load generators on the host (a native appliance
 * each) against the servers' addresses. A point with loads lasts until its
 * non-background generators end; its workloads run --until-stopped and,
 * like background generators, get SIGUSR1 then (they end normally), and the
 * servers get SIGTERM and print their counters. Without loads a point lasts
 * until its workloads end. The runner collects each process's run id from
 * its JSON, stores the point (point_runs, point_loads, point_services), and
 * stops and destroys the appliances on every exit path (SIGINT included).
 * Idle points start a sleeping process in each appliance and sample host
 * CPU use from /proc/stat instead. The runner talks to platforms only
 * through struct vp_platform_ops.
 *
 * Each run point is profiled (profile-interval, default 1 s, 0 = off): a
 * host profiler started once the appliances exist, with each appliance's
 * cgroup (or, without one, its workload process) as a target under the
 * appliance's name and the host's cores; marks "point N start", "point N
 * release" (the start barrier) and "point N end"; stopped before the
 * appliances are destroyed on every exit path; its id is the point's
 * profile_id. Rounds run in the children and are tied to samples by time:
 * the profile's t_s starts at its started_at, and rounds carry their own
 * wall-clock times. Idle points are not profiled (the sampler's own CPU
 * would count as the appliances' overhead).
 *
 * $VIRTPERF_TRACE (a test's hook) names a file the runner appends
 * "<point> <phase>" to as each phase of a point begins: creating, mid-round,
 * storing, removing, ended. */
#ifndef VP_RUN_RUNNER_H
#define VP_RUN_RUNNER_H

#include <stdbool.h>
#include <stdint.h>

#include "experiment/experiment.h"
#include "platform/platform.h"
#include "store/store.h"

struct vp_runner_cfg {
    const struct vp_experiment *exp;
    const struct vp_plan *plan;
    struct vp_store *st;
    const char *spec; /* the experiment file's text, kept in the store */
    bool progress;    /* a live line on stderr */
    /* platform lookup; NULL = vp_platform_find */
    const struct vp_platform_ops *(*find)(const char *name);
};

/* Check every point's appliances against their platform without creating
 * anything: input errors name the point, the appliance and the field. */
int vp_runner_validate(const struct vp_runner_cfg *cfg, struct vp_err *err);

/* Validate, then run every point. *exp_id is set once the experiment is in
 * the store (0 before). */
int vp_runner_run(const struct vp_runner_cfg *cfg, int64_t *exp_id, struct vp_err *err);

#endif
