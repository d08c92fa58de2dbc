/* Views of an rtp-client run: its document (core/doc.h: start, intervals,
 * end with the streams, error), a terminal summary, the intervals as a CSV
 * file, and the
 * rows kept in the results store (tables rtp_runs, rtp_streams,
 * rtp_intervals, rtp_delay_hist: histogram buckets, so percentiles and
 * boxplots can be recomputed). */
#ifndef VP_RTP_REPORT_H
#define VP_RTP_REPORT_H

#include <stdio.h>

#include "core/doc.h"
#include "core/json.h"
#include "rtp/client.h"
#include "store/store.h"

/* Loss of stream i: sent − distinct received. */
int64_t vp_rtp_stream_lost(const struct vp_rtp_stream *st);
/* RFC 3550 §6.4.1 cumulative loss: expected − received over the sequence range seen. */
int64_t vp_rtp_stream_lost_rfc(const struct vp_rtp_stream *st);

/* The status word of a run: complete, interrupted or server_silent. */
const char *vp_rtp_run_status(const struct vp_rtp_client_result *r);

/* A boxplot's figures (values divided by unit) as members of the JSON
 * object being written: min, q1, median, q3, max, whiskers, outliers. */
void vp_boxplot_json_fields(struct vp_json *j, const struct vp_boxplot *b, double unit);

/* What a run's document shows: the run (run_id 0: not stored), its server. */
struct vp_rtp_report_in {
    const char *server;
    const struct vp_rtp_client_cfg *cfg;
    const struct vp_rtp_client_result *r;
    int64_t run_id;
};
/* Begin d on out and write it up to its end section (the caller closes it
 * with the run's error); csv: the intervals alone. */
void vp_rtp_report_doc(struct vp_doc *d, FILE *out, bool csv, const struct vp_rtp_report_in *in);
void vp_rtp_report_text(FILE *out, const struct vp_rtp_client_cfg *cfg,
                        const struct vp_rtp_client_result *r);
/* The intervals as a CSV file (the document's rows). */
int vp_rtp_report_interval_csv(const char *path, const struct vp_rtp_report_in *in,
                               struct vp_err *err);

/* Store the run; params is a JSON object of the options. */
int vp_rtp_store_run(struct vp_store *st, const char *command, const char *params,
                     const struct vp_rtp_client_cfg *cfg, const struct vp_rtp_client_result *r,
                     int64_t *run_id, struct vp_err *err);

#endif
