/* Renderings of one stored run: a terminal table for people, JSON and CSV
 * for programs. All three read the same struct vp_run_data. */
#ifndef VP_REPORT_RUN_VIEW_H
#define VP_REPORT_RUN_VIEW_H

#include <stdio.h>

#include "store/query.h"

void vp_run_print_text(FILE *out, const struct vp_run_data *run);

/* The run as a JSON document with fixed sections: start, rounds, end, error. */
void vp_run_print_json(FILE *out, const struct vp_run_data *run, const char *store_path);

/* One line per round: round,warmup,elapsed_s,<metric>... */
void vp_run_print_csv(FILE *out, const struct vp_run_data *run);

#endif
