/* A workload's rounds run and committed to the store as they finish: the
 * path shared by `workload run`, `demo` and the experiment runner. */
#ifndef VP_RUN_STORED_RUN_H
#define VP_RUN_STORED_RUN_H

#include <stdint.h>

#include "run/rounds.h"
#include "store/store.h"

struct vp_stored_run {
    const struct vp_workload *workload;
    const void *params;
    /* What setup() gets instead of params, when set: a workload that runs
     * elsewhere (guest/remote.h) takes its connection; params still say
     * what the run was. */
    const void *setup_arg;
    const char *command;  /* how it was asked for, for people */
    const char *platform; /* JSON: the VM the rounds run in (accel...); NULL = here */
    struct vp_rounds_cfg rounds;
    int barrier_fd; /* > 2: wait there once set up (run/barrier.h); 0 = none */
    /* Optional: called once the run exists in the store, before its rounds
     * (external timekeeping keeps the run's token and its rounds' timing). */
    int (*on_begin)(void *arg, struct vp_store *st, int64_t run_id, struct vp_err *err);
    void *on_begin_arg;
};

/* Run and store. *run_id is set once the run exists in the store (0 before);
 * a run that fails after that is stored as failed or interrupted, with the
 * error, and keeps the rounds it finished. */
int vp_stored_run(struct vp_store *st, const struct vp_stored_run *req, int64_t *run_id,
                  struct vp_err *err);

#endif
