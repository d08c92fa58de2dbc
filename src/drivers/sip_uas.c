/* The signaling server as experiment files and `virtperf sip-uas` see it. */
#include "drivers/sip_uas.h"

static const char *const sync_names[] = {"none", "fsync", NULL};

const struct vp_opt vp_sip_uas_opt_table[] = {
    {"listen", VP_OPT_STRING, offsetof(struct vp_sip_uas_opts, listen), "127.0.0.1:5060", 0, 0,
     NULL, "UDP HOST:PORT to serve (port 0: any free port)", false},
    {"threads", VP_OPT_INT, offsetof(struct vp_sip_uas_opts, threads), "1", 1, 64, NULL,
     "worker threads, each with its own SO_REUSEPORT socket", false},
    {"work-us", VP_OPT_INT, offsetof(struct vp_sip_uas_opts, work), "0", 0, 10000000, NULL,
     "CPU time spent per call before the 200 OK (microseconds)", false},
    {"disk-log", VP_OPT_OUTPUT, offsetof(struct vp_sip_uas_opts, disk_log), NULL, 0, 0, NULL,
     "append one call record per call to this file", false},
    {"sync", VP_OPT_ENUM, offsetof(struct vp_sip_uas_opts, sync), "none", 0, 0, sync_names,
     "after each call record: none or fsync", false},
    {"ringing", VP_OPT_BOOL, offsetof(struct vp_sip_uas_opts, ringing), NULL, 0, 0, NULL,
     "send 180 Ringing before the work", false},
    {"queue-limit", VP_OPT_INT, offsetof(struct vp_sip_uas_opts, queue_limit), "1000", 0, 10000000,
     NULL, "INVITEs waiting for work per worker beyond which new ones get 503 (0: none)", false},
    {"t1", VP_OPT_DURATION, offsetof(struct vp_sip_uas_opts, t1), "500ms", 1e6, 10e9, NULL,
     "RFC 3261 T1 (200 retransmissions until ACK)", false},
    {"max-calls", VP_OPT_INT, offsetof(struct vp_sip_uas_opts, max_calls), "1000000", 1, 100000000,
     NULL,
     "call table entries per worker beyond which new INVITEs get 503 without state (an entry "
     "lives until 64*T1 after its call ends or its 200 goes unacknowledged)",
     false},
    {"max-retransmits", VP_OPT_INT, offsetof(struct vp_sip_uas_opts, max_retransmits), "2000", 0,
     100000000, NULL,
     "200 retransmissions per second per worker beyond which they are skipped and counted (0: "
     "no ceiling)",
     false},
    VP_OPT_END,
};

/* Options whose values the runner chooses: addresses, output, files. */
static const char *const reserved[] = {"listen", NULL};

const struct vp_server vp_server_sip_uas = {
    .name = "sip-server",
    .command = "sip-uas",
    .options = {vp_sip_uas_opt_table, sizeof(struct vp_sip_uas_opts)},
    .reserved = reserved,
};
