/* Experiment files: YAML parsed with libyaml into settings, appliance
 * templates, load drivers, cases and a matrix, then expanded into points
 * (each case times the cartesian product of the matrix values) with the
 * core-allocation scheme applied.
 *
 * An appliance runs a workload (role workload) or a server (role sip-server
 * or media-server); a load driver (sip-uac, sip-capacity, rtp) runs from the
 * host against every instance of a server appliance while the workloads run
 * next to it. Scalar fields are struct vp_opt tables (vp_exp_settings_opts,
 * vp_exp_fields_opts, vp_exp_load_opts, and the workload's or command's own
 * table for its options), so a matrix or case key is resolved in one place:
 * a setting, an appliance field, a workload or server option, or a load
 * option ("NAME.key" for one appliance or load only). Errors name the file
 * position: "file:line:col: message". */
#ifndef VP_EXPERIMENT_EXPERIMENT_H
#define VP_EXPERIMENT_EXPERIMENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/doc.h"
#include "core/error.h"
#include "core/opt.h"
#include "drivers/server.h"
#include "workload/workload.h"

struct vp_driver; /* drivers/driver.h */

#define VP_EXP_MAX_APPS      16
#define VP_EXP_MAX_KV        16
#define VP_EXP_MAX_MATRIX    8
#define VP_EXP_MAX_VALUES    32
#define VP_EXP_MAX_INSTANCES 256
#define VP_EXP_MAX_CPUS      1024
#define VP_EXP_MAX_LOADS     8
#define VP_EXP_MAX_CASES     32
#define VP_EXP_MAX_HOSTS     16
#define VP_EXP_MAX_PARAMS    (VP_EXP_MAX_MATRIX + VP_EXP_MAX_KV + 1)

enum vp_scheme { VP_SCHEME_FLOAT, VP_SCHEME_EXCLUSIVE, VP_SCHEME_SHARED_ONE };

/* Top-level scalar keys. */
struct vp_exp_settings {
    char name[VP_STR_MAX];
    char platform[VP_STR_MAX];
    int64_t rounds, warmup;
    int scheme; /* enum vp_scheme */
    bool overcommit;
    char timeserver[VP_STR_MAX];  /* host:port; empty = internal timing */
    char key_file[VP_STR_MAX];    /* the time server's key, with timeserver */
    uint64_t profile_interval;    /* ns; the host profiler's, 0 = no profile */
    int accel;                    /* vm, libvirt: enum vp_accel */
    char libvirt_uri[VP_STR_MAX]; /* libvirt: the connection; empty = qemu:///system */
};
extern const struct vp_opt vp_exp_settings_opts[];

/* What an appliance of each role runs: vp_exp_roles[i] is the server of
 * role i (index 0, workload, has none). The load drivers that drive them
 * are drivers/driver.h's table. */
enum vp_role {
    VP_ROLE_WORKLOAD,
    VP_ROLE_SIP_SERVER,
    VP_ROLE_MEDIA_SERVER,
    VP_ROLE_UDP_SINK,
    VP_ROLE_TCP_SINK,
    VP_ROLE_APP, /* the user's own command standing in for one of the above */
    VP_ROLE_COUNT
};
extern const char *const vp_exp_role_names[];
extern const struct vp_server *const vp_exp_roles[VP_ROLE_COUNT];
/* An app's options (role app) with the point's values applied. */
struct vp_app_opts;
struct vp_exp_app;
int vp_exp_app_opts(const struct vp_exp_app *a, struct vp_app_opts *o, struct vp_err *err);
/* Set a->serves (what loads that target it must drive) and, for an app,
 * check that its command and readiness check can work: input errors. */
int vp_exp_app_resolve(struct vp_exp_app *a, struct vp_err *err);
/* Whether key is among a server's or driver's reserved options (the
 * runner's to set). */
bool vp_exp_reserved(const char *const *reserved, const char *key);
/* The field user: only a server takes one, and it must exist here (input
 * error "user \"x\": ..."); empty is fine. */
struct vp_exp_fields;
int vp_exp_check_user(const struct vp_exp_fields *f, struct vp_err *err);

