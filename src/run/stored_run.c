#include "run/stored_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "core/json.h"
#include "core/signals.h"
#include "run/barrier.h"

struct sink_state {
    struct vp_store *st;
    int64_t run_id;
    const struct vp_run_info *info;
};

static int store_round(void *arg, int round, bool warmup, double elapsed_s, const double *metrics,
                       struct vp_err *err)
{
    struct sink_state *s = arg;
    return vp_store_round(s->st, s->run_id, s->info, round, warmup, elapsed_s, metrics, err);
}

/* The JSON text of the parameters, kept with the run: the workload's
 * options and, beside them, the round mode ("until-stopped"). */
static char *params_json(const struct vp_workload *w, const void *params, bool until_stopped)
{
    struct vp_json_buf b;
    if (vp_json_buf_open(&b) < 0)
        return NULL;
    vp_json_options(&b.j, NULL, w->opts, params);
    char *opts = vp_json_buf_close(&b);
    if (opts == NULL)
        return NULL;
    /* the compact object "{...}" with one more member before its "}" */
    size_t len = strlen(opts);
    char *text = NULL;
    if (len >= 2 && opts[len - 1] == '}' &&
        asprintf(&text, "%.*s%s\"until-stopped\":%s}", (int)(len - 1), opts, len > 2 ? "," : "",
                 until_stopped ? "true" : "false") < 0)
        text = NULL;
    free(opts);
    return text;
}

int vp_stored_run(struct vp_store *st, const struct vp_stored_run *req, int64_t *run_id,
                  struct vp_err *err)
{
    const struct vp_workload *w = req->workload;
    struct vp_metric_desc metrics[VP_MAX_METRICS];
    for (int i = 0; i < w->nmetrics; i++)
        metrics[i] = (struct vp_metric_desc){w->metrics[i].name, w->metrics[i].unit,
                                             w->metrics[i].avg == VP_AVG_HARMONIC,
                                             w->metrics[i].higher_is_better};
    char *params = params_json(w, req->params, req->rounds.until_stopped);
    char *host = vp_host_json_text();
    struct vp_run_info info = {
        .kind = "workload",
        .subject = w->name,
        .command = req->command,
        .params = params ? params : "{}",
        .host = host ? host : "{}",
        .platform = req->platform,
        .rounds = req->rounds.rounds,
        .warmup = req->rounds.warmup,
        .metrics = metrics,
        .nmetrics = w->nmetrics,
    };
    void *state = NULL;
    *run_id = 0;
    /* setup first: parameters this machine cannot honour are refused before
     * anything is stored */
    int rc = w->setup(req->setup_arg ? req->setup_arg : req->params, &state, err);
    if (rc == 0)
        rc = vp_store_run_begin(st, &info, run_id, err);
    if (rc == 0) {
        struct sink_state sink_arg = {st, *run_id, &info};
        struct vp_round_sink sink = {&sink_arg, store_round};
        /* the experiment runner starts every appliance's rounds together */
        rc = req->barrier_fd > 2 ? vp_barrier_wait(req->barrier_fd, err) : 0;
        if (rc == 0 && req->on_begin)
            rc = req->on_begin(req->on_begin_arg, st, *run_id, err);
        if (rc == 0)
            rc = vp_rounds_run(w, state, &req->rounds, &sink, err);
        struct vp_err end_err = {0};
        const char *status = rc == 0 ? "complete" : vp_interrupted ? "interrupted" : "failed";
        int end_rc = vp_store_run_end(st, *run_id, status, rc == 0 ? NULL : err->msg, &end_err);
        if (rc == 0 && end_rc < 0) {
            *err = end_err;
            rc = end_rc;
        }
    }
    if (w->teardown)
        w->teardown(state);
    free(params);
    free(host);
    return rc;
}
