/* sip-uac and sip-capacity runs in the results store (tables made by the SIP
 * migration in store/schema.c). */
#include <sqlite3.h>

#include "sip/report.h"
#include "store/rows.h"

static int exec_stmt(sqlite3 *db, sqlite3_stmt *s, struct vp_err *err)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE)
        return vp_run_error(err, 0, "store: %s", sqlite3_errmsg(db));
    return 0;
}

static double pct_ms(const struct vp_hist *h, double p)
{
    return h->count ? vp_hist_percentile(h, p) / 1e6 : 0;
}

/* Columns shared by sip_runs and sip_intervals, from position k on. */
static int bind_counts(sqlite3_stmt *s, int k, const struct vp_sip_counts *c)
{
    sqlite3_bind_int64(s, k++, (int64_t)c->created);
    sqlite3_bind_int64(s, k++, (int64_t)c->successful);
    for (int i = 0; i < VP_SIP_FAIL_COUNT; i++)
        sqlite3_bind_int64(s, k++, (int64_t)c->failed[i]);
    sqlite3_bind_int64(s, k++, (int64_t)c->retransmissions);
    sqlite3_bind_int64(s, k++, (int64_t)vp_sip_counts_malformed(c));
    return k;
}

static int store_hists(sqlite3 *db, int64_t id, const struct vp_sip_uac_result *r,
                       struct vp_err *err)
{
    sqlite3_stmt *s;
    int rc = vp_rows_prepare(db, "INSERT INTO sip_latency_hist VALUES (?,?,?,?,?)", &s, err);
    const struct vp_hist *h[3] = {&r->inv100, &r->inv200, &r->lateness};
    const char *names[3] = {"inv100", "inv200", "lateness"};
    for (int k = 0; rc == 0 && k < 3; k++) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, names[k], -1, SQLITE_STATIC);
        rc = vp_rows_hist(db, s, 3, h[k], err);
    }
    sqlite3_finalize(s);
    return rc;
}

