/* Experiment files: YAML parsed with libyaml into settings, appliance
 * templates and a matrix, then expanded into points (the cartesian product
 * of the matrix values) with the core-allocation scheme applied.
 *
 * Scalar fields are struct vp_opt tables (vp_exp_settings_opts,
 * vp_exp_fields_opts), so a matrix key is resolved in one place: a setting,
 * an appliance field, or a workload option ("NAME.key" for one appliance
 * only). Errors name the file position: "file:line:col: message". */
#ifndef VP_EXPERIMENT_EXPERIMENT_H
#define VP_EXPERIMENT_EXPERIMENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "core/opt.h"
#include "workload/workload.h"

#define VP_EXP_MAX_APPS      16
#define VP_EXP_MAX_KV        16
#define VP_EXP_MAX_MATRIX    8
#define VP_EXP_MAX_VALUES    32
#define VP_EXP_MAX_INSTANCES 256
#define VP_EXP_MAX_CPUS      1024

enum vp_scheme { VP_SCHEME_FLOAT, VP_SCHEME_EXCLUSIVE, VP_SCHEME_SHARED_ONE };

/* Top-level scalar keys. */
struct vp_exp_settings {
    char name[VP_STR_MAX];
    char platform[VP_STR_MAX];
    int64_t rounds, warmup;
    int scheme; /* enum vp_scheme */
    bool overcommit;
    char timeserver[VP_STR_MAX]; /* host:port; empty = internal timing */
    char key_file[VP_STR_MAX];   /* the time server's key, with timeserver */
    uint64_t profile_interval;   /* ns; the host profiler's, 0 = no profile */
};
extern const struct vp_opt vp_exp_settings_opts[];

/* The platform-neutral fields of an appliance template. */
struct vp_exp_fields {
    char name[VP_STR_MAX]; /* the name, or the prefix when count is given */
    char workload[VP_STR_MAX];
    int64_t count;
    int preset; /* 0 default, 1 small: the workload's small preset first */
    int64_t vcpus;
    char cpus[VP_STR_MAX];
    int64_t weight, cap;
    uint64_t memory;
    int net; /* enum vp_net_mode */
};
extern const struct vp_opt vp_exp_fields_opts[];

/* Where in the file a value came from. */
struct vp_mark {
    int line, col; /* 1-based */
};

struct vp_kv {
    char key[64];
    char value[VP_STR_MAX];
    struct vp_mark mark, value_mark;
};

struct vp_exp_app {
    struct vp_exp_fields f;
    bool count_given;                 /* instances are named PREFIX-k */
    const struct vp_workload *w;      /* resolved from f.workload */
    struct vp_kv opts[VP_EXP_MAX_KV]; /* workload options, applied in order */
    int nopts;
};

struct vp_exp_axis {
    char key[64];
    struct vp_mark mark;
    char values[VP_EXP_MAX_VALUES][VP_STR_MAX];
    struct vp_mark value_marks[VP_EXP_MAX_VALUES];
    int nvalues;
};

struct vp_experiment {
    char path[VP_STR_MAX];
    struct vp_exp_settings s;
    struct vp_exp_app apps[VP_EXP_MAX_APPS];
    int napps;
    struct vp_exp_axis matrix[VP_EXP_MAX_MATRIX];
    int naxes;
    /* host-CPU cost of idle appliances: counts measured per platform */
    int64_t overhead_counts[VP_EXP_MAX_VALUES];
    int noverhead;
    uint64_t overhead_seconds; /* ns */
};

/* Checks that need more than the file: is this platform name known here. */
struct vp_exp_checks {
    int (*platform)(const char *name, struct vp_err *err); /* optional */
};

/* Parse and validate path (every value through its option table, every
 * matrix value applied once). Input errors carry "path:line:col: ". */
int vp_experiment_load(const char *path, const struct vp_exp_checks *checks,
                       struct vp_experiment *exp, struct vp_err *err);
/* The same from text in memory; name stands for the file in messages. */
int vp_experiment_parse(const char *name, const char *text, const struct vp_exp_checks *checks,
                        struct vp_experiment *exp, struct vp_err *err);

/* One appliance of a point, ready for a platform. */
struct vp_instance {
    char name[64];
    int app;                /* index of its template in the point's apps */
    struct vp_exp_fields f; /* cpus filled by the scheme */
};

enum vp_point_kind { VP_POINT_RUN, VP_POINT_IDLE };

/* One point of the plan: the settings and templates with the point's matrix
 * values applied, and the instances they make. */
struct vp_point {
    int index;
    enum vp_point_kind kind;
    char params[VP_EXP_MAX_MATRIX][2][VP_STR_MAX]; /* matrix key, value */
    int nparams;
    struct vp_exp_settings s;
    struct vp_exp_app apps[VP_EXP_MAX_APPS];
    int napps;
    struct vp_instance inst[VP_EXP_MAX_INSTANCES];
    int ninst;
    int cpus_available;       /* P: distinct cores the point's appliances may use */
    char warning[VP_STR_MAX]; /* e.g. "exclusive: 12 vCPUs on 2 cores" */
};

/* The CPUs the experiment may use (the runner's affinity mask). */
struct vp_cpuset {
    int cpu[VP_EXP_MAX_CPUS];
    int n;
};
void vp_cpuset_self(struct vp_cpuset *cs);

struct vp_plan {
    struct vp_point *points;
    int npoints;
    int nrun; /* the VP_POINT_RUN ones come first */
};

/* Expand the matrix (first axis slowest), apply the scheme, check totals
 * (vCPUs beyond cores need overcommit), add the idle points. */
int vp_plan_build(const struct vp_experiment *exp, const struct vp_cpuset *cpus,
                  struct vp_plan *plan, struct vp_err *err);
void vp_plan_free(struct vp_plan *plan);

/* Place the point's instances' vCPUs on cores as its scheme says. */
void vp_scheme_apply(struct vp_point *pt, const struct vp_cpuset *cpus);

/* The point's parameters as compact JSON text (malloc'd), leaving out the
 * keys skip says so of (skip may be NULL). */
char *vp_point_params_json(const struct vp_point *pt, bool (*skip)(const char *key));

/* The plan for people (--dry-run) or as JSON. */
void vp_plan_print(FILE *out, const struct vp_experiment *exp, const struct vp_plan *plan);
void vp_plan_print_json(FILE *out, const struct vp_experiment *exp, const struct vp_plan *plan);

/* The command that runs an instance's workload inside its appliance:
 * virtperf workload run W [preset] [options] --rounds N --warmup W --json
 * [--store FILE] [--barrier-fd FD] [--timeserver ADDR --key-file F
 * --appliance NAME]. */
struct vp_cmdline {
    char buf[4096];
    char *argv[80];
    int argc;
};
int vp_instance_cmdline(const struct vp_point *pt, const struct vp_instance *in, const char *store,
                        int barrier_fd, struct vp_cmdline *cl, struct vp_err *err);

/* Apply one matrix value (key as written in the file) to a point's
 * settings and templates; input error when nothing has that key. */
int vp_exp_apply(struct vp_exp_settings *s, struct vp_exp_app *apps, int napps, const char *key,
                 const char *value, struct vp_err *err);

#endif
