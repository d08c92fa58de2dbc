/* Timing rows in the results store: the run token kept with a run, each
 * round's internal and external elapsed (timing_rounds), and the marks a
 * time server received (timing_marks), with the reading side for
 * `virtperf timing show`. */
#ifndef VP_TIMING_TIMING_STORE_H
#define VP_TIMING_TIMING_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

struct vp_timing_row {
    int round;
    bool warmup;
    char appliance[32];
    double internal_s, external_s;
    double ratio; /* internal / external: 1 for an honest clock, 0.5 for one at half speed */
    bool distorted;
    int copies; /* datagrams sent for the two marks (2 when none was lost) */
    /* VM rounds: the agent's round trip beyond the guest's own work (before
     * the round, the round, verify); NAN when not known */
    double control_s;
};

/* A round is clock-distorted when its two figures differ by more than pct
 * percent of the external one AND by more than ms milliseconds. */
bool vp_timing_distorted(double internal_s, double external_s, double pct, double ms);

int vp_timing_store_token(struct vp_store *st, int64_t run_id, uint64_t token, struct vp_err *err);

int vp_timing_store_round(struct vp_store *st, int64_t run_id, const struct vp_timing_row *row,
                          uint64_t start_server_ns, uint64_t end_server_ns, struct vp_err *err);

/* The rows of a stored run (by id), warm-up included, round order. */
int vp_timing_load_run(struct vp_store *st, int64_t run_id, struct vp_timing_row **rows, int *n,
                       struct vp_err *err);

/* Rows made from the marks recorded under a run token (`virtperf mark`
 * through a standalone time server): one per appliance and round that has
 * both marks; internal is the difference of the sender's clock readings. */
int vp_timing_load_marks(struct vp_store *st, uint64_t token, double pct, double ms,
                         struct vp_timing_row **rows, int *n, struct vp_err *err);

/* The id of the run with this token, or 0. */
int64_t vp_timing_run_of_token(struct vp_store *st, uint64_t token);

#endif
