/* The time figures of SIP loads in a report (drivers/sip_uac.c and
 * sip_capacity.c name them in their driver tables): calls/s offered vs
 * successful and the INVITE→200 percentiles over a sip-uac run, and a
 * capacity search trial by trial with each verdict (seed 000). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store/db.h"
#include "analysis/load_stats.h"
#include "report/fig.h"
#include "report/figures.h"

/* Rows of sql for run ?1, each handed to row(); how many. */
static int each_row(struct vp_store *st, const char *sql, int64_t run_id,
                    void (*row)(struct vp_stmt *q, void *ctx), void *ctx, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st, sql, &q, err), n = 0;
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, run_id);
    while ((rc = vp_db_step(q)) == VP_DB_ROW) {
        row(q, ctx);
        n++;
    }
    vp_db_finalize(q);
    return rc == VP_DB_DONE ? n : vp_store_sql_error(st, err, "reading the store");
}

/* A sip-uac run's intervals (t_s: each one's start), rates from the
 * counts over each one's length (the last one as long as the one before). */
#define SIP_INTERVALS                                                                              \
    "SELECT t_s, planned_rate, created, successful, inv200_p50_ms, inv200_p95_ms, inv200_p99_ms, " \
    "coalesce(lead(t_s) OVER w - t_s, t_s - lag(t_s) OVER w) FROM sip_intervals "                  \
    "WHERE run_id = ?1 WINDOW w AS (ORDER BY interval) ORDER BY interval"

struct sip_ctx {
    struct vp_json *j;
    int col; /* the column to write as y (rates divided by the interval) */
    bool rate;
    bool table;
};

static void sip_row(struct vp_stmt *q, void *ctx)
{
    struct sip_ctx *c = ctx;
    double t = vp_db_column_double(q, 0), dt = vp_db_column_double(q, 7);
    double v = vp_load_col_double(q, c->col);
    if (c->table) {
        vp_fig_row_begin(c->j);
        vp_fig_cell(c->j, "%.1f", t);
        vp_fig_cell_num(c->j, "%.1f", vp_db_column_double(q, 1));
        vp_fig_cell_num(c->j, "%.1f", dt > 0 ? vp_db_column_double(q, 2) / dt : NAN);
        vp_fig_cell_num(c->j, "%.1f", dt > 0 ? vp_db_column_double(q, 3) / dt : NAN);
        for (int k = 4; k <= 6; k++)
            vp_fig_cell_num(c->j, "%.2f", vp_load_col_double(q, k));
        vp_fig_row_end(c->j);
        return;
    }
    vp_fig_xy(c->j, t, c->rate ? (dt > 0 ? v / dt : NAN) : v);
}

static int sip_series(struct vp_store *st, struct vp_json *j, int64_t run, const char *name,
                      int col, bool rate, struct vp_err *err)
{
    struct sip_ctx c = {j, col, rate, false};
    vp_json_object_begin(j, NULL);
    vp_json_string(j, "name", name);
    vp_json_string(j, "type", "line");
    if (col >= 4)
        vp_json_int(j, "axis", 1);
    vp_json_array_begin(j, "data");
    int rc = each_row(st, SIP_INTERVALS, run, sip_row, &c, err);
    vp_json_array_end(j);
    vp_json_object_end(j);
    return rc;
}

int vp_figures_sip_intervals(struct vp_store *st, struct vp_json *j, const char *label, int64_t run,
                             struct vp_err *err)
{
    char title[320];
    static const struct {
        const char *name;
        int col;
        bool rate;
    } lines[] = {{"offered (planned) calls/s", 1, false},
                 {"created calls/s", 2, true},
                 {"successful calls/s", 3, true},
                 {"INVITE→200 p50 ms", 4, false},
                 {"p95 ms", 5, false},
                 {"p99 ms", 6, false}};
    snprintf(title, sizeof title, "SIP calls/s and response time over the run: %s", label);
    vp_fig_begin(j, "xy", title, "rates per interval; INVITE→200 percentiles on the right axis");
    vp_json_string(j, "xname", "time (s)");
    vp_json_string(j, "y", "calls/s");
    vp_json_string(j, "y2", "ms");
    vp_json_array_begin(j, "series");
    int rc = 0;
    for (size_t k = 0; rc >= 0 && k < sizeof lines / sizeof lines[0]; k++)
        rc = sip_series(st, j, run, lines[k].name, lines[k].col, lines[k].rate, err);
    vp_json_array_end(j);
    static const char *const cols[] = {"t s",    "offered/s", "created/s", "successful/s",
                                       "p50 ms", "p95 ms",    "p99 ms",    NULL};
    vp_fig_table_begin(j, cols);
    struct sip_ctx c = {j, 0, false, true};
    if (rc >= 0)
        rc = each_row(st, SIP_INTERVALS, run, sip_row, &c, err);
    vp_fig_table_end(j);
    vp_fig_end(j);
    return rc < 0 ? rc : 0;
}

