/* A report as one self-contained HTML file: ECharts (the pinned copy
 * scripts/install-deps fetched, its path configured by meson), the
 * figures' JSON and the script that draws them (report.js), all inlined:
 * the file opens offline. VIRTPERF_ECHARTS, when set, names another copy
 * of echarts.min.js. */
#ifndef VP_REPORT_HTML_H
#define VP_REPORT_HTML_H

#include <stdio.h>

#include "core/error.h"

/* Write the page with data (the figures' JSON document) to out. A missing
 * ECharts or report.js is a run error naming the file and the fix. */
int vp_report_html(FILE *out, const char *title, const char *data, struct vp_err *err);

/* ECharts' text (malloc'd), for pages that load it rather than inline it
 * (the dashboard); a missing copy is a run error naming the fix. */
int vp_report_echarts(char **text, struct vp_err *err);

#endif
