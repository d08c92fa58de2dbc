/* A workload in the guest, driven round by round from the host. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "guest/agent.h"
#include "workload/workload.h"

static int reply_error(struct agent_session *s, const struct vp_err *err)
{
    return agent_send(s, vp_proto_error(err));
}

/* While a workload works (setup, a round, teardown): a sign of life every
 * second, from a thread of its own (the work keeps this one busy). */
struct heartbeat {
    struct agent_session *s;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t done;
    bool stop;
};

static void *beat(void *arg)
{
    struct heartbeat *h = arg;
    pthread_mutex_lock(&h->lock);
    while (!h->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += VP_PROTO_ALIVE_MS / 1000;
        if (pthread_cond_timedwait(&h->done, &h->lock, &until) == ETIMEDOUT && !h->stop &&
            agent_send(h->s, json_pack("{s:s}", "ev", "alive")) < 0)
            break;
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

static bool heartbeat_start(struct heartbeat *h, struct agent_session *s)
{
    *h = (struct heartbeat){.s = s};
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->done, NULL);
    return pthread_create(&h->thread, NULL, beat, h) == 0;
}

static void heartbeat_stop(struct heartbeat *h, bool started)
{
    if (started) {
        pthread_mutex_lock(&h->lock);
        h->stop = true;
        pthread_cond_signal(&h->done);
        pthread_mutex_unlock(&h->lock);
        pthread_join(h->thread, NULL);
    }
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->done);
}

/* The time server setup names (ts: server, key in hex, token, appliance,
 * timeout_ns): the rounds' marks go to it from here, over the guest's own
 * network, so that the host's clock is not the only one outside. */
static int marks_open(struct agent_session *s, const json_t *ts, struct vp_err *err)
{
    const char *server = vp_proto_str(ts, "server"), *key = vp_proto_str(ts, "key");
    struct vp_mark_client_cfg cfg = {.server = server,
                                     .token = (uint64_t)vp_proto_int(ts, "token", 0),
                                     .appliance = vp_proto_str(ts, "appliance"),
                                     .timeout_ns = (uint64_t)vp_proto_int(ts, "timeout_ns", 0)};
    size_t len = 0;
    int rc = sodium_init() < 0 ? vp_run_error(err, 0, "libsodium did not start") : 0;
    if (rc == 0 &&
        (!server || !key || !cfg.appliance ||
         sodium_hex2bin(cfg.key.k, sizeof cfg.key.k, key, strlen(key), NULL, &len, NULL) != 0 ||
         len != sizeof cfg.key.k))
        rc = vp_run_error(err, EPROTO, "setup: a malformed \"timeserver\" object");
    if (rc == 0)
        rc = vp_mark_client_open(&cfg, &s->marks, err);
    sodium_memzero(&cfg.key, sizeof cfg.key);
    return rc;
}

static int setup_of(struct agent_session *s, const json_t *req)
{
    struct vp_err err = {0};
    const char *name = vp_proto_str(req, "workload");
    json_t *options = json_object_get(req, "options");
    size_t i;
    json_t *o;
    agent_teardown(s);
    const struct vp_workload *w = name ? vp_workload_find(name) : NULL;
    if (w == NULL) {
        vp_input_error(&err, "unknown workload \"%s\" in this guest", name ? name : "");
        return reply_error(s, &err);
    }
    const char *why = w->unsupported ? w->unsupported() : NULL;
    if (why) {
        vp_input_error(&err, "%s cannot run in this guest: %s", w->name, why);
        return reply_error(s, &err);
    }
    s->params = calloc(1, w->params_size);
    if (s->params == NULL || vp_opt_defaults(w->opts, s->params, &err) < 0)
        goto fail;
    /* "name=value" in the form vp_opt_format wrote on the host: exact */
    json_array_foreach(options, i, o)
    {
        const char *text = json_string_value(o);
        const char *eq = text ? strchr(text, '=') : NULL;
        char opt[128];
        if (eq == NULL || (size_t)(eq - text) >= sizeof opt) {
            vp_input_error(&err, "option \"%s\": not name=value", text ? text : "");
            goto fail;
        }
        snprintf(opt, sizeof opt, "%.*s", (int)(eq - text), text);
        if (vp_opt_set(w->opts, s->params, opt, eq + 1, &err) < 0)
            goto fail;
    }
    json_t *ts = json_object_get(req, "timeserver");
    if (ts && marks_open(s, ts, &err) < 0)
        goto fail;
    if (w->setup(s->params, &s->state, &err) < 0)
        goto fail;
    s->w = w;
    return agent_send(s, json_pack("{s:s}", "ev", "setup"));
fail:
    if (err.kind == VP_ERR_NONE)
        vp_run_error(&err, 0, "out of memory");
    vp_mark_client_close(s->marks);
    s->marks = NULL;
    free(s->params);
    s->params = NULL;
    s->state = NULL;
    return reply_error(s, &err);
}

