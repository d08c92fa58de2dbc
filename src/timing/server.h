/* The external time server: receives round marks (timing/probe.h) over UDP,
 * stamps each with the kernel's receive time (SO_TIMESTAMPNS, CLOCK_REALTIME
 * of this host: nothing a sender does moves it), acknowledges every valid
 * mark with that stamp, and keeps the first arrival of each (run, appliance,
 * seq); a retransmission gets the same acknowledgement again.
 *
 * Refused and counted, never acknowledged: datagrams of the wrong size,
 * malformed or of another version, a bad HMAC (forged, damaged, wrong key),
 * a replay (a seq already seen with different content, or older than the
 * last VP_TS_SEQ_WINDOW seqs of its sender), a sender clock reading further
 * than the window from the server's clock.
 *
 * It runs in the caller's thread (vp_timeserver_serve) or in its own
 * (vp_timeserver_start/stop, for commands that host it). With a store path,
 * accepted marks are written to timing_marks. */
#ifndef VP_TIMING_SERVER_H
#define VP_TIMING_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "timing/probe.h"

#define VP_TS_SEQ_WINDOW        1024
#define VP_TS_DEFAULT_WINDOW_NS (3600ull * 1000000000ull)

struct vp_timeserver_cfg {
    const char *listen; /* "ADDR:PORT"; port 0 picks a free one */
    struct vp_probe_key key;
    const char *store_path; /* NULL: marks are kept in memory only */
    uint64_t window_ns;     /* allowed |sender_ns - server_ns|; 0: the default, 1 h */
    int drop_acks;          /* test hook: do not send the first N acknowledgements */
    int drop_marks;         /* test hook: ignore the first N valid marks, as if lost */
};

struct vp_timeserver_counters {
    uint64_t received;   /* datagrams */
    uint64_t accepted;   /* first arrivals of valid marks */
    uint64_t duplicates; /* retransmissions of accepted marks, acknowledged again */
    uint64_t acks_sent, acks_dropped;
    uint64_t marks_dropped; /* by the drop_marks test hook */
    uint64_t truncated, malformed, bad_version, bad_hmac, replayed, out_of_window;
    uint64_t no_room;      /* valid marks refused: session table full */
    uint64_t no_kernel_ts; /* marks stamped in user space: no kernel timestamp came */
    uint64_t store_errors;
};

struct vp_timeserver;

int vp_timeserver_open(const struct vp_timeserver_cfg *cfg, struct vp_timeserver **out,
                       struct vp_err *err);

/* Serve until `duration_ns` has passed (0: no limit), vp_interrupted is set
 * or vp_timeserver_stop is called. */
int vp_timeserver_serve(struct vp_timeserver *ts, uint64_t duration_ns, struct vp_err *err);

/* Open and serve in a new thread; stop it (and free it) with vp_timeserver_stop. */
int vp_timeserver_start(const struct vp_timeserver_cfg *cfg, struct vp_timeserver **out,
                        struct vp_err *err);
void vp_timeserver_stop(struct vp_timeserver *ts);

/* Close a server opened with vp_timeserver_open and not started. */
void vp_timeserver_close(struct vp_timeserver *ts);

/* "ADDR:PORT" it listens on (port resolved). */
const char *vp_timeserver_address(const struct vp_timeserver *ts);

void vp_timeserver_counters(struct vp_timeserver *ts, struct vp_timeserver_counters *c);

/* The server's stamp of an accepted mark; -ENOENT when none was accepted. */
int vp_timeserver_lookup(struct vp_timeserver *ts, uint64_t token, const char *appliance,
                         uint32_t round, int kind, uint64_t *server_ns);

/* The counters as "name value" lines. */
void vp_timeserver_print_counters(FILE *out, const struct vp_timeserver_counters *c);

#endif
