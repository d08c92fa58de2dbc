#include "timing/timing_store.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing/probe.h"

bool vp_timing_distorted(double internal_s, double external_s, double pct, double ms)
{
    double diff = fabs(internal_s - external_s);
    return diff > external_s * pct / 100.0 && diff > ms / 1000.0;
}

int vp_timing_store_token(struct vp_store *st, int64_t run_id, uint64_t token, struct vp_err *err)
{
    sqlite3_stmt *q;
    char hex[17];
    vp_probe_token_format(token, hex);
    if (sqlite3_prepare_v2(vp_store_db(st), "UPDATE runs SET run_token = ? WHERE id = ?", -1, &q,
                           NULL) != SQLITE_OK)
        return vp_store_sql_error(st, err, "storing the run token");
    sqlite3_bind_text(q, 1, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, run_id);
    int step = sqlite3_step(q);
    sqlite3_finalize(q);
    return step == SQLITE_DONE ? 0 : vp_store_sql_error(st, err, "storing the run token");
}

int vp_timing_store_round(struct vp_store *st, int64_t run_id, const struct vp_timing_row *r,
                          uint64_t start_server_ns, uint64_t end_server_ns, struct vp_err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(vp_store_db(st),
                           "INSERT OR REPLACE INTO timing_rounds (run_id, round, appliance,"
                           " start_server_ns, end_server_ns, internal_s, external_s, ratio,"
                           " clock_distorted, copies, control_s)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &q, NULL) != SQLITE_OK)
        return vp_store_sql_error(st, err, "storing a round's timing");
    sqlite3_bind_int64(q, 1, run_id);
    sqlite3_bind_int(q, 2, r->round);
    sqlite3_bind_text(q, 3, r->appliance, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 4, (int64_t)start_server_ns);
    sqlite3_bind_int64(q, 5, (int64_t)end_server_ns);
    sqlite3_bind_double(q, 6, r->internal_s);
    sqlite3_bind_double(q, 7, r->external_s);
    sqlite3_bind_double(q, 8, r->ratio);
    sqlite3_bind_int(q, 9, r->distorted);
    sqlite3_bind_int(q, 10, r->copies);
    if (isnan(r->control_s))
        sqlite3_bind_null(q, 11);
    else
        sqlite3_bind_double(q, 11, r->control_s);
    int step = sqlite3_step(q);
    sqlite3_finalize(q);
    return step == SQLITE_DONE ? 0 : vp_store_sql_error(st, err, "storing a round's timing");
}

/* Run a query whose columns are round, warmup, appliance, internal,
 * external, ratio, distorted, copies; collect the rows. */
static int collect(struct vp_store *st, sqlite3_stmt *q, struct vp_timing_row **rows, int *n,
                   double pct, double ms, struct vp_err *err)
{
    int cap = 0, rc = 0;
    *rows = NULL;
    *n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct vp_timing_row *bigger = realloc(*rows, (size_t)cap * sizeof *bigger);
            if (bigger == NULL) {
                rc = vp_run_error(err, ENOMEM, "store %s", vp_store_path(st));
                break;
            }
            *rows = bigger;
        }
        struct vp_timing_row *r = &(*rows)[(*n)++];
        memset(r, 0, sizeof *r);
        r->round = sqlite3_column_int(q, 0);
        r->warmup = sqlite3_column_int(q, 1) != 0;
        snprintf(r->appliance, sizeof r->appliance, "%s", sqlite3_column_text(q, 2));
        r->internal_s = sqlite3_column_double(q, 3);
        r->external_s = sqlite3_column_double(q, 4);
        if (sqlite3_column_type(q, 5) == SQLITE_NULL) { /* from marks: judged here */
            r->ratio = r->external_s > 0 ? r->internal_s / r->external_s : NAN;
            r->distorted = vp_timing_distorted(r->internal_s, r->external_s, pct, ms);
        } else {
            r->ratio = sqlite3_column_double(q, 5);
            r->distorted = sqlite3_column_int(q, 6) != 0;
        }
        r->copies = sqlite3_column_int(q, 7);
    }
    sqlite3_finalize(q);
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
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(
            vp_store_db(st),
            "SELECT t.round, coalesce(r.warmup, 0), t.appliance, t.internal_s, t.external_s,"
            " t.ratio, t.clock_distorted, t.copies FROM timing_rounds t LEFT JOIN rounds r"
            " ON r.run_id = t.run_id AND r.round = t.round WHERE t.run_id = ? ORDER BY t.round",
            -1, &q, NULL) != SQLITE_OK)
        return vp_store_sql_error(st, err, "reading timing");
    sqlite3_bind_int64(q, 1, run_id);
    return collect(st, q, rows, n, 0, 0, err);
}

int vp_timing_load_marks(struct vp_store *st, uint64_t token, double pct, double ms,
                         struct vp_timing_row **rows, int *n, struct vp_err *err)
{
    sqlite3_stmt *q;
    char hex[17];
    vp_probe_token_format(token, hex);
    if (sqlite3_prepare_v2(vp_store_db(st),
                           "SELECT s.round, 0, s.appliance, (e.sender_ns - s.sender_ns) / 1e9,"
                           " (e.server_ns - s.server_ns) / 1e9, NULL, NULL, 2"
                           " FROM timing_marks s JOIN timing_marks e"
                           " ON e.run_token = s.run_token AND e.appliance = s.appliance"
                           " AND e.round = s.round AND e.kind = 'end'"
                           " WHERE s.run_token = ? AND s.kind = 'start'"
                           " ORDER BY s.appliance, s.round",
                           -1, &q, NULL) != SQLITE_OK)
        return vp_store_sql_error(st, err, "reading timing marks");
    sqlite3_bind_text(q, 1, hex, -1, SQLITE_TRANSIENT);
    return collect(st, q, rows, n, pct, ms, err);
}

int64_t vp_timing_run_of_token(struct vp_store *st, uint64_t token)
{
    sqlite3_stmt *q;
    char hex[17];
    int64_t id = 0;
    vp_probe_token_format(token, hex);
    if (sqlite3_prepare_v2(vp_store_db(st), "SELECT id FROM runs WHERE run_token = ?", -1, &q,
                           NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(q, 1, hex, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(q) == SQLITE_ROW)
        id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return id;
}
