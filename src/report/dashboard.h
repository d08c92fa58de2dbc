/* The dashboard page `virtperf serve` answers / with: it reads /api/runs
 * and follows /events (serve.h), passing on the page's ?token=. */
#ifndef VP_REPORT_DASHBOARD_H
#define VP_REPORT_DASHBOARD_H

extern const char vp_dashboard_html[];

#endif
