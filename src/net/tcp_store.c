/* tcp-gen runs in the results store (tables created by the tcp migration
 * in store/schema.c). One transaction per run. */
#include <math.h>
#include <time.h>

#include "store/db.h"
#include "net/tcp_report.h"

static int prep(struct vp_db *db, const char *sql, struct vp_stmt **s, struct vp_err *err)
{
    if (vp_db_prepare(db, sql, s) != 0)
        return vp_run_error(err, 0, "store: %s", vp_db_errmsg(db));
    return 0;
}

static int step(struct vp_db *db, struct vp_stmt *s, struct vp_err *err)
{
    int rc = vp_db_step(s);
    vp_db_reset(s);
    if (rc != VP_DB_DONE)
        return vp_run_error(err, 0, "store: %s", vp_db_errmsg(db));
    return 0;
}

/* A double, or NULL for NaN. */
static void bind_figure(struct vp_stmt *s, int k, double v)
{
    if (isfinite(v))
        vp_db_bind_double(s, k, v);
    else
        vp_db_bind_null(s, k);
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : NAN;
}

static int insert_run(struct vp_db *db, const char *command, const char *params,
                      const struct vp_tcp_result *r, int64_t *run_id, struct vp_err *err)
{
    static const char sql[] =
        "INSERT INTO tcp_runs (finished_at, command, params, status, streams, direction, length,"
        " \"window\", duration_s, interval_s, up_bytes, up_seconds, up_mbps, up_retrans, "
        "down_bytes,"
        " down_seconds, down_mbps, down_retrans, generator_cpu_pct, sender_cpu_pct,"
        " receiver_cpu_pct, sink_receiver_cpu_pct, sink_sender_cpu_pct, generator_limited)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    struct vp_stmt *s;
    int rc = prep(db, sql, &s, err);
    if (rc < 0)
        return rc;
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const struct vp_tcp_gen_cfg *c = &r->cfg;
    int k = 1;
    vp_db_bind_text(s, k++, when);
    vp_db_bind_text(s, k++, command);
    vp_db_bind_text(s, k++, params);
    vp_db_bind_text(s, k++, vp_tcp_status(r));
    vp_db_bind_int(s, k++, c->streams);
    vp_db_bind_text(s, k++, vp_tcp_dir_names[c->dir - 1]);
    vp_db_bind_int64(s, k++, c->length);
    vp_db_bind_int64(s, k++, c->window);
    vp_db_bind_double(s, k++, (double)c->duration_ns / 1e9);
    vp_db_bind_double(s, k++, (double)c->interval_ns / 1e9);
    for (int dir = VP_TCP_UP; dir <= VP_TCP_DOWN; dir++) {
        struct vp_tcp_span p;
        if (!(c->dir & dir)) {
            for (int i = 0; i < 4; i++)
                vp_db_bind_null(s, k++);
            continue;
        }
        vp_tcp_span_of(r, 0, -1, dir, &p);
        vp_db_bind_int64(s, k++, (int64_t)p.received);
        vp_db_bind_double(s, k++, p.seconds);
        bind_figure(s, k++, p.bits_per_second / 1e6);
        vp_db_bind_int64(s, k++, (int64_t)p.retrans);
    }
    bind_figure(s, k++, pct(r->cpu_ns, r->wall_ns));
    bind_figure(s, k++, pct(r->tx.cpu_ns, r->tx.busy_ns));
    bind_figure(s, k++, pct(r->rx.cpu_ns, r->rx.busy_ns));
    bind_figure(s, k++, pct(r->sink_rx_cpu_ns, r->sink_rx_busy_ns));
    bind_figure(s, k++, pct(r->sink_tx_cpu_ns, r->sink_tx_busy_ns));
    vp_db_bind_int(s, k++, vp_tcp_generator_limited(r));
    rc = step(db, s, err);
    vp_db_finalize(s);
    *run_id = vp_db_last_insert_id(db);
    return rc;
}

static int insert_rows(struct vp_db *db, int64_t id, const struct vp_tcp_result *r,
                       struct vp_err *err)
{
    struct vp_stmt *ss = NULL, *si = NULL;
    int rc;
    if ((rc = prep(db, "INSERT INTO tcp_streams VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", &ss, err)) < 0 ||
        (rc = prep(db, "INSERT INTO tcp_intervals VALUES (?,?,?,?,?,?,?,?,?,?)", &si, err)) < 0)
        goto out;
    for (int dir = VP_TCP_UP; dir <= VP_TCP_DOWN && rc == 0; dir++) {
        if (!(r->cfg.dir & dir))
            continue;
        const char *name = vp_tcp_dir_names[dir - 1];
        for (int st = 0; st < r->cfg.streams && rc == 0; st++) {
            struct vp_tcp_span p;
            vp_tcp_span_of(r, 0, st, dir, &p);
            int k = 1;
            vp_db_bind_int64(ss, k++, id);
            vp_db_bind_text(ss, k++, name);
            vp_db_bind_int(ss, k++, st + 1);
            vp_db_bind_int64(ss, k++, (int64_t)p.received);
            vp_db_bind_int64(ss, k++, (int64_t)p.sent);
            vp_db_bind_double(ss, k++, p.seconds);
            bind_figure(ss, k++, p.bits_per_second / 1e6);
            vp_db_bind_int64(ss, k++, (int64_t)p.retrans);
            vp_db_bind_double(ss, k++, p.rtt_ms);
            vp_db_bind_double(ss, k++, p.rttvar_ms);
            vp_db_bind_int64(ss, k++, (int64_t)p.cwnd);
            vp_db_bind_int64(ss, k++, (int64_t)p.snd_mss);
            rc = step(db, ss, err);
            for (int i = 1; i <= vp_tcp_intervals(r) && rc == 0; i++) {
                vp_tcp_span_of(r, i, st, dir, &p);
                k = 1;
                vp_db_bind_int64(si, k++, id);
                vp_db_bind_int(si, k++, i);
                vp_db_bind_text(si, k++, name);
                vp_db_bind_int(si, k++, st + 1);
                vp_db_bind_double(si, k++, vp_tcp_interval_start(r, i));
                vp_db_bind_double(si, k++, p.seconds);
                vp_db_bind_int64(si, k++, (int64_t)p.received);
                vp_db_bind_int64(si, k++, (int64_t)p.retrans);
                vp_db_bind_double(si, k++, p.rtt_ms);
                vp_db_bind_int64(si, k++, (int64_t)p.cwnd);
                rc = step(db, si, err);
            }
        }
    }
out:
    vp_db_finalize(ss);
    vp_db_finalize(si);
    return rc;
}

int vp_tcp_store_run(struct vp_store *st, const char *command, const char *params,
                     const struct vp_tcp_result *r, int64_t *run_id, struct vp_err *err)
{
    struct vp_db *db = vp_store_db(st);
    if (vp_db_begin(db) != 0)
        return vp_run_error(err, 0, "store: %s", vp_db_errmsg(db));
    int rc = insert_run(db, command, params, r, run_id, err);
    if (rc == 0)
        rc = insert_rows(db, *run_id, r, err);
    if (rc == 0 && vp_db_commit(db) != 0)
        rc = vp_run_error(err, 0, "store: %s", vp_db_errmsg(db));
    if (rc < 0) {
        vp_db_rollback(db);
        *run_id = 0;
    }
    return rc;
}
