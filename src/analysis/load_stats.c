#include "analysis/load_stats.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"

void vp_load_col_text(char *dst, size_t len, struct vp_stmt *q, int col)
{
    const char *t = vp_db_column_text(q, col);
    snprintf(dst, len, "%s", t ? t : "");
}

static char *dup_col_or_null(struct vp_stmt *q, int col)
{
    const char *t = vp_db_column_text(q, col);
    return t ? strdup(t) : NULL;
}

double vp_load_col_double(struct vp_stmt *q, int col)
{
    return vp_db_column_is_null(q, col) ? NAN : vp_db_column_double(q, col);
}

/* The rows of a point's table (sql binds experiment and point) read into
 * a growing array of elements of size elem, fill() making each. */
static int read_point_rows(struct vp_store *st, const char *sql, int64_t exp_id, int point,
                           void **rows, int *n, size_t elem,
                           void (*fill)(void *row, struct vp_stmt *q), struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st, sql, &q, err);
    *rows = NULL;
    *n = 0;
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, exp_id);
    vp_db_bind_int(q, 2, point);
    while ((rc = vp_db_step(q)) == VP_DB_ROW) {
        void *more = realloc(*rows, (size_t)(*n + 1) * elem);
        if (more == NULL) {
            rc = vp_run_error(err, ENOMEM, "point rows");
            break;
        }
        *rows = more;
        fill((char *)*rows + (size_t)(*n)++ * elem, q);
    }
    if (rc == VP_DB_DONE)
        rc = 0;
    else if (rc == VP_DB_ERROR)
        rc = vp_store_sql_error(st, err, "point rows");
    vp_db_finalize(q);
    return rc;
}

static void fill_load(void *row, struct vp_stmt *q)
{
    struct vp_load_row *r = row;
    vp_load_col_text(r->load, sizeof r->load, q, 0);
    vp_load_col_text(r->target, sizeof r->target, q, 1);
    vp_load_col_text(r->driver, sizeof r->driver, q, 2);
    vp_load_col_text(r->kind, sizeof r->kind, q, 3);
    r->run_id = vp_db_column_is_null(q, 4) ? 0 : vp_db_column_int64(q, 4);
}

int vp_point_loads(struct vp_store *st, int64_t exp_id, int point, struct vp_load_row **rows,
                   int *n, struct vp_err *err)
{
    int rc = read_point_rows(st,
                             "SELECT load, target, driver, kind, run_id FROM point_loads"
                             " WHERE experiment_id = ? AND point = ? ORDER BY rowid",
                             exp_id, point, (void **)rows, n, sizeof **rows, fill_load, err);
    if (rc < 0) {
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

static void fill_service(void *row, struct vp_stmt *q)
{
    struct vp_service_row *r = row;
    vp_load_col_text(r->appliance, sizeof r->appliance, q, 0);
    vp_load_col_text(r->role, sizeof r->role, q, 1);
    r->address = dup_col_or_null(q, 2);
    r->counters = dup_col_or_null(q, 3);
    json_t *c = r->counters ? json_loads(r->counters, 0, NULL) : NULL;
    r->counters_object = json_is_object(c);
    json_decref(c);
}

int vp_point_services(struct vp_store *st, int64_t exp_id, int point, struct vp_service_row **rows,
                      int *n, struct vp_err *err)
{
    int rc = read_point_rows(st,
                             "SELECT appliance, role, address, counters FROM point_services"
                             " WHERE experiment_id = ? AND point = ? ORDER BY rowid",
                             exp_id, point, (void **)rows, n, sizeof **rows, fill_service, err);
    if (rc < 0) {
        vp_service_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

void vp_service_rows_free(struct vp_service_row *rows, int n)
{
    for (int i = 0; i < n; i++) {
        free(rows[i].address);
        free(rows[i].counters);
    }
    free(rows);
}

/* Each bucket's count at its middle, which falls in the same bucket; the
 * exact extremes were not stored. */
int vp_load_hist(struct vp_store *st, const char *sql, int64_t run_id, struct vp_hist *h,
                 struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st, sql, &q, err);
    vp_hist_init(h);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, run_id);
    uint64_t lo_min = UINT64_MAX, hi_max = 0;
    while ((rc = vp_db_step(q)) == VP_DB_ROW) {
        int64_t lo = vp_db_column_int64(q, 0), hi = vp_db_column_int64(q, 1);
        int64_t count = vp_db_column_int64(q, 2);
        if (lo < 0 || hi < lo || count <= 0)
            continue;
        vp_hist_add_n(h, (uint64_t)lo + (uint64_t)(hi - lo) / 2, (uint64_t)count);
        if ((uint64_t)lo < lo_min)
            lo_min = (uint64_t)lo;
        if ((uint64_t)hi > hi_max)
            hi_max = (uint64_t)hi;
    }
    rc = rc == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "histogram");
    vp_db_finalize(q);
    if (h->count > 0) {
        h->min = lo_min;
        h->max = hi_max;
    }
    return rc;
}

double vp_load_pct_ms(const struct vp_hist *h, double p)
{
    return h->count ? vp_hist_percentile(h, p) / 1e6 : NAN;
}

int vp_load_run_row(struct vp_store *st, const char *sql, int64_t run_id,
                    void (*fill)(struct vp_stmt *q, void *ctx), void *ctx, const char *what,
                    struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st, sql, &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, run_id);
    rc = vp_db_step(q);
    if (rc == VP_DB_ROW) {
        fill(q, ctx);
        rc = 0;
    } else {
        rc = rc == VP_DB_DONE ? 1 : vp_store_sql_error(st, err, what);
    }
    vp_db_finalize(q);
    return rc;
}