/* The platform-neutral fields of an appliance template. */
struct vp_exp_fields {
    char name[VP_STR_MAX]; /* the name, or the prefix when count is given */
    int role;              /* enum vp_role */
    char workload[VP_STR_MAX];
    int64_t count; /* 0: not in this point (a case or matrix value may add it) */
    int preset;    /* 0 default, 1 small: the workload's small preset first */
    int64_t vcpus;
    char cpus[VP_STR_MAX];
    int64_t weight, cap;
    uint64_t memory;
    int net;               /* enum vp_net_mode */
    uint64_t disk;         /* vm, libvirt: the scratch disk's size; 0 = the platform's default */
    char user[VP_STR_MAX]; /* servers: the user they run as; empty = the runner's */
    /* another machine: a name under hosts:, or an SSH destination when the
     * file declares none (platform/host.c); empty or "local" = this one */
    char host[VP_STR_MAX];
};

/* Whether an appliance with these fields runs on another machine. */
static inline bool vp_exp_host_remote(const char *host)
{
    return host[0] != '\0' && strcmp(host, "local") != 0;
}
static inline bool vp_exp_remote(const struct vp_exp_fields *f)
{
    return vp_exp_host_remote(f->host);
}
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
    const struct vp_workload *w;      /* role workload: resolved from f.workload */
    const struct vp_server *server;   /* other roles: the server command */
    const struct vp_server *serves;   /* the server loads see: server, or the one an app serves */
    struct vp_kv opts[VP_EXP_MAX_KV]; /* workload or server options, in order */
    int nopts;
};

/* A load driver's own fields. */
struct vp_exp_load_fields {
    char name[VP_STR_MAX];   /* default: the driver's name */
    char driver[VP_STR_MAX]; /* a driver's name (drivers/driver.h) */
    char target[VP_STR_MAX]; /* the server appliance (template) it drives */
    char cpus[VP_STR_MAX];   /* the generator's pinning; empty = float */
    int64_t weight;          /* the generator's CPU weight */
    bool background;         /* runs while the other loads do, then stopped */
    char host[VP_STR_MAX];   /* the generators' machine: as an appliance's host */
};
extern const struct vp_opt vp_exp_load_opts[];

/* One generator per instance of the target runs the driver's command. */
struct vp_exp_load {
    struct vp_exp_load_fields f;
    const struct vp_driver *driver;
    struct vp_kv opts[VP_EXP_MAX_KV]; /* the command's options, in order */
    int nopts;
};

/* One configuration of a list ("cases:"): values applied like a matrix
 * point's, under a label. */
struct vp_exp_case {
    char label[VP_STR_MAX];
    struct vp_mark mark;
    struct vp_kv kv[VP_EXP_MAX_KV];
    int nkv;
};

struct vp_exp_axis {
    char key[64];
    struct vp_mark mark;
    char values[VP_EXP_MAX_VALUES][VP_STR_MAX];
    struct vp_mark value_marks[VP_EXP_MAX_VALUES];
    int nvalues;
};

/* A machine of the experiment besides this one (hosts:), reached over SSH
 * as `ssh: [user@]address[:port]` says, with its identity file. */
struct vp_exp_host {
    char name[64];
    char user[64];             /* empty: the SSH configuration's */
    char address[256];         /* a name or an address; IPv6 without brackets */
    int port;                  /* 0: the SSH configuration's */
    char identity[VP_STR_MAX]; /* absolute; empty: the SSH configuration's */
};

struct vp_experiment {
    char path[VP_STR_MAX];
    struct vp_exp_host hosts[VP_EXP_MAX_HOSTS];
    int nhosts;
    /* the host whose name the file's timeserver gave (HOST:PORT): the time
     * host, where the runner starts the time server for the experiment; s.
     * timeserver then holds its address; empty: a server already running */
    char time_host[64];
    struct vp_exp_settings s;
    struct vp_exp_app apps[VP_EXP_MAX_APPS];
    int napps;
    struct vp_exp_load loads[VP_EXP_MAX_LOADS];
    int nloads;
    struct vp_exp_case cases[VP_EXP_MAX_CASES];
    int ncases;
    struct vp_exp_axis matrix[VP_EXP_MAX_MATRIX];
    int naxes;
    /* host-CPU cost of idle appliances: counts measured per platform */
    int64_t overhead_counts[VP_EXP_MAX_VALUES];
    int noverhead;
    uint64_t overhead_seconds; /* ns */
};

