/* udp-gen runs in the results store (tables made by the udp migration in
 * store/schema.c). One transaction per run. */
#include "store/db.h"
#include "net/udp_gen_report.h"
#include "store/rows.h"

/* A value in ms (or us), NULL when there is none. */
static void bind_opt(struct vp_stmt *s, int k, bool have, double v)
{
    if (have)
        vp_db_bind_double(s, k, v);
    else
        vp_db_bind_null(s, k);
}

static int insert_run(struct vp_db *db, const char *command, const char *params,
                      const struct vp_udp_run_info *in, const struct vp_udp_gen_result *r,
                      int64_t *run_id, struct vp_err *err)
{
    static const char sql[] =
        "INSERT INTO udp_runs (finished_at, command, params, status, target, direction, size,"
        " rate, duration_s, interval_s, sent, received, lost, duplicates, reordered, jitter_ms,"
        " clocks_shared, clock_bound_us, delay_min_ms, delay_p50_ms, delay_p99_ms, delay_max_ms,"
        " lateness_p99_us, cpu_fraction, generator_limited, hist_relative_error)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    struct vp_stmt *s;
    int rc = vp_rows_prepare(db, sql, &s, err);
    if (rc < 0)
        return rc;
    struct vp_udp_totals t;
    vp_udp_totals(r, &t);
    const struct vp_udp_gen_cfg *c = in->cfg;
    char when[32];
    vp_rows_now(when, sizeof when);
    bool d = t.delay.count > 0;
    int k = 1;
    vp_db_bind_text(s, k++, when);
    vp_db_bind_text(s, k++, command);
    vp_db_bind_text(s, k++, params);
    vp_db_bind_text(s, k++, vp_udp_run_status(r));
    vp_db_bind_text(s, k++, in->target);
    vp_db_bind_text(s, k++, in->direction);
    vp_db_bind_int(s, k++, (int)c->size);
    vp_db_bind_double(s, k++, c->rate);
    vp_db_bind_double(s, k++, (double)c->duration_ns / 1e9);
    vp_db_bind_double(s, k++, (double)c->interval_ns / 1e9);
    vp_db_bind_int64(s, k++, (int64_t)t.sent);
    vp_db_bind_int64(s, k++, (int64_t)t.received);
    vp_db_bind_int64(s, k++, (int64_t)t.lost);
    vp_db_bind_int64(s, k++, (int64_t)t.duplicates);
    vp_db_bind_int64(s, k++, (int64_t)t.reordered);
    vp_db_bind_double(s, k++, t.jitter_ns / 1e6);
    vp_db_bind_int(s, k++, r->clocks_shared);
    vp_db_bind_double(s, k++, (double)r->clock_bound_ns / 1e3);
    bind_opt(s, k++, d, (double)t.delay.min / 1e6);
    bind_opt(s, k++, d, vp_hist_percentile(&t.delay, 50) / 1e6);
    bind_opt(s, k++, d, vp_hist_percentile(&t.delay, 99) / 1e6);
    bind_opt(s, k++, d, (double)t.delay.max / 1e6);
    bind_opt(s, k++, r->dir[0].on, r->dir[0].late_p99_ns / 1e3);
    vp_db_bind_double(s, k++, r->wall_ns ? (double)r->cpu_ns / (double)r->wall_ns : 0);
    vp_db_bind_int(s, k++, r->generator_limited);
    vp_db_bind_double(s, k++, VP_HIST_REL_ERROR);
    rc = vp_rows_step(db, s, err);
    vp_db_finalize(s);
    *run_id = vp_db_last_insert_id(db);
    return rc;
}

static int insert_dir(struct vp_db *db, struct vp_stmt *s, int64_t id, int i,
                      const struct vp_udp_dir *d, struct vp_err *err)
{
    bool late = d->late_count > 0;
    int k = 1;
    vp_db_bind_int64(s, k++, id);
    vp_db_bind_text(s, k++, vp_udp_dir_names[i]);
    vp_db_bind_text(s, k++, i == 0 ? "udp-gen" : "udp-sink");
    vp_db_bind_int64(s, k++, (int64_t)d->sent);
    vp_db_bind_int64(s, k++, (int64_t)d->planned);
    vp_db_bind_int64(s, k++, (int64_t)d->refused);
    vp_db_bind_int64(s, k++, (int64_t)d->received);
    vp_db_bind_int64(s, k++, (int64_t)d->bytes);
    vp_db_bind_int64(s, k++, (int64_t)d->lost);
    vp_db_bind_int64(s, k++, (int64_t)d->duplicates);
    vp_db_bind_int64(s, k++, (int64_t)d->reordered);
    vp_db_bind_int64(s, k++, (int64_t)d->too_late);
    vp_db_bind_double(s, k++, d->jitter_ns / 1e6);
    vp_db_bind_int64(s, k++, (int64_t)d->delay.count);
    bind_opt(s, k++, late, d->late_p50_ns / 1e3);
    bind_opt(s, k++, late, d->late_p99_ns / 1e3);
    bind_opt(s, k++, late, d->late_max_ns / 1e3);
    vp_db_bind_double(s, k++, d->elapsed_ns ? (double)d->cpu_ns / (double)d->elapsed_ns : 0);
    vp_db_bind_int(s, k++, d->sender_limited);
    return vp_rows_step(db, s, err);
}

