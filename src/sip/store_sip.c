/* sip-uac and sip-capacity runs in the results store (tables made by the SIP
 * migration in store/schema.c). */
#include "store/db.h"
#include "sip/report.h"
#include "store/rows.h"

static int exec_stmt(struct vp_db *db, struct vp_stmt *s, struct vp_err *err)
{
    int rc = vp_db_step(s);
    vp_db_reset(s);
    vp_db_clear_bindings(s);
    if (rc != VP_DB_DONE)
        return vp_run_error(err, 0, "store: %s", vp_db_errmsg(db));
    return 0;
}

static double pct_ms(const struct vp_hist *h, double p)
{
    return h->count ? vp_hist_percentile(h, p) / 1e6 : 0;
}

/* Columns shared by sip_runs and sip_intervals, from position k on. */
static int bind_counts(struct vp_stmt *s, int k, const struct vp_sip_counts *c)
{
    vp_db_bind_int64(s, k++, (int64_t)c->created);
    vp_db_bind_int64(s, k++, (int64_t)c->successful);
    for (int i = 0; i < VP_SIP_FAIL_COUNT; i++)
        vp_db_bind_int64(s, k++, (int64_t)c->failed[i]);
    vp_db_bind_int64(s, k++, (int64_t)c->retransmissions);
    vp_db_bind_int64(s, k++, (int64_t)vp_sip_counts_malformed(c));
    return k;
}

static int store_hists(struct vp_db *db, int64_t id, const struct vp_sip_uac_result *r,
                       struct vp_err *err)
{
    struct vp_stmt *s;
    int rc = vp_rows_prepare(db, "INSERT INTO sip_latency_hist VALUES (?,?,?,?,?)", &s, err);
    const struct vp_hist *h[3] = {&r->inv100, &r->inv200, &r->lateness};
    const char *names[3] = {"inv100", "inv200", "lateness"};
    for (int k = 0; rc == 0 && k < 3; k++) {
        vp_db_bind_int64(s, 1, id);
        vp_db_bind_text(s, 2, names[k]);
        rc = vp_rows_hist(db, s, 3, h[k], err);
    }
    vp_db_finalize(s);
    return rc;
}

