/* The UDP sink as experiment files and `virtperf udp-sink` see it. */
#include "drivers/udp_sink.h"

const struct vp_opt vp_udp_sink_opt_table[] = {
    {"listen", VP_OPT_STRING, offsetof(struct vp_udp_sink_opts, listen), NULL, 0, 0, NULL,
     "HOST:PORT to receive on (numeric; port 0: any free one; required)", false},
    {"sockets", VP_OPT_INT, offsetof(struct vp_udp_sink_opts, sockets), "2", 1, 64, NULL,
     "SO_REUSEPORT sockets (the kernel spreads flows over them)", false},
    {"echo", VP_OPT_BOOL, offsetof(struct vp_udp_sink_opts, echo), NULL, 0, 0, NULL,
     "send every datagram back to its sender as it came", false},
    {"duration", VP_OPT_DURATION, offsetof(struct vp_udp_sink_opts, duration), "0", 0, 86400e9,
     NULL, "stop after this long (0: at SIGINT/SIGTERM)", false},
    {"json", VP_OPT_BOOL, offsetof(struct vp_udp_sink_opts, json), NULL, 0, 0, NULL,
     "print JSON at the end (sections start, intervals, end, error; the counters are end)", false},
    VP_OPT_END,
};

/* Options whose values the runner chooses: addresses, output, the end. */
static const char *const reserved[] = {"listen", "json", "duration", NULL};

const struct vp_server vp_server_udp_sink = {
    .name = "udp-sink",
    .command = "udp-sink",
    .options = {vp_udp_sink_opt_table, sizeof(struct vp_udp_sink_opts)},
    .reserved = reserved,
};
