/* The closed-loop search for the highest load a system under test
 * carries (sip-capacity's calls/s, a router's forwarding rate, as RFC 2544
 * finds throughput): trials at a rate doubling from `start` until one fails
 * (or `max` passes), then bisection between the last pass and the first
 * fail until they are within `precision` of the pass. Repeated, each
 * repeat's best rate kept, their mean with a 95% CI.
 *
 * A trial the load generator could not run as planned is "rejected": it is
 * run once more (a moment of contention on the host should not end the
 * search), and if rejected again it bounds the search from above like a
 * fail but is not the system's: the result says generator_limited. */
#ifndef VP_ANALYSIS_SEARCH_H
#define VP_ANALYSIS_SEARCH_H

#include <stdbool.h>
#include <stdio.h>

#include "analysis/stats.h"
#include "core/error.h"

#define VP_SEARCH_MAX_REPEATS 100

enum vp_verdict { VP_TRIAL_FAIL, VP_TRIAL_PASS, VP_TRIAL_REJECTED };

/* Run one trial of repeat (from 0) at rate: its verdict, 0 or an error
 * (which ends the search). */
typedef int (*vp_trial_fn)(void *ctx, int repeat, double rate, enum vp_verdict *verdict,
                           struct vp_err *err);

struct vp_search_cfg {
    double start, max;
    double precision; /* relative to the pass */
    double floor;     /* precision is of at least this rate: a search whose
                         every trial fails ends near 0 */
    int repeats;      /* 1..VP_SEARCH_MAX_REPEATS */
};

struct vp_search_result {
    int n;                              /* repeats done */
    double best[VP_SEARCH_MAX_REPEATS]; /* per repeat: the highest passing rate, 0 if none */
    struct vp_summary rate;             /* of best[0..n) */
    int trials;
    bool generator_limited; /* some trial was rejected twice */
};

int vp_search_run(const struct vp_search_cfg *cfg, vp_trial_fn trial, void *ctx,
                  struct vp_search_result *res, struct vp_err *err);

/* "max M UNIT (95% CI LO .. HI, n searches)", or, with an interval that
 * would reach below zero, each search's best[0..n) and "n too small": the
 * one way a search's result is printed (sip-capacity, router, experiments). */
void vp_search_print(FILE *out, const struct vp_summary *m, const double *best, int n,
                     const char *unit);

#endif
