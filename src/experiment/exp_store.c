#include "experiment/exp_store.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "analysis/stats.h"
#include "core/json.h"

/* Step a write statement to its end and finalize it. */
static int step_done(struct vp_store *st, struct vp_stmt *q, const char *what, struct vp_err *err)
{
    int rc = vp_db_step(q) == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, what);
    vp_db_finalize(q);
    return rc;
}

int vp_exp_store_begin(struct vp_store *st, const struct vp_experiment *exp, const char *spec,
                       const char *host, int cpus_available, int64_t *id, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc =
        vp_store_prepare(st,
                         "INSERT INTO experiments (name, file, spec, host, cpus_available, status, "
                         "started_at, owner) VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?7, ?6)",
                         &q, err);
    if (rc < 0)
        return rc;
    char owner[128], now[64];
    vp_store_owner(owner, sizeof owner);
    vp_store_now(now, sizeof now);
    vp_db_bind_text(q, 6, owner);
    vp_db_bind_text(q, 7, now);
    vp_db_bind_text(q, 1, exp->s.name);
    vp_db_bind_text(q, 2, exp->path);
    vp_db_bind_text(q, 3, spec ? spec : "");
    vp_db_bind_text(q, 4, host ? host : "{}");
    vp_db_bind_int(q, 5, cpus_available);
    if ((rc = step_done(st, q, "new experiment", err)) == 0)
        *id = vp_db_last_insert_id(vp_store_db(st));
    return rc;
}

int vp_exp_store_end(struct vp_store *st, int64_t id, const char *status, const char *error,
                     struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(
        st, "UPDATE experiments SET status = ?1, error = ?2, finished_at = ?4 WHERE id = ?3", &q,
        err);
    if (rc < 0)
        return rc;
    char now[64];
    vp_store_now(now, sizeof now);
    vp_db_bind_text(q, 4, now);
    vp_db_bind_text(q, 1, status);
    vp_db_bind_text(q, 2, error);
    vp_db_bind_int64(q, 3, id);
    return step_done(st, q, "end experiment", err);
}

/* A matrix key that counts instances ("count", "web.count", "idle"). */
static bool is_count_key(const char *k)
{
    const char *dot = strrchr(k, '.');
    const char *base = dot ? dot + 1 : k;
    return strcmp(base, "count") == 0 || strcmp(base, "idle") == 0;
}

int vp_exp_store_point(struct vp_store *st, int64_t id, const struct vp_point *pt,
                       struct vp_err *err)
{
    struct vp_stmt *q;
    char *params = vp_point_params_json(pt, NULL), *series = vp_point_params_json(pt, is_count_key);
    int rc = vp_store_prepare(
        st,
        "INSERT INTO experiment_points (experiment_id, point, kind, params, series, "
        "platform, instances, cpus_available, status) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running')",
        &q, err);
    if (rc == 0) {
        vp_db_bind_int64(q, 1, id);
        vp_db_bind_int(q, 2, pt->index);
        vp_db_bind_text(q, 3, pt->kind == VP_POINT_RUN ? "run" : "idle");
        vp_db_bind_text(q, 4, params ? params : "{}");
        vp_db_bind_text(q, 5, series ? series : "{}");
        vp_db_bind_text(q, 6, pt->s.platform);
        vp_db_bind_int(q, 7, pt->ninst);
        vp_db_bind_int(q, 8, pt->cpus_available);
        rc = step_done(st, q, "new point", err);
    }
    free(params);
    free(series);
    return rc;
}

int vp_exp_store_point_run(struct vp_store *st, int64_t id, int point, const char *appliance,
                           int64_t run_id, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(
        st,
        "INSERT INTO point_runs (experiment_id, point, appliance, run_id) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (experiment_id, point, appliance) DO UPDATE SET run_id = excluded.run_id",
        &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, id);
    vp_db_bind_int(q, 2, point);
    vp_db_bind_text(q, 3, appliance);
    if (run_id > 0)
        vp_db_bind_int64(q, 4, run_id);
    else
        vp_db_bind_null(q, 4);
    return step_done(st, q, "point run", err);
}

int vp_exp_store_point_load(struct vp_store *st, int64_t id, int point,
                            const struct vp_exp_point_load *l, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc =
        vp_store_prepare(st,
                         "INSERT INTO point_loads (experiment_id, point, load, target, driver, "
                         "kind, run_id) VALUES (?, ?, ?, ?, ?, ?, ?) "
                         "ON CONFLICT (experiment_id, point, load, target) DO UPDATE SET "
                         "driver = excluded.driver, kind = excluded.kind, run_id = excluded.run_id",
                         &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, id);
    vp_db_bind_int(q, 2, point);
    vp_db_bind_text(q, 3, l->load);
    vp_db_bind_text(q, 4, l->target);
    vp_db_bind_text(q, 5, l->driver);
    vp_db_bind_text(q, 6, l->kind);
    if (l->run_id > 0)
        vp_db_bind_int64(q, 7, l->run_id);
    else
        vp_db_bind_null(q, 7);
    return step_done(st, q, "point load", err);
}

