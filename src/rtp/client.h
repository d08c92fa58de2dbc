/* The RTP stream generator: N streams, one packet per stream every ptime,
 * sent to a media server that relays them back; sender and receiver are this
 * one process, so round-trip delays come from one clock.
 *
 * One thread, no thread per stream, on the UDP engine (net/): the schedule
 * is the engine's phase wheel (net/pace.h: stream i sends at start +
 * i·ptime/N + k·ptime, the phase rounded down to a multiple of the tick, so
 * one wakeup serves every stream of a tick: on a virtual machine a wakeup
 * costs tens of microseconds of CPU). The loop sleeps until the next slot
 * is due (absolute deadline), queues what is due on each socket's transmit
 * queue and sends it with sendmmsg (UDP GSO: a tick's packets on one socket
 * go down the stack as one message, the same datagrams on the wire), then
 * reads whatever replies wait through the engine's receiver (recvmmsg, UDP
 * GRO: the relay's runs arrive as one message). Replies never wake it: their
 * arrival time is the kernel's receive stamp (SO_TIMESTAMPNS, brought to
 * CLOCK_MONOTONIC), so reading them a slot later changes no delay, and one
 * wakeup serves a burst. The run checks itself: how late each packet left
 * against its plan, and its own CPU. */
#ifndef VP_RTP_CLIENT_H
#define VP_RTP_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"
#include "rtp/hist.h"
#include "rtp/stats.h"

struct vp_rtp_client_cfg {
    struct sockaddr_storage server;
    socklen_t server_len;
    int streams;
    int sockets;          /* streams are spread over this many UDP sockets (source ports) */
    uint64_t duration_ns; /* sending time */
    uint64_t drain_ns;    /* listening after the last send */
    uint64_t ptime_ns;    /* packet interval per stream */
    uint64_t tick_ns;     /* stream phases are multiples of this (0: i·ptime/N exactly) */
    uint64_t interval_ns; /* reporting interval */
    unsigned payload;     /* RTP payload bytes (probe included) */
    unsigned clock_rate;  /* RTP timestamp rate, 8000 for G.711 */
    uint32_t token;       /* run token carried in every probe */
    bool gso;             /* UDP GSO sends and GRO receives (the kernel's batching) */
};

struct vp_rtp_stream {
    uint32_t ssrc;
    uint16_t seq0;
    uint32_t ts0;
    uint32_t next; /* probe sequence number of the next packet */
    uint64_t sent;
    struct vp_rtp_stream_stats rx;
};

/* Figures about the packets sent during one reporting interval. */
struct vp_rtp_interval {
    uint64_t sent, received, duplicates;
    struct vp_hist delay;
};

/* What arrived that was not a packet of this run's streams. */
struct vp_rtp_rejects {
    uint64_t not_rtp, truncated, foreign_token, foreign_ssrc, out_of_range_seq;
};

struct vp_rtp_client_result {
    struct vp_rtp_stream *streams;
    struct vp_rtp_interval *intervals;
    int nintervals;
    struct vp_hist delay;    /* round-trip delay of every distinct packet received */
    struct vp_hist lateness; /* send time − planned send time */
    struct vp_rtp_rejects rejects;
    uint64_t sent, received, duplicates, reordered, send_errors;
    uint64_t rcvbuf_drops; /* this client's own socket drops (sk_drops; with GRO, runs) */
    uint64_t wall_ns, cpu_ns;
    uint64_t send_ns;             /* sending time: the duration, or less when stopped */
    bool stopped;                 /* SIGUSR1 ended the sending early (a normal end) */
    uint64_t last_arrival_rel_ns; /* last arrival after the start, 0 if none */
    bool interrupted;
    bool generator_late;
    int silent_from;      /* first interval from which nothing came back, or -1 */
    uint16_t local_port0; /* first receive socket's port */
};

/* Run the streams to the end of duration + drain (or an interrupt; SIGUSR1
 * ends the sending early, as if the duration ended then). The
 * result is allocated here; free it with vp_rtp_client_result_free. */
int vp_rtp_client_run(const struct vp_rtp_client_cfg *cfg, struct vp_rtp_client_result *res,
                      struct vp_err *err);
void vp_rtp_client_result_free(struct vp_rtp_client_result *res);

/* generator_late thresholds */
#define VP_RTP_LATE_P99_NS   1000000
#define VP_RTP_LATE_CPU_FRAC 0.9

#endif
