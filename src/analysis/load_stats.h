/* The loads and services of a stored experiment point (tables point_loads,
 * point_services), and what the drivers read their runs' figures with
 * (drivers/: a capacity search's maximum from its steps, latency
 * percentiles and delay boxplots from histogram buckets; the figures cached
 * in sip_runs / rtp_runs only where no raw rows exist). */
#ifndef VP_ANALYSIS_LOAD_STATS_H
#define VP_ANALYSIS_LOAD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* For the drivers reading their runs' figures back (drivers/): */

/* Column col as text into dst ("" when NULL), or as a double (NaN when NULL). */
void vp_load_col_text(char *dst, size_t len, struct vp_stmt *q, int col);
double vp_load_col_double(struct vp_stmt *q, int col);

/* The one row sql selects for run_id (bound to ?1), handed to fill: 0, 1
 * when there is none (the run is gone), or an error naming what. */
int vp_load_run_row(struct vp_store *st, const char *sql, int64_t run_id,
                    void (*fill)(struct vp_stmt *q, void *ctx), void *ctx, const char *what,
                    struct vp_err *err);

/* A stored histogram series (sql selects lo_ns, hi_ns, count of run ?1)
 * read back: each bucket's count at its middle, min and max at the outer
 * bounds of the lowest and highest buckets. */
int vp_load_hist(struct vp_store *st, const char *sql, int64_t run_id, struct vp_hist *h,
                 struct vp_err *err);

/* Percentile p of h in ms; NaN without samples. */
double vp_load_pct_ms(const struct vp_hist *h, double p);

#endif