int vp_exp_store_point_service(struct vp_store *st, int64_t id, int point, const char *appliance,
                               const char *role, const char *address, const char *counters,
                               struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st,
                              "INSERT INTO point_services (experiment_id, point, appliance, role, "
                              "address, counters) VALUES (?, ?, ?, ?, ?, ?) "
                              "ON CONFLICT (experiment_id, point, appliance) DO UPDATE SET "
                              "role = excluded.role, address = excluded.address, "
                              "counters = excluded.counters",
                              &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, id);
    vp_db_bind_int(q, 2, point);
    vp_db_bind_text(q, 3, appliance);
    vp_db_bind_text(q, 4, role);
    vp_db_bind_text(q, 5, address && address[0] ? address : NULL);
    vp_db_bind_text(q, 6, counters && counters[0] ? counters : NULL);
    return step_done(st, q, "point service", err);
}

int vp_exp_store_point_profile(struct vp_store *st, int64_t id, int point, int64_t profile_id,
                               struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(
        st, "UPDATE experiment_points SET profile_id = ? WHERE experiment_id = ? AND point = ?", &q,
        err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, profile_id);
    vp_db_bind_int64(q, 2, id);
    vp_db_bind_int(q, 3, point);
    return step_done(st, q, "point profile", err);
}

