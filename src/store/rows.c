#include "store/rows.h"

#include <sqlite3.h>
#include <time.h>

int vp_rows_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **s, struct vp_err *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, s, NULL) != SQLITE_OK)
        return vp_run_error(err, 0, "store: %s", sqlite3_errmsg(db));
    return 0;
}

int vp_rows_step(sqlite3 *db, sqlite3_stmt *s, struct vp_err *err)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return vp_run_error(err, 0, "store: %s", sqlite3_errmsg(db));
    return 0;
}

int vp_rows_hist(sqlite3 *db, sqlite3_stmt *s, int col, const struct vp_hist *h, struct vp_err *err)
{
    for (unsigned i = 0; i < VP_HIST_BUCKETS; i++) {
        if (h->buckets[i] == 0)
            continue;
        uint64_t lo, hi;
        vp_hist_bucket_bounds(i, &lo, &hi);
        sqlite3_bind_int64(s, col, (int64_t)lo);
        sqlite3_bind_int64(s, col + 1, (int64_t)hi);
        sqlite3_bind_int64(s, col + 2, h->buckets[i]);
        int rc = vp_rows_step(db, s, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void vp_rows_now(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int vp_rows_transaction(sqlite3 *db, int (*fill)(sqlite3 *, void *, struct vp_err *), void *ctx,
                        struct vp_err *err)
{
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return vp_run_error(err, 0, "store: %s", sqlite3_errmsg(db));
    int rc = fill(db, ctx, err);
    if (rc == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = vp_run_error(err, 0, "store: %s", sqlite3_errmsg(db));
    if (rc < 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
