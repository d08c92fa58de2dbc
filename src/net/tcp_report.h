/* A TCP load's result (net/tcp_gen.h) for people and programs: the lines
 * tcp-gen prints as intervals complete and at its end, its document
 * (core/doc.h: start, intervals, end, error), and its rows in the results store
 * (tables tcp_runs, tcp_streams, tcp_intervals of store/schema.c). */
#ifndef VP_NET_TCP_REPORT_H
#define VP_NET_TCP_REPORT_H

#include <stdio.h>

#include "core/doc.h"
#include "core/json.h"
#include "net/tcp_gen.h"
#include "store/store.h"

/* "complete" or "interrupted". */
const char *vp_tcp_status(const struct vp_tcp_result *r);

void vp_tcp_report_head(FILE *out, const struct vp_tcp_gen_cfg *cfg, const char *target);
/* Interval k's line per direction. */
void vp_tcp_report_interval(FILE *out, const struct vp_tcp_result *r, int k);
/* The whole run: each direction and its streams, both ends' CPU. */
void vp_tcp_report_end(FILE *out, const struct vp_tcp_result *r);
/* Begin d on out and write it up to its end section (the caller closes it
 * with the run's error); csv: the intervals alone. run_id 0: not stored. */
void vp_tcp_report_doc(struct vp_doc *d, FILE *out, bool csv, const struct vp_tcp_result *r,
                       const char *target, int64_t run_id);

/* One transaction: the run, its streams per direction, each interval of
 * each stream and direction. */
int vp_tcp_store_run(struct vp_store *st, const char *command, const char *params,
                     const struct vp_tcp_result *r, int64_t *run_id, struct vp_err *err);

#endif
