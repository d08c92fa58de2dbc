/* Seed 000's view from outside: the SIP appliance a capacity search drove,
 * as the host profiled it during each step (its CPU and CPU cap throttling,
 * the generator's CPU, the host's busy cores) beside the calls/s offered,
 * as the paper's VA monitor showed VMM-level figures next to its SIP load.
 * Steps and profile samples meet on the host's CLOCK_MONOTONIC
 * (sip_capacity_steps.mono_*_s, profiles.mono_start_s): a sample counts for
 * a step when the interval it measured lies within the step's calls. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store/db.h"
#include "report/fig.h"
#include "report/figures.h"

#define IN_STEP                                                                                    \
    "x.profile_id = f.id AND f.mono_start_s + x.t_s - f.interval_s >= s.mono_start_s "             \
    "AND f.mono_start_s + x.t_s <= s.mono_end_s"
#define MEAN_OF(who, metrics)                                                                      \
    "(SELECT sum(x.value) / nullif(count(DISTINCT x.t_s), 0) FROM profile_samples x "              \
    "WHERE " IN_STEP " AND x.target " who " AND x.metric IN (" metrics "))"
#define BUSY "'cpu.user', 'cpu.nice', 'cpu.system', 'cpu.irq', 'cpu.softirq', 'cpu.steal'"

/* Per step: rate, verdict, the appliance's cores, its throttled seconds per
 * second, the generator's cores, the host's busy cores (NULL: no sample). */
// clang-format off
static const char target_steps[] =
    "SELECT s.rate, s.verdict, " MEAN_OF("= l.target", "'cpu.total'") ", "
    MEAN_OF("= l.target", "'cpu.throttled_s'") ", "
    MEAN_OF("= l.load || '.' || l.target", "'cpu.total'") ", "
    MEAN_OF("LIKE 'host/cpu%'", BUSY)
    " FROM sip_capacity_steps s "
    "JOIN point_loads l ON l.run_id = s.run_id AND l.kind = 'sip' "
    "JOIN experiment_points p ON p.experiment_id = l.experiment_id AND p.point = l.point "
    "JOIN profiles f ON f.id = p.profile_id "
    "WHERE s.run_id = ?1 AND s.mono_start_s IS NOT NULL AND f.mono_start_s IS NOT NULL "
    "ORDER BY s.repeat, s.step";
// clang-format on

enum { RATE, VERDICT, APP_CPU, APP_THROTTLED, GEN_CPU, HOST_BUSY };

static double col(struct vp_stmt *q, int c)
{
    return vp_db_column_is_null(q, c) ? NAN : vp_db_column_double(q, c);
}

/* One scatter series: (calls/s, column c) of the steps with verdict v
 * ("": all of them). */
static int series(struct vp_stmt *q, struct vp_json *j, const char *name, int c, const char *v,
                  const char *color)
{
    vp_json_object_begin(j, NULL);
    vp_json_string(j, "name", name);
    vp_json_string(j, "type", "scatter");
    vp_json_string(j, "color", color);
    vp_json_array_begin(j, "data");
    int rc, n = 0;
    vp_db_reset(q);
    while ((rc = vp_db_step(q)) == VP_DB_ROW) {
        const char *verdict = vp_db_column_text(q, VERDICT);
        if ((v[0] == '\0' || (verdict && strcmp(verdict, v) == 0)) && isfinite(col(q, c))) {
            vp_fig_xy(j, col(q, RATE), col(q, c));
            n++;
        }
    }
    vp_json_array_end(j);
    vp_json_object_end(j);
    return rc == VP_DB_DONE ? n : -1;
}

int vp_figures_capacity_target(struct vp_store *st, struct vp_json *j, const char *label,
                               int64_t run, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st, target_steps, &q, err), seen = 0;
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, run);
    while ((rc = vp_db_step(q)) == VP_DB_ROW)
        seen += isfinite(col(q, APP_CPU));
    if (rc != VP_DB_DONE || seen == 0) { /* no profile, or steps shorter than its interval */
        vp_db_finalize(q);
        return rc == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "reading the store");
    }
    char title[320];
    snprintf(title, sizeof title, "the SIP appliance seen from the host, step by step: %s", label);
    vp_fig_begin(j, "xy", title,
                 "mean over each step's profile samples: cores the appliance, its generator and "
                 "the whole host used at each offered rate; throttled: seconds per second its "
                 "CPU cap held it back");
    vp_json_string(j, "xname", "calls/s offered");
    vp_json_string(j, "y", "cores");
    vp_json_array_begin(j, "series");
    static const struct {
        const char *name, *verdict, *color;
        int col;
    } s[] = {
        {"appliance, step passed", "pass", "#3a3", APP_CPU},
        {"appliance, step failed", "fail", "#d33", APP_CPU},
        {"appliance, rejected (generator)", "rejected", "#e90", APP_CPU},
        {"generator", "", "#888", GEN_CPU},
        {"host busy", "", "#36c", HOST_BUSY},
    };
    bool ok = true;
    for (size_t k = 0; ok && k < sizeof s / sizeof s[0]; k++)
        ok = series(q, j, s[k].name, s[k].col, s[k].verdict, s[k].color) >= 0;
    vp_json_array_end(j);
    static const char *const cols[] = {
        "calls/s",         "verdict", "appliance cores", "throttled s/s", "generator cores",
        "host busy cores", NULL};
    vp_fig_table_begin(j, cols);
    vp_db_reset(q);
    while (ok && (rc = vp_db_step(q)) == VP_DB_ROW) {
        const char *verdict = vp_db_column_text(q, VERDICT);
        vp_fig_row_begin(j);
        vp_fig_cell(j, "%.1f", col(q, RATE));
        vp_fig_cell(j, "%s", verdict ? verdict : "");
        vp_fig_cell_num(j, "%.3f", col(q, APP_CPU));
        vp_fig_cell_num(j, "%.3f", col(q, APP_THROTTLED));
        vp_fig_cell_num(j, "%.3f", col(q, GEN_CPU));
        vp_fig_cell_num(j, "%.3f", col(q, HOST_BUSY));
        vp_fig_row_end(j);
    }
    vp_fig_table_end(j);
    vp_fig_end(j);
    vp_db_finalize(q);
    return ok && rc == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "reading the store");
}