int vp_exp_store_point_end(struct vp_store *st, int64_t id, int point, const char *status,
                           const char *error, const struct vp_summary *host,
                           const struct vp_summary *apps, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc =
        vp_store_prepare(st,
                         "UPDATE experiment_points SET status = ?, error = ?, host_cpu_pct = ?, "
                         "host_cpu_ci95_half = ?, host_cpu_samples = ?, appliance_cpu_pct = ?, "
                         "appliance_cpu_ci95_half = ? WHERE experiment_id = ? AND point = ?",
                         &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_text(q, 1, status);
    vp_db_bind_text(q, 2, error);
    if (host->n > 0) {
        vp_db_bind_double(q, 3, host->mean);
        if (isfinite(host->ci_half))
            vp_db_bind_double(q, 4, host->ci_half);
        vp_db_bind_int(q, 5, host->n);
    }
    if (apps->n > 0) {
        vp_db_bind_double(q, 6, apps->mean);
        if (isfinite(apps->ci_half))
            vp_db_bind_double(q, 7, apps->ci_half);
    }
    vp_db_bind_int64(q, 8, id);
    vp_db_bind_int(q, 9, point);
    return step_done(st, q, "end point", err);
}

/* One integer from a query with at most one parameter; -1 on error. */
static int64_t query_int(struct vp_store *st, const char *sql, int64_t arg)
{
    struct vp_stmt *q;
    int64_t v = -1;
    if (vp_db_prepare(vp_store_db(st), sql, &q) != 0)
        return -1;
    if (vp_db_param_count(q) > 0)
        vp_db_bind_int64(q, 1, arg);
    if (vp_db_step(q) == VP_DB_ROW)
        v = vp_db_column_int64(q, 0);
    vp_db_finalize(q);
    return v;
}

int64_t vp_exp_store_max_run(struct vp_store *st)
{
    return query_int(st, "SELECT coalesce(max(id), 0) FROM runs", 0);
}

int vp_exp_store_measured_rounds(struct vp_store *st, int64_t run_id)
{
    return (int)query_int(st, "SELECT count(*) FROM rounds WHERE run_id = ? AND warmup = 0",
                          run_id);
}

int vp_exp_store_rounds_after(struct vp_store *st, int64_t floor)
{
    return (int)query_int(st, "SELECT count(*) FROM rounds WHERE run_id > ?", floor);
}

static char *dup_col(struct vp_stmt *q, int col)
{
    const char *t = vp_db_column_text(q, col);
    return strdup(t ? (const char *)t : "");
}

static double col_double(struct vp_stmt *q, int col)
{
    return vp_db_column_is_null(q, col) ? NAN : vp_db_column_double(q, col);
}

/* Each point's appliances and their runs. */
static int load_runs(struct vp_store *st, struct vp_exp_data *d, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc =
        vp_store_prepare(st,
                         "SELECT point, appliance, run_id FROM point_runs WHERE experiment_id = ? "
                         "ORDER BY point, rowid",
                         &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, d->id);
    while (rc == 0 && vp_db_step(q) == VP_DB_ROW) {
        int point = vp_db_column_int(q, 0);
        struct vp_exp_point_row *p = NULL;
        for (int i = 0; i < d->npoints; i++)
            if (d->points[i].point == point)
                p = &d->points[i];
        if (p == NULL)
            continue;
        void *a = realloc(p->appliance, (size_t)(p->nruns + 1) * sizeof *p->appliance);
        void *r = a ? realloc(p->run_id, (size_t)(p->nruns + 1) * sizeof *p->run_id) : NULL;
        if (a)
            p->appliance = a;
        if (r)
            p->run_id = r;
        if (a == NULL || r == NULL) {
            rc = vp_run_error(err, ENOMEM, "loading experiment");
            break;
        }
        snprintf(p->appliance[p->nruns], 64, "%s", vp_db_column_text(q, 1));
        p->run_id[p->nruns] = vp_db_column_int64(q, 2);
        p->nruns++;
    }
    vp_db_finalize(q);
    return rc;
}

static int load_points(struct vp_store *st, struct vp_exp_data *d, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc =
        vp_store_prepare(st,
                         "SELECT point, kind, params, series, platform, status, instances, "
                         "cpus_available, host_cpu_pct, host_cpu_ci95_half, appliance_cpu_pct, "
                         "appliance_cpu_ci95_half FROM experiment_points "
                         "WHERE experiment_id = ? ORDER BY point",
                         &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, d->id);
    while (vp_db_step(q) == VP_DB_ROW) {
        void *more = realloc(d->points, (size_t)(d->npoints + 1) * sizeof *d->points);
        if (more == NULL) {
            rc = vp_run_error(err, ENOMEM, "loading experiment");
            break;
        }
        d->points = more;
        struct vp_exp_point_row *p = &d->points[d->npoints++];
        memset(p, 0, sizeof *p);
        p->point = vp_db_column_int(q, 0);
        snprintf(p->kind, sizeof p->kind, "%s", vp_db_column_text(q, 1));
        p->params = dup_col(q, 2);
        p->series = dup_col(q, 3);
        p->platform = dup_col(q, 4);
        p->status = dup_col(q, 5);
        p->instances = vp_db_column_int(q, 6);
        p->cpus_available = vp_db_column_int(q, 7);
        p->host_cpu_pct = col_double(q, 8);
        p->host_cpu_ci_half = col_double(q, 9);
        p->appliance_cpu_pct = col_double(q, 10);
        p->appliance_cpu_ci_half = col_double(q, 11);
    }
    vp_db_finalize(q);
    return rc == 0 ? load_runs(st, d, err) : rc;
}

int vp_exp_store_load(struct vp_store *st, int64_t id, struct vp_exp_data *d, struct vp_err *err)
{
    struct vp_stmt *q;
    memset(d, 0, sizeof *d);
    int rc =
        vp_store_prepare(st,
                         "SELECT name, file, status, started_at, cpus_available FROM experiments "
                         "WHERE id = ?",
                         &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, id);
    if (vp_db_step(q) != VP_DB_ROW) {
        vp_db_finalize(q);
        return vp_input_error(err, "no experiment %lld in %s (see `virtperf run`)", (long long)id,
                              vp_store_name(st));
    }
    d->id = id;
    d->name = dup_col(q, 0);
    d->file = dup_col(q, 1);
    d->status = dup_col(q, 2);
    d->started_at = dup_col(q, 3);
    d->cpus_available = vp_db_column_int(q, 4);
    vp_db_finalize(q);
    if ((rc = load_points(st, d, err)) < 0)
        vp_exp_data_free(d);
    return rc;
}

void vp_exp_data_free(struct vp_exp_data *d)
{
    for (int i = 0; i < d->npoints; i++) {
        struct vp_exp_point_row *p = &d->points[i];
        free(p->params);
        free(p->series);
        free(p->platform);
        free(p->status);
        free(p->appliance);
        free(p->run_id);
    }
    free(d->points);
    free(d->name);
    free(d->file);
    free(d->status);
    free(d->started_at);
    memset(d, 0, sizeof *d);
}

int vp_exp_store_host_fact(struct vp_store *st, int64_t id, const char *key, const char *json,
                           struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st, "SELECT host FROM experiments WHERE id = ?1", &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, id);
    json_t *host = vp_db_step(q) == VP_DB_ROW ? json_loads(vp_db_column_text(q, 0), 0, NULL) : NULL;
    vp_db_finalize(q);
    if (!json_is_object(host)) {
        json_decref(host);
        host = json_object();
    }
    json_object_set_new(host, key, json_loads(json, JSON_DECODE_ANY, NULL));
    char *text = json_dumps(host, JSON_COMPACT);
    json_decref(host);
    if (text == NULL)
        return vp_run_error(err, ENOMEM, "host facts");
    rc = vp_store_prepare(st, "UPDATE experiments SET host = ?1 WHERE id = ?2", &q, err);
    if (rc == 0) {
        vp_db_bind_text(q, 1, text);
        vp_db_bind_int64(q, 2, id);
        rc = step_done(st, q, "host facts", err);
    }
    free(text);
    return rc;
}
