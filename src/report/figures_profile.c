/* An experiment's profiler time series: per group (CPU, run-queue wait,
 * throttling, network) one chart with a line per appliance (profile
 * target), every point's profile laid on one time axis from the first
 * point's start, each point's start marked. A series longer than
 * VP_FIG_MAX_SAMPLES is shown as the min and max of each of its buckets;
 * the store keeps every sample, and the table says how many were shown. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "report/fig.h"
#include "report/figures.h"

/* The experiment's profiles with their offsets on the common time axis:
 * each point's, and those of its appliances on other hosts (under it). */
#define OFFSETS                                                                                    \
    "WITH o AS (SELECT p.point, f.id AS id, julianday(f.started_at) AS t0 "                        \
    "  FROM experiment_points p JOIN profiles f "                                                  \
    "  ON f.id = p.profile_id OR f.parent_id = p.profile_id "                                      \
    "  WHERE p.experiment_id = ?1), "                                                              \
    "off AS (SELECT point, id, (t0 - (SELECT min(t0) FROM o)) * 86400 AS s FROM o) "

struct group {
    const char *title, *axis, *like; /* metric LIKE pattern */
    double scale;                    /* value → axis unit */
};

static const struct group groups[] = {
    {"CPU used per appliance", "cores", "cpu.total", 1},
    {"run-queue wait per appliance (time runnable but not running)", "s/s", "runq_wait", 1},
    {"CPU throttled per appliance (cgroup quota)", "s/s", "cpu.throttled_s", 1},
    {"network per interface", "Mbit/s", "net.%x_bytes", 8e-6},
};

struct stats {
    int stored, shown;
    double sum, max;
};

/* One series' samples, in order, min and max of each bucket when long. */
static int series(struct vp_store *st, int64_t exp, const char *target, const char *metric,
                  double scale, struct vp_json *j, struct stats *s, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st,
                              OFFSETS "SELECT count(*) OVER (), off.s + x.t_s, x.value "
                                      "FROM profile_samples x JOIN off ON off.id = x.profile_id "
                                      "WHERE x.target = ?2 AND x.metric = ?3 ORDER BY 2",
                              &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, exp);
    vp_db_bind_text(q, 2, target);
    vp_db_bind_text(q, 3, metric);
    memset(s, 0, sizeof *s);
    s->max = -INFINITY;
    int per = 1, k = 0;
    double lo_t = 0, lo_v = INFINITY, hi_t = 0, hi_v = -INFINITY;
    while ((rc = vp_db_step(q)) == VP_DB_ROW) {
        int n = vp_db_column_int(q, 0);
        double t = vp_db_column_double(q, 1), v = vp_db_column_double(q, 2) * scale;
        if (s->stored++ == 0 && n > VP_FIG_MAX_SAMPLES)
            per = (2 * n + VP_FIG_MAX_SAMPLES - 1) / VP_FIG_MAX_SAMPLES;
        s->sum += v;
        s->max = fmax(s->max, v);
        if (per == 1) {
            vp_fig_xy(j, t, v);
            s->shown++;
            continue;
        }
        if (v < lo_v)
            lo_t = t, lo_v = v;
        if (v > hi_v)
            hi_t = t, hi_v = v;
        if (++k == per || s->stored == n) { /* the bucket's extremes, in time order */
            vp_fig_xy(j, fmin(lo_t, hi_t), lo_t <= hi_t ? lo_v : hi_v);
            vp_fig_xy(j, fmax(lo_t, hi_t), lo_t <= hi_t ? hi_v : lo_v);
            s->shown += 2;
            k = 0;
            lo_v = INFINITY;
            hi_v = -INFINITY;
        }
    }
    vp_db_finalize(q);
    return rc == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "reading profile samples");
}

/* Each point's start on the time axis. */
static int marks(struct vp_store *st, int64_t exp, struct vp_json *j, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st,
                              OFFSETS "SELECT off.s + m.t_s, off.point FROM profile_marks m "
                                      "JOIN off ON off.id = m.profile_id "
                                      "WHERE m.label = 'point ' || (off.point + 1) || ' start' "
                                      "ORDER BY 1",
                              &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, exp);
    vp_json_array_begin(j, "marks");
    while ((rc = vp_db_step(q)) == VP_DB_ROW) {
        char label[32];
        snprintf(label, sizeof label, "%d", vp_db_column_int(q, 1) + 1);
        vp_json_array_begin(j, NULL);
        vp_fig_num(j, NULL, vp_db_column_double(q, 0));
        vp_json_string(j, NULL, label);
        vp_json_array_end(j);
    }
    vp_json_array_end(j);
    vp_db_finalize(q);
    return rc == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "reading profile marks");
}

