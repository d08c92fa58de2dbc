/* An experiment's load figures: per point the delay boxplot with its loss
 * (seed 001) or the capacity with its 95% CI, as each load's driver draws
 * it (drivers/), and per SIP load its time figures: calls/s offered vs
 * successful and the INVITE→200 percentiles over the run (sip-uac), the
 * capacity search step by step with each trial's verdict (sip-capacity,
 * seed 000). */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/exp_stats.h"
#include "analysis/load_stats.h"
#include "drivers/driver.h"
#include "report/fig.h"
#include "report/figures.h"

/* One box or bar: a point's load. */
struct item {
    char label[256];
    bool flagged; /* generator late or host disturbed */
    struct vp_chart_value v;
};

struct items {
    struct item *v;
    int n;
};

static int add(struct items *it, const struct item *x)
{
    struct item *more = realloc(it->v, (size_t)(it->n + 1) * sizeof *more);
    if (more == NULL)
        return -ENOMEM;
    it->v = more;
    it->v[it->n++] = *x;
    return 0;
}

/* Each point's loads on the chart their driver puts them on. */
static int collect(struct vp_store *st, const struct vp_exp_data *d, struct items *chart[],
                   struct vp_err *err)
{
    for (int i = 0; i < d->npoints; i++) {
        const struct vp_exp_point_row *p = &d->points[i];
        struct vp_load_row *rows = NULL;
        int n = 0, rc = vp_point_loads(st, d->id, p->point, &rows, &n, err);
        double other = vp_point_other_work(st, d->id, p->point, err);
        for (int k = 0; rc == 0 && k < n; k++) {
            struct item x = {0};
            struct vp_load_figures f;
            char label[200];
            if ((rc = vp_load_figures(st, &rows[k], &f, err)) < 0)
                break;
            int same = 0; /* loads of this driver in the point: name the target */
            for (int m = 0; m < n; m++)
                same += strcmp(rows[m].driver, rows[k].driver) == 0;
            vp_figures_label(label, sizeof label, d, p);
            snprintf(x.label, sizeof x.label, same > 1 ? "%s (%s)" : "%s", label, rows[k].target);
            x.flagged = f.generator_limited || other > VP_OTHER_WORK_LIMIT;
            enum vp_chart c = f.own && f.driver->draw ? f.driver->draw(&f, &x.v) : VP_CHART_NONE;
            vp_load_figures_free(&f);
            if (chart[c] && (rc = add(chart[c], &x)) < 0)
                vp_run_error(err, ENOMEM, "figure");
        }
        free(rows);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void labels(struct vp_json *j, const struct items *it)
{
    vp_json_array_begin(j, "x");
    for (int i = 0; i < it->n; i++)
        vp_fig_cell(j, "%s%s", it->v[i].label, it->v[i].flagged ? " *" : "");
    vp_json_array_end(j);
}

static void delay_boxes(struct vp_json *j, const struct items *b)
{
    vp_fig_begin(j, "box", "RTP round-trip delay and loss per configuration",
                 "boxes: quartiles, whiskers at 1.5·IQR, circles beyond; the loss under each; * "
                 "the generator fell behind its plan or other work took host CPU");
    vp_json_string(j, "y", "delay (ms)");
    vp_json_bool(j, "ylog", true);
    labels(j, b);
    vp_json_array_begin(j, "box");
    for (int i = 0; i < b->n; i++) {
        const struct vp_boxplot *x = &b->v[i].v.delay_ms;
        vp_json_array_begin(j, NULL);
        vp_fig_num(j, NULL, x->whisker_lo);
        vp_fig_num(j, NULL, x->q1);
        vp_fig_num(j, NULL, x->median);
        vp_fig_num(j, NULL, x->q3);
        vp_fig_num(j, NULL, x->whisker_hi);
        vp_json_array_end(j);
    }
    vp_json_array_end(j);
    vp_json_array_begin(j, "outliers");
    for (int i = 0; i < b->n; i++)
        for (int k = 0; k < b->v[i].v.delay_ms.nout; k++)
            vp_fig_xy(j, i, b->v[i].v.delay_ms.out_value[k]);
    vp_json_array_end(j);
    vp_json_array_begin(j, "sub");
    for (int i = 0; i < b->n; i++)
        vp_fig_cell(j, "loss %.3g%%", b->v[i].v.loss_pct);
    vp_json_array_end(j);
    static const char *const cols[] = {"point", "min ms", "q1",     "median",
                                       "q3",    "max ms", "loss %", NULL};
    vp_fig_table_begin(j, cols);
    for (int i = 0; i < b->n; i++) {
        const struct vp_boxplot *x = &b->v[i].v.delay_ms;
        vp_fig_row_begin(j);
        vp_fig_cell(j, "%s%s", b->v[i].label, b->v[i].flagged ? " *" : "");
        vp_fig_cell_num(j, "%.3f", x->min);
        vp_fig_cell_num(j, "%.3f", x->q1);
        vp_fig_cell_num(j, "%.3f", x->median);
        vp_fig_cell_num(j, "%.3f", x->q3);
        vp_fig_cell_num(j, "%.3f", x->max);
        vp_fig_cell_num(j, "%.3g", b->v[i].v.loss_pct);
        vp_fig_row_end(j);
    }
    vp_fig_table_end(j);
    vp_fig_end(j);
}

static void capacity_bars(struct vp_json *j, const struct items *b)
{
    vp_fig_begin(j, "bars", "highest clean calls/s per configuration (95% CI)",
                 "the mean of the searches' best rates; * the generator fell behind its plan or "
                 "other work took host CPU");
    vp_json_string(j, "y", "calls/s");
    labels(j, b);
    vp_json_array_begin(j, "series");
    vp_json_object_begin(j, NULL);
    vp_json_string(j, "name", "capacity");
    static const char *const arrays[] = {"data", "lo", "hi"};
    for (int a = 0; a < 3; a++) {
        vp_json_array_begin(j, arrays[a]);
        for (int i = 0; i < b->n; i++) {
            const struct vp_summary *s = &b->v[i].v.rate;
            bool ok = vp_fig_ci_ok(s, true);
            vp_fig_num(j, NULL, a == 0 ? s->mean : !ok ? NAN : a == 1 ? s->ci_lo : s->ci_hi);
        }
        vp_json_array_end(j);
    }
    vp_json_object_end(j);
    vp_json_array_end(j);
    static const char *const cols[] = {"point", "searches", "calls/s", "95% CI", NULL};
    vp_fig_table_begin(j, cols);
    for (int i = 0; i < b->n; i++) {
        const struct vp_summary *s = &b->v[i].v.rate;
        vp_fig_row_begin(j);
        vp_fig_cell(j, "%s%s", b->v[i].label, b->v[i].flagged ? " *" : "");
        vp_fig_cell(j, "%d", s->n);
        vp_fig_cell_num(j, "%.1f", s->mean);
        vp_fig_cell_ci(j, "%.1f", s, true);
        vp_fig_row_end(j);
    }
    vp_fig_table_end(j);
    vp_fig_end(j);
}

/* Rows of sql for run ?1, each handed to row(); how many. */
static int each_row(struct vp_store *st, const char *sql, int64_t run_id,
                    void (*row)(sqlite3_stmt *q, void *ctx), void *ctx, struct vp_err *err)
{
    sqlite3_stmt *q;
    int rc = vp_store_prepare(st, sql, &q, err), n = 0;
    if (rc < 0)
        return rc;
    sqlite3_bind_int64(q, 1, run_id);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        row(q, ctx);
        n++;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? n : vp_run_error(err, EIO, "reading the store");
}

/* A sip-uac run's intervals: rates from the counts over each interval. */
#define SIP_INTERVALS                                                                              \
    "SELECT t_s, planned_rate, created, successful, inv200_p50_ms, inv200_p95_ms, inv200_p99_ms, " \
    "t_s - coalesce(lag(t_s) OVER (ORDER BY interval), 0) FROM sip_intervals WHERE run_id = ?1 "   \
    "ORDER BY interval"

struct sip_ctx {
    struct vp_json *j;
    int col; /* the column to write as y (rates divided by the interval) */
    bool rate;
    bool table;
};

static void sip_row(sqlite3_stmt *q, void *ctx)
{
    struct sip_ctx *c = ctx;
    double t = sqlite3_column_double(q, 0), dt = sqlite3_column_double(q, 7);
    double v = vp_load_col_double(q, c->col);
    if (c->table) {
        vp_fig_row_begin(c->j);
        vp_fig_cell(c->j, "%.1f", t);
        vp_fig_cell_num(c->j, "%.1f", sqlite3_column_double(q, 1));
        vp_fig_cell_num(c->j, "%.1f", dt > 0 ? sqlite3_column_double(q, 2) / dt : NAN);
        vp_fig_cell_num(c->j, "%.1f", dt > 0 ? sqlite3_column_double(q, 3) / dt : NAN);
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

static int sip_intervals(struct vp_store *st, struct vp_json *j, const char *label, int64_t run,
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

static void step_row(sqlite3_stmt *q, void *ctx)
{
    struct step_ctx *c = ctx;
    const char *verdict = (const char *)sqlite3_column_text(q, 7);
    c->trial++;
    if (c->verdict == NULL) {
        vp_fig_row_begin(c->j);
        vp_fig_cell(c->j, "%d", c->trial);
        vp_fig_cell(c->j, "%d", sqlite3_column_int(q, 0) + 1);
        vp_fig_cell(c->j, "%.1f", sqlite3_column_double(q, 2));
        vp_fig_cell(c->j, "%lld", (long long)sqlite3_column_int64(q, 3));
        vp_fig_cell(c->j, "%.2f", sqlite3_column_double(q, 4));
        vp_fig_cell(c->j, "%.2f", sqlite3_column_double(q, 5));
        vp_fig_cell(c->j, "%.1f", sqlite3_column_double(q, 6));
        vp_fig_cell(c->j, "%s", verdict ? verdict : "");
        vp_fig_row_end(c->j);
    } else if (c->verdict[0] == '\0' || (verdict && strcmp(verdict, c->verdict) == 0)) {
        vp_fig_xy(c->j, c->trial, sqlite3_column_double(q, 2));
    }
}

static int capacity_steps(struct vp_store *st, struct vp_json *j, const char *label, int64_t run,
                          struct vp_err *err)
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
    return rc < 0 ? rc : 0;
}

/* The time figures of each point's SIP loads, at most VP_FIG_MAX_LOAD_FIGS. */
static int sip_figures(struct vp_store *st, const struct vp_exp_data *d, struct vp_json *j,
                       struct vp_err *err)
{
    int drawn = 0, rc = 0;
    for (int i = 0; rc == 0 && i < d->npoints; i++) {
        struct vp_load_row *rows = NULL;
        int n = 0;
        char label[320], point[200];
        rc = vp_point_loads(st, d->id, d->points[i].point, &rows, &n, err);
        vp_figures_label(point, sizeof point, d, &d->points[i]);
        for (int k = 0; rc == 0 && k < n; k++) {
            bool uac = strcmp(rows[k].driver, "sip-uac") == 0;
            bool cap = strcmp(rows[k].driver, "sip-capacity") == 0;
            if (rows[k].run_id <= 0 || !(uac || cap) || drawn >= VP_FIG_MAX_LOAD_FIGS)
                continue;
            snprintf(label, sizeof label, "%s, %s on %s", point, rows[k].load, rows[k].target);
            rc = uac ? sip_intervals(st, j, label, rows[k].run_id, err)
                     : capacity_steps(st, j, label, rows[k].run_id, err);
            drawn++;
        }
        free(rows);
    }
    return rc;
}

int vp_figures_loads(struct vp_store *st, const struct vp_exp_data *d, struct vp_json *j,
                     struct vp_err *err)
{
    struct items boxes = {0}, bars = {0};
    struct items *chart[VP_CHART_COUNT] = {
        [VP_CHART_DELAY_BOX] = &boxes, [VP_CHART_CAPACITY_BAR] = &bars};
    int rc = collect(st, d, chart, err);
    if (rc == 0 && boxes.n)
        delay_boxes(j, &boxes);
    if (rc == 0 && bars.n)
        capacity_bars(j, &bars);
    free(boxes.v);
    free(bars.v);
    return rc == 0 ? sip_figures(st, d, j, err) : rc;
}
