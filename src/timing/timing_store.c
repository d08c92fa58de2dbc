#include "timing/timing_store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "timing/probe.h"

bool vp_timing_distorted(double internal_s, double external_s, double pct, double ms)
{
    double diff = fabs(internal_s - external_s);
    return diff > external_s * pct / 100.0 && diff > ms / 1000.0;
}

int vp_timing_store_token(struct vp_store *st, int64_t run_id, uint64_t token, struct vp_err *err)
{
    struct vp_stmt *q;
    char hex[17];
    vp_probe_token_format(token, hex);
    if (vp_db_prepare(vp_store_db(st), "UPDATE runs SET run_token = ? WHERE id = ?", &q) != 0)
        return vp_store_sql_error(st, err, "storing the run token");
    vp_db_bind_text(q, 1, hex);
    vp_db_bind_int64(q, 2, run_id);
    int step = vp_db_step(q);
    vp_db_finalize(q);
    return step == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "storing the run token");
}

int vp_timing_store_round(struct vp_store *st, int64_t run_id, const struct vp_timing_row *r,
                          uint64_t start_server_ns, uint64_t end_server_ns, struct vp_err *err)
{
    struct vp_stmt *q;
    if (vp_db_prepare(vp_store_db(st),
                      "INSERT INTO timing_rounds (run_id, round, appliance,"
                      " start_server_ns, end_server_ns, internal_s, external_s, ratio,"
                      " clock_distorted, copies, control_s)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                      " ON CONFLICT (run_id, round) DO UPDATE SET appliance = excluded.appliance,"
                      " start_server_ns = excluded.start_server_ns,"
                      " end_server_ns = excluded.end_server_ns, internal_s = excluded.internal_s,"
                      " external_s = excluded.external_s, ratio = excluded.ratio,"
                      " clock_distorted = excluded.clock_distorted, copies = excluded.copies,"
                      " control_s = excluded.control_s",
                      &q) != 0)
        return vp_store_sql_error(st, err, "storing a round's timing");
    vp_db_bind_int64(q, 1, run_id);
    vp_db_bind_int(q, 2, r->round);
    vp_db_bind_text(q, 3, r->appliance);
    vp_db_bind_int64(q, 4, (int64_t)start_server_ns);
    vp_db_bind_int64(q, 5, (int64_t)end_server_ns);
    vp_db_bind_double(q, 6, r->internal_s);
    vp_db_bind_double(q, 7, r->external_s);
    vp_db_bind_double(q, 8, r->ratio);
    vp_db_bind_int(q, 9, r->distorted);
    vp_db_bind_int(q, 10, r->copies);
    if (isnan(r->control_s))
        vp_db_bind_null(q, 11);
    else
        vp_db_bind_double(q, 11, r->control_s);
    int step = vp_db_step(q);
    vp_db_finalize(q);
    return step == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "storing a round's timing");
}

/* Run a query whose columns are round, warmup, appliance, internal,
 * external, ratio, distorted, copies; collect the rows. */
static int collect(struct vp_store *st, struct vp_stmt *q, struct vp_timing_row **rows, int *n,
                   double pct, double ms, struct vp_err *err)
{
    int cap = 0, rc = 0;
    *rows = NULL;
    *n = 0;
    while (vp_db_step(q) == VP_DB_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct vp_timing_row *bigger = realloc(*rows, (size_t)cap * sizeof *bigger);
            if (bigger == NULL) {
                rc = vp_run_error(err, ENOMEM, "store %s", vp_store_name(st));
                break;
            }
            *rows = bigger;
        }
        struct vp_timing_row *r = &(*rows)[(*n)++];
        memset(r, 0, sizeof *r);
        r->round = vp_db_column_int(q, 0);
        r->warmup = vp_db_column_int(q, 1) != 0;
        snprintf(r->appliance, sizeof r->appliance, "%s", vp_db_column_text(q, 2));
        r->internal_s = vp_db_column_double(q, 3);
        r->external_s = vp_db_column_double(q, 4);
        if (vp_db_column_is_null(q, 5)) { /* from marks: judged here */
            r->ratio = r->external_s > 0 ? r->internal_s / r->external_s : NAN;
            r->distorted = vp_timing_distorted(r->internal_s, r->external_s, pct, ms);
        } else {
            r->ratio = vp_db_column_double(q, 5);
            r->distorted = vp_db_column_int(q, 6) != 0;
        }
        r->copies = vp_db_column_int(q, 7);
    }
    vp_db_finalize(q);
    if (rc < 0) {
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

int vp_timing_load_run(struct vp_store *st, int64_t run_id, struct vp_timing_row **rows, int *n,
                       struct vp_err *err)
{
    struct vp_stmt *q;
    if (vp_db_prepare(
            vp_store_db(st),
            "SELECT t.round, coalesce(r.warmup, 0), t.appliance, t.internal_s, t.external_s,"
            " t.ratio, t.clock_distorted, t.copies FROM timing_rounds t LEFT JOIN rounds r"
            " ON r.run_id = t.run_id AND r.round = t.round WHERE t.run_id = ? ORDER BY t.round",
            &q) != 0)
        return vp_store_sql_error(st, err, "reading timing");
    vp_db_bind_int64(q, 1, run_id);
    return collect(st, q, rows, n, 0, 0, err);
}

int vp_timing_load_marks(struct vp_store *st, uint64_t token, double pct, double ms,
                         struct vp_timing_row **rows, int *n, struct vp_err *err)
{
    struct vp_stmt *q;
    char hex[17];
    vp_probe_token_format(token, hex);
    if (vp_db_prepare(vp_store_db(st),
                      "SELECT s.round, 0, s.appliance, (e.sender_ns - s.sender_ns) / 1e9,"
                      " (e.server_ns - s.server_ns) / 1e9, NULL, NULL, 2"
                      " FROM timing_marks s JOIN timing_marks e"
                      " ON e.run_token = s.run_token AND e.appliance = s.appliance"
                      " AND e.round = s.round AND e.kind = 'end'"
                      " WHERE s.run_token = ? AND s.kind = 'start'"
                      " ORDER BY s.appliance, s.round",
                      &q) != 0)
        return vp_store_sql_error(st, err, "reading timing marks");
    vp_db_bind_text(q, 1, hex);
    return collect(st, q, rows, n, pct, ms, err);
}

int64_t vp_timing_run_of_token(struct vp_store *st, uint64_t token)
{
    struct vp_stmt *q;
    char hex[17];
    int64_t id = 0;
    vp_probe_token_format(token, hex);
    if (vp_db_prepare(vp_store_db(st), "SELECT id FROM runs WHERE run_token = ?", &q) != 0)
        return 0;
    vp_db_bind_text(q, 1, hex);
    if (vp_db_step(q) == VP_DB_ROW)
        id = vp_db_column_int64(q, 0);
    vp_db_finalize(q);
    return id;
}
