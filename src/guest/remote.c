#include "guest/remote.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/signals.h"
#include "guest/console.h"
#include "guest/proto.h"
#include "guest/ssh.h"
#include "timing/timing_store.h"

#define GREET_MS 100

struct vp_remote {
    int fd;
    struct vp_proto_reader rd;
    char path[108];
    char name[64];
    char *platform;
    const struct vp_workload *w;
    const void *params;
    double pct, ms;
    struct vp_store *st;
    int64_t run_id;
    /* setup's "timeserver": the guest marks its rounds there itself, as
     * appliance (the name its rows are stored under, as the server's) */
    json_t *timeserver;
    uint64_t token;
    char appliance[VP_PROBE_APPLIANCE_MAX];
    /* the round at hand: its timing row, stored once it is verified */
    struct vp_timing_row row;
    uint64_t asked_ns, start_ns, end_ns;
};

/* The guest died, panicked or hangs (its console says what it last did),
 * or another host's agent or ssh went away (ssh says why). */
static int channel_lost(struct vp_remote *r, struct vp_err *err, const char *what)
{
    return vp_agent_lost(err, r->path, r->fd, what);
}

/* The next event; an error event becomes the error it carries. */
static int next_event(struct vp_remote *r, const char *want, json_t **out, struct vp_err *err)
{
    for (;;) {
        char hang[96];
        int rc = vp_proto_recv(&r->rd, vp_proto_silence_ms(), out, err);
        if (rc == -EINTR && !vp_interrupted)
            continue; /* SIGUSR1: the round driver stops between rounds */
        if (rc == -EINTR)
            return vp_run_error(err, EINTR, "interrupted");
        if (rc == -EPIPE)
            return channel_lost(r, err, "went away");
        if (rc == 0)
            return channel_lost(r, err, vp_proto_hang_text(hang, sizeof hang));
        if (rc < 0)
            return rc;
        const char *ev = vp_proto_str(*out, "ev");
        /* signs of life, and greetings answered late (see vp_remote_open) */
        if (ev && (strcmp(ev, "alive") == 0 || strcmp(ev, "hello") == 0)) {
            json_decref(*out);
            continue;
        }
        if (ev && strcmp(ev, want) == 0)
            return 0;
        rc = ev && strcmp(ev, "error") == 0
                 ? vp_proto_take_error(*out, err)
                 : vp_run_error(err, EPROTO, "agent: expected \"%s\", got \"%s\"", want,
                                ev ? ev : "?");
        json_decref(*out);
        *out = NULL;
        return rc;
    }
}

/* platform.json in the socket's directory (another host's agent: that
 * host, native, or the platform of the appliance it keeps there, which
 * platform/host.c names in $VIRTPERF_HOST_PLATFORM), with the greeting's
 * facts. */
static char *platform_json(const char *socket_path, const json_t *hello)
{
    char path[256];
    const char *slash = strrchr(socket_path, '/');
    snprintf(path, sizeof path, "%.*s/platform.json", slash ? (int)(slash - socket_path) : 1,
             slash ? socket_path : ".");
    json_t *p = vp_ssh_address(socket_path)
                    ? json_pack("{s:s, s:s, s:O*}", "name", "host", "destination", socket_path + 4,
                                "host_name", json_object_get(hello, "name"))
                    : json_load_file(path, 0, NULL);
    if (!json_is_object(p)) {
        json_decref(p);
        p = json_pack("{s:s}", "name", "vm");
    }
    json_object_set(p, vp_ssh_address(socket_path) ? "kernel" : "guest_kernel",
                    json_object_get(hello, "kernel"));
    json_object_set(p, "agent", json_object_get(hello, "agent"));
    const char *there = getenv("VIRTPERF_HOST_PLATFORM"); /* an appliance kept there */
    if (vp_ssh_address(socket_path) && there && there[0])
        json_object_set_new(p, "platform", json_string(there));
    char *text = p ? json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(p);
    return text;
}

/* Another host's clock against ours, NTP's way: greetings one at a time,
 * each answered with the agent's CLOCK_REALTIME; of CLOCK_SAMPLES, the one
 * with the shortest round trip gives the offset (theirs minus ours) within
 * half that round trip. Into the platform's facts. */
