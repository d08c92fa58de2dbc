/* `virtperf router` runs in the results store (tables made by the router
 * migration in store/schema.c): the run and its result, every trial of the
 * search (so the rate and its CI can be recomputed: a repeat's rate is its
 * highest passing trial), each router's share of a trial's frames, and the
 * echo round trips as histogram buckets. One transaction per run. */
#ifndef VP_ROUTER_STORE_ROUTER_H
#define VP_ROUTER_STORE_ROUTER_H

#include <stdint.h>

#include "router/forward.h"
#include "store/store.h"

/* Store r, run with argv[0..argc) and params (a JSON object): *run_id. */
int vp_router_store_run(struct vp_store *st, int argc, char **argv, const char *params,
                        const struct vp_fwd_result *r, int64_t *run_id, struct vp_err *err);

#endif