static int insert_intervals(struct vp_db *db, struct vp_stmt *s, int64_t id, int i,
                            const struct vp_udp_gen_result *r, double interval_s,
                            struct vp_err *err)
{
    int rc = 0;
    for (uint32_t n = 0; n < r->nintervals && rc == 0; n++) {
        const struct vp_udp_ival *iv = &r->dir[i].iv[n];
        bool d = iv->delay_count > 0;
        int k = 1;
        vp_db_bind_int64(s, k++, id);
        vp_db_bind_text(s, k++, vp_udp_dir_names[i]);
        vp_db_bind_int(s, k++, (int)n);
        vp_db_bind_double(s, k++, (double)n * interval_s);
        vp_db_bind_int64(s, k++, (int64_t)iv->sent);
        vp_db_bind_int64(s, k++, (int64_t)iv->received);
        vp_db_bind_int64(s, k++, (int64_t)(iv->sent > iv->received ? iv->sent - iv->received : 0));
        vp_db_bind_int64(s, k++, (int64_t)iv->duplicates);
        vp_db_bind_int64(s, k++, (int64_t)iv->reordered);
        vp_db_bind_int64(s, k++, (int64_t)iv->too_late);
        vp_db_bind_double(s, k++, (double)iv->jitter_ns / 1e6);
        bind_opt(s, k++, d, d ? (double)iv->delay_sum_ns / (double)iv->delay_count / 1e6 : 0);
        bind_opt(s, k++, d, (double)iv->delay_max_ns / 1e6);
        rc = vp_rows_step(db, s, err);
    }
    return rc;
}

static int insert_hist(struct vp_db *db, struct vp_stmt *s, int64_t id, int i,
                       const struct vp_hist *h, struct vp_err *err)
{
    vp_db_bind_int64(s, 1, id);
    vp_db_bind_text(s, 2, vp_udp_dir_names[i]);
    return vp_rows_hist(db, s, 3, h, err);
}

static int insert_rows(struct vp_db *db, int64_t id, const struct vp_udp_run_info *in,
                       const struct vp_udp_gen_result *r, struct vp_err *err)
{
    struct vp_stmt *sd = NULL, *si = NULL, *sh = NULL;
    int rc;
    if ((rc = vp_rows_prepare(
             db, "INSERT INTO udp_directions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &sd,
             err)) < 0 ||
        (rc = vp_rows_prepare(db, "INSERT INTO udp_intervals VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                              &si, err)) < 0 ||
        (rc = vp_rows_prepare(db, "INSERT INTO udp_delay_hist VALUES (?,?,?,?,?)", &sh, err)) < 0)
        goto out;
    for (int i = 0; i < 2 && rc == 0; i++) {
        if (!r->dir[i].on)
            continue;
        if ((rc = insert_dir(db, sd, id, i, &r->dir[i], err)) == 0 &&
            (rc = insert_intervals(db, si, id, i, r, (double)in->cfg->interval_ns / 1e9, err)) == 0)
            rc = insert_hist(db, sh, id, i, &r->dir[i].delay, err);
    }
out:
    vp_db_finalize(sd);
    vp_db_finalize(si);
    vp_db_finalize(sh);
    return rc;
}

struct job {
    const char *command, *params;
    const struct vp_udp_run_info *in;
    const struct vp_udp_gen_result *r;
    int64_t run_id;
};

static int fill(struct vp_db *db, void *ctx, struct vp_err *err)
{
    struct job *j = ctx;
    int rc = insert_run(db, j->command, j->params, j->in, j->r, &j->run_id, err);
    return rc == 0 ? insert_rows(db, j->run_id, j->in, j->r, err) : rc;
}

int vp_udp_store_run(struct vp_store *st, const char *command, const char *params,
                     const struct vp_udp_run_info *in, const struct vp_udp_gen_result *r,
                     int64_t *run_id, struct vp_err *err)
{
    struct job j = {command, params, in, r, 0};
    int rc = vp_rows_transaction(vp_store_db(st), fill, &j, err);
    *run_id = rc == 0 ? j.run_id : 0;
    return rc;
}