#define CLOCK_SAMPLES 5
static int clock_offset(struct vp_remote *r, json_int_t nonce, struct vp_err *err)
{
    double best_rtt = INFINITY, offset = NAN;
    for (int k = 0; k < CLOCK_SAMPLES; k++, nonce++) {
        uint64_t t0 = vp_wall_ns();
        int rc = vp_proto_send(r->fd,
                               json_pack("{s:s, s:i, s:I}", "op", "hello", "version",
                                         VP_PROTO_VERSION, "nonce", nonce),
                               err);
        json_t *m = NULL;
        while (rc == 0) { /* late answers to the first greetings come first */
            if ((rc = vp_proto_recv(&r->rd, vp_proto_silence_ms(), &m, err)) != 1)
                return rc == 0 ? vp_run_error(err, ETIMEDOUT, "agent: no answer") : rc;
            rc = 0;
            if (vp_proto_int(m, "nonce", -1) == nonce)
                break;
            json_decref(m);
            m = NULL;
        }
        if (rc < 0)
            return rc;
        uint64_t t1 = vp_wall_ns();
        double rtt = (double)(t1 - t0) / 1e9;
        if (rtt < best_rtt) {
            best_rtt = rtt;
            offset = ((double)vp_proto_int(m, "wall_ns", 0) - ((double)t0 + (double)t1) / 2) / 1e9;
        }
        json_decref(m);
    }
    json_t *p = r->platform ? json_loads(r->platform, 0, NULL) : NULL;
    if (p) {
        json_object_set_new(p, "clock_offset_s", json_real(offset));
        json_object_set_new(p, "clock_rtt_s", json_real(best_rtt));
        free(r->platform);
        r->platform = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(p);
    }
    return 0;
}

int vp_remote_open(const char *socket_path, int timeout_ms, struct vp_remote **out,
                   struct vp_err *err)
{
    struct vp_remote *r = calloc(1, sizeof *r);
    json_t *m = NULL;
    int rc;
    *out = NULL;
    if (r == NULL)
        return vp_run_error(err, ENOMEM, "agent");
    snprintf(r->path, sizeof r->path, "%s", socket_path);
    if ((r->fd = vp_agent_connect(socket_path, timeout_ms, err)) < 0) {
        rc = r->fd;
        free(r);
        return rc;
    }
    vp_proto_reader_init(&r->rd, r->fd);
    /* A greeting sent before the agent had its port open may be lost: it
     * is sent again every GREET_MS on this connection. One sent on an
     * earlier connection may be answered on this one: the nonces tell
     * ours (base, base + 1, ... for this connection's greetings). */
    json_int_t base = (json_int_t)(vp_now_ns() & 0x7fffffffffffll), sent = 0;
    uint64_t deadline = vp_now_ns() + (uint64_t)timeout_ms * 1000000ull;
    for (;;) {
        uint64_t now = vp_now_ns();
        if (now >= deadline) {
            rc = vp_run_error(err, ETIMEDOUT, "the guest's agent did not answer");
            goto fail;
        }
        if ((rc = vp_proto_send(r->fd,
                                json_pack("{s:s, s:i, s:I}", "op", "hello", "version",
                                          VP_PROTO_VERSION, "nonce", base + sent++),
                                err)) < 0)
            goto fail;
        uint64_t left_ms = (deadline - now) / 1000000ull;
        rc = vp_proto_recv(&r->rd, (int)(left_ms < GREET_MS ? left_ms : GREET_MS), &m, err);
        if (rc == 0 || (rc == -EINTR && !vp_interrupted)) /* unanswered, or SIGUSR1 */
            continue;
        if (rc < 0) {
            if (rc == -EPIPE)
                rc = vp_ssh_address(socket_path)
                         ? vp_agent_lost(err, socket_path, r->fd, "did not answer")
                         : vp_run_error(err, ETIMEDOUT, "the guest's agent did not answer");
            goto fail;
        }
        int64_t nonce = vp_proto_int(m, "nonce", -1);
        if (nonce >= base && nonce < base + sent)
            break;
        json_decref(m);
        m = NULL;
    }
    if (vp_proto_int(m, "version", 0) != VP_PROTO_VERSION) { /* install the same virtperf */
        rc =
            vp_input_error(err, "the agent of %s speaks protocol %lld, this virtperf %d",
                           socket_path, (long long)vp_proto_int(m, "version", 0), VP_PROTO_VERSION);
        goto fail;
    }
    snprintf(r->name, sizeof r->name, "%s",
             vp_proto_str(m, "name") ? vp_proto_str(m, "name") : "guest");
    r->platform = platform_json(socket_path, m);
    json_decref(m);
    m = NULL;
    if (vp_ssh_address(socket_path) && (rc = clock_offset(r, base + sent, err)) < 0) {
        if (rc == -EPIPE) /* gone between greetings */
            rc = vp_agent_lost(err, socket_path, r->fd, "went away");
        goto fail;
    }
    *out = r;
    return 0;
fail:
    json_decref(m);
    vp_remote_close(r);
    return rc;
}

