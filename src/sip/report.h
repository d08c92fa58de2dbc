/* Views of a sip-uac run: its document (core/doc.h: start with the run,
 * target, params and host; intervals; end with the totals and self_check),
 * a terminal summary, the intervals as a CSV file; and the rows
 * kept in the results store (tables sip_runs, sip_intervals, sip_latency_hist,
 * and for capacity searches sip_capacity_steps). Latencies are in ms. */
#ifndef VP_SIP_REPORT_H
#define VP_SIP_REPORT_H

#include <stdio.h>

#include "core/doc.h"
#include "core/json.h"
#include "sip/uac.h"
#include "store/store.h"

/* Failed calls as a percentage of calls that ended; retransmissions per
 * created call in percent (INVITE and BYE retransmissions counted). */
double vp_sip_fail_pct(const struct vp_sip_counts *c);
double vp_sip_retrans_pct(const struct vp_sip_counts *c);

void vp_sip_report_counts_json(struct vp_json *j, const struct vp_sip_counts *c);
/* What a run's document shows: the run (run_id 0: not stored) and what it
 * was asked. */
struct vp_sip_report_in {
    const char *target;
    const struct vp_sip_uac_cfg *cfg;
    const struct vp_sip_uac_result *r;
    int64_t run_id;
};
/* Begin d on out and write it up to its end section (the caller closes it
 * with the run's error); csv: the intervals alone. */
void vp_sip_report_doc(struct vp_doc *d, FILE *out, bool csv, const struct vp_sip_report_in *in);
void vp_sip_report_text(FILE *out, const struct vp_sip_uac_result *r);
/* The intervals as a CSV file (the document's rows). */
int vp_sip_report_interval_csv(const char *path, const struct vp_sip_report_in *in,
                               struct vp_err *err);

/* One run's row; kind "uac" or "capacity". For a capacity search r is the
 * last step's result and cap (mean, ci_lo, ci_hi, n) the search's outcome. */
struct vp_sip_store_run {
    const char *kind, *command, *params, *target, *status;
    const struct vp_sip_uac_result *r; /* may be NULL */
    double cap_mean, cap_lo, cap_hi;
    int cap_n;
};

int vp_sip_store_run(struct vp_store *st, const struct vp_sip_store_run *run,
                     const struct vp_sip_uac_cfg *cfg, int64_t *run_id, struct vp_err *err);

/* One step of a capacity search: its calls ran from mono_start_s to
 * mono_end_s (CLOCK_MONOTONIC, as the profiles' mono_start_s). */
struct vp_sip_step_row {
    int repeat, step;
    double rate;
    const struct vp_sip_uac_result *r;
    const char *verdict;
    double mono_start_s, mono_end_s;
};
int vp_sip_store_step(struct vp_store *st, int64_t run_id, const struct vp_sip_step_row *row,
                      struct vp_err *err);

#endif
