/* The methods under an experiment's figures: the host's facts (kernel,
 * CPU, hypervisor, cgroup version), the versions and platforms (VM accel)
 * its runs recorded, and the warnings that qualify its figures: points
 * that failed or were disturbed by other work on the host, loads whose
 * generator fell behind its plan. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/exp_stats.h"
#include "analysis/load_stats.h"
#include "drivers/driver.h"
#include "report/fig.h"
#include "report/figures.h"
#include "store/db.h"
#include "vp_config.h"

/* A row (fact, value) per row of sql for ?1: its two text columns. */
static int fact_rows(struct vp_store *st, const char *sql, int64_t id, struct vp_json *j,
                     struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st, sql, &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, id);
    while ((rc = vp_db_step(q)) == VP_DB_ROW) {
        const char *k = vp_db_column_text(q, 0), *v = vp_db_column_text(q, 1);
        vp_fig_row_begin(j);
        vp_fig_cell(j, "%s", k ? k : "");
        vp_fig_cell(j, "%s", v ? v : "-");
        vp_fig_row_end(j);
    }
    vp_db_finalize(q);
    return rc == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "reading the store");
}

/* A row per other host of the experiment: its clock against this machine's
 * and, with a time host, against the time host's (run/remote_hosts.h). */
static void clock_rows(json_t *hosts, struct vp_json *j)
{
    const char *name;
    json_t *h;
    json_object_foreach(hosts, name, h)
    {
        if (!json_is_object(h))
            continue;
        json_t *off = json_object_get(h, "clock_offset_s");
        json_t *rtt = json_object_get(h, "clock_rtt_s");
        json_t *to_time = json_object_get(h, "offset_to_time_host_s");
        char text[256] = "";
        int n = 0;
        if (json_is_number(off))
            n = snprintf(text, sizeof text, "%+.6f s to this machine (round trip %.6f s)",
                         json_number_value(off), json_number_value(rtt));
        if (json_is_number(to_time))
            snprintf(text + n, sizeof text - (size_t)n, "%s%+.6f s to the time host", n ? ", " : "",
                     json_number_value(to_time));
        vp_fig_row_begin(j);
        vp_fig_cell(j, "clock of %s", name);
        vp_fig_cell(j, "%s", text[0] ? text : "-");
        vp_fig_row_end(j);
    }
}

/* A row per key of the experiment's host facts (a JSON object): strings as
 * they are, anything else as compact JSON. */
static int host_rows(struct vp_store *st, int64_t id, struct vp_json *j, struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = vp_store_prepare(st, "SELECT host FROM experiments WHERE id = ?1", &q, err);
    if (rc < 0)
        return rc;
    vp_db_bind_int64(q, 1, id);
    rc = vp_db_step(q);
    json_t *host = rc == VP_DB_ROW ? json_loads(vp_db_column_text(q, 0), 0, NULL) : NULL;
    if (rc == VP_DB_ERROR)
        rc = vp_store_sql_error(st, err, "reading the store");
    vp_db_finalize(q);
    const char *key;
    json_t *v;
    json_object_foreach(host, key, v)
    {
        if (strcmp(key, "hosts") == 0 && json_is_object(v)) {
            clock_rows(v, j);
            continue;
        }
        char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        vp_fig_row_begin(j);
        vp_fig_cell(j, "host %s", key);
        vp_fig_cell(j, "%s", text ? text : json_is_string(v) ? json_string_value(v) : "-");
        vp_fig_row_end(j);
        free(text);
    }
    json_decref(host);
    return rc < 0 ? rc : 0;
}