void vp_remote_close(struct vp_remote *r)
{
    if (r == NULL)
        return;
    free(r->platform);
    json_decref(r->timeserver);
    vp_proto_reader_free(&r->rd);
    if (r->fd >= 0)
        vp_agent_close(r->fd);
    free(r);
}

int vp_remote_fd(const struct vp_remote *r)
{
    return r->fd;
}

struct vp_proto_reader *vp_remote_reader(struct vp_remote *r)
{
    return &r->rd;
}

const char *vp_remote_guest_name(const struct vp_remote *r)
{
    return r->name;
}

const char *vp_remote_platform(const struct vp_remote *r)
{
    return r->platform;
}

static int remote_setup(const void *params, void **state, struct vp_err *err)
{
    struct vp_remote *r = (struct vp_remote *)params;
    json_t *opts = json_array(), *m = NULL;
    char value[VP_STR_MAX + 64];
    for (const struct vp_opt *o = r->w->opts; opts && o->name; o++) {
        char item[VP_STR_MAX + 128];
        vp_opt_format(o, r->params, value, sizeof value);
        snprintf(item, sizeof item, "%s=%s", o->name, value);
        json_array_append_new(opts, json_string(item));
    }
    int rc = vp_proto_send(r->fd,
                           json_pack("{s:s, s:s, s:o, s:O*}", "op", "setup", "workload", r->w->name,
                                     "options", opts, "timeserver", r->timeserver),
                           err);
    if (rc == 0 && (rc = next_event(r, "setup", &m, err)) == 0)
        *state = r;
    json_decref(m);
    if (rc < 0 && !vp_ssh_address(r->path)) /* another host's agent names its host */
        vp_err_prefix(err, "in the guest");
    return rc;
}

/* The round's timing row: the guest's marks around the timed work,
 * stamped here on arrival (or, with a time server, the server's stamps of
 * the marks the guest sent it), and (once verified) what the round trip
 * cost beyond the guest's own work. */
static int store_timing(struct vp_remote *r, const json_t *verified, uint64_t verified_ns,
                        struct vp_err *err)
{
    struct vp_timing_row *row = &r->row;
    double guest_s = row->internal_s + json_number_value(json_object_get(verified, "before_s")) +
                     json_number_value(json_object_get(verified, "verify_s"));
    row->control_s = (double)(verified_ns - r->asked_ns) / 1e9 - guest_s;
    /* as wall-clock stamps, like a time server's */
    uint64_t wall_offset = vp_wall_ns() - vp_now_ns();
    uint64_t start_ns = r->start_ns + wall_offset, end_ns = r->end_ns + wall_offset;
    if (r->timeserver) { /* the time server's stamps are the external figure */
        json_t *m = json_object_get(verified, "marks");
        start_ns = (uint64_t)vp_proto_int(m, "start_ns", 0);
        end_ns = (uint64_t)vp_proto_int(m, "end_ns", 0);
        if (start_ns == 0 || end_ns < start_ns)
            return vp_run_error(
                err, EPROTO, "agent: round %d came without the time server's stamps", row->round);
        row->copies = (int)vp_proto_int(m, "copies", 2);
        snprintf(row->appliance, sizeof row->appliance, "%s", r->appliance);
        row->external_s = (double)(end_ns - start_ns) / 1e9;
        row->ratio = row->external_s > 0 ? row->internal_s / row->external_s : 0;
        row->distorted = vp_timing_distorted(row->internal_s, row->external_s, r->pct, r->ms);
    }
    if (r->st == NULL)
        return 0;
    return vp_timing_store_round(r->st, r->run_id, row, start_ns, end_ns, err);
}

