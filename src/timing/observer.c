#include "timing/observer.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timing/probe.h"
#include "timing/sender.h"
#include "timing/timing_store.h"

const struct vp_opt vp_timing_opt_table[] = {
    {"timeserver", VP_OPT_STRING, offsetof(struct vp_timing_opts, timeserver), NULL, 0, 0, NULL,
     "ADDR:PORT of a time server (virtperf timeserver): every round's start and end are "
     "marked there, and its clock gives the round's external elapsed time",
     false},
    {"key-file", VP_OPT_PATH, offsetof(struct vp_timing_opts, key_file), NULL, 0, 0, NULL,
     "the time server's key: 32 raw bytes or 64 hex digits, mode 600", false},
    {"appliance", VP_OPT_STRING, offsetof(struct vp_timing_opts, appliance), NULL, 0, 0, NULL,
     "name of this appliance in the marks [default: the host name; in a VM, the guest's]", false},
    {"distortion-pct", VP_OPT_DOUBLE, offsetof(struct vp_timing_opts, distortion_pct), "1", 0, 1000,
     NULL, "flag a round whose internal and external elapsed differ by more than this %...", false},
    {"distortion-ms", VP_OPT_DOUBLE, offsetof(struct vp_timing_opts, distortion_ms), "2", 0, 1e9,
     NULL, "...and by more than this many milliseconds", false},
    {"mark-timeout", VP_OPT_DURATION, offsetof(struct vp_timing_opts, mark_timeout_ns), "5s", 0, 0,
     NULL, "give up on a mark the time server has not acknowledged after this long", false},
    VP_OPT_END,
};

struct vp_timing_observer {
    struct vp_round_observer hooks;
    struct vp_mark_client *client;
    uint64_t token;
    char appliance[VP_PROBE_APPLIANCE_MAX];
    double pct, ms;
    struct vp_store *st;
    int64_t run_id;
};

/* The start mark leaves without waiting: the round does not wait for the
 * server, and its acknowledgement is collected at the end. */
static int on_start(void *arg, int round, bool warmup, struct vp_err *err)
{
    struct vp_timing_observer *t = arg;
    (void)warmup;
    return vp_mark_post(t->client, VP_PROBE_START, (uint32_t)round, err);
}

static int on_end(void *arg, int round, bool warmup, double elapsed_s, struct vp_err *err)
{
    struct vp_timing_observer *t = arg;
    struct vp_mark_round m;
    int rc;
    if ((rc = vp_mark_post(t->client, VP_PROBE_END, (uint32_t)round, err)) < 0 ||
        (rc = vp_mark_round_wait(t->client, (uint32_t)round, &m, err)) < 0)
        return rc;
    struct vp_timing_row row = {.round = round,
                                .warmup = warmup,
                                .internal_s = elapsed_s,
                                .copies = m.copies,
                                .control_s = NAN};
    snprintf(row.appliance, sizeof row.appliance, "%s", t->appliance);
    row.external_s = (double)(m.end_ns - m.start_ns) / 1e9;
    row.ratio = row.external_s > 0 ? row.internal_s / row.external_s : 0;
    row.distorted = vp_timing_distorted(row.internal_s, row.external_s, t->pct, t->ms);
    if (t->st == NULL)
        return 0;
    return vp_timing_store_round(t->st, t->run_id, &row, m.start_ns, m.end_ns, err);
}

int vp_timing_marks_from(const struct vp_timing_opts *o, const char *fallback,
                         struct vp_timing_marks *m, struct vp_err *err)
{
    *m = (struct vp_timing_marks){.cfg.timeout_ns = o->mark_timeout_ns};
    if (o->timeserver[0] == 0)
        return o->key_file[0] ? vp_input_error(err, "--key-file needs --timeserver") : 0;
    if (o->key_file[0] == 0)
        return vp_input_error(err, "--timeserver needs --key-file");
    if (strlen(o->appliance) >= VP_PROBE_APPLIANCE_MAX)
        return vp_input_error(err, "--appliance \"%s\": at most %d bytes", o->appliance,
                              VP_PROBE_APPLIANCE_MAX - 1);
    int rc = vp_probe_key_load(o->key_file, &m->cfg.key, err);
    if (rc < 0)
        return rc;
    if (o->appliance[0])
        snprintf(m->appliance, sizeof m->appliance, "%s", o->appliance);
    else if (fallback && fallback[0])
        snprintf(m->appliance, sizeof m->appliance, "%s", fallback);
    else if (gethostname(m->appliance, sizeof m->appliance - 1) < 0 || m->appliance[0] == 0)
        snprintf(m->appliance, sizeof m->appliance, "local");
    m->cfg.server = o->timeserver;
    m->cfg.appliance = m->appliance;
    m->cfg.token = vp_probe_new_token();
    return 0;
}

int vp_timing_observer_open(const struct vp_timing_opts *o, struct vp_timing_observer **out,
                            struct vp_err *err)
{
    struct vp_timing_marks m;
    int rc;
    *out = NULL;
    if ((rc = vp_timing_marks_from(o, NULL, &m, err)) < 0 || m.cfg.server == NULL)
        return rc;
    struct vp_timing_observer *t = calloc(1, sizeof *t);
    if (t == NULL)
        return vp_run_error(err, ENOMEM, "timing");
    snprintf(t->appliance, sizeof t->appliance, "%s", m.appliance);
    m.cfg.appliance = t->appliance;
    t->token = m.cfg.token;
    rc = vp_mark_client_open(&m.cfg, &t->client, err);
    sodium_memzero(&m, sizeof m);
    if (rc < 0) {
        vp_timing_observer_close(t);
        return rc;
    }
    t->pct = o->distortion_pct;
    t->ms = o->distortion_ms;
    t->hooks = (struct vp_round_observer){t, on_start, on_end};
    *out = t;
    return 0;
}

void vp_timing_observer_close(struct vp_timing_observer *t)
{
    if (t == NULL)
        return;
    vp_mark_client_close(t->client);
    free(t);
}

const struct vp_round_observer *vp_timing_observer_hooks(struct vp_timing_observer *t)
{
    return t ? &t->hooks : NULL;
}

int vp_timing_observer_attach(void *arg, struct vp_store *st, int64_t run_id, struct vp_err *err)
{
    struct vp_timing_observer *t = arg;
    t->st = st;
    t->run_id = run_id;
    return vp_timing_store_token(st, run_id, t->token, err);
}

uint64_t vp_timing_observer_token(const struct vp_timing_observer *t)
{
    return t->token;
}