int agent_setup(struct agent_session *s, const json_t *req)
{
    struct heartbeat h;
    bool beating = heartbeat_start(&h, s);
    int rc = setup_of(s, req);
    heartbeat_stop(&h, beating);
    return rc;
}

static json_t *metrics_json(const struct vp_workload *w, const struct vp_round_ctx *ctx)
{
    json_t *a = json_array();
    for (int m = 0; a && m < w->nmetrics; m++)
        json_array_append_new(a, isnan(ctx->metrics[m]) ? json_null() : json_real(ctx->metrics[m]));
    return a;
}

/* The round itself: before_round, the marks around the timed work,
 * verify; each answered on the port. */
static int round_of(struct agent_session *s, const json_t *req)
{
    struct vp_err err = {0};
    if (s->w == NULL) {
        vp_run_error(&err, 0, "round before setup");
        return reply_error(s, &err);
    }
    struct vp_round_ctx ctx = {.round = (int)vp_proto_int(req, "round", 0),
                               .inject_fault = vp_proto_bool(req, "inject_fault")};
    for (int i = 0; i < VP_MAX_METRICS; i++)
        ctx.metrics[i] = NAN;
    int rc;
    uint64_t b0 = vp_now_ns();
    if (s->w->before_round && s->w->before_round(s->state, &ctx, &err) < 0)
        return reply_error(s, &err);
    double before_s = (double)(vp_now_ns() - b0) / 1e9;
    /* the marks leave right before and right after the timed work; a time
     * server's are only posted then, their acknowledgements awaited after
     * verify */
    uint32_t round = (uint32_t)ctx.round;
    uint64_t t0 = vp_now_ns();
    if ((rc = agent_send(s, json_pack("{s:s, s:i, s:I}", "ev", "start", "round", ctx.round,
                                      "mono_ns", (json_int_t)t0))) < 0)
        return rc;
    if (s->marks && vp_mark_post(s->marks, VP_PROBE_START, round, &err) < 0)
        return reply_error(s, &err);
    t0 = vp_now_ns();
    rc = s->w->round(s->state, &ctx, &err);
    uint64_t t1 = vp_now_ns();
    if (rc < 0)
        return reply_error(s, &err);
    if (s->marks && vp_mark_post(s->marks, VP_PROBE_END, round, &err) < 0)
        return reply_error(s, &err);
    if ((rc = agent_send(s, json_pack("{s:s, s:i, s:I, s:f}", "ev", "end", "round", ctx.round,
                                      "mono_ns", (json_int_t)t1, "elapsed_s",
                                      (double)(t1 - t0) / 1e9))) < 0)
        return rc;
    if (s->w->verify(s->state, &ctx, &err) < 0)
        return reply_error(s, &err);
    json_t *marks = NULL;
    if (s->marks) {
        struct vp_mark_round m;
        if (vp_mark_round_wait(s->marks, round, &m, &err) < 0)
            return reply_error(s, &err);
        marks = json_pack("{s:I, s:I, s:i}", "start_ns", (json_int_t)m.start_ns, "end_ns",
                          (json_int_t)m.end_ns, "copies", m.copies);
    }
    /* the guest's untimed work too (with the wait for the time server),
     * for the host's figure of the agent's own overhead */
    double verify_s = (double)(vp_now_ns() - t1) / 1e9;
    return agent_send(s, json_pack("{s:s, s:i, s:o, s:f, s:f, s:o*}", "ev", "verified", "round",
                                   ctx.round, "metrics", metrics_json(s->w, &ctx), "before_s",
                                   before_s, "verify_s", verify_s, "marks", marks));
}

int agent_round(struct agent_session *s, const json_t *req)
{
    struct heartbeat h;
    bool beating = heartbeat_start(&h, s);
    int rc = round_of(s, req);
    heartbeat_stop(&h, beating);
    return rc;
}

int agent_finish(struct agent_session *s)
{
    struct heartbeat h;
    bool beating = heartbeat_start(&h, s);
    agent_teardown(s);
    heartbeat_stop(&h, beating);
    return agent_send(s, json_pack("{s:s}", "ev", "teardown"));
}

void agent_teardown(struct agent_session *s)
{
    if (s->w && s->w->teardown)
        s->w->teardown(s->state);
    vp_mark_client_close(s->marks);
    s->marks = NULL;
    free(s->params);
    s->w = NULL;
    s->params = s->state = NULL;
}
