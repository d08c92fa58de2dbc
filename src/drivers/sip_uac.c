/* sip-uac: SIP calls at a planned rate or ramp against a sip-server; its
 * run is a sip_runs row of kind 'uac' with its latency buckets. */
#include "drivers/sip_uac.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "store/db.h"
#include "core/units.h"
#include "drivers/driver.h"
#include "drivers/sip_uas.h"
#include "report/figures.h"

const struct vp_opt vp_sip_uac_opt_table[] = {
    {"target", VP_OPT_STRING, offsetof(struct vp_sip_uac_opts, target), NULL, 0, 0, NULL,
     "SIP server HOST:PORT (numeric; required)", false},
    {"rate", VP_OPT_DOUBLE, offsetof(struct vp_sip_uac_opts, rate), "10", 0.01, 200000, NULL,
     "calls per second", false},
    {"ramp", VP_OPT_STRING, offsetof(struct vp_sip_uac_opts, ramp), NULL, 0, 0, NULL,
     "START,STEP,INTERVAL,MAX: start at START calls/s, add STEP every INTERVAL up to MAX", false},
    {"duration", VP_OPT_DURATION, offsetof(struct vp_sip_uac_opts, duration), "10s", 1e6, 86400e9,
     NULL, "time during which calls are started", false},
    {"calls", VP_OPT_COUNT, offsetof(struct vp_sip_uac_opts, calls), "0", 0, 1e12, NULL,
     "stop after this many calls (0: no limit)", false},
    {"hold", VP_OPT_DURATION, offsetof(struct vp_sip_uac_opts, hold), "0", 0, 3600e9, NULL,
     "call hold time between 200 and BYE (0: hang up at once)", false},
    {"max-concurrent", VP_OPT_INT, offsetof(struct vp_sip_uac_opts, max_concurrent), "0", 0, 1e7,
     NULL, "open calls at most; planned calls beyond are counted as limited (0: no limit)", false},
    {"interval", VP_OPT_DURATION, offsetof(struct vp_sip_uac_opts, interval), "1s", 1e7, 3600e9,
     NULL, "reporting interval", false},
    {"interval-csv", VP_OPT_OUTPUT, offsetof(struct vp_sip_uac_opts, interval_csv), NULL, 0, 0,
     NULL, "also write the intervals to this file, as --csv prints them", false},
    {"threads", VP_OPT_INT, offsetof(struct vp_sip_uac_opts, threads), "1", 1, 64, NULL,
     "event loops (one socket each)", false},
    {"drain", VP_OPT_DURATION, offsetof(struct vp_sip_uac_opts, drain), "0", 0, 3600e9, NULL,
     "after the last start wait at most this long for open calls (0: hold + 64*T1)", false},
    {"t1", VP_OPT_DURATION, offsetof(struct vp_sip_uac_opts, t1), "500ms", 1e6, 10e9, NULL,
     "RFC 3261 T1 (timer A/E start, timer B/F = 64*T1)", false},
    {"tick", VP_OPT_DURATION, offsetof(struct vp_sip_uac_opts, tick), "0", 0, 100e6, NULL,
     "wake every tick and batch reads, starts and timers (latencies use kernel receive "
     "stamps); 0: about 10 calls per tick, 0.5..5 ms",
     false},
    {"per-event", VP_OPT_BOOL, offsetof(struct vp_sip_uac_opts, per_event), NULL, 0, 0, NULL,
     "wake for every packet and planned start instead of ticking (more CPU, exact starts)", false},
    VP_OPT_END,
};

static void fill_run(struct vp_stmt *q, void *ctx)
{
    struct vp_load_figures *f = ctx;
    struct vp_load_uac *u = f->own;
    vp_load_col_text(f->status, sizeof f->status, q, 0);
    u->created = vp_db_column_int64(q, 1);
    u->successful = vp_db_column_int64(q, 2);
    u->failed = vp_db_column_int64(q, 3);
    u->retransmissions = vp_db_column_int64(q, 4);
    f->generator_limited = vp_db_column_int(q, 5) != 0;
}

