/* The router driver (virtperf router): its options, shared by the command
 * and experiment files, and the figures of a stored run. It drives no
 * appliance: the command builds seed 004's test bed of its own (tester,
 * routers, sink) for each point, so a load of it names no target. */
#ifndef VP_DRIVERS_ROUTER_H
#define VP_DRIVERS_ROUTER_H

#include <stdint.h>

#include "analysis/search.h"
#include "core/opt.h"

struct vp_router_opts {
    int path, platform;
    int64_t routers;
    uint64_t routes, frame, trial, memory;
    int64_t repeats, echoes, gen_cpu;
    double loss_pct, start, max, precision;
};
extern const struct vp_opt vp_router_opt_table[];

/* A run's figures: the search recomputed from its trials. */
struct vp_load_router {
    char path[16];
    int routers;
    int64_t routes;
    struct vp_summary rate; /* frames/s over the searches' best; n = 0 when none */
    int nrepeats;
    double best[VP_SEARCH_MAX_REPEATS];
    double install_s_max; /* the slowest router's route installation */
};

#endif
