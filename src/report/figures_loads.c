/* An experiment's load figures: per point the delay boxplot with its loss
 * (seed 001) or the capacity with its 95% CI, as each load's driver draws
 * it (drivers/), and the time figures of the loads whose driver has them
 * (figures_sip.c). */
#include <errno.h>
#include <math.h>
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
                 "the generator fell behind its plan or other work took host CPU; CIs: the run "
                 "in 10 consecutive batches, each batch's median and loss a sample");
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
    static const char *const cols[] = {"point",
                                       "min ms",
                                       "q1",
                                       "median",
                                       "± (95% CI, batches)",
                                       "q3",
                                       "max ms",
                                       "loss %",
                                       "± (95% CI, batches)",
                                       NULL};
    vp_fig_table_begin(j, cols);
    for (int i = 0; i < b->n; i++) {
        const struct vp_boxplot *x = &b->v[i].v.delay_ms;
        char m[32], l[32];
        vp_fig_row_begin(j);
        vp_fig_cell(j, "%s%s", b->v[i].label, b->v[i].flagged ? " *" : "");
        vp_fig_cell_num(j, "%.3f", x->min);
        vp_fig_cell_num(j, "%.3f", x->q1);
        vp_fig_cell_num(j, "%.3f", x->median);
        vp_fig_cell(j, "%s", vp_format_ci(m, sizeof m, "%.3f", &b->v[i].v.median_batches));
        vp_fig_cell_num(j, "%.3f", x->q3);
        vp_fig_cell_num(j, "%.3f", x->max);
        vp_fig_cell_num(j, "%.3g", b->v[i].v.loss_pct);
        vp_fig_cell(j, "%s", vp_format_ci(l, sizeof l, "%.3g", &b->v[i].v.loss_batches));
        vp_fig_row_end(j);
    }
    vp_fig_table_end(j);
    vp_fig_end(j);
}

/* The bars of one unit (b's items all have it). */
static void capacity_bars(struct vp_json *j, const struct items *b)
{
    const char *unit = b->v[0].v.unit;
    char title[128];
    snprintf(title, sizeof title, "highest clean %s per configuration (95%% CI)", unit);
    vp_fig_begin(j, "bars", title,
                 "the mean of the searches' best rates; * the generator fell behind its plan or "
                 "other work took host CPU");
    vp_json_string(j, "y", unit);
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
    const char *const cols[] = {"point", "searches", unit, "95% CI", NULL};
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

/* The time figures of each point's loads whose driver draws them, at most
 * VP_FIG_MAX_LOAD_FIGS. */
static int time_figures(struct vp_store *st, const struct vp_exp_data *d, struct vp_json *j,
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
            const struct vp_driver *dr = vp_driver_find(rows[k].driver);
            if (rows[k].run_id <= 0 || dr == NULL || dr->time_figures == NULL ||
                drawn >= VP_FIG_MAX_LOAD_FIGS)
                continue;
            snprintf(label, sizeof label, "%s, %s on %s", point, rows[k].load, rows[k].target);
            rc = dr->time_figures(st, j, label, rows[k].run_id, err);
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
    /* a chart per unit, in the order they first appear */
    for (int i = 0; rc == 0 && i < bars.n; i++) {
        struct items same = {0};
        bool drawn = false;
        for (int k = 0; k < i; k++)
            drawn |= strcmp(bars.v[k].v.unit, bars.v[i].v.unit) == 0;
        for (int k = i; !drawn && rc == 0 && k < bars.n; k++)
            if (strcmp(bars.v[k].v.unit, bars.v[i].v.unit) == 0 && add(&same, &bars.v[k]) < 0)
                rc = vp_run_error(err, ENOMEM, "figure");
        if (!drawn && rc == 0)
            capacity_bars(j, &same);
        free(same.v);
    }
    free(boxes.v);
    free(bars.v);
    return rc == 0 ? time_figures(st, d, j, err) : rc;
}
