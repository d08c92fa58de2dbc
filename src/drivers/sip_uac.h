/* The sip-uac driver (virtperf sip-uac): its options, shared by the command
 * and experiment files, and the figures of a stored run. */
#ifndef VP_DRIVERS_SIP_UAC_H
#define VP_DRIVERS_SIP_UAC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/opt.h"

struct vp_sip_uac_opts {
    char target[VP_STR_MAX], ramp[VP_STR_MAX], interval_csv[VP_STR_MAX];
    double rate;
    uint64_t duration, hold, interval, drain, t1, calls, tick;
    int64_t max_concurrent, threads;
    bool per_event;
};
extern const struct vp_opt vp_sip_uac_opt_table[];

/* A run's figures: the counts of sip_runs, percentiles from its buckets. */
struct vp_load_uac {
    int64_t created, successful, retransmissions;
    int64_t failed;            /* failure causes + abandoned (open at the deadline) */
    double failed_pct;         /* of calls created */
    double retransmission_pct; /* of calls created */
    uint64_t inv200_samples;   /* in the stored 'inv200' buckets */
    double inv200_p50_ms, inv200_p95_ms, inv200_p99_ms; /* NaN without samples */
};

#endif
