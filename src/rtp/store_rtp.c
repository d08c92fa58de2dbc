/* rtp-client runs in the results store (tables created by the rtp migration
 * in store/schema.c). One transaction per run. */
#include "store/db.h"
#include "rtp/report.h"
#include "store/rows.h"

/* A histogram's buckets as rtp_delay_hist rows of series and interval (-1:
 * the whole run). */
static int store_hist(struct vp_db *db, struct vp_stmt *s, int64_t run_id, const char *series,
                      int interval, const struct vp_hist *h, struct vp_err *err)
{
    vp_db_bind_int64(s, 1, run_id);
    vp_db_bind_text(s, 2, series);
    vp_db_bind_int(s, 3, interval);
    return vp_rows_hist(db, s, 4, h, err);
}

static int insert_run(struct vp_db *db, const char *command, const char *params,
                      const struct vp_rtp_client_cfg *cfg, const struct vp_rtp_client_result *r,
                      int64_t *run_id, struct vp_err *err)
{
    static const char sql[] =
        "INSERT INTO rtp_runs (finished_at, command, params, status, streams, ptime_ms, payload,"
        " duration_s, sent, received, lost, duplicates, reordered, rejected, rcvbuf_drops,"
        " send_errors, lateness_p50_us, lateness_p99_us, lateness_max_us, cpu_fraction,"
        " generator_late, silent_from_s, hist_relative_error)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    struct vp_stmt *s;
    int rc = vp_rows_prepare(db, sql, &s, err);
    if (rc < 0)
        return rc;
    char when[32];
    vp_rows_now(when, sizeof when);
    const struct vp_rtp_rejects *x = &r->rejects;
    int k = 1;
    vp_db_bind_text(s, k++, when);
    vp_db_bind_text(s, k++, command);
    vp_db_bind_text(s, k++, params);
    vp_db_bind_text(s, k++, vp_rtp_run_status(r));
    vp_db_bind_int(s, k++, cfg->streams);
    vp_db_bind_double(s, k++, (double)cfg->ptime_ns / 1e6);
    vp_db_bind_int(s, k++, (int)cfg->payload);
    vp_db_bind_double(s, k++, (double)r->send_ns / 1e9);
    vp_db_bind_int64(s, k++, (int64_t)r->sent);
    vp_db_bind_int64(s, k++, (int64_t)r->received);
    vp_db_bind_int64(s, k++, (int64_t)(r->sent - r->received));
    vp_db_bind_int64(s, k++, (int64_t)r->duplicates);
    vp_db_bind_int64(s, k++, (int64_t)r->reordered);
    vp_db_bind_int64(s, k++,
                     (int64_t)(x->not_rtp + x->truncated + x->foreign_token + x->foreign_ssrc));
    vp_db_bind_int64(s, k++, (int64_t)r->rcvbuf_drops);
    vp_db_bind_int64(s, k++, (int64_t)r->send_errors);
    vp_db_bind_double(s, k++, vp_hist_percentile(&r->lateness, 50) / 1e3);
    vp_db_bind_double(s, k++, vp_hist_percentile(&r->lateness, 99) / 1e3);
    vp_db_bind_double(s, k++, (double)(r->lateness.count ? r->lateness.max : 0) / 1e3);
    vp_db_bind_double(s, k++, r->wall_ns ? (double)r->cpu_ns / (double)r->wall_ns : 0);
    vp_db_bind_int(s, k++, r->generator_late);
    if (r->silent_from >= 0)
        vp_db_bind_double(s, k++, (double)r->silent_from * (double)cfg->interval_ns / 1e9);
    else
        vp_db_bind_null(s, k++);
    vp_db_bind_double(s, k++, VP_HIST_REL_ERROR);
    rc = vp_rows_step(db, s, err);
    vp_db_finalize(s);
    *run_id = vp_db_last_insert_id(db);
    return rc;
}

