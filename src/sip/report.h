/* Views of a sip-uac run: the JSON document (sections params, intervals,
 * total, self_check), a terminal summary, the per-interval CSV; and the rows
 * kept in the results store (tables sip_runs, sip_intervals, sip_latency_hist,
 * and for capacity searches sip_capacity_steps). Latencies are in ms. */
#ifndef VP_SIP_REPORT_H
#define VP_SIP_REPORT_H

#include <stdio.h>

#include "core/json.h"
#include "sip/uac.h"
#include "store/store.h"

/* Failed calls as a percentage of calls that ended; retransmissions per
 * created call in percent (INVITE and BYE retransmissions counted). */
double vp_sip_fail_pct(const struct vp_sip_counts *c);
double vp_sip_retrans_pct(const struct vp_sip_counts *c);

void vp_sip_report_counts_json(struct vp_json *j, const struct vp_sip_counts *c);
void vp_sip_report_json(struct vp_json *j, const struct vp_sip_uac_cfg *cfg,
                        const struct vp_sip_uac_result *r, int64_t run_id);
void vp_sip_report_text(FILE *out, const struct vp_sip_uac_result *r);
int vp_sip_report_interval_csv(const char *path, const struct vp_sip_uac_cfg *cfg,
                               const struct vp_sip_uac_result *r, struct vp_err *err);

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

/* One step of a capacity search. */
int vp_sip_store_step(struct vp_store *st, int64_t run_id, int repeat, int step, double rate,
                      const struct vp_sip_uac_result *r, const char *verdict, struct vp_err *err);

#endif