#define STEPS                                                                                      \
    "SELECT repeat, step, rate, successful, failed_pct, retransmission_pct, inv200_p95_ms, "       \
    "verdict FROM sip_capacity_steps WHERE run_id = ?1 ORDER BY repeat, step"

struct step_ctx {
    struct vp_json *j;
    const char *verdict; /* the series' verdict; NULL: the table */
    int trial;
};

static void step_row(struct vp_stmt *q, void *ctx)
{
    struct step_ctx *c = ctx;
    const char *verdict = vp_db_column_text(q, 7);
    c->trial++;
    if (c->verdict == NULL) {
        vp_fig_row_begin(c->j);
        vp_fig_cell(c->j, "%d", c->trial);
        vp_fig_cell(c->j, "%d", vp_db_column_int(q, 0) + 1);
        vp_fig_cell(c->j, "%.1f", vp_db_column_double(q, 2));
        vp_fig_cell(c->j, "%lld", (long long)vp_db_column_int64(q, 3));
        vp_fig_cell(c->j, "%.2f", vp_db_column_double(q, 4));
        vp_fig_cell(c->j, "%.2f", vp_db_column_double(q, 5));
        vp_fig_cell(c->j, "%.1f", vp_db_column_double(q, 6));
        vp_fig_cell(c->j, "%s", verdict ? verdict : "");
        vp_fig_row_end(c->j);
    } else if (c->verdict[0] == '\0' || (verdict && strcmp(verdict, c->verdict) == 0)) {
        vp_fig_xy(c->j, c->trial, vp_db_column_double(q, 2));
    }
}

int vp_figures_capacity_steps(struct vp_store *st, struct vp_json *j, const char *label,
                              int64_t run, struct vp_err *err)
{
    static const char *const verdicts[] = {"", "pass", "fail", "rejected"};
    static const char *const colors[] = {"#888", "#3a3", "#d33", "#e90"};
    char title[320];
    int rc = 0;
    snprintf(title, sizeof title, "capacity search step by step: %s", label);
    vp_fig_begin(j, "xy", title,
                 "each trial's offered calls/s and verdict; rejected: the generator could not "
                 "run it as planned (not the system's)");
    vp_json_string(j, "xname", "trial");
    vp_json_string(j, "y", "calls/s");
    vp_json_array_begin(j, "series");
    for (size_t v = 0; rc >= 0 && v < sizeof verdicts / sizeof verdicts[0]; v++) {
        struct step_ctx c = {j, verdicts[v], 0};
        vp_json_object_begin(j, NULL);
        vp_json_string(j, "name", v == 0 ? "search" : verdicts[v]);
        vp_json_string(j, "type", v == 0 ? "line" : "scatter");
        vp_json_string(j, "color", colors[v]);
        vp_json_array_begin(j, "data");
        rc = each_row(st, STEPS, run, step_row, &c, err);
        vp_json_array_end(j);
        vp_json_object_end(j);
    }
    vp_json_array_end(j);
    static const char *const cols[] = {"trial",     "repeat", "calls/s", "successful", "failed %",
                                       "retrans %", "p95 ms", "verdict", NULL};
    vp_fig_table_begin(j, cols);
    struct step_ctx c = {j, NULL, 0};
    if (rc >= 0)
        rc = each_row(st, STEPS, run, step_row, &c, err);
    vp_fig_table_end(j);
    vp_fig_end(j);
    return rc < 0 ? rc : vp_figures_capacity_target(st, j, label, run, err);
}
