/* sip-capacity: the highest calls/s a sip-server sustains, searched for
 * repeatedly; its run is a sip_runs row of kind 'capacity' with its steps
 * in sip_capacity_steps. Drawn as a bar with its 95% CI. */
#include "drivers/sip_capacity.h"

#include "analysis/search.h"

#include <math.h>
#include <string.h>

#include "store/db.h"
#include "core/units.h"
#include "drivers/driver.h"
#include "drivers/sip_uas.h"
#include "report/figures.h"

const struct vp_opt vp_sip_capacity_opt_table[] = {
    {"target", VP_OPT_STRING, offsetof(struct vp_sip_capacity_opts, target), NULL, 0, 0, NULL,
     "SIP server HOST:PORT (numeric; required)", false},
    {"fail-pct", VP_OPT_DOUBLE, offsetof(struct vp_sip_capacity_opts, fail_pct), "1", 0, 100, NULL,
     "criterion: failed (and unfinished) calls at most this % of calls", false},
    {"retrans-pct", VP_OPT_DOUBLE, offsetof(struct vp_sip_capacity_opts, retrans_pct), "5", 0, 1000,
     NULL, "criterion: retransmissions at most this % of calls", false},
    {"p95-ms", VP_OPT_DOUBLE, offsetof(struct vp_sip_capacity_opts, p95_ms), "50", 0.01, 60000,
     NULL, "criterion: 95th percentile INVITE->200 at most this", false},
    {"repeats", VP_OPT_INT, offsetof(struct vp_sip_capacity_opts, repeats), "3", 1,
     VP_LOAD_MAX_REPEATS, NULL, "searches; the result is their mean with a 95% CI", false},
    {"start", VP_OPT_DOUBLE, offsetof(struct vp_sip_capacity_opts, start), "100", 1, 200000, NULL,
     "first rate tried (calls/s); doubled until a step fails", false},
    {"max", VP_OPT_DOUBLE, offsetof(struct vp_sip_capacity_opts, max), "50000", 1, 200000, NULL,
     "highest rate tried", false},
    {"precision", VP_OPT_DOUBLE, offsetof(struct vp_sip_capacity_opts, precision), "0.05", 0.001, 1,
     NULL, "bisect until the bracket is this fraction of its lower end", false},
    {"step", VP_OPT_DURATION, offsetof(struct vp_sip_capacity_opts, step), "5s", 1e8, 3600e9, NULL,
     "duration of each step", false},
    {"drain", VP_OPT_DURATION, offsetof(struct vp_sip_capacity_opts, drain), "2s", 0, 600e9, NULL,
     "after a step's last call, wait at most this long; unfinished calls count as failed", false},
    {"settle", VP_OPT_DURATION, offsetof(struct vp_sip_capacity_opts, settle), "1s", 0, 600e9, NULL,
     "pause between steps so the server empties its queues", false},
    {"hold", VP_OPT_DURATION, offsetof(struct vp_sip_capacity_opts, hold), "0", 0, 3600e9, NULL,
     "call hold time", false},
    {"threads", VP_OPT_INT, offsetof(struct vp_sip_capacity_opts, threads), "1", 1, 64, NULL,
     "generator event loops", false},
    {"t1", VP_OPT_DURATION, offsetof(struct vp_sip_capacity_opts, t1), "500ms", 1e6, 10e9, NULL,
     "RFC 3261 T1", false},
    {"tick", VP_OPT_DURATION, offsetof(struct vp_sip_capacity_opts, tick), "0", 0, 100e6, NULL,
     "generator loop tick (see sip-uac --tick)", false},
    VP_OPT_END,
};

/* The status and the outcome sip-capacity cached. */
static void fill_run(struct vp_stmt *q, void *ctx)
{
    struct vp_load_figures *f = ctx;
    struct vp_load_capacity *c = f->own;
    vp_load_col_text(f->status, sizeof f->status, q, 0);
    c->stored_mean = vp_load_col_double(q, 1);
    c->stored_ci_lo = vp_load_col_double(q, 2);
    c->stored_ci_hi = vp_load_col_double(q, 3);
    c->stored_n = vp_db_column_int(q, 4);
}

