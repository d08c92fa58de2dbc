/* A workload that runs in a VM appliance, driven from the host through the
 * guest agent (guest/proto.h): `virtperf workload run ... --guest-agent
 * SOCKET`, which the vm platform starts on the host for each workload.
 *
 * The host keeps the round driver, the start barrier and the store; the
 * guest does setup, each round (timed on its own clock) and verify. The
 * guest's marks around the timed work are stamped on arrival by the host's
 * clock, outside the system under test: every round of a VM run is stored
 * with both figures (timing_rounds), its ratio and the distortion flag.
 * With a time server, the guest marks its rounds there too, and the
 * server's stamps are the external figure. */
#ifndef VP_GUEST_REMOTE_H
#define VP_GUEST_REMOTE_H

#include <stdint.h>

#include "core/error.h"
#include "store/store.h"
#include "timing/observer.h"
#include "workload/workload.h"

struct vp_remote;
struct vp_proto_reader;

/* Connect to the agent (its UNIX socket, or another host's over ssh:
 * guest/ssh.h) and greet it (waiting up to timeout_ms for a guest to
 * answer); an agent of another protocol version is an input error. */
int vp_remote_open(const char *socket_path, int timeout_ms, struct vp_remote **out,
                   struct vp_err *err);
void vp_remote_close(struct vp_remote *r);

/* The session's descriptor and its reader, for a caller that speaks the
 * protocol itself after the greeting (guest-exec). */
int vp_remote_fd(const struct vp_remote *r);
struct vp_proto_reader *vp_remote_reader(struct vp_remote *r);

/* The guest's name for itself (its hostname: the appliance's name), from
 * its greeting. */
const char *vp_remote_guest_name(const struct vp_remote *r);

/* What the run is stored with as its platform (JSON text): what the vm
 * platform wrote of the VM in platform.json beside the agent's socket
 * (accelerator, vCPUs, memory...) and the guest's kernel and agent. */
const char *vp_remote_platform(const struct vp_remote *r);

/* Fill *proxy with w's descriptor whose setup, before_round, round, verify
 * and teardown run in the guest, with params (w's own, parsed on the host)
 * sent as options. Run it with params = r. Distortion thresholds as the
 * time server's (percent and milliseconds). */
void vp_remote_workload(struct vp_remote *r, const struct vp_workload *w, const void *params,
                        double distortion_pct, double distortion_ms, struct vp_workload *proxy);

/* Rounds marked by the guest itself to the time server m names (m as
 * vp_timing_marks_from made it; none named: nothing changes), over the
 * guest's own network: the server's stamps become each round's external
 * figure, and the run keeps m's token. Call before the run's setup. */
int vp_remote_timeserver(struct vp_remote *r, const struct vp_timing_marks *m, struct vp_err *err);

/* Once the run exists: its rounds' timing rows go there. Has the signature
 * of struct vp_stored_run's on_begin (arg = the struct vp_remote). */
int vp_remote_attach(void *r, struct vp_store *st, int64_t run_id, struct vp_err *err);

#endif