static int store_intervals(sqlite3 *db, int64_t id, const struct vp_sip_uac_cfg *cfg,
                           const struct vp_sip_uac_result *r, struct vp_err *err)
{
    sqlite3_stmt *s;
    int rc = vp_rows_prepare(
        db, "INSERT INTO sip_intervals VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &s, err);
    for (int i = 0; rc == 0 && i < r->nintervals; i++) {
        const struct vp_sip_interval *iv = &r->iv[i];
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int(s, 2, i);
        sqlite3_bind_double(s, 3, (double)i * (double)cfg->interval_ns / 1e9);
        sqlite3_bind_double(s, 4, iv->planned_rate);
        int k = bind_counts(s, 5, &iv->c);
        sqlite3_bind_double(s, k++, pct_ms(&iv->inv100, 50));
        sqlite3_bind_double(s, k++, pct_ms(&iv->inv200, 50));
        sqlite3_bind_double(s, k++, pct_ms(&iv->inv200, 95));
        sqlite3_bind_double(s, k++, pct_ms(&iv->inv200, 99));
        rc = exec_stmt(db, s, err);
    }
    sqlite3_finalize(s);
    return rc;
}

int vp_sip_store_run(struct vp_store *st, const struct vp_sip_store_run *run,
                     const struct vp_sip_uac_cfg *cfg, int64_t *run_id, struct vp_err *err)
{
    sqlite3 *db = vp_store_db(st);
    static const struct vp_sip_uac_result none;
    const struct vp_sip_uac_result *r = run->r ? run->r : &none;
    char when[32];
    vp_rows_now(when, sizeof when);
    sqlite3_stmt *s = NULL;
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    int rc =
        vp_rows_prepare(db,
                        "INSERT INTO sip_runs (kind, finished_at, command, params, target, status,"
                        " created, successful, failed_timeout, failed_4xx, failed_5xx, failed_6xx,"
                        " failed_unexpected, retransmissions, malformed, abandoned, inv100_p50_ms,"
                        " inv200_p50_ms, inv200_p95_ms, inv200_p99_ms, lateness_p50_us,"
                        " lateness_p99_us, lateness_max_us, cpu_fraction, cpu_us_per_call,"
                        " generator_bottleneck, capacity_mean, capacity_ci_lo, capacity_ci_hi,"
                        " capacity_n, hist_relative_error)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        &s, err);
    if (rc < 0)
        goto out;
    int k = 1;
    sqlite3_bind_text(s, k++, run->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, k++, when, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, k++, run->command, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, k++, run->params, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, k++, run->target, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, k++, run->status, -1, SQLITE_STATIC);
    k = bind_counts(s, k, &r->total);
    sqlite3_bind_int64(s, k++, (int64_t)r->abandoned);
    sqlite3_bind_double(s, k++, pct_ms(&r->inv100, 50));
    sqlite3_bind_double(s, k++, pct_ms(&r->inv200, 50));
    sqlite3_bind_double(s, k++, pct_ms(&r->inv200, 95));
    sqlite3_bind_double(s, k++, pct_ms(&r->inv200, 99));
    const struct vp_hist *l = &r->lateness;
    sqlite3_bind_double(s, k++, l->count ? vp_hist_percentile(l, 50) / 1e3 : 0);
    sqlite3_bind_double(s, k++, l->count ? vp_hist_percentile(l, 99) / 1e3 : 0);
    sqlite3_bind_double(s, k++, l->count ? (double)l->max / 1e3 : 0);
    sqlite3_bind_double(s, k++, r->cpu_fraction);
    sqlite3_bind_double(s, k++, r->total.created ? r->cpu_s * 1e6 / (double)r->total.created : 0);
    sqlite3_bind_int(s, k++, r->generator_bottleneck);
    if (run->cap_n > 0) {
        sqlite3_bind_double(s, k++, run->cap_mean);
        sqlite3_bind_double(s, k++, run->cap_lo);
        sqlite3_bind_double(s, k++, run->cap_hi);
        sqlite3_bind_int(s, k++, run->cap_n);
    } else {
        k += 4; /* NULL */
    }
    sqlite3_bind_double(s, k++, VP_HIST_REL_ERROR);
    if ((rc = exec_stmt(db, s, err)) < 0)
        goto out;
    *run_id = sqlite3_last_insert_rowid(db);
    if (run->r && (rc = store_intervals(db, *run_id, cfg, r, err)) == 0)
        rc = store_hists(db, *run_id, r, err);
out:
    sqlite3_finalize(s);
    sqlite3_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int vp_sip_store_step(struct vp_store *st, int64_t run_id, const struct vp_sip_step_row *row,
                      struct vp_err *err)
{
    sqlite3 *db = vp_store_db(st);
    sqlite3_stmt *s;
    int rc = vp_rows_prepare(db,
                             "INSERT INTO sip_capacity_steps (run_id, repeat, step, rate, created, "
                             "successful, failed_pct, retransmission_pct, inv200_p95_ms, "
                             "cpu_fraction, generator_bottleneck, verdict, mono_start_s, "
                             "mono_end_s) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                             &s, err);
    if (rc < 0)
        return rc;
    const struct vp_sip_uac_result *r = row->r;
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int(s, 2, row->repeat);
    sqlite3_bind_int(s, 3, row->step);
    sqlite3_bind_double(s, 4, row->rate);
    sqlite3_bind_int64(s, 5, (int64_t)r->total.created);
    sqlite3_bind_int64(s, 6, (int64_t)r->total.successful);
    sqlite3_bind_double(s, 7, vp_sip_fail_pct(&r->total));
    sqlite3_bind_double(s, 8, vp_sip_retrans_pct(&r->total));
    sqlite3_bind_double(s, 9, pct_ms(&r->inv200, 95));
    sqlite3_bind_double(s, 10, r->cpu_fraction);
    sqlite3_bind_int(s, 11, r->generator_bottleneck);
    sqlite3_bind_text(s, 12, row->verdict, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 13, row->mono_start_s);
    sqlite3_bind_double(s, 14, row->mono_end_s);
    rc = exec_stmt(db, s, err);
    sqlite3_finalize(s);
    return rc;
}