static int facts(struct vp_store *st, const struct vp_exp_data *d, struct vp_json *j,
                 struct vp_err *err)
{
    static const char *const cols[] = {"fact", "value", NULL};
    vp_fig_begin(j, "table", "methods: host, versions, platforms", NULL);
    vp_fig_table_begin(j, cols);
    vp_fig_row_begin(j);
    vp_fig_cell(j, "report by");
    vp_fig_cell(j, "virtperf %s", VP_VERSION);
    vp_fig_row_end(j);
    vp_fig_row_begin(j);
    vp_fig_cell(j, "CPUs available");
    vp_fig_cell(j, "%d", d->cpus_available);
    vp_fig_row_end(j);
    int rc = host_rows(st, d->id, j, err);
    if (rc == 0)
        rc = fact_rows(st,
                       "SELECT DISTINCT 'virtperf of the runs', r.version "
                       "FROM point_runs p JOIN runs r ON r.id = p.run_id "
                       "WHERE p.experiment_id = ?1 "
                       "UNION ALL SELECT DISTINCT 'platform', p.platform FROM "
                       "experiment_points p WHERE p.experiment_id = ?1 "
                       "UNION ALL SELECT DISTINCT 'run platform (VM, accel)', r.platform "
                       "FROM point_runs p JOIN runs r ON r.id = p.run_id "
                       "WHERE p.experiment_id = ?1 AND r.platform IS NOT NULL",
                       d->id, j, err);
    vp_fig_table_end(j);
    vp_fig_end(j);
    return rc;
}

/* Failed and disturbed points, generator-limited loads: a row each. */
static int warnings(struct vp_store *st, const struct vp_exp_data *d, struct vp_json *j,
                    struct vp_err *err)
{
    static const char *const cols[] = {"point", "warning", NULL};
    int rc = 0, n = 0;
    vp_fig_begin(j, "table", "disturbance warnings",
                 "what qualifies the figures above; none: nothing was seen to disturb them");
    vp_fig_table_begin(j, cols);
    for (int i = 0; rc == 0 && i < d->npoints; i++) {
        const struct vp_exp_point_row *p = &d->points[i];
        char label[256];
        vp_figures_label(label, sizeof label, d, p);
        double other = vp_point_other_work(st, d->id, p->point, err);
        if (strcmp(p->status, "complete") != 0) {
            vp_fig_row_begin(j);
            vp_fig_cell(j, "%s", label);
            vp_fig_cell(j, "point %s", p->status);
            vp_fig_row_end(j);
            n++;
        }
        if (other > VP_OTHER_WORK_LIMIT) {
            vp_fig_row_begin(j);
            vp_fig_cell(j, "%s", label);
            vp_fig_cell(j, "%.2f cores went to work outside the experiment: disturbed", other);
            vp_fig_row_end(j);
            n++;
        }
        struct vp_load_row *rows = NULL;
        int nl = 0;
        rc = vp_point_loads(st, d->id, p->point, &rows, &nl, err);
        for (int k = 0; rc == 0 && k < nl; k++) {
            struct vp_load_figures f;
            if ((rc = vp_load_figures(st, &rows[k], &f, err)) < 0)
                break;
            if (f.generator_limited || f.own == NULL) {
                vp_fig_row_begin(j);
                vp_fig_cell(j, "%s", label);
                vp_fig_cell(j, "load %s on %s: %s", rows[k].load, rows[k].target,
                            f.own == NULL ? f.status
                            : f.driver && f.driver->generator_note
                                ? f.driver->generator_note
                                : "the generator fell behind its plan");
                vp_fig_row_end(j);
                n++;
            }
            vp_load_figures_free(&f);
        }
        free(rows);
    }
    if (n == 0) {
        vp_fig_row_begin(j);
        vp_fig_cell(j, "all");
        vp_fig_cell(j, "none");
        vp_fig_row_end(j);
    }
    vp_fig_table_end(j);
    vp_fig_end(j);
    return rc;
}

int vp_figures_methods(struct vp_store *st, const struct vp_exp_data *d, struct vp_json *j,
                       struct vp_err *err)
{
    int rc = facts(st, d, j, err);
    return rc < 0 ? rc : warnings(st, d, j, err);
}
