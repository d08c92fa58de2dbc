#include "analysis/load_stats.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_col(char *dst, size_t len, sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    snprintf(dst, len, "%s", t ? (const char *)t : "");
}

static char *dup_col_or_null(sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    return t ? strdup((const char *)t) : NULL;
}

static double col_double(sqlite3_stmt *q, int col)
{
    return sqlite3_column_type(q, col) == SQLITE_NULL ? NAN : sqlite3_column_double(q, col);
}

/* The rows of a point's table (sql binds experiment and point) read into
 * a growing array of elements of size elem, fill() making each. */
static int read_point_rows(struct vp_store *st, const char *sql, int64_t exp_id, int point,
                           void **rows, int *n, size_t elem,
                           void (*fill)(void *row, sqlite3_stmt *q), struct vp_err *err)
{
    sqlite3_stmt *q;
    int rc = vp_store_prepare(st, sql, &q, err);
    *rows = NULL;
    *n = 0;
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(q, 1, exp_id);
    sqlite3_bind_int(q, 2, point);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        void *more = realloc(*rows, (size_t)(*n + 1) * elem);
        if (more == NULL) {
            rc = vp_run_error(err, ENOMEM, "point rows");
            break;
        }
        *rows = more;
        fill((char *)*rows + (size_t)(*n)++ * elem, q);
    }
    if (rc == SQLITE_DONE)
        rc = 0;
    else if (rc > 0)
        rc = vp_store_sql_error(st, err, "point rows");
    sqlite3_finalize(q);
    return rc;
}

