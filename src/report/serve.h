/* `virtperf serve`: a local web dashboard over a results store, read-only.
 *
 *   /                  the dashboard page
 *   /api/experiments   the newest experiments with their progress (live.h)
 *   /api/runs          the newest runs
 *   /events            Server-Sent Events: every second, the experiments and
 *                      the running point's new profiler samples
 *   /report?ids=12,run:3   those experiments and runs as the report page
 *   /assets/echarts.min.js ECharts, for the dashboard's charts
 *
 * Only GET and HEAD are answered: nothing here can start, change or delete
 * work. On a loopback address anyone on the machine may read; on any other
 * address every request must carry the token printed at start (?token=T or
 * "Authorization: Bearer T"), or gets 401. */
#ifndef VP_REPORT_SERVE_H
#define VP_REPORT_SERVE_H

#include "core/error.h"

struct vp_serve;

struct vp_serve_cfg {
    const char *listen; /* HOST:PORT, numeric; port 0: any free one */
    const char *store;  /* an existing store file */
};

/* Start serving on its own threads. */
int vp_serve_start(const struct vp_serve_cfg *cfg, struct vp_serve **out, struct vp_err *err);
/* "http://HOST:PORT/" as bound (the port chosen when 0 was asked). */
const char *vp_serve_url(const struct vp_serve *s);
/* The token requests need, or "" on loopback. */
const char *vp_serve_token(const struct vp_serve *s);
/* Close every connection (event streams end within a second) and stop. */
void vp_serve_stop(struct vp_serve *s);

#endif