static int remote_round(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct vp_remote *r = state;
    json_t *m = NULL;
    r->asked_ns = vp_now_ns();
    int rc = vp_proto_send(r->fd,
                           json_pack("{s:s, s:i, s:b}", "op", "round", "round", ctx->round,
                                     "inject_fault", ctx->inject_fault),
                           err);
    if (rc < 0 || (rc = next_event(r, "start", &m, err)) < 0)
        return rc;
    r->start_ns = r->rd.stamp_ns;
    json_decref(m);
    if ((rc = next_event(r, "end", &m, err)) < 0)
        return rc;
    r->end_ns = r->rd.stamp_ns;
    ctx->elapsed_s = json_number_value(json_object_get(m, "elapsed_s"));
    json_decref(m);
    struct vp_timing_row *row = &r->row;
    *row = (struct vp_timing_row){.round = ctx->round, .internal_s = ctx->elapsed_s, .copies = 2};
    snprintf(row->appliance, sizeof row->appliance, "%s", r->name);
    row->external_s = (double)(r->end_ns - r->start_ns) / 1e9;
    row->ratio = row->external_s > 0 ? row->internal_s / row->external_s : 0;
    row->distorted = vp_timing_distorted(row->internal_s, row->external_s, r->pct, r->ms);
    return 0;
}

static int remote_verify(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct vp_remote *r = state;
    json_t *m = NULL;
    int rc = next_event(r, "verified", &m, err);
    if (rc < 0)
        return rc;
    json_t *metrics = json_object_get(m, "metrics");
    for (int i = 0; i < r->w->nmetrics && i < VP_MAX_METRICS; i++) {
        json_t *v = json_array_get(metrics, (size_t)i);
        ctx->metrics[i] = json_is_number(v) ? json_number_value(v) : NAN;
    }
    rc = store_timing(r, m, r->rd.stamp_ns, err);
    json_decref(m);
    return rc;
}

static void remote_teardown(void *state)
{
    struct vp_remote *r = state;
    struct vp_err err;
    json_t *m = NULL;
    if (r && vp_proto_send(r->fd, json_pack("{s:s}", "op", "teardown"), &err) == 0 &&
        next_event(r, "teardown", &m, &err) == 0)
        json_decref(m);
}

void vp_remote_workload(struct vp_remote *r, const struct vp_workload *w, const void *params,
                        double distortion_pct, double distortion_ms, struct vp_workload *proxy)
{
    r->w = w;
    r->params = params;
    r->pct = distortion_pct;
    r->ms = distortion_ms;
    *proxy = *w;
    proxy->unsupported = NULL; /* the guest says */
    proxy->setup = remote_setup;
    proxy->before_round = NULL; /* the guest does it, untimed, in its round */
    proxy->round = remote_round;
    proxy->verify = remote_verify;
    proxy->teardown = remote_teardown;
}

int vp_remote_timeserver(struct vp_remote *r, const struct vp_timing_marks *m, struct vp_err *err)
{
    const struct vp_mark_client_cfg *c = &m->cfg;
    char key[2 * VP_PROBE_KEY_SIZE + 1];
    if (c->server == NULL)
        return 0;
    sodium_bin2hex(key, sizeof key, c->key.k, sizeof c->key.k);
    r->timeserver = json_pack("{s:s, s:s, s:I, s:s, s:I}", "server", c->server, "key", key, "token",
                              (json_int_t)c->token, "appliance", c->appliance, "timeout_ns",
                              (json_int_t)c->timeout_ns);
    sodium_memzero(key, sizeof key);
    r->token = c->token;
    snprintf(r->appliance, sizeof r->appliance, "%s", c->appliance);
    return r->timeserver ? 0 : vp_run_error(err, ENOMEM, "agent");
}

int vp_remote_attach(void *arg, struct vp_store *st, int64_t run_id, struct vp_err *err)
{
    struct vp_remote *r = arg;
    r->st = st;
    r->run_id = run_id;
    return r->timeserver ? vp_timing_store_token(st, run_id, r->token, err) : 0;
}
