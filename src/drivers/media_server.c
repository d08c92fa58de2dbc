/* The media server as experiment files and `virtperf media-server` see it. */
#include "drivers/media_server.h"

#include "rtp/g711.h"

const char *const vp_media_work_names[] = {"none", "transcode", NULL};
const char *const vp_gso_names[] = {"off", "on", NULL};

const struct vp_opt vp_media_server_opt_table[] = {
    {"listen", VP_OPT_STRING, offsetof(struct vp_media_server_opts, listen), NULL, 0, 0, NULL,
     "HOST:PORT to receive RTP on (numeric; port 0 picks one; required)", false},
    {"threads", VP_OPT_INT, offsetof(struct vp_media_server_opts, threads), "2", 1, 256, NULL,
     "worker threads, each with its own SO_REUSEPORT socket", false},
    {"work", VP_OPT_ENUM, offsetof(struct vp_media_server_opts, work), "transcode", 0, 0,
     vp_media_work_names, "per-packet work: none, or μ-law → PCM, FIR filter, → μ-law", false},
    {"fir-taps", VP_OPT_INT, offsetof(struct vp_media_server_opts, fir_taps), "32", 1,
     VP_FIR_MAX_TAPS, NULL, "FIR filter length for --work transcode", false},
    {"gso", VP_OPT_ENUM, offsetof(struct vp_media_server_opts, gso), "on", 0, 0, vp_gso_names,
     "relay a batch's packets to one source as one UDP GSO message (off: one skb each, for a "
     "capture on lo or veth)",
     false},
    {"peer", VP_OPT_STRING, offsetof(struct vp_media_server_opts, peer), NULL, 0, 0, NULL,
     "relay every packet to this HOST:PORT instead of back to its source", false},
    {"duration", VP_OPT_DURATION, offsetof(struct vp_media_server_opts, duration), "0s", 0, 0, NULL,
     "stop after this long (0: run until SIGINT/SIGTERM)", false},
    {"json", VP_OPT_BOOL, offsetof(struct vp_media_server_opts, json), NULL, 0, 0, NULL,
     "print JSON at the end (sections start, intervals, end, error; the counters are end)", false},
    VP_OPT_END,
};

/* Options whose values the runner chooses: addresses, output, the end. */
static const char *const reserved[] = {"listen", "json", "duration", "peer", NULL};

const struct vp_server vp_server_media = {
    .name = "media-server",
    .command = "media-server",
    .options = {vp_media_server_opt_table, sizeof(struct vp_media_server_opts)},
    .reserved = reserved,
};