struct name {
    char target[64], metric[64];
};

/* The (target, metric) series of a group: appliances, not the host's cores. */
static int names(struct vp_store *st, int64_t exp, const char *like, struct name **out, int *n,
                 struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st,
                              "SELECT DISTINCT x.target, x.metric FROM profile_samples x "
                              "JOIN profiles f ON f.id = x.profile_id "
                              "JOIN experiment_points p ON p.profile_id IN (f.id, f.parent_id) "
                              "WHERE p.experiment_id = ?1 AND x.metric LIKE ?2 "
                              "AND x.target NOT LIKE 'host/%' ORDER BY 1, 2",
                              &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, exp);
    vp_db_bind_text(q, 2, like);
    *out = NULL;
    *n = 0;
    while ((rc = vp_db_step(q)) == VP_DB_ROW) {
        struct name *more = realloc(*out, (size_t)(*n + 1) * sizeof *more);
        if (more == NULL) {
            vp_db_finalize(q);
            return vp_run_error(err, ENOMEM, "profile series");
        }
        *out = more;
        snprintf(more[*n].target, sizeof more[*n].target, "%s", vp_db_column_text(q, 0));
        snprintf(more[*n].metric, sizeof more[*n].metric, "%s", vp_db_column_text(q, 1));
        (*n)++;
    }
    vp_db_finalize(q);
    return rc == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "reading profile series");
}

static int group(struct vp_store *st, int64_t exp, const struct group *g, struct vp_json *j,
                 struct vp_err *err)
{
    struct name *nm;
    int n, rc = names(st, exp, g->like, &nm, &n, err);
    if (rc < 0 || n == 0)
        return rc;
    struct stats *s = calloc((size_t)n, sizeof *s);
    if (s == NULL) {
        free(nm);
        return vp_run_error(err, ENOMEM, "profile series");
    }
    vp_fig_begin(j, "xy", g->title,
                 "every point's profile on one time axis; the numbered lines mark each point's "
                 "start");
    vp_json_string(j, "xname", "time (s)");
    vp_json_string(j, "y", g->axis);
    vp_json_array_begin(j, "series");
    for (int i = 0; rc == 0 && i < n; i++) {
        char name[160];
        snprintf(name, sizeof name, strchr(g->like, '%') ? "%s %.2s" : "%s", nm[i].target,
                 nm[i].metric + 4);
        vp_json_object_begin(j, NULL);
        vp_json_string(j, "name", name);
        vp_json_string(j, "type", "line");
        vp_json_array_begin(j, "data");
        rc = series(st, exp, nm[i].target, nm[i].metric, g->scale, j, &s[i], err);
        vp_json_array_end(j);
        vp_json_object_end(j);
    }
    vp_json_array_end(j);
    if (rc == 0)
        rc = marks(st, exp, j, err);
    static const char *const cols[] = {"target", "metric", "samples", "shown", "mean", "max", NULL};
    vp_fig_table_begin(j, cols);
    for (int i = 0; rc == 0 && i < n; i++) {
        vp_fig_row_begin(j);
        vp_fig_cell(j, "%s", nm[i].target);
        vp_fig_cell(j, "%s", nm[i].metric);
        vp_fig_cell(j, "%d", s[i].stored);
        vp_fig_cell(j, "%d", s[i].shown);
        vp_fig_cell_num(j, "%.4g", s[i].stored ? s[i].sum / s[i].stored : NAN);
        vp_fig_cell_num(j, "%.4g", s[i].max);
        vp_fig_row_end(j);
    }
    vp_fig_table_end(j);
    vp_fig_end(j);
    free(s);
    free(nm);
    return rc;
}

int vp_figures_profile(struct vp_store *st, const struct vp_exp_data *d, struct vp_json *j,
                       struct vp_err *err)
{
    int rc = 0;
    for (size_t g = 0; rc == 0 && g < sizeof groups / sizeof groups[0]; g++)
        rc = group(st, d->id, &groups[g], j, err);
    return rc;
}