static int insert_rows(struct vp_db *db, int64_t id, const struct vp_rtp_client_cfg *cfg,
                       const struct vp_rtp_client_result *r, struct vp_err *err)
{
    struct vp_stmt *ss = NULL, *si = NULL, *sh = NULL;
    int rc;
    if ((rc = vp_rows_prepare(db, "INSERT INTO rtp_streams VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                              &ss, err)) < 0 ||
        (rc = vp_rows_prepare(db, "INSERT INTO rtp_intervals VALUES (?,?,?,?,?)", &si, err)) < 0 ||
        (rc = vp_rows_prepare(db, "INSERT INTO rtp_delay_hist VALUES (?,?,?,?,?,?)", &sh, err)) < 0)
        goto out;
    for (int i = 0; i < cfg->streams && rc == 0; i++) {
        const struct vp_rtp_stream *st = &r->streams[i];
        bool any = st->rx.received > 0;
        int k = 1;
        vp_db_bind_int64(ss, k++, id);
        vp_db_bind_int(ss, k++, i);
        vp_db_bind_int64(ss, k++, st->ssrc);
        vp_db_bind_int64(ss, k++, (int64_t)st->sent);
        vp_db_bind_int64(ss, k++, (int64_t)st->rx.received);
        vp_db_bind_int64(ss, k++, vp_rtp_stream_lost(st));
        vp_db_bind_int64(ss, k++, vp_rtp_stream_lost_rfc(st));
        vp_db_bind_int64(ss, k++, (int64_t)st->rx.duplicates);
        vp_db_bind_int64(ss, k++, (int64_t)st->rx.reordered);
        vp_db_bind_double(ss, k++, vp_rtp_jitter_ms(&st->rx, cfg->clock_rate));
        vp_db_bind_double(ss, k++, st->rx.jitter_max * 1000.0 / cfg->clock_rate);
        vp_db_bind_double(ss, k++, (double)st->rx.max_delta_ns / 1e6);
        vp_db_bind_double(ss, k++, any ? (double)st->rx.delay_min / 1e6 : 0);
        vp_db_bind_double(ss, k++, any ? st->rx.delay_sum / (double)st->rx.received / 1e6 : 0);
        vp_db_bind_double(ss, k++, (double)st->rx.delay_max / 1e6);
        rc = vp_rows_step(db, ss, err);
    }
    for (int i = 0; i < r->nintervals && rc == 0; i++) {
        vp_db_bind_int64(si, 1, id);
        vp_db_bind_int(si, 2, i);
        vp_db_bind_double(si, 3, (double)i * (double)cfg->interval_ns / 1e9);
        vp_db_bind_int64(si, 4, (int64_t)r->intervals[i].sent);
        vp_db_bind_int64(si, 5, (int64_t)r->intervals[i].received);
        if ((rc = vp_rows_step(db, si, err)) == 0)
            rc = store_hist(db, sh, id, "delay", i, &r->intervals[i].delay, err);
    }
    if (rc == 0)
        rc = store_hist(db, sh, id, "delay", -1, &r->delay, err);
    if (rc == 0)
        rc = store_hist(db, sh, id, "lateness", -1, &r->lateness, err);
out:
    vp_db_finalize(ss);
    vp_db_finalize(si);
    vp_db_finalize(sh);
    return rc;
}

struct job {
    const char *command, *params;
    const struct vp_rtp_client_cfg *cfg;
    const struct vp_rtp_client_result *r;
    int64_t run_id;
};

static int fill(struct vp_db *db, void *ctx, struct vp_err *err)
{
    struct job *j = ctx;
    int rc = insert_run(db, j->command, j->params, j->cfg, j->r, &j->run_id, err);
    return rc == 0 ? insert_rows(db, j->run_id, j->cfg, j->r, err) : rc;
}

int vp_rtp_store_run(struct vp_store *st, const char *command, const char *params,
                     const struct vp_rtp_client_cfg *cfg, const struct vp_rtp_client_result *r,
                     int64_t *run_id, struct vp_err *err)
{
    struct job j = {command, params, cfg, r, 0};
    int rc = vp_rows_transaction(vp_store_db(st), fill, &j, err);
    *run_id = rc == 0 ? j.run_id : 0;
    return rc;
}
