/* A report's sections: an experiment's figures (figures_*.c), or a run's
 * metrics as bars with their 95% CI. */
#include "report/figures.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/run_stats.h"
#include "report/fig.h"
#include "store/query.h"

void vp_figures_label(char *buf, size_t len, const struct vp_exp_data *d,
                      const struct vp_exp_point_row *p)
{
    char text[200];
    bool several = false;
    for (int i = 1; i < d->npoints; i++)
        several |= strcmp(d->points[i].platform, d->points[0].platform) != 0;
    vp_fig_point_label(text, sizeof text, p->point, p->params, 60);
    if (several)
        snprintf(buf, len, "%s [%s]", text, p->platform);
    else
        snprintf(buf, len, "%s", text);
}

int vp_figures_experiment(struct vp_store *st, int64_t id, struct vp_json *j, struct vp_err *err)
{
    struct vp_exp_data d;
    char title[512];
    int rc = vp_exp_store_load(st, id, &d, err);
    if (rc < 0)
        return rc;
    vp_json_object_begin(j, NULL);
    snprintf(title, sizeof title, "experiment %lld: %s", (long long)d.id, d.name);
    vp_json_string(j, "title", title);
    snprintf(title, sizeof title, "%s, %s, started %s, %d points", d.file, d.status, d.started_at,
             d.npoints);
    vp_json_string(j, "subtitle", title);
    vp_json_array_begin(j, "figures");
    if ((rc = vp_figures_workload(st, &d, j, err)) == 0 &&
        (rc = vp_figures_loads(st, &d, j, err)) == 0 &&
        (rc = vp_figures_model(st, &d, j, err)) == 0 &&
        (rc = vp_figures_profile(st, &d, j, err)) == 0)
        rc = vp_figures_methods(st, &d, j, err);
    vp_json_array_end(j);
    vp_json_object_end(j);
    vp_exp_data_free(&d);
    return rc;
}

/* One metric of the run (VP_METRIC_ELAPSED: the round time): a bar with
 * its CI and the table of its rounds' summary. */
static void run_metric(struct vp_json *j, const struct vp_run_data *r, int m)
{
    struct vp_summary s;
    char title[160], label[160];
    const char *name = m == VP_METRIC_ELAPSED ? "elapsed" : r->metrics[m].name;
    const char *unit = m == VP_METRIC_ELAPSED ? "s" : r->metrics[m].unit;
    vp_run_summary(r, m, &s);
    if (s.n == 0)
        return;
    snprintf(title, sizeof title, "%s (%s), mean of the measured rounds with its 95%% CI", name,
             unit);
    snprintf(label, sizeof label, "run %lld %s", (long long)r->id, r->subject);
    vp_fig_begin(j, "bars", title, NULL);
    vp_json_string(j, "y", unit);
    vp_json_array_begin(j, "x");
    vp_json_string(j, NULL, label);
    vp_json_array_end(j);
    vp_json_array_begin(j, "series");
    vp_json_object_begin(j, NULL);
    vp_json_string(j, "name", name);
    bool ok = vp_fig_ci_ok(&s, true);
    vp_json_array_begin(j, "data");
    vp_fig_num(j, NULL, s.mean);
    vp_json_array_end(j);
    vp_json_array_begin(j, "lo");
    vp_fig_num(j, NULL, ok ? s.ci_lo : NAN);
    vp_json_array_end(j);
    vp_json_array_begin(j, "hi");
    vp_fig_num(j, NULL, ok ? s.ci_hi : NAN);
    vp_json_array_end(j);
    vp_json_object_end(j);
    vp_json_array_end(j);
    static const char *const cols[] = {"run", "n",   "mean", "95% CI", "median",
                                       "min", "max", "unit", NULL};
    vp_fig_table_begin(j, cols);
    vp_fig_row_begin(j);
    vp_fig_cell(j, "%s", label);
    vp_fig_cell(j, "%d", s.n);
    vp_fig_cell_num(j, "%.5g", s.mean);
    vp_fig_cell_ci(j, "%.3g", &s, true);
    vp_fig_cell_num(j, "%.5g", s.median);
    vp_fig_cell_num(j, "%.5g", s.min);
    vp_fig_cell_num(j, "%.5g", s.max);
    vp_fig_cell(j, "%s", unit);
    vp_fig_row_end(j);
    vp_fig_table_end(j);
    vp_fig_end(j);
}

/* A run's facts as a table: the methods of its figures. */
static void run_methods(struct vp_json *j, const struct vp_run_data *r)
{
    static const char *const cols[] = {"fact", "value", NULL};
    const char *facts[][2] = {
        {"command", r->command},
        {"params", r->params},
        {"status", r->status},
        {"started", r->started_at},
        {"finished", r->finished_at},
        {"virtperf", r->version},
        {"host", r->host},
        {"platform", r->platform ? r->platform : "the host itself"},
        {"error", r->error},
    };
    vp_fig_begin(j, "table", "methods", NULL);
    vp_fig_table_begin(j, cols);
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        if (facts[i][1] == NULL || facts[i][1][0] == '\0')
            continue;
        vp_fig_row_begin(j);
        vp_fig_cell(j, "%s", facts[i][0]);
        vp_fig_cell(j, "%s", facts[i][1]);
        vp_fig_row_end(j);
    }
    vp_fig_table_end(j);
    vp_fig_end(j);
}

int vp_figures_run(struct vp_store *st, int64_t id, struct vp_json *j, struct vp_err *err)
{
    struct vp_run_data r;
    char title[512];
    int rc = vp_store_load_run(st, id, &r, err);
    if (rc < 0)
        return rc;
    vp_json_object_begin(j, NULL);
    snprintf(title, sizeof title, "run %lld: %s", (long long)r.id, r.subject);
    vp_json_string(j, "title", title);
    snprintf(title, sizeof title, "%s, %d rounds stored of %d planned (%d warm-up)", r.status,
             r.nrounds, r.rounds_planned + r.warmup_planned, r.warmup_planned);
    vp_json_string(j, "subtitle", title);
    vp_json_array_begin(j, "figures");
    run_metric(j, &r, VP_METRIC_ELAPSED);
    for (int m = 0; m < r.nmetrics; m++)
        run_metric(j, &r, m);
    run_methods(j, &r);
    vp_json_array_end(j);
    vp_json_object_end(j);
    vp_run_data_free(&r);
    return 0;
}
