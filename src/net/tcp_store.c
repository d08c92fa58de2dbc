/* tcp-gen runs in the results store (tables created by the tcp migration
 * in store/schema.c). One transaction per run. */
#include <math.h>
#include <sqlite3.h>
#include <time.h>

#include "net/tcp_report.h"

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **s, struct vp_err *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, s, NULL) != SQLITE_OK)
        return vp_run_error(err, 0, "store: %s", sqlite3_errmsg(db));
    return 0;
}

static int step(sqlite3 *db, sqlite3_stmt *s, struct vp_err *err)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return vp_run_error(err, 0, "store: %s", sqlite3_errmsg(db));
    return 0;
}

/* A double, or NULL for NaN. */
static void bind_figure(sqlite3_stmt *s, int k, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(s, k, v);
    else
        sqlite3_bind_null(s, k);
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : NAN;
}

static int insert_run(sqlite3 *db, const char *command, const char *params,
                      const struct vp_tcp_result *r, int64_t *run_id, struct vp_err *err)
{
    static const char sql[] =
        "INSERT INTO tcp_runs (finished_at, command, params, status, streams, direction, length,"
        " window, duration_s, interval_s, up_bytes, up_seconds, up_mbps, up_retrans, down_bytes,"
        " down_seconds, down_mbps, down_retrans, generator_cpu_pct, sender_cpu_pct,"
        " receiver_cpu_pct, sink_receiver_cpu_pct, sink_sender_cpu_pct, generator_limited)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *s;
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
    sqlite3_bind_text(s, k++, when, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, k++, command, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, k++, params, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, k++, vp_tcp_status(r), -1, SQLITE_STATIC);
    sqlite3_bind_int(s, k++, c->streams);
    sqlite3_bind_text(s, k++, vp_tcp_dir_names[c->dir - 1], -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, k++, c->length);
    sqlite3_bind_int64(s, k++, c->window);
    sqlite3_bind_double(s, k++, (double)c->duration_ns / 1e9);
    sqlite3_bind_double(s, k++, (double)c->interval_ns / 1e9);
    for (int dir = VP_TCP_UP; dir <= VP_TCP_DOWN; dir++) {
        struct vp_tcp_span p;
        if (!(c->dir & dir)) {
            for (int i = 0; i < 4; i++)
                sqlite3_bind_null(s, k++);
            continue;
        }
        vp_tcp_span_of(r, 0, -1, dir, &p);
        sqlite3_bind_int64(s, k++, (int64_t)p.received);
        sqlite3_bind_double(s, k++, p.seconds);
        bind_figure(s, k++, p.bits_per_second / 1e6);
        sqlite3_bind_int64(s, k++, (int64_t)p.retrans);
    }
    bind_figure(s, k++, pct(r->cpu_ns, r->wall_ns));
    bind_figure(s, k++, pct(r->tx.cpu_ns, r->tx.busy_ns));
    bind_figure(s, k++, pct(r->rx.cpu_ns, r->rx.busy_ns));
    bind_figure(s, k++, pct(r->sink_rx_cpu_ns, r->sink_rx_busy_ns));
    bind_figure(s, k++, pct(r->sink_tx_cpu_ns, r->sink_tx_busy_ns));
    sqlite3_bind_int(s, k++, vp_tcp_generator_limited(r));
    rc = step(db, s, err);
    sqlite3_finalize(s);
    *run_id = sqlite3_last_insert_rowid(db);
    return rc;
}

static int insert_rows(sqlite3 *db, int64_t id, const struct vp_tcp_result *r, struct vp_err *err)
{
    sqlite3_stmt *ss = NULL, *si = NULL;
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
            sqlite3_bind_int64(ss, k++, id);
            sqlite3_bind_text(ss, k++, name, -1, SQLITE_STATIC);
            sqlite3_bind_int(ss, k++, st + 1);
            sqlite3_bind_int64(ss, k++, (int64_t)p.received);
            sqlite3_bind_int64(ss, k++, (int64_t)p.sent);
            sqlite3_bind_double(ss, k++, p.seconds);
            bind_figure(ss, k++, p.bits_per_second / 1e6);
            sqlite3_bind_int64(ss, k++, (int64_t)p.retrans);
            sqlite3_bind_double(ss, k++, p.rtt_ms);
            sqlite3_bind_double(ss, k++, p.rttvar_ms);
            sqlite3_bind_int64(ss, k++, (int64_t)p.cwnd);
            sqlite3_bind_int64(ss, k++, (int64_t)p.snd_mss);
            rc = step(db, ss, err);
            for (int i = 1; i <= vp_tcp_intervals(r) && rc == 0; i++) {
                vp_tcp_span_of(r, i, st, dir, &p);
                k = 1;
                sqlite3_bind_int64(si, k++, id);
                sqlite3_bind_int(si, k++, i);
                sqlite3_bind_text(si, k++, name, -1, SQLITE_STATIC);
                sqlite3_bind_int(si, k++, st + 1);
                sqlite3_bind_double(si, k++, vp_tcp_interval_start(r, i));
                sqlite3_bind_double(si, k++, p.seconds);
                sqlite3_bind_int64(si, k++, (int64_t)p.received);
                sqlite3_bind_int64(si, k++, (int64_t)p.retrans);
                sqlite3_bind_double(si, k++, p.rtt_ms);
                sqlite3_bind_int64(si, k++, (int64_t)p.cwnd);
                rc = step(db, si, err);
            }
        }
    }
out:
    sqlite3_finalize(ss);
    sqlite3_finalize(si);
    return rc;
}

int vp_tcp_store_run(struct vp_store *st, const char *command, const char *params,
                     const struct vp_tcp_result *r, int64_t *run_id, struct vp_err *err)
{
    sqlite3 *db = vp_store_db(st);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return vp_run_error(err, 0, "store: %s", sqlite3_errmsg(db));
    int rc = insert_run(db, command, params, r, run_id, err);
    if (rc == 0)
        rc = insert_rows(db, *run_id, r, err);
    if (rc == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = vp_run_error(err, 0, "store: %s", sqlite3_errmsg(db));
    if (rc < 0) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        *run_id = 0;
    }
    return rc;
}
