/* Renderings of one stored run: a terminal table for people, the document
 * (core/doc.h: JSON, or its rounds as CSV) for programs. Both read the same
 * struct vp_run_data. */
#ifndef VP_REPORT_RUN_VIEW_H
#define VP_REPORT_RUN_VIEW_H

#include <stdio.h>

#include "core/doc.h"
#include "store/query.h"

void vp_run_print_text(FILE *out, const struct vp_run_data *run);

/* The run as the document d (begun and closed here): start (the run, its
 * params, host and platform), rounds, end (status and each metric's summary),
 * error (the run's). csv: the rounds alone, as CSV. */
void vp_run_print_doc(struct vp_doc *d, FILE *out, bool csv, const struct vp_run_data *run,
                      const char *store_path);

#endif
