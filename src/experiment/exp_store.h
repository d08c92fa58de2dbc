/* Experiments in the results store: tables experiments, experiment_points
 * and point_runs (schema.c). The runner writes them as it goes; `model`
 * reads them back. */
#ifndef VP_EXPERIMENT_EXP_STORE_H
#define VP_EXPERIMENT_EXP_STORE_H

#include <stdint.h>

#include "experiment/experiment.h"
#include "store/store.h"

int vp_exp_store_begin(struct vp_store *st, const struct vp_experiment *exp, const char *spec,
                       const char *host, int cpus_available, int64_t *id, struct vp_err *err);
int vp_exp_store_end(struct vp_store *st, int64_t id, const char *status, const char *error,
                     struct vp_err *err);

/* A point, status 'running'. */
int vp_exp_store_point(struct vp_store *st, int64_t id, const struct vp_point *pt,
                       struct vp_err *err);
int vp_exp_store_point_run(struct vp_store *st, int64_t id, int point, const char *appliance,
                           int64_t run_id, struct vp_err *err);
/* The profile the host profiler took of a point. */
/* A load generator's stored run (sip_runs or rtp_runs by kind; 0 = none). */
struct vp_exp_point_load {
    const char *load, *target, *driver;
    const char *kind; /* "sip" or "rtp" */
    int64_t run_id;
};
int vp_exp_store_point_load(struct vp_store *st, int64_t id, int point,
                            const struct vp_exp_point_load *l, struct vp_err *err);
/* A server appliance's address and its own counters (JSON text or NULL). */
int vp_exp_store_point_service(struct vp_store *st, int64_t id, int point, const char *appliance,
                               const char *role, const char *address, const char *counters,
                               struct vp_err *err);
int vp_exp_store_point_profile(struct vp_store *st, int64_t id, int point, int64_t profile_id,
                               struct vp_err *err);
/* End a point; an idle point's CPU cost, percent of the host (each stored
 * when its n > 0): host, the host-wide busy difference /proc/stat gives;
 * apps, what the appliances themselves were charged. */
struct vp_summary;
int vp_exp_store_point_end(struct vp_store *st, int64_t id, int point, const char *status,
                           const char *error, const struct vp_summary *host,
                           const struct vp_summary *apps, struct vp_err *err);

/* For progress: the newest run id, and how many rounds runs newer than
 * floor have stored (-1 on error). */
int64_t vp_exp_store_max_run(struct vp_store *st);
int vp_exp_store_rounds_after(struct vp_store *st, int64_t floor);
/* Measured (not warm-up) rounds of a run. */
int vp_exp_store_measured_rounds(struct vp_store *st, int64_t run_id);

/* Read back. */
struct vp_exp_point_row {
    int point;
    char kind[8];
    char *params, *series, *platform, *status;
    int instances, cpus_available;
    double host_cpu_pct, host_cpu_ci_half;           /* host-wide; NaN when none */
    double appliance_cpu_pct, appliance_cpu_ci_half; /* the appliances'; NaN when none */
    int nruns;
    char (*appliance)[64];
    int64_t *run_id; /* 0 when the appliance stored none */
};
struct vp_exp_data {
    int64_t id;
    char *name, *file, *status, *started_at;
    int cpus_available;
    int npoints;
    struct vp_exp_point_row *points;
};
/* An unknown id is an input error. */
int vp_exp_store_load(struct vp_store *st, int64_t id, struct vp_exp_data *d, struct vp_err *err);
void vp_exp_data_free(struct vp_exp_data *d);

/* Set key of the experiment's host facts (a JSON object) to json. */
int vp_exp_store_host_fact(struct vp_store *st, int64_t id, const char *key, const char *json,
                           struct vp_err *err);

#endif
