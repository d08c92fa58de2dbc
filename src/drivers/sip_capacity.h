/* The sip-capacity driver (virtperf sip-capacity): its options, shared by
 * the command and experiment files, and the figures of a stored search. */
#ifndef VP_DRIVERS_SIP_CAPACITY_H
#define VP_DRIVERS_SIP_CAPACITY_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/stats.h"
#include "core/opt.h"

struct vp_sip_capacity_opts {
    char target[VP_STR_MAX];
    double fail_pct, retrans_pct, p95_ms, start, max, precision;
    int64_t repeats, threads;
    uint64_t step, drain, settle, hold, t1, tick;
};
extern const struct vp_opt vp_sip_capacity_opt_table[];

#define VP_LOAD_MAX_REPEATS 100 /* --repeats at most */

/* A search's figures, recomputed from its steps. */
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

#endif
