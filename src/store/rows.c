#include "store/rows.h"

#include <time.h>

#include "store/db.h"

int vp_rows_prepare(struct vp_db *db, const char *sql, struct vp_stmt **s, struct vp_err *err)
{
    if (vp_db_prepare(db, sql, s) != 0)
        return vp_run_error(err, 0, "store: %s", vp_db_errmsg(db));
    return 0;
}

int vp_rows_step(struct vp_db *db, struct vp_stmt *s, struct vp_err *err)
{
    int rc = vp_db_step(s);
    vp_db_reset(s);
    if (rc != VP_DB_DONE)
        return vp_run_error(err, 0, "store: %s", vp_db_errmsg(db));
    return 0;
}

int vp_rows_hist(struct vp_db *db, struct vp_stmt *s, int col, const struct vp_hist *h,
                 struct vp_err *err)
{
    for (unsigned i = 0; i < VP_HIST_BUCKETS; i++) {
        if (h->buckets[i] == 0)
            continue;
        uint64_t lo, hi;
        vp_hist_bucket_bounds(i, &lo, &hi);
        vp_db_bind_int64(s, col, (int64_t)lo);
        vp_db_bind_int64(s, col + 1, (int64_t)hi);
        vp_db_bind_int64(s, col + 2, h->buckets[i]);
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

int vp_rows_transaction(struct vp_db *db, int (*fill)(struct vp_db *, void *, struct vp_err *),
                        void *ctx, struct vp_err *err)
{
    if (vp_db_begin(db) != 0)
        return vp_run_error(err, 0, "store: %s", vp_db_errmsg(db));
    int rc = fill(db, ctx, err);
    if (rc == 0 && vp_db_commit(db) != 0)
        rc = vp_run_error(err, 0, "store: %s", vp_db_errmsg(db));
    if (rc < 0)
        vp_db_rollback(db);
    return rc;
}
