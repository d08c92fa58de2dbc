/* Workloads: a fixed, self-checked amount of work per round.
 *
 * Each workload is one file exporting one const struct vp_workload; the list
 * of all of them is in registry.c. A workload knows nothing of platforms,
 * timing or storage: the round driver (run/rounds.c) calls setup once, then
 * for every round before_round (untimed), round (timed), verify (untimed),
 * and teardown at the end, on every exit path. */
#ifndef VP_WORKLOAD_WORKLOAD_H
#define VP_WORKLOAD_WORKLOAD_H

#include <stdbool.h>

#include "core/error.h"
#include "core/opt.h"

#define VP_MAX_METRICS 8

/* How the rounds' values of a metric combine: times average arithmetically,
 * rates (work / time) harmonically. */
enum vp_avg { VP_AVG_ARITHMETIC, VP_AVG_HARMONIC };

struct vp_metric_def {
    const char *name; /* "compress_rate" */
    const char *unit; /* "MB/s" */
    enum vp_avg avg;
    bool higher_is_better;
};

/* What one round hands back to the driver. */
struct vp_round_ctx {
    int round;                      /* 0-based over warm-up and measured rounds */
    bool inject_fault;              /* test hook: damage the result so verify must catch it */
    double metrics[VP_MAX_METRICS]; /* filled by round(), indexed as the metric table */
    /* NAN, or set by a round that ran elsewhere and timed itself there (in
     * a guest): that figure is the round's elapsed, not the driver's */
    double elapsed_s;
};

struct vp_workload {
    const char *name;    /* "cpu-pi" */
    const char *summary; /* one line for `workload list` */
    const char *origin;  /* which benchmark of which seed it reproduces */

    const struct vp_opt *opts; /* parameters, NULL-name terminated */
    size_t params_size;        /* size of the struct opts fill */
    const char *small_preset;  /* "digits=64k" — fast enough for tests */

    const struct vp_metric_def *metrics; /* extra per-round metrics; elapsed is implied */
    int nmetrics;

    /* NULL when the workload can run here, else why not (a missing library,
     * kernel feature). Optional. */
    const char *(*unsupported)(void);

    /* Check the parameters against this machine (impossible sizes are input
     * errors, refused before any work), allocate, prepare. On failure it
     * releases what it made and leaves *state NULL. */
    int (*setup)(const void *params, void **state, struct vp_err *err);
    /* Optional untimed preparation before each round (dirty buffers, rest). */
    int (*before_round)(void *state, struct vp_round_ctx *ctx, struct vp_err *err);
    /* The timed work of one round. */
    int (*round)(void *state, struct vp_round_ctx *ctx, struct vp_err *err);
    /* Untimed check of the round's result; a mismatch is a run error. */
    int (*verify)(void *state, struct vp_round_ctx *ctx, struct vp_err *err);
    /* Release everything setup made, files included. state may be NULL. */
    void (*teardown)(void *state);
};

/* The registry: every workload, in listing order, NULL-terminated. */
extern const struct vp_workload *const vp_workloads[];

const struct vp_workload *vp_workload_find(const char *name);

#endif
