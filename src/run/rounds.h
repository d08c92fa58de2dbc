/* The round driver: warm-up rounds, then measured rounds of one workload.
 *
 * Each round's elapsed time is taken on CLOCK_MONOTONIC around the workload's
 * round() alone; before_round() and verify() are outside it. Observers see
 * the start and end of every round (external time marks hook in here), and a
 * sink receives each verified round (the store commits it). Setup and
 * teardown belong to the caller, so that a refused setup stores nothing.
 *
 * SIGUSR1 (vp_stop_requested, core/signals.h) ends the rounds normally at
 * the next round boundary: the round in progress is finished, verified and
 * sunk, no further one starts, and the run counts as complete with the
 * rounds done so far (possibly no measured ones, or none at all). */
#ifndef VP_RUN_ROUNDS_H
#define VP_RUN_ROUNDS_H

#include <stdbool.h>

#include "core/error.h"
#include "workload/workload.h"

struct vp_round_observer {
    void *arg;
    /* Just before / just after the timed part of a round. Optional. */
    int (*start)(void *arg, int round, bool warmup, struct vp_err *err);
    int (*end)(void *arg, int round, bool warmup, double elapsed_s, struct vp_err *err);
};

struct vp_round_sink {
    void *arg;
    int (*round_done)(void *arg, int round, bool warmup, double elapsed_s, const double *metrics,
                      struct vp_err *err);
};

struct vp_rounds_cfg {
    int rounds, warmup;
    bool inject_fault; /* test hook: the first measured round's result is damaged */
    bool progress;     /* a live line on stderr */
    /* keep running measured rounds until SIGUSR1, at most `rounds` of them
     * (the stop itself works either way; this tells the progress line) */
    bool until_stopped;
    const struct vp_round_observer *observer;
};

/* Run the rounds on a workload state made by w->setup (the caller tears it
 * down). A round that fails verification, a workload error or an interrupt
 * ends the run with that error; a stop request ends it with 0. */
int vp_rounds_run(const struct vp_workload *w, void *state, const struct vp_rounds_cfg *cfg,
                  const struct vp_round_sink *sink, struct vp_err *err);

#endif
