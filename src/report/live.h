/* What `virtperf serve` shows of a store, as JSON: the experiments with
 * their progress (point i of N, the one running, an ETA from the pace so
 * far), the newest runs, and a running point's profiler samples as they are
 * committed. Read-only: every query is a SELECT. */
#ifndef VP_REPORT_LIVE_H
#define VP_REPORT_LIVE_H

#include "core/json.h"
#include "store/store.h"

/* The newest `limit` experiments, newest first, as the array `key` of j:
 * id, name, file, status, started_at, finished_at, points (done, failed,
 * planned — null when the stored file no longer plans here), and for a
 * running one the running point (index, parameters, profile) and eta_s. */
int vp_live_experiments(struct vp_store *st, struct vp_json *j, const char *key, int limit,
                        struct vp_err *err);

/* Profile profile_id's samples after t_s = since, the oldest max_ticks
 * sampling instants whole, as the array `key` of j: [t_s, target, metric,
 * value] each; *last gets the newest t_s written (since when none). */
int vp_live_samples(struct vp_store *st, struct vp_json *j, const char *key, int64_t profile_id,
                    double since, int max_ticks, double *last, struct vp_err *err);

#endif
