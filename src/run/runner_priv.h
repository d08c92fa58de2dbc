/* The experiment runner's own state, shared by runner.c (points, appliances,
 * profile) and runner_procs.c (the processes of a point: workloads, servers,
 * load generators, and what they print). */
#ifndef VP_RUN_RUNNER_PRIV_H
#define VP_RUN_RUNNER_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "run/remote_hosts.h"
#include "run/runner.h"

enum slot_kind {
    SLOT_WORKLOAD,  /* `workload run` in an appliance, behind the start barrier */
    SLOT_SERVER,    /* a server in an appliance (sip-uas, media-server) */
    SLOT_GENERATOR, /* a load driver on the host, in a native appliance of its own */
};

/* One appliance of the point being run and the process in it. */
struct slot {
    enum slot_kind kind;
    char name[64];
    const struct vp_platform_ops *ops; /* the point's platform; native for generators */
    struct vp_appliance *a;
    const struct vp_instance *in;   /* workloads and servers */
    const struct vp_exp_load *load; /* generators */
    int target; /* generators: the slot of the server they drive; -1: none (own test bed) */
    pid_t pid;
    int out_fd;  /* the process's stdout */
    int err_fd;  /* servers: their stderr ("listening on HOST:PORT") */
    int sync_fd; /* workloads: our end of the start barrier */
    bool ready, eof, err_eof;
    bool exited; /* reaped: status holds its wait status */
    int status;
    char *out; /* what it printed on stdout */
    size_t len;
    char line[512]; /* the stderr line being read */
    size_t line_len;
    char last_line[512]; /* the last one read, for error messages */
    char address[96];    /* servers: HOST:PORT once listening */
    /* role app: stdout comes with stderr (err_fd); ready once ready_text
     * was printed or its probe answered; stopped by stop_signal */
    bool app, app_ready;
    int stop_signal;
    char ready_text[256];
};

struct runner {
    const struct vp_runner_cfg *cfg;
    const struct vp_platform_ops *ops; /* the point's platform */
    struct vp_journal *journal;
    int64_t exp_id;
    uint64_t t0;
    double work_total, work_done; /* for the ETA */
    bool eta_unknown;             /* loads, not rounds, decide how long points take */
    struct slot *slots;
    int nslots;
    int64_t run_floor;        /* runs newer than this are the point's (progress) */
    struct vp_profiler *prof; /* the point's profile, or NULL */
    /* its profilers on other hosts (runner_rprof.c) */
    struct vp_remote_process rprof[VP_EXP_MAX_HOSTS];
    int nrprof;
    int trace_fd; /* $VIRTPERF_TRACE, or -1 */
};

void vp_runner_progress(struct runner *r, const struct vp_point *pt, const char *what);
/* A platform by name (the configuration's lookup, or the registry's). */
const struct vp_platform_ops *vp_runner_ops(const struct vp_runner_cfg *cfg, const char *name);

/* runner_rprof.c: the point's appliances on other hosts profiled there,
 * under the point's profile (started after it, stopped before it). */
int vp_runner_rprof_start(struct runner *r, const struct vp_point *pt, struct vp_err *err);
void vp_runner_rprof_stop(struct runner *r);

/* runner_binds.c: the host paths an instance's appliance uses (its store,
 * the journal folder, what its command's options name) into spec->binds. */
void vp_runner_binds(const struct vp_point *pt, const struct vp_instance *in, const char *store,
                     struct vp_appliance_spec *spec);
void vp_runner_mark(struct runner *r, const struct vp_point *pt, const char *what);

/* runner_procs.c: start, watch, stop and record a point's processes. */
int vp_runner_start_servers(struct runner *r, const struct vp_point *pt, struct vp_err *err);
int vp_runner_start_workloads(struct runner *r, const struct vp_point *pt, struct vp_err *err);
int vp_runner_release(struct runner *r, const struct vp_point *pt, struct vp_err *err);
int vp_runner_start_generators(struct runner *r, const struct vp_point *pt, struct vp_err *err);
/* Until the point's measured part is over: its generators ended, or
 * (without loads) its workloads. */
int vp_runner_collect(struct runner *r, const struct vp_point *pt, struct vp_err *err);
/* Loaded points: workloads finish their round, servers stop. */
int vp_runner_wind_down(struct runner *r, const struct vp_point *pt, struct vp_err *err);
int vp_runner_record(struct runner *r, const struct vp_point *pt, struct vp_err *err);

#endif