static int store_intervals(struct vp_db *db, int64_t id, const struct vp_sip_uac_cfg *cfg,
                           const struct vp_sip_uac_result *r, struct vp_err *err)
{
    struct vp_stmt *s;
    int rc = vp_rows_prepare(
        db, "INSERT INTO sip_intervals VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &s, err);
    for (int i = 0; rc == 0 && i < r->nintervals; i++) {
        const struct vp_sip_interval *iv = &r->iv[i];
        vp_db_bind_int64(s, 1, id);
        vp_db_bind_int(s, 2, i);
        vp_db_bind_double(s, 3, (double)i * (double)cfg->interval_ns / 1e9);
        vp_db_bind_double(s, 4, iv->planned_rate);
        int k = bind_counts(s, 5, &iv->c);
        vp_db_bind_double(s, k++, pct_ms(&iv->inv100, 50));
        vp_db_bind_double(s, k++, pct_ms(&iv->inv200, 50));
        vp_db_bind_double(s, k++, pct_ms(&iv->inv200, 95));
        vp_db_bind_double(s, k++, pct_ms(&iv->inv200, 99));
        rc = exec_stmt(db, s, err);
    }
    vp_db_finalize(s);
    return rc;
}

int vp_sip_store_run(struct vp_store *st, const struct vp_sip_store_run *run,
                     const struct vp_sip_uac_cfg *cfg, int64_t *run_id, struct vp_err *err)
{
    struct vp_db *db = vp_store_db(st);
    static const struct vp_sip_uac_result none;
    const struct vp_sip_uac_result *r = run->r ? run->r : &none;
    char when[32];
    vp_rows_now(when, sizeof when);
    struct vp_stmt *s = NULL;
    vp_db_exec(db, "BEGIN");
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
    vp_db_bind_text(s, k++, run->kind);
    vp_db_bind_text(s, k++, when);
    vp_db_bind_text(s, k++, run->command);
    vp_db_bind_text(s, k++, run->params);
    vp_db_bind_text(s, k++, run->target);
    vp_db_bind_text(s, k++, run->status);
    k = bind_counts(s, k, &r->total);
    vp_db_bind_int64(s, k++, (int64_t)r->abandoned);
    vp_db_bind_double(s, k++, pct_ms(&r->inv100, 50));
    vp_db_bind_double(s, k++, pct_ms(&r->inv200, 50));
    vp_db_bind_double(s, k++, pct_ms(&r->inv200, 95));
    vp_db_bind_double(s, k++, pct_ms(&r->inv200, 99));
    const struct vp_hist *l = &r->lateness;
    vp_db_bind_double(s, k++, l->count ? vp_hist_percentile(l, 50) / 1e3 : 0);
    vp_db_bind_double(s, k++, l->count ? vp_hist_percentile(l, 99) / 1e3 : 0);
    vp_db_bind_double(s, k++, l->count ? (double)l->max / 1e3 : 0);
    vp_db_bind_double(s, k++, r->cpu_fraction);
    vp_db_bind_double(s, k++, r->total.created ? r->cpu_s * 1e6 / (double)r->total.created : 0);
    vp_db_bind_int(s, k++, r->generator_bottleneck);
    if (run->cap_n > 0) {
        vp_db_bind_double(s, k++, run->cap_mean);
        vp_db_bind_double(s, k++, run->cap_lo);
        vp_db_bind_double(s, k++, run->cap_hi);
        vp_db_bind_int(s, k++, run->cap_n);
    } else {
        k += 4; /* NULL */
    }
    vp_db_bind_double(s, k++, VP_HIST_REL_ERROR);
    if ((rc = exec_stmt(db, s, err)) < 0)
        goto out;
    *run_id = vp_db_last_insert_id(db);
    if (run->r && (rc = store_intervals(db, *run_id, cfg, r, err)) == 0)
        rc = store_hists(db, *run_id, r, err);
out:
    vp_db_finalize(s);
    vp_db_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK");
    return rc;
}

int vp_sip_store_step(struct vp_store *st, int64_t run_id, const struct vp_sip_step_row *row,
                      struct vp_err *err)
{
    struct vp_db *db = vp_store_db(st);
    struct vp_stmt *s;
    int rc = vp_rows_prepare(db,
                             "INSERT INTO sip_capacity_steps (run_id, repeat, step, rate, created, "
                             "successful, failed_pct, retransmission_pct, inv200_p95_ms, "
                             "cpu_fraction, generator_bottleneck, verdict, mono_start_s, "
                             "mono_end_s) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                             &s, err);
    if (rc < 0)
        return rc;
    const struct vp_sip_uac_result *r = row->r;
    vp_db_bind_int64(s, 1, run_id);
    vp_db_bind_int(s, 2, row->repeat);
    vp_db_bind_int(s, 3, row->step);
    vp_db_bind_double(s, 4, row->rate);
    vp_db_bind_int64(s, 5, (int64_t)r->total.created);
    vp_db_bind_int64(s, 6, (int64_t)r->total.successful);
    vp_db_bind_double(s, 7, vp_sip_fail_pct(&r->total));
    vp_db_bind_double(s, 8, vp_sip_retrans_pct(&r->total));
    vp_db_bind_double(s, 9, pct_ms(&r->inv200, 95));
    vp_db_bind_double(s, 10, r->cpu_fraction);
    vp_db_bind_int(s, 11, r->generator_bottleneck);
    vp_db_bind_text(s, 12, row->verdict);
    vp_db_bind_double(s, 13, row->mono_start_s);
    vp_db_bind_double(s, 14, row->mono_end_s);
    rc = exec_stmt(db, s, err);
    vp_db_finalize(s);
    return rc;
}