/* host (an appliance's): this machine ("" or "local"), one of e's hosts,
 * or, when e declares none, an SSH destination; else an input error. */
int vp_exp_check_host(const struct vp_experiment *e, const char *host, struct vp_err *err);

/* Checks that need more than the file: is this platform name known here. */
struct vp_exp_checks {
    int (*platform)(const char *name, struct vp_err *err); /* optional */
    /* the preset (under presets:) to apply, or NULL: a smaller form of the
     * study the file describes (`virtperf run --preset small`) */
    const char *preset;
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
    char params[VP_EXP_MAX_PARAMS][2][VP_STR_MAX]; /* case label, case and matrix keys, values */
    int nparams;
    struct vp_exp_settings s;
    struct vp_exp_app apps[VP_EXP_MAX_APPS];
    int napps;
    struct vp_exp_load loads[VP_EXP_MAX_LOADS];
    int nloads;
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

/* The plan for people (--dry-run), or as the document d (core/doc.h; a
 * round per point, begun and closed here). */
void vp_plan_print(FILE *out, const struct vp_experiment *exp, const struct vp_plan *plan);
void vp_plan_print_doc(struct vp_doc *d, FILE *out, const struct vp_experiment *exp,
                       const struct vp_plan *plan);

/* The generators of load l in point pt, by target: each instance it
 * drives, or, for a load with a test bed of its own (driver->serves NULL),
 * one without a target (-1). out holds VP_EXP_MAX_INSTANCES; returns how
 * many (0 in an idle point). */
int vp_load_targets(const struct vp_point *pt, const struct vp_exp_load *l, int *out);
/* Whether the point drives servers: some load that is not a background one
 * has a target instance. Its workloads then run until those loads end
 * (--until-stopped). */
bool vp_point_has_load(const struct vp_point *pt);

/* The command that runs an instance's workload inside its appliance:
 * virtperf workload run W [preset] [options] --rounds N --warmup W --json
 * [--store FILE] [--barrier-fd FD] [--timeserver ADDR --key-file F
 * --appliance NAME] [--until-stopped]; or, for a server, virtperf COMMAND
 * --listen LISTEN --json [options]. */
struct vp_cmdline {
    char buf[4096];
    char *argv[80];
    int argc;
};
int vp_instance_cmdline(const struct vp_point *pt, const struct vp_instance *in, const char *store,
                        int barrier_fd, struct vp_cmdline *cl, struct vp_err *err);
int vp_server_cmdline(const struct vp_point *pt, const struct vp_instance *in, const char *listen,
                      struct vp_cmdline *cl, struct vp_err *err);
/* A load's generator against one server: virtperf COMMAND --TARGET_OPT
 * HOST:PORT --json [--store FILE] [options]. */
int vp_load_cmdline(const struct vp_exp_load *l, const char *hostport, const char *store,
                    struct vp_cmdline *cl, struct vp_err *err);
/* The files and directories an instance's command names in its options of
 * type path (read) and output (written), defaults and preset included,
 * --store and the run's journal aside; writable for outputs. Returns how
 * many it put in paths (at most max). */
struct vp_path_use {
    char path[VP_STR_MAX];
    bool writes;
};
int vp_instance_paths(const struct vp_point *pt, const struct vp_instance *in,
                      struct vp_path_use *paths, int max);

/* What matrix and case values apply to: a point's settings, templates and
 * loads. */
struct vp_exp_scope {
    struct vp_exp_settings *s;
    struct vp_exp_app *apps;
    int napps;
    struct vp_exp_load *loads;
    int nloads;
};
/* Apply one value (key as written in the file); input error when nothing
 * has that key (-ENOENT). */
int vp_exp_apply(const struct vp_exp_scope *sc, const char *key, const char *value,
                 struct vp_err *err);

#endif