static void fill_load(void *row, sqlite3_stmt *q)
{
    struct vp_load_row *r = row;
    copy_col(r->load, sizeof r->load, q, 0);
    copy_col(r->target, sizeof r->target, q, 1);
    copy_col(r->driver, sizeof r->driver, q, 2);
    copy_col(r->kind, sizeof r->kind, q, 3);
    r->run_id = sqlite3_column_type(q, 4) == SQLITE_NULL ? 0 : sqlite3_column_int64(q, 4);
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

static void fill_service(void *row, sqlite3_stmt *q)
{
    struct vp_service_row *r = row;
    copy_col(r->appliance, sizeof r->appliance, q, 0);
    copy_col(r->role, sizeof r->role, q, 1);
    r->address = dup_col_or_null(q, 2);
    r->counters = dup_col_or_null(q, 3);
    r->counters_object = sqlite3_column_int(q, 4) != 0;
}

int vp_point_services(struct vp_store *st, int64_t exp_id, int point, struct vp_service_row **rows,
                      int *n, struct vp_err *err)
{
    int rc = read_point_rows(st,
                             "SELECT appliance, role, address, counters, CASE WHEN"
                             " json_valid(counters) THEN json_type(counters) = 'object' ELSE 0"
                             " END FROM point_services WHERE experiment_id = ? AND point = ?"
                             " ORDER BY rowid",
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

/* A stored histogram series (the query selects lo_ns, hi_ns, count of one
 * run, ?1 = run id) read back: each bucket's count at its middle, which falls
 * in the same bucket; the exact extremes were not stored, so min and max are
 * the outer bounds of the lowest and highest buckets. */
static int read_hist(struct vp_store *st, const char *sql, int64_t run_id, struct vp_hist *h,
                     struct vp_err *err)
{
    sqlite3_stmt *q;
    int rc = vp_store_prepare(st, sql, &q, err);
    vp_hist_init(h);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(q, 1, run_id);
    uint64_t lo_min = UINT64_MAX, hi_max = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t lo = sqlite3_column_int64(q, 0), hi = sqlite3_column_int64(q, 1);
        int64_t count = sqlite3_column_int64(q, 2);
        if (lo < 0 || hi < lo || count <= 0)
            continue;
        vp_hist_add_n(h, (uint64_t)lo + (uint64_t)(hi - lo) / 2, (uint64_t)count);
        if ((uint64_t)lo < lo_min)
            lo_min = (uint64_t)lo;
        if ((uint64_t)hi > hi_max)
            hi_max = (uint64_t)hi;
    }
    rc = rc == SQLITE_DONE ? 0 : vp_store_sql_error(st, err, "histogram");
    sqlite3_finalize(q);
    if (h->count > 0) {
        h->min = lo_min;
        h->max = hi_max;
    }
    return rc;
}

static double pct_ms(const struct vp_hist *h, double p)
{
    return h->count ? vp_hist_percentile(h, p) / 1e6 : NAN;
}

/* The sip_runs row: kind, status and the cached capacity; 0 when found, 1
 * when the run is gone. */
static int sip_run_row(struct vp_store *st, int64_t id, char *kind, size_t kind_len,
                       struct vp_load_figures *f, struct vp_err *err)
{
    sqlite3_stmt *q;
    int rc = vp_store_prepare(
        st,
        "SELECT kind, status, created, successful, failed_timeout + failed_4xx +"
        " failed_5xx + failed_6xx + failed_unexpected + abandoned, retransmissions,"
        " generator_bottleneck, capacity_mean, capacity_ci_lo, capacity_ci_hi,"
        " capacity_n FROM sip_runs WHERE id = ?",
        &q, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(q, 1, id);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        copy_col(kind, kind_len, q, 0);
        copy_col(f->status, sizeof f->status, q, 1);
        if (strcmp(kind, "capacity") == 0) {
            struct vp_load_capacity *c = &f->cap;
            c->stored_mean = col_double(q, 7);
            c->stored_ci_lo = col_double(q, 8);
            c->stored_ci_hi = col_double(q, 9);
            c->stored_n = sqlite3_column_int(q, 10);
        } else {
            struct vp_load_uac *u = &f->uac;
            u->created = sqlite3_column_int64(q, 2);
            u->successful = sqlite3_column_int64(q, 3);
            u->failed = sqlite3_column_int64(q, 4);
            u->retransmissions = sqlite3_column_int64(q, 5);
            f->generator_limited = sqlite3_column_int(q, 6) != 0;
        }
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? 1 : vp_store_sql_error(st, err, "sip run");
    }
    sqlite3_finalize(q);
    return rc;
}

/* Per repeat the highest passing rate (0 when none passed), then their mean
 * and 95% CI as sip-capacity computes them. Generator-limited, as
 * sip-capacity says it: some rate was only ever rejected (its retry too). */
static int capacity_figures(struct vp_store *st, int64_t id, struct vp_load_figures *f,
                            struct vp_err *err)
{
    struct vp_load_capacity *c = &f->cap;
    sqlite3_stmt *q;
    int rc = vp_store_prepare(
        st,
        "SELECT max(CASE WHEN verdict = 'pass' THEN rate ELSE 0 END), count(*),"
        " (SELECT count(*) FROM (SELECT rate FROM sip_capacity_steps r"
        "   WHERE r.run_id = s.run_id AND r.repeat = s.repeat GROUP BY rate"
        "   HAVING sum(verdict != 'rejected') = 0))"
        " FROM sip_capacity_steps s WHERE run_id = ? GROUP BY repeat ORDER BY repeat",
        &q, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(q, 1, id);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (c->nrepeats < VP_LOAD_MAX_REPEATS)
            c->best[c->nrepeats++] = sqlite3_column_double(q, 0);
        c->steps += sqlite3_column_int(q, 1);
        f->generator_limited |= sqlite3_column_int(q, 2) > 0;
    }
    rc = rc == SQLITE_DONE ? 0 : vp_store_sql_error(st, err, "capacity steps");
    sqlite3_finalize(q);
    if (rc < 0)
        return rc;
    c->max_rate.mean = c->max_rate.ci_lo = c->max_rate.ci_hi = c->max_rate.ci_half = NAN;
    if (c->nrepeats > 0) {
        vp_summarize(c->best, c->nrepeats, false, &c->max_rate);
    } else if (c->stored_n > 0) { /* no steps kept: only the cached outcome is left */
        c->from_cache = true;
        c->max_rate.n = c->stored_n;
        c->max_rate.mean = c->stored_mean;
        c->max_rate.ci_lo = c->stored_ci_lo;
        c->max_rate.ci_hi = c->stored_ci_hi;
        c->max_rate.ci_half = (c->stored_ci_hi - c->stored_ci_lo) / 2;
        f->generator_limited = strcmp(f->status, "generator_limited") == 0;
    }
    return 0;
}

static int uac_figures(struct vp_store *st, int64_t id, struct vp_load_figures *f,
                       struct vp_err *err)
{
    struct vp_load_uac *u = &f->uac;
    u->failed_pct = u->created ? 100.0 * (double)u->failed / (double)u->created : NAN;
    u->retransmission_pct =
        u->created ? 100.0 * (double)u->retransmissions / (double)u->created : NAN;
    struct vp_hist *h = malloc(sizeof *h);
    if (h == NULL)
        return vp_run_error(err, ENOMEM, "histogram");
    int rc = read_hist(st,
                       "SELECT lo_ns, hi_ns, count FROM sip_latency_hist"
                       " WHERE run_id = ? AND series = 'inv200' ORDER BY lo_ns",
                       id, h, err);
    u->inv200_samples = h->count;
    u->inv200_p50_ms = pct_ms(h, 50);
    u->inv200_p95_ms = pct_ms(h, 95);
    u->inv200_p99_ms = pct_ms(h, 99);
    free(h);
    return rc;
}

static void boxplot_ms(const struct vp_hist *h, struct vp_boxplot *b)
{
    vp_hist_boxplot(h, b);
    double *v[] = {&b->min, &b->q1, &b->median, &b->q3, &b->max, &b->whisker_lo, &b->whisker_hi};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        *v[i] /= 1e6;
    for (int i = 0; i < b->nout; i++)
        b->out_value[i] /= 1e6;
}

/* 0 when found, 1 when the run is gone. */
static int rtp_figures(struct vp_store *st, int64_t id, struct vp_load_figures *f,
                       struct vp_err *err)
{
    struct vp_load_rtp *r = &f->rtp;
    sqlite3_stmt *q;
    int rc = vp_store_prepare(
        st,
        "SELECT status, streams, sent, received, lost, duplicates, reordered,"
        " generator_late, (SELECT avg(jitter_ms) FROM rtp_streams WHERE run_id = ?1)"
        " FROM rtp_runs WHERE id = ?1",
        &q, err);
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(q, 1, id);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        copy_col(f->status, sizeof f->status, q, 0);
        r->streams = sqlite3_column_int(q, 1);
        r->sent = sqlite3_column_int64(q, 2);
        r->received = sqlite3_column_int64(q, 3);
        r->lost = sqlite3_column_int64(q, 4);
        r->duplicates = sqlite3_column_int64(q, 5);
        r->reordered = sqlite3_column_int64(q, 6);
        f->generator_limited = sqlite3_column_int(q, 7) != 0;
        r->jitter_mean_ms = col_double(q, 8);
        r->loss_pct = r->sent > 0 ? 100.0 * (double)r->lost / (double)r->sent : NAN;
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? 1 : vp_store_sql_error(st, err, "rtp run");
    }
    sqlite3_finalize(q);
    if (rc != 0)
        return rc;
    struct vp_hist *h = malloc(sizeof *h);
    if (h == NULL)
        return vp_run_error(err, ENOMEM, "histogram");
    rc = read_hist(st,
                   "SELECT lo_ns, hi_ns, count FROM rtp_delay_hist"
                   " WHERE run_id = ? AND series = 'delay' AND interval = -1 ORDER BY lo_ns",
                   id, h, err);
    r->delay_samples = h->count;
    boxplot_ms(h, &r->delay_ms);
    r->delay_p95_ms = pct_ms(h, 95);
    r->delay_p99_ms = pct_ms(h, 99);
    free(h);
    return rc;
}

int vp_load_figures(struct vp_store *st, const struct vp_load_row *row, struct vp_load_figures *f,
                    struct vp_err *err)
{
    memset(f, 0, sizeof *f);
    f->type = VP_LOAD_FAILED;
    snprintf(f->status, sizeof f->status, "failed");
    if (row->run_id <= 0)
        return 0;
    int rc;
    if (strcmp(row->kind, "rtp") == 0) {
        if ((rc = rtp_figures(st, row->run_id, f, err)) == 0)
            f->type = VP_LOAD_RTP;
    } else if (strcmp(row->kind, "sip") == 0) {
        char kind[16] = "";
        if ((rc = sip_run_row(st, row->run_id, kind, sizeof kind, f, err)) == 0) {
            bool capacity = strcmp(kind, "capacity") == 0;
            f->type = capacity ? VP_LOAD_SIP_CAPACITY : VP_LOAD_SIP_UAC;
            rc = capacity ? capacity_figures(st, row->run_id, f, err)
                          : uac_figures(st, row->run_id, f, err);
        }
    } else {
        return vp_run_error(err, 0, "load %s: unknown kind '%s'", row->load, row->kind);
    }
    if (rc == 1) { /* the row names a run that is no longer stored */
        memset(f, 0, sizeof *f);
        f->type = VP_LOAD_FAILED;
        snprintf(f->status, sizeof f->status, "missing");
        rc = 0;
    }
    return rc;
}
