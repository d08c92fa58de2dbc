/* Profiler outputs: the results store (profiles, profile_samples,
 * profile_marks on the profiler's own connection, one short transaction per
 * sample: a transaction held open across samples would hold the store's
 * write lock and stall the profiled workloads' own writes to the same
 * store) and a CSV file in the same long form. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/db.h"
#include "core/clock.h"
#include "profiler/internal.h"
#include "store/store.h"

/* A sample's rows go into the store in one INSERT (a server's round trip
 * per sample, not per row) of at most ROWS_PER_INSERT rows: 1,000
 * parameters, within both engines' limits. */
#define ROWS_PER_INSERT 200

struct pending_row {
    char target[128];
    const char *key; /* the series' own, for the sample's time */
    double rate;
};

struct vp_prof_out {
    struct vp_store *st;
    struct vp_stmt *ins, *mark; /* ins: an INSERT of ins_rows rows */
    size_t ins_rows;
    struct pending_row *rows;
    size_t nrows, cap;
    bool in_tx;
    int64_t id;
    FILE *csv;
    char *csv_path;
};

static int db_error(struct vp_prof_out *o, struct vp_err *err, const char *what)
{
    return vp_run_error(err, 0, "store %s: %s: %s", vp_store_name(o->st), what,
                        vp_db_errmsg(vp_store_db(o->st)));
}

static int exec(struct vp_prof_out *o, const char *sql, struct vp_err *err)
{
    if (vp_db_exec(vp_store_db(o->st), sql) != 0)
        return db_error(o, err, sql);
    return 0;
}

static void iso_now(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int store_open(struct vp_prof_out *o, const struct vp_profiler_cfg *cfg, struct vp_err *err)
{
    int rc = vp_store_open(cfg->store_path, &o->st, err);
    if (rc < 0)
        return rc;
    struct vp_db *db = vp_store_db(o->st);
    struct vp_stmt *q = NULL;
    char when[32];
    iso_now(when, sizeof when);
    if (vp_db_prepare(db,
                      "INSERT INTO profiles (run_id, command, interval_s, started_at, "
                      "status, owner, parent_id) VALUES (?, ?, ?, ?, 'running', ?, ?)",
                      &q) != 0)
        return db_error(o, err, "profiles");
    char owner[128];
    vp_store_owner(owner, sizeof owner);
    vp_db_bind_text(q, 5, owner);
    if (cfg->run_id > 0)
        vp_db_bind_int64(q, 1, cfg->run_id);
    else
        vp_db_bind_null(q, 1);
    vp_db_bind_text(q, 2, cfg->command ? cfg->command : "");
    vp_db_bind_double(q, 3, (double)cfg->interval_ns / 1e9);
    vp_db_bind_text(q, 4, when);
    if (cfg->parent_id > 0)
        vp_db_bind_int64(q, 6, cfg->parent_id);
    else
        vp_db_bind_null(q, 6);
    rc = vp_db_step(q) == VP_DB_DONE ? 0 : db_error(o, err, "profiles");
    vp_db_finalize(q);
    if (rc < 0)
        return rc;
    o->id = vp_db_last_insert_id(db);
    if (vp_db_prepare(db, "INSERT INTO profile_marks (profile_id, t_s, label) VALUES (?, ?, ?)",
                      &o->mark) != 0)
        return db_error(o, err, "prepare");
    return 0;
}

int vp_prof_out_open(const struct vp_profiler_cfg *cfg, struct vp_prof_out **out,
                     int64_t *profile_id, struct vp_err *err)
{
    struct vp_prof_out *o = calloc(1, sizeof *o);
    if (o == NULL)
        return vp_run_error(err, ENOMEM, "profiler");
    int rc = 0;
    if (cfg->csv_path) {
        o->csv = fopen(cfg->csv_path, "we");
        if (o->csv == NULL) {
            rc = vp_input_error(err, "--csv %s: %s", cfg->csv_path, strerror(errno));
            goto fail;
        }
        fputs("t_s,target,metric,value\n", o->csv);
        o->csv_path = strdup(cfg->csv_path);
    }
    if (cfg->store_path && (rc = store_open(o, cfg, err)) < 0)
        goto fail;
    *profile_id = o->id;
    *out = o;
    return 0;
fail:
    vp_prof_out_close(o, NULL, NULL);
    return rc;
}

static int commit(struct vp_prof_out *o, struct vp_err *err)
{
    if (!o->in_tx)
        return 0;
    o->in_tx = false;
    return exec(o, "COMMIT", err);
}

/* The statement for n rows: prepared again only when n changes (the
 * targets' series are the same sample after sample). */
static int prepare_insert(struct vp_prof_out *o, size_t n, struct vp_err *err)
{
    if (o->ins && o->ins_rows == n)
        return 0;
    vp_db_finalize(o->ins);
    o->ins = NULL;
    static const char head[] =
        "INSERT INTO profile_samples (profile_id, t_s, target, metric, value) VALUES ";
    size_t len = sizeof head + n * 12;
    char *sql = malloc(len);
    if (sql == NULL)
        return vp_run_error(err, ENOMEM, "profile_samples");
    size_t k = (size_t)snprintf(sql, len, "%s", head);
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(sql + k, len - k, "%s(?,?,?,?,?)", i ? "," : "");
    int rc = vp_db_prepare(vp_store_db(o->st), sql, &o->ins);
    free(sql);
    if (rc != 0)
        return db_error(o, err, "profile_samples");
    o->ins_rows = n;
    return 0;
}

static int flush_rows(struct vp_prof_out *o, double t_s, struct vp_err *err)
{
    for (size_t done = 0; done < o->nrows;) {
        size_t n = o->nrows - done < ROWS_PER_INSERT ? o->nrows - done : ROWS_PER_INSERT;
        int rc = prepare_insert(o, n, err);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < n; i++) {
            const struct pending_row *r = &o->rows[done + i];
            int c = 5 * (int)i;
            vp_db_bind_int64(o->ins, c + 1, o->id);
            vp_db_bind_double(o->ins, c + 2, t_s);
            vp_db_bind_text(o->ins, c + 3, r->target);
            vp_db_bind_text(o->ins, c + 4, r->key);
            vp_db_bind_double(o->ins, c + 5, r->rate);
        }
        rc = vp_db_step(o->ins);
        vp_db_reset(o->ins);
        if (rc != VP_DB_DONE)
            return db_error(o, err, "profile_samples");
        done += n;
    }
    o->nrows = 0;
    return 0;
}

