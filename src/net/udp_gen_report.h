/* Views of a udp-gen run (net/udp_gen.h): its document (core/doc.h:
 * start, intervals, end, error), a terminal summary, and the rows kept in
 * the results store (tables udp_runs, udp_directions, udp_intervals,
 * udp_delay_hist: the delay's buckets, so its percentiles can be
 * recomputed). */
#ifndef VP_NET_UDP_GEN_REPORT_H
#define VP_NET_UDP_GEN_REPORT_H

#include <stdio.h>

#include "core/doc.h"
#include "core/json.h"
#include "net/udp_gen.h"
#include "store/store.h"

/* What the run was asked: the command's options as given. */
struct vp_udp_run_info {
    const char *target;    /* HOST:PORT */
    const char *direction; /* up, down, both */
    const struct vp_udp_gen_cfg *cfg;
};

extern const char *const vp_udp_dir_names[2]; /* "up", "down" */

/* The run over its directions: counts added, the larger jitter, the
 * delay of both. */
struct vp_udp_totals {
    uint64_t sent, received, lost, duplicates, reordered;
    double jitter_ns;
    struct vp_hist delay;
};
void vp_udp_totals(const struct vp_udp_gen_result *r, struct vp_udp_totals *t);

const char *vp_udp_run_status(const struct vp_udp_gen_result *r);

/* Begin d on out and write it up to its end section (the caller closes it
 * with the run's error); csv: the intervals alone. run_id 0: not stored. */
void vp_udp_report_doc(struct vp_doc *d, FILE *out, bool csv, const struct vp_udp_run_info *in,
                       const struct vp_udp_gen_result *r, int64_t run_id);
void vp_udp_report_text(FILE *out, const struct vp_udp_run_info *in,
                        const struct vp_udp_gen_result *r);

/* Store the run; params is a JSON object of the options. */
int vp_udp_store_run(struct vp_store *st, const char *command, const char *params,
                     const struct vp_udp_run_info *in, const struct vp_udp_gen_result *r,
                     int64_t *run_id, struct vp_err *err);

#endif