/* Per repeat the highest passing rate (0 when none passed), then their mean
 * and 95% CI as sip-capacity computes them. Generator-limited, as
 * sip-capacity says it: some rate was only ever rejected (its retry too). */
static int summarise(struct vp_store *st, int64_t id, struct vp_load_figures *f, struct vp_err *err)
{
    struct vp_load_capacity *c = f->own;
    int rc = vp_load_run_row(st,
                             "SELECT status, capacity_mean, capacity_ci_lo, capacity_ci_hi,"
                             " capacity_n FROM sip_runs WHERE id = ?",
                             id, fill_run, f, "sip run", err);
    if (rc != 0)
        return rc;
    struct vp_stmt *q;
    rc = vp_store_prepare(
        st,
        "SELECT max(CASE WHEN verdict = 'pass' THEN rate ELSE 0 END), count(*),"
        " (SELECT count(*) FROM (SELECT rate FROM sip_capacity_steps r"
        "   WHERE r.run_id = ?1 AND r.repeat = s.repeat GROUP BY rate"
        "   HAVING sum(CASE WHEN verdict <> 'rejected' THEN 1 ELSE 0 END) = 0) AS rejected)"
        " FROM sip_capacity_steps s WHERE run_id = ?1 GROUP BY repeat ORDER BY repeat",
        &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, id);
    while ((rc = vp_db_step(q)) == VP_DB_ROW) {
        if (c->nrepeats < VP_LOAD_MAX_REPEATS)
            c->best[c->nrepeats++] = vp_db_column_double(q, 0);
        c->steps += vp_db_column_int(q, 1);
        f->generator_limited |= vp_db_column_int(q, 2) > 0;
    }
    rc = rc == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "capacity steps");
    vp_db_finalize(q);
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

static void print(FILE *out, const struct vp_load_figures *f)
{
    const struct vp_load_capacity *c = f->own;
    vp_search_print(out, &c->max_rate, c->best, c->nrepeats, "calls/s");
    if (c->from_cache)
        fprintf(out, ", as stored: no steps kept");
}

static void json(struct vp_json *j, const struct vp_load_figures *f)
{
    const struct vp_load_capacity *c = f->own;
    vp_json_double(j, "max_rate_mean", c->max_rate.n ? c->max_rate.mean : NAN);
    vp_json_double(j, "max_rate_ci95_lo", c->max_rate.ci_lo);
    vp_json_double(j, "max_rate_ci95_hi", c->max_rate.ci_hi);
    vp_json_int(j, "searches", c->max_rate.n);
    vp_json_array_begin(j, "max_rate_per_repeat");
    for (int i = 0; i < c->nrepeats; i++)
        vp_json_double(j, NULL, c->best[i]);
    vp_json_array_end(j);
    vp_json_int(j, "steps", c->steps);
    vp_json_bool(j, "from_cache", c->from_cache);
}

/* A bar when some search was counted. */
static enum vp_chart draw(const struct vp_load_figures *f, struct vp_chart_value *v)
{
    const struct vp_load_capacity *c = f->own;
    if (c->max_rate.n <= 0)
        return VP_CHART_NONE;
    v->rate = c->max_rate;
    v->unit = "calls/s";
    return VP_CHART_CAPACITY_BAR;
}

/* Options whose values the runner chooses. */
static const char *const reserved[] = {"target", NULL};

const struct vp_driver vp_driver_sip_capacity = {
    .name = "sip-capacity",
    .command = "sip-capacity",
    .options = {vp_sip_capacity_opt_table, sizeof(struct vp_sip_capacity_opts)},
    .serves = &vp_server_sip_uas,
    .target_opt = "target",
    .reserved = reserved,
    .stoppable = false, /* a search has no duration to cut short: never background */
    .store_kind = "sip",
    .figures_size = sizeof(struct vp_load_capacity),
    .summarise = summarise,
    .print = print,
    .json = json,
    .generator_note = "generator-limited: rates where the generator fell behind were not "
                      "counted, so the server's maximum may be higher",
    .draw = draw,
    .time_figures = vp_figures_capacity_steps,
};