/* The counts as stored; the percentiles from the buckets, not the cache. */
static int summarise(struct vp_store *st, int64_t id, struct vp_load_figures *f, struct vp_err *err)
{
    struct vp_load_uac *u = f->own;
    int rc = vp_load_run_row(st,
                             "SELECT status, created, successful, failed_timeout + failed_4xx +"
                             " failed_5xx + failed_6xx + failed_unexpected + abandoned,"
                             " retransmissions, generator_bottleneck FROM sip_runs WHERE id = ?",
                             id, fill_run, f, "sip run", err);
    if (rc != 0)
        return rc;
    u->failed_pct = u->created ? 100.0 * (double)u->failed / (double)u->created : NAN;
    u->retransmission_pct =
        u->created ? 100.0 * (double)u->retransmissions / (double)u->created : NAN;
    struct vp_hist *h = malloc(sizeof *h);
    if (h == NULL)
        return vp_run_error(err, ENOMEM, "histogram");
    rc = vp_load_hist(st,
                      "SELECT lo_ns, hi_ns, count FROM sip_latency_hist"
                      " WHERE run_id = ? AND series = 'inv200' ORDER BY lo_ns",
                      id, h, err);
    u->inv200_samples = h->count;
    u->inv200_p50_ms = vp_load_pct_ms(h, 50);
    u->inv200_p95_ms = vp_load_pct_ms(h, 95);
    u->inv200_p99_ms = vp_load_pct_ms(h, 99);
    free(h);
    return rc;
}

static void print(FILE *out, const struct vp_load_figures *f)
{
    const struct vp_load_uac *u = f->own;
    char a[32], b[32], c[32];
    fprintf(out, "%lld calls, %s%% failed or unfinished, retrans %s%%, INVITE→200 p95 %s ms",
            (long long)u->created, vp_format_figure(a, sizeof a, "%.3g", u->failed_pct),
            vp_format_figure(b, sizeof b, "%.3g", u->retransmission_pct),
            vp_format_figure(c, sizeof c, "%.3g", u->inv200_p95_ms));
}

static void json(struct vp_json *j, const struct vp_load_figures *f)
{
    const struct vp_load_uac *u = f->own;
    vp_json_int(j, "created", u->created);
    vp_json_int(j, "successful", u->successful);
    vp_json_int(j, "failed", u->failed);
    vp_json_double(j, "failed_pct", u->failed_pct);
    vp_json_int(j, "retransmissions", u->retransmissions);
    vp_json_double(j, "retransmission_pct", u->retransmission_pct);
    vp_json_int(j, "invite_200_samples", (int64_t)u->inv200_samples);
    vp_json_double(j, "invite_200_p50_ms", u->inv200_p50_ms);
    vp_json_double(j, "invite_200_p95_ms", u->inv200_p95_ms);
    vp_json_double(j, "invite_200_p99_ms", u->inv200_p99_ms);
}

/* Options whose values the runner chooses: addresses, output, files. */
static const char *const reserved[] = {"target", "interval-csv", NULL};

const struct vp_driver vp_driver_sip_uac = {
    .name = "sip-uac",
    .command = "sip-uac",
    .options = {vp_sip_uac_opt_table, sizeof(struct vp_sip_uac_opts)},
    .serves = &vp_server_sip_uas,
    .target_opt = "target",
    .reserved = reserved,
    .stoppable = true,
    .store_kind = "sip",
    .figures_size = sizeof(struct vp_load_uac),
    .summarise = summarise,
    .print = print,
    .json = json,
    .generator_note = "generator-limited: calls started late, the server got less than the plan",
    .draw = NULL, /* call counts have no chart of their own */
    .time_figures = vp_figures_sip_intervals,
};
