/* The loads and services of a stored experiment point (tables point_loads,
 * point_services), and each load's headline figures recomputed from its
 * stored rows: a capacity search's maximum from its steps, latency
 * percentiles and delay boxplots from histogram buckets. The figures cached in
 * sip_runs / rtp_runs are read only where no raw rows exist. */
#ifndef VP_ANALYSIS_LOAD_STATS_H
#define VP_ANALYSIS_LOAD_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/stats.h"
#include "rtp/hist.h"
#include "store/store.h"

/* A load driver run against a server appliance of a point. */
struct vp_load_row {
    char load[64], target[64], driver[32], kind[8]; /* kind: "sip" or "rtp" */
    int64_t run_id; /* sip_runs.id or rtp_runs.id; 0 when the load failed */
};

/* The point's loads in the order the runner stored them; *rows is malloc'd
 * (NULL when n = 0). */
int vp_point_loads(struct vp_store *st, int64_t exp_id, int point, struct vp_load_row **rows,
                   int *n, struct vp_err *err);

/* A server appliance of a point and what it counted itself. */
struct vp_service_row {
    char appliance[64], role[32];
    char *address;        /* HOST:PORT, NULL when none */
    char *counters;       /* the server's JSON object as text, NULL when none */
    bool counters_object; /* counters is well-formed JSON and an object */
};

int vp_point_services(struct vp_store *st, int64_t exp_id, int point, struct vp_service_row **rows,
                      int *n, struct vp_err *err);
void vp_service_rows_free(struct vp_service_row *rows, int n);

enum vp_load_type {
    VP_LOAD_FAILED,       /* no run stored (run_id NULL, or the run is gone) */
    VP_LOAD_SIP_CAPACITY, /* sip_runs.kind 'capacity' */
    VP_LOAD_SIP_UAC,      /* sip_runs.kind 'uac' */
    VP_LOAD_RTP,          /* rtp_runs */
};

#define VP_LOAD_MAX_REPEATS 100 /* sip-capacity --repeats at most */

struct vp_load_capacity {
    struct vp_summary max_rate; /* over the repeats' best rates; n = 0 when none */
    int nrepeats;
    double best[VP_LOAD_MAX_REPEATS]; /* per repeat: the highest passing rate, 0 if none */
    int steps;
    bool from_cache; /* no steps stored: the figures are sip_runs.capacity_* */
    /* sip_runs.capacity_* as stored (NaN / 0 when NULL), to compare */
    double stored_mean, stored_ci_lo, stored_ci_hi;
    int stored_n;
};

struct vp_load_uac {
    int64_t created, successful, retransmissions;
    int64_t failed;            /* failure causes + abandoned (open at the deadline) */
    double failed_pct;         /* of calls created */
    double retransmission_pct; /* of calls created */
    uint64_t inv200_samples;   /* in the stored 'inv200' buckets */
    double inv200_p50_ms, inv200_p95_ms, inv200_p99_ms; /* NaN without samples */
};

struct vp_load_rtp {
    int streams;
    int64_t sent, received, lost, duplicates, reordered;
    double loss_pct;       /* lost / sent; NaN when nothing was sent */
    double jitter_mean_ms; /* mean over rtp_streams; NaN without streams */
    uint64_t delay_samples;
    struct vp_boxplot delay_ms;        /* all values in ms; zero without samples */
    double delay_p95_ms, delay_p99_ms; /* NaN without samples */
};

struct vp_load_figures {
    enum vp_load_type type;
    char status[32]; /* the run's status; "failed" / "missing" without a run */
    /* the generator was the bottleneck: a capacity step 'rejected', the uac's
     * generator_bottleneck, the rtp client's generator_late */
    bool generator_limited;
    union {
        struct vp_load_capacity cap;
        struct vp_load_uac uac;
        struct vp_load_rtp rtp;
    };
};

int vp_load_figures(struct vp_store *st, const struct vp_load_row *row, struct vp_load_figures *f,
                    struct vp_err *err);

#endif
