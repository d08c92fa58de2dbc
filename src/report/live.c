/* The store as `virtperf serve` shows it: see live.h. */
#include "report/live.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/db.h"
#include "experiment/experiment.h"

/* The points the stored experiment file plans (-1 when it no longer parses
 * or plans here: its platform gone, say). */
static int planned_points(const char *file, const char *spec)
{
    struct vp_experiment *exp = calloc(1, sizeof *exp);
    struct vp_cpuset cpus;
    struct vp_plan plan = {0};
    struct vp_err err = {0};
    int n = -1;
    vp_cpuset_self(&cpus);
    if (exp && vp_experiment_parse(file, spec, NULL, exp, &err) == 0 &&
        vp_plan_build(exp, &cpus, &plan, &err) == 0)
        n = plan.npoints;
    vp_plan_free(&plan);
    free(exp);
    return n;
}

/* Seconds since an ISO 8601 UTC stamp ("2026-12-06T20:31:05.123Z", the
 * fraction ignored); -1 if unreadable. */
static double seconds_since(const char *iso)
{
    struct tm tm = {0};
    if (iso == NULL || strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return -1;
    return difftime(time(NULL), timegm(&tm));
}

static const char *col_text(struct vp_stmt *q, int i)
{
    return vp_db_column_text(q, i);
}

/* The running point of experiment id, with the ETA from the pace so far. */
static int running_point(struct vp_store *st, struct vp_json *j, int64_t id, int done, int planned,
                         const char *started_at, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st,
                              "SELECT point, params, profile_id FROM experiment_points "
                              "WHERE experiment_id = ? AND status = 'running' "
                              "ORDER BY point DESC LIMIT 1",
                              &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, id);
    if (vp_db_step(q) == VP_DB_ROW) {
        vp_json_object_begin(j, "running");
        vp_json_int(j, "point", vp_db_column_int(q, 0));
        vp_json_raw(j, "params", col_text(q, 1));
        if (vp_db_column_is_null(q, 2))
            vp_json_null(j, "profile_id");
        else
            vp_json_int(j, "profile_id", vp_db_column_int64(q, 2));
        vp_json_object_end(j);
    }
    vp_db_finalize(q);
    double elapsed = seconds_since(started_at);
    if (done > 0 && planned > done && elapsed >= 0)
        vp_json_double(j, "eta_s", elapsed / done * (planned - done));
    else
        vp_json_null(j, "eta_s");
    return 0;
}

static int one_experiment(struct vp_store *st, struct vp_json *j, struct vp_stmt *e,
                          struct vp_err *err)
{
    int64_t id = vp_db_column_int64(e, 0);
    const char *status = col_text(e, 3);
    struct vp_stmt *q;
    int rc = vp_store_prepare(
        st,
        "SELECT count(*), sum(CASE WHEN status = 'complete' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) FROM experiment_points "
        "WHERE experiment_id = ?",
        &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, id);
    vp_db_step(q);
    int complete = vp_db_column_int(q, 1), failed = vp_db_column_int(q, 2);
    vp_db_finalize(q);
    bool running = strcmp(status, "running") == 0;
    int planned = running ? planned_points(col_text(e, 2), col_text(e, 6)) : -1;
    vp_json_object_begin(j, NULL);
    vp_json_int(j, "id", id);
    vp_json_string(j, "name", col_text(e, 1));
    vp_json_string(j, "file", col_text(e, 2));
    vp_json_string(j, "status", status);
    vp_json_string(j, "started_at", col_text(e, 4));
    vp_json_string(j, "finished_at", col_text(e, 5));
    vp_json_object_begin(j, "points");
    vp_json_int(j, "done", complete + failed);
    vp_json_int(j, "failed", failed);
    if (planned >= 0)
        vp_json_int(j, "planned", planned);
    else
        vp_json_null(j, "planned");
    vp_json_object_end(j);
    if (running)
        rc = running_point(st, j, id, complete + failed, planned, col_text(e, 4), err);
    vp_json_object_end(j);
    return rc;
}

int vp_live_experiments(struct vp_store *st, struct vp_json *j, const char *key, int limit,
                        struct vp_err *err)
{
    struct vp_stmt *e;
    int rc = vp_store_prepare(st,
                              "SELECT id, name, file, status, started_at, finished_at, spec "
                              "FROM experiments ORDER BY id DESC LIMIT ?",
                              &e, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int(e, 1, limit);
    vp_json_array_begin(j, key);
    while (rc == 0 && (rc = vp_db_step(e)) == VP_DB_ROW)
        rc = one_experiment(st, j, e, err);
    vp_json_array_end(j);
    vp_db_finalize(e);
    return rc == VP_DB_DONE ? 0 : rc < 0 ? rc : vp_store_sql_error(st, err, "experiments");
}

int vp_live_samples(struct vp_store *st, struct vp_json *j, const char *key, int64_t profile_id,
                    double since, int max_ticks, double *last, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st,
                              "SELECT t_s, target, metric, value FROM profile_samples "
                              "WHERE profile_id = ?1 AND t_s IN (SELECT DISTINCT t_s "
                              "FROM profile_samples WHERE profile_id = ?1 AND t_s > ?2 "
                              "ORDER BY t_s LIMIT ?3) ORDER BY t_s",
                              &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, profile_id);
    vp_db_bind_double(q, 2, since);
    vp_db_bind_int(q, 3, max_ticks);
    *last = since;
    vp_json_array_begin(j, key);
    while ((rc = vp_db_step(q)) == VP_DB_ROW) {
        vp_json_array_begin(j, NULL);
        *last = vp_db_column_double(q, 0);
        vp_json_double(j, NULL, *last);
        vp_json_string(j, NULL, col_text(q, 1));
        vp_json_string(j, NULL, col_text(q, 2));
        vp_json_double(j, NULL, vp_db_column_double(q, 3));
        vp_json_array_end(j);
    }
    vp_json_array_end(j);
    vp_db_finalize(q);
    return rc == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "profile_samples");
}
