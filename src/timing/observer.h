/* The round observer that marks the start and end of every round to an
 * external time server, so that each round has two elapsed times: internal
 * (the driver's CLOCK_MONOTONIC figure) and external (the difference of the
 * server's receive stamps of the two marks). Both, their ratio and the
 * clock-distortion flag go to timing_rounds; the run's token to runs.
 *
 * Its options (--timeserver, --key-file, --appliance, --distortion-pct,
 * --distortion-ms) are a table that the round options of a command include. */
#ifndef VP_TIMING_OBSERVER_H
#define VP_TIMING_OBSERVER_H

#include <stdint.h>

#include "core/opt.h"
#include "run/rounds.h"
#include "store/store.h"
#include "timing/sender.h"

struct vp_timing_opts {
    char timeserver[VP_STR_MAX]; /* empty: no external timekeeping */
    char key_file[VP_STR_MAX];
    char appliance[VP_STR_MAX]; /* empty: the host name */
    double distortion_pct, distortion_ms;
    uint64_t mark_timeout_ns;
};
extern const struct vp_opt vp_timing_opt_table[];

/* What a round's marks carry, from the options: the time server, its key,
 * a new run token, and the appliance's name (--appliance, else fallback,
 * else the host name). cfg.server is NULL when no --timeserver was given;
 * --timeserver without --key-file, or a bad key file, is an input error.
 * cfg.appliance points into m: keep m in place. */
struct vp_timing_marks {
    struct vp_mark_client_cfg cfg;
    char appliance[VP_PROBE_APPLIANCE_MAX];
};
int vp_timing_marks_from(const struct vp_timing_opts *o, const char *fallback,
                         struct vp_timing_marks *m, struct vp_err *err);

struct vp_timing_observer;

/* *out is NULL when no --timeserver was given; --timeserver without
 * --key-file, or a bad key file, is an input error. */
int vp_timing_observer_open(const struct vp_timing_opts *o, struct vp_timing_observer **out,
                            struct vp_err *err);
void vp_timing_observer_close(struct vp_timing_observer *t);

/* The hooks to put in struct vp_rounds_cfg. */
const struct vp_round_observer *vp_timing_observer_hooks(struct vp_timing_observer *t);

/* Once the run exists: keep its token with it, and store its rounds' timing
 * there. Has the signature of struct vp_stored_run's on_begin. */
int vp_timing_observer_attach(void *t, struct vp_store *st, int64_t run_id, struct vp_err *err);

uint64_t vp_timing_observer_token(const struct vp_timing_observer *t);

#endif
