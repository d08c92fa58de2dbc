/* The demo's second part: the CPU, memory and disk workloads natively and in
 * containers, then seed 002's queueing table for i = 1..4 instances, each
 * an experiment run through the experiment runner and kept in the store. */
#ifndef VP_CMD_DEMO_PLATFORMS_H
#define VP_CMD_DEMO_PLATFORMS_H

#include <stdbool.h>

#include "core/json.h"
#include "store/store.h"

/* Parse, plan and run one experiment given as YAML text: its id, minus its
 * id when it was stored but failed, 0 when it never started. */
int64_t vp_demo_run_yaml(struct vp_store *st, const char *name, const char *yaml, bool progress);

/* The demo's third part: seed 000 and 001 in small — a SIP appliance's
 * highest clean calls/s and a media appliance's loss and delay, alone and
 * next to a CPU-bound appliance. */
int vp_demo_voip(struct vp_store *st, bool progress, struct vp_json *j);

/* j: write into the demo's JSON document (an "experiments" member) instead
 * of printing tables. Returns how many experiments failed. */
int vp_demo_platforms(struct vp_store *st, int rounds, bool progress, struct vp_json *j);

#endif
