/* The TCP sink as experiment files and `virtperf tcp-sink` see it. */
#include "drivers/tcp_sink.h"

const struct vp_opt vp_tcp_sink_opt_table[] = {
    {"listen", VP_OPT_STRING, offsetof(struct vp_tcp_sink_opts, listen), NULL, 0, 0, NULL,
     "HOST:PORT to accept tcp-gen runs on (numeric; port 0 picks one; required)", false},
    {"duration", VP_OPT_DURATION, offsetof(struct vp_tcp_sink_opts, duration), "0", 0, 86400e9,
     NULL, "stop after this long (0: at SIGINT/SIGTERM)", false},
    {"json", VP_OPT_BOOL, offsetof(struct vp_tcp_sink_opts, json), NULL, 0, 0, NULL,
     "print JSON at the end (sections start, intervals, end, error; end lists the runs served)",
     false},
    VP_OPT_END,
};

/* Options whose values the runner chooses: the address, output, the end. */
static const char *const reserved[] = {"listen", "json", "duration", NULL};

const struct vp_server vp_server_tcp_sink = {
    .name = "tcp-sink",
    .command = "tcp-sink",
    .options = {vp_tcp_sink_opt_table, sizeof(struct vp_tcp_sink_opts)},
    .reserved = reserved,
};
