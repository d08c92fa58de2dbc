/* The udp driver (virtperf udp-gen): its options, shared by the command and
 * experiment files, and the figures of a stored run. */
#ifndef VP_DRIVERS_UDP_H
#define VP_DRIVERS_UDP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/opt.h"
#include "rtp/hist.h"

/* --direction: which way datagrams go; both: at once, the same size and rate. */
enum vp_udp_direction { VP_UDP_DIR_UP, VP_UDP_DIR_DOWN, VP_UDP_DIR_BOTH };
extern const char *const vp_udp_direction_names[];

struct vp_udp_gen_opts {
    char target[VP_STR_MAX];
    uint64_t size, duration, interval;
    double rate;
    int64_t batch, token;
    int direction; /* enum vp_udp_direction */
};
extern const struct vp_opt vp_udp_gen_opt_table[];

/* One direction of a stored run. */
struct vp_load_udp_dir {
    bool on;
    int64_t sent, received, lost;
    double loss_pct; /* NaN when nothing was sent */
    bool sender_limited;
};

/* A run's figures: udp_runs' over its directions, the delay of both from
 * its buckets, each direction's counts. */
struct vp_load_udp {
    char direction[8];
    int size;
    double rate;
    int64_t sent, received, lost, duplicates, reordered;
    double loss_pct, jitter_ms;
    double cpu_pct, lateness_p99_us; /* udp-gen's; lateness NaN when it did not send */
    bool clocks_shared;
    uint64_t delay_samples;
    struct vp_boxplot delay_ms;        /* all values in ms; zero without samples */
    double delay_p50_ms, delay_p99_ms; /* NaN without samples */
    struct vp_load_udp_dir dir[2];     /* up, down */
};

#endif