static int keep_row(struct vp_prof_out *o, const char *target, const char *key, double rate,
                    struct vp_err *err)
{
    if (o->nrows == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 64;
        struct pending_row *more = realloc(o->rows, cap * sizeof *more);
        if (more == NULL)
            return vp_run_error(err, ENOMEM, "profile_samples");
        o->rows = more;
        o->cap = cap;
    }
    struct pending_row *r = &o->rows[o->nrows++];
    snprintf(r->target, sizeof r->target, "%s", target);
    r->key = key;
    r->rate = rate;
    return 0;
}

int vp_prof_out_sample(struct vp_prof_out *o, double t_s, struct vp_prof_target *const *targets,
                       size_t n, struct vp_err *err)
{
    int rc;
    if (o->st && !o->in_tx) {
        if ((rc = exec(o, "BEGIN", err)) < 0)
            return rc;
        o->in_tx = true;
    }
    char target[128];
    for (size_t i = 0; i < n; i++) {
        const struct vp_prof_target *t = targets[i];
        for (size_t k = 0; k < t->nseries; k++) {
            const struct vp_prof_series *s = &t->series[k];
            if (!s->rated)
                continue;
            vp_prof_series_target(t, s, target, sizeof target);
            if (o->csv)
                fprintf(o->csv, "%.6f,%s,%s,%.9g\n", t_s, target, s->key, s->rate);
            if (o->st && (rc = keep_row(o, target, s->key, s->rate, err)) < 0)
                return rc;
        }
    }
    if (o->st && (rc = flush_rows(o, t_s, err)) < 0)
        return rc;
    return o->st ? commit(o, err) : 0;
}

int vp_prof_out_mark(struct vp_prof_out *o, double t_s, const char *label, struct vp_err *err)
{
    if (o->csv)
        fprintf(o->csv, "%.6f,mark,\"%s\",\n", t_s, label);
    if (o->st == NULL)
        return 0;
    vp_db_bind_int64(o->mark, 1, o->id);
    vp_db_bind_double(o->mark, 2, t_s);
    vp_db_bind_text(o->mark, 3, label);
    int rc = vp_db_step(o->mark);
    vp_db_reset(o->mark);
    return rc == VP_DB_DONE ? 0 : db_error(o, err, "profile_marks");
}

/* The profile's row: its end, and what the profiler cost. */
static int store_finish(struct vp_prof_out *o, const struct vp_profiler_self *self,
                        struct vp_err *err)
{
    struct vp_stmt *q = NULL;
    char when[32];
    iso_now(when, sizeof when);
    if (vp_db_prepare(vp_store_db(o->st),
                      "UPDATE profiles SET status = 'complete', finished_at = ?, "
                      "samples = ?, missed = ?, cpu_s = ?, elapsed_s = ?, "
                      "lateness_p50_s = ?, lateness_p99_s = ?, lateness_max_s = ?, "
                      "mono_start_s = ? WHERE id = ?",
                      &q) != 0)
        return db_error(o, err, "profiles");
    vp_db_bind_text(q, 1, when);
    vp_db_bind_int64(q, 2, (int64_t)self->samples);
    vp_db_bind_int64(q, 3, (int64_t)self->missed);
    vp_db_bind_double(q, 4, self->cpu_s);
    vp_db_bind_double(q, 5, self->elapsed_s);
    vp_db_bind_double(q, 6, self->lateness_p50_s);
    vp_db_bind_double(q, 7, self->lateness_p99_s);
    vp_db_bind_double(q, 8, self->lateness_max_s);
    vp_db_bind_double(q, 9, self->start_s);
    vp_db_bind_int64(q, 10, o->id);
    int rc = vp_db_step(q) == VP_DB_DONE ? 0 : db_error(o, err, "profiles");
    vp_db_finalize(q);
    return rc;
}

int vp_prof_out_close(struct vp_prof_out *o, const struct vp_profiler_self *self,
                      struct vp_err *err)
{
    if (o == NULL)
        return 0;
    struct vp_err local = {0};
    if (err == NULL)
        err = &local;
    int rc = 0;
    if (o->st) {
        rc = commit(o, err);
        if (rc == 0 && self)
            rc = store_finish(o, self, err);
        if (self == NULL && o->id > 0) { /* abandoned: nothing half-done stays */
            char sql[96];
            snprintf(sql, sizeof sql, "DELETE FROM profiles WHERE id = %lld", (long long)o->id);
            exec(o, sql, err);
        }
        vp_db_finalize(o->ins);
        free(o->rows);
        vp_db_finalize(o->mark);
        vp_store_close(o->st);
    }
    if (o->csv && fclose(o->csv) != 0 && rc == 0)
        rc = vp_run_error(err, errno, "CSV file");
    if (self == NULL && o->csv_path)
        unlink(o->csv_path);
    free(o->csv_path);
    free(o);
    return rc;
}
