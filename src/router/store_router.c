#include "router/store_router.h"

#include <stdio.h>
#include <string.h>

#include "store/db.h"
#include "store/rows.h"

static const char *const verdicts[] = {"fail", "pass", "rejected"};

struct job {
    const char *command, *params;
    const struct vp_fwd_result *r;
    int64_t run_id;
};

static void bind_rate(struct vp_stmt *s, int k, double v)
{
    if (v == v) /* not NaN: a CI needs two searches */
        vp_db_bind_double(s, k, v);
    else
        vp_db_bind_null(s, k);
}

static int insert_run(struct vp_db *db, struct job *j, struct vp_err *err)
{
    const struct vp_fwd_result *r = j->r;
    const struct vp_fwd_topo_cfg *c = &r->topo.cfg;
    struct vp_stmt *s;
    int rc = vp_rows_prepare(
        db,
        "INSERT INTO router_runs (finished_at, command, params, status, path, routers, routes,"
        " frame, rate_mean, rate_ci_lo, rate_ci_hi, searches, trials, install_s_max, loaded_rate,"
        " hist_relative_error, platform) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        &s, err);
    if (rc < 0)
        return rc;
    char when[32];
    vp_rows_now(when, sizeof when);
    double install = 0;
    for (int i = 0; i < c->routers; i++)
        install = r->topo.r[i].routes_s > install ? r->topo.r[i].routes_s : install;
    int k = 1;
    vp_db_bind_text(s, k++, when);
    vp_db_bind_text(s, k++, j->command);
    vp_db_bind_text(s, k++, j->params);
    vp_db_bind_text(s, k++, r->search.generator_limited ? "generator_limited" : "complete");
    vp_db_bind_text(s, k++, vp_fwd_path_names[c->path]);
    vp_db_bind_int(s, k++, c->routers);
    vp_db_bind_int64(s, k++, c->routes);
    vp_db_bind_int(s, k++, (int)r->frame_len);
    vp_db_bind_double(s, k++, r->search.rate.mean);
    bind_rate(s, k++, r->search.rate.ci_lo);
    bind_rate(s, k++, r->search.rate.ci_hi);
    vp_db_bind_int(s, k++, r->search.n);
    vp_db_bind_int(s, k++, r->ntrials);
    vp_db_bind_double(s, k++, install);
    vp_db_bind_double(s, k++, r->loaded_rate);
    vp_db_bind_double(s, k++, VP_HIST_REL_ERROR);
    vp_db_bind_text(s, k++, r->topo.platform);
    rc = vp_rows_step(db, s, err);
    vp_db_finalize(s);
    j->run_id = vp_db_last_insert_id(db);
    return rc;
}

static int insert_trials(struct vp_db *db, struct job *j, struct vp_err *err)
{
    const struct vp_fwd_result *r = j->r;
    struct vp_stmt *st = NULL, *sr = NULL;
    int rc;
    if ((rc = vp_rows_prepare(db, "INSERT INTO router_trials VALUES (?,?,?,?,?,?,?,?,?,?)", &st,
                              err)) < 0 ||
        (rc = vp_rows_prepare(db, "INSERT INTO router_trial_routers VALUES (?,?,?,?)", &sr, err)) <
            0)
        goto out;
    for (int i = 0; i < r->ntrials && rc == 0; i++) {
        const struct vp_fwd_trial *t = &r->trials[i];
        int k = 1;
        vp_db_bind_int64(st, k++, j->run_id);
        vp_db_bind_int(st, k++, i);
        vp_db_bind_int(st, k++, t->repeat);
        vp_db_bind_double(st, k++, t->rate);
        vp_db_bind_int64(st, k++, (int64_t)t->sent);
        vp_db_bind_int64(st, k++, (int64_t)t->received);
        vp_db_bind_int64(st, k++, (int64_t)t->not_forwarded);
        vp_db_bind_int64(st, k++, (int64_t)t->ring_drops);
        vp_db_bind_double(st, k++, t->gen_cpu);
        vp_db_bind_text(st, k++, verdicts[t->verdict]);
        rc = vp_rows_step(db, st, err);
        for (int p = 0; p < r->topo.cfg.routers && rc == 0 && r->per_router; p++) {
            vp_db_bind_int64(sr, 1, j->run_id);
            vp_db_bind_int(sr, 2, i);
            vp_db_bind_int(sr, 3, p);
            vp_db_bind_int64(sr, 4, (int64_t)t->peer_received[p]);
            rc = vp_rows_step(db, sr, err);
        }
    }
out:
    vp_db_finalize(st);
    vp_db_finalize(sr);
    return rc;
}

static int insert_echoes(struct vp_db *db, struct job *j, struct vp_err *err)
{
    struct vp_stmt *s;
    int rc = vp_rows_prepare(db, "INSERT INTO router_echo_hist VALUES (?,?,?,?,?)", &s, err);
    const struct vp_echo_result *e[2] = {&j->r->idle, &j->r->loaded};
    const char *series[2] = {"idle", "loaded"};
    for (int i = 0; i < 2 && rc == 0; i++) {
        vp_db_bind_int64(s, 1, j->run_id);
        vp_db_bind_text(s, 2, series[i]);
        rc = vp_rows_hist(db, s, 3, &e[i]->rtt, err);
    }
    vp_db_finalize(s);
    return rc;
}

static int fill(struct vp_db *db, void *ctx, struct vp_err *err)
{
    struct job *j = ctx;
    int rc = insert_run(db, j, err);
    if (rc == 0)
        rc = insert_trials(db, j, err);
    if (rc == 0)
        rc = insert_echoes(db, j, err);
    return rc;
}

int vp_router_store_run(struct vp_store *st, int argc, char **argv, const char *params,
                        const struct vp_fwd_result *r, int64_t *run_id, struct vp_err *err)
{
    char command[2048] = "virtperf";
    for (int i = 0; i < argc; i++)
        snprintf(command + strlen(command), sizeof command - strlen(command), " %s", argv[i]);
    struct job j = {command, params, r, 0};
    int rc = vp_rows_transaction(vp_store_db(st), fill, &j, err);
    *run_id = rc == 0 ? j.run_id : 0;
    return rc;
}
