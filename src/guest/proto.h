/* The guest agent's protocol: JSON lines (jansson) over a virtio-serial
 * port, one session per connection, host requests and guest events.
 *
 *   host → guest                              guest → host
 *   {"op":"hello","version":1,"nonce":n}      {"ev":"hello","version":1,"nonce":n,
 *                                               "agent":..,"name":..,"kernel":..,
 *                                               "mono_ns":..,"wall_ns":..}
 *   {"op":"setup","workload":W,"options":     {"ev":"setup"} or an error
 *     ["name=value",..]}
 *   {"op":"round","round":i,                  (before_round, untimed)
 *     "inject_fault":b}                       {"ev":"start","round":i,"mono_ns":t0}
 *                                             {"ev":"end","round":i,"mono_ns":t1,"elapsed_s":x}
 *                                             (verify, untimed)
 *                                             {"ev":"verified","round":i,"metrics":[..],
 *                                               "before_s":..,"verify_s":..}
 *   {"op":"teardown"}                         {"ev":"teardown"}
 *   {"op":"exec","argv":[..],                 {"ev":"started","pid":p}
 *     "env":["VIRTPERF_..=..",..]}
 *                                             {"ev":"out","fd":1|2,"data":BASE64}...
 *                                             {"ev":"exit","status":s}
 *   {"op":"signal","signal":n}                (to the process of exec)
 *   {"op":"usage","tag":T}                    {"ev":"usage","cpu_user_ns":u,
 *                                               "cpu_system_ns":s,"agents":n}
 *     (the agents started with --tag T and what runs under them: another
 *     host's appliance, guest/ssh.h)
 *
 * An error is {"ev":"error","input":b,"message":".."}: input true for what
 * the user asked (exit 2), false for a failed run. The start and end events
 * leave the guest right around the timed work, so the host stamps their
 * arrival with its own clock: the round's external elapsed time beside the
 * guest's own (seed 002: guest clocks lie). */
#ifndef VP_GUEST_PROTO_H
#define VP_GUEST_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define VP_PROTO_VERSION  1
#define VP_PROTO_LINE_MAX (256 * 1024)

/* While a round or a command runs, the guest says {"ev":"alive"} every
 * second: a host that hears nothing for vp_proto_silence_ms() (30 s;
 * $VIRTPERF_GUEST_SILENCE_MS, a test hook, sets another) takes the guest
 * for hung. */
#define VP_PROTO_ALIVE_MS 1000
int vp_proto_silence_ms(void);

/* The virtio-serial ports a guest has for sessions: vp.agent.0 .. N-1. */
#define VP_GUEST_PORTS      4
#define VP_GUEST_PORT_NAME  "vp.agent.%d"
#define VP_GUEST_READY_LINE "virtperf-guest: ready"

/* "gave no sign of life for N s: the guest hangs" */
const char *vp_proto_hang_text(char *buf, size_t len);

/* Connect to a UNIX socket (an agent port's, on the host), trying again
 * until timeout_ms has passed (QEMU may not have made it yet); the fd. */
int vp_proto_connect(const char *path, int timeout_ms, struct vp_err *err);

/* Write msg as one line to fd, then release it (json_decref). */
int vp_proto_send(int fd, json_t *msg, struct vp_err *err);

/* Buffered reader of lines; stamp_ns is CLOCK_MONOTONIC when the read()
 * that completed the last returned line came back. */
struct vp_proto_reader {
    int fd;
    char *buf;
    size_t len, cap;
    uint64_t stamp_ns;
    uint64_t buf_stamp_ns; /* when the bytes now in buf arrived */
};

void vp_proto_reader_init(struct vp_proto_reader *r, int fd);
void vp_proto_reader_free(struct vp_proto_reader *r);

/* The next message: 1 and *out (the caller releases it), 0 after timeout_ms
 * without one (-1 = wait for ever; 0 = only what is there now), -EPIPE at
 * the end of the stream, -EINTR when a signal came (the caller decides:
 * SIGUSR1 only asks a run to stop between rounds), other -errno on errors
 * (a line that is no JSON object is -EPROTO). */
int vp_proto_recv(struct vp_proto_reader *r, int timeout_ms, json_t **out, struct vp_err *err);

/* Accessors that tolerate a missing or mistyped member. */
const char *vp_proto_str(const json_t *msg, const char *key);
int64_t vp_proto_int(const json_t *msg, const char *key, int64_t def);
bool vp_proto_bool(const json_t *msg, const char *key);

/* {"ev":"error","input":..,"message":..} from err. */
json_t *vp_proto_error(const struct vp_err *err);
/* An error event received: into err (input or run), returns its code. */
int vp_proto_take_error(const json_t *msg, struct vp_err *err);

/* Base64 of bytes (for exec output), and back; NULL / -1 on failure. */
char *vp_proto_b64(const void *data, size_t len);
long vp_proto_unb64(const char *text, void *out, size_t max);

#endif
