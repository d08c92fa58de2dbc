/* The rtp driver (virtperf rtp-client): its options, shared by the command
 * and experiment files, and the figures of a stored run. */
#ifndef VP_DRIVERS_RTP_H
#define VP_DRIVERS_RTP_H

#include <stdint.h>

#include "analysis/stats.h"
#include "core/opt.h"
#include "rtp/hist.h"

struct vp_rtp_client_opts {
    char server[VP_STR_MAX];
    int64_t streams, sockets;
    uint64_t duration, ptime, tick, payload, interval, drain;
    char interval_csv[VP_STR_MAX];
    int64_t token;
    int gso; /* enum vp_gso */
};
extern const struct vp_opt vp_rtp_client_opt_table[];

/* A run's figures: rtp_runs' counts, the delay from its buckets. */
struct vp_load_rtp {
    int streams;
    int64_t sent, received, lost, duplicates, reordered;
    double loss_pct;       /* lost / sent; NaN when nothing was sent */
    double jitter_mean_ms; /* mean over rtp_streams; NaN without streams */
    uint64_t delay_samples;
    struct vp_boxplot delay_ms;        /* all values in ms; zero without samples */
    double delay_p95_ms, delay_p99_ms; /* NaN without samples */
    /* Batch means: the run's intervals (those with packets planned) in
     * VP_RTP_BATCHES consecutive batches, each batch's loss %, delay median
     * and p99 (ms) a sample, summarised with its 95% CI. The CI is right when
     * batches are longer than the system's memory (its queues drain well
     * within one); batches = 0 (no CI) with fewer than two intervals. */
    int batches;
    struct vp_summary loss_batches, median_batches, p99_batches;
};

#define VP_RTP_BATCHES 10

/* Fill r's batch figures from run's intervals (rtp_batches.c). */
struct vp_store;
struct vp_err;
int vp_rtp_batches(struct vp_store *st, int64_t run, struct vp_load_rtp *r, struct vp_err *err);

#endif
