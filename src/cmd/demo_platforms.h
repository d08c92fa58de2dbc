/* The demo's second part: the CPU, memory and disk workloads natively and in
 * containers, then seed 002's queueing table for i = 1..4 instances, each
 * an experiment run through the experiment runner and kept in the store. */
#ifndef VP_CMD_DEMO_PLATFORMS_H
#define VP_CMD_DEMO_PLATFORMS_H

#include <stdbool.h>

#include "core/json.h"
#include "store/store.h"

/* j: write into the demo's JSON document (an "experiments" member) instead
 * of printing tables. Returns how many experiments failed. */
int vp_demo_platforms(struct vp_store *st, int rounds, bool progress, struct vp_json *j);

#endif
