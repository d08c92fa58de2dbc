/* An experiment's workload figures: the mean elapsed time per point with
 * its 95% CI (seed 003's bars per platform and case), Jain's fairness over
 * the appliances of each point, and seed 002's measured vs Estimate1 and
 * Estimate2 with the idle appliances' O(n) fit (analysis/model_exp.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/exp_stats.h"
#include "analysis/model_exp.h"
#include "report/fig.h"
#include "report/figures.h"

/* A point's case without its platform: its params less the member
 * "platform" (the bars' groups, when the platform is their series). */
static void case_of(char *buf, size_t len, const struct vp_exp_point_row *p)
{
    char params[1024];
    snprintf(params, sizeof params, "%s", p->params);
    char *m = strstr(params, "\"platform\":\""), *end = m ? strchr(m + 12, '"') : NULL;
    if (end) {
        end++;
        if (*end == ',')
            end++;
        else if (m > params && m[-1] == ',')
            m--;
        memmove(m, end, strlen(end) + 1);
    }
    vp_fig_point_label(buf, len, -1, params, 120);
}

struct groups {
    int n, nplat;
    char (*label)[256];    /* per group */
    bool *flag;            /* per group: a point of it disturbed */
    const char **platform; /* per series */
    int *g, *pl;           /* per point: its group and series, -1 when not drawn */
};

/* Group the drawn points: by case with a series per platform when some
 * case ran on two or more platforms, else a bar per point. */
static int group(struct vp_store *st, const struct vp_exp_data *d, const struct vp_point_stats *ps,
                 struct groups *gr, struct vp_err *err)
{
    size_t n = (size_t)d->npoints + 1;
    gr->label = calloc(n, sizeof *gr->label);
    gr->flag = calloc(n, sizeof *gr->flag);
    gr->platform = calloc(n, sizeof *gr->platform);
    gr->g = calloc(n, sizeof *gr->g);
    gr->pl = calloc(n, sizeof *gr->pl);
    if (!gr->label || !gr->flag || !gr->platform || !gr->g || !gr->pl)
        return vp_run_error(err, ENOMEM, "figures");
    bool by_platform = false;
    for (int pass = 0; pass < 2; pass++) {
        gr->n = gr->nplat = 0;
        for (int i = 0; i < d->npoints; i++) {
            const struct vp_exp_point_row *p = &d->points[i];
            char label[256];
            gr->g[i] = gr->pl[i] = -1;
            if (ps[i].elapsed.n == 0)
                continue;
            if (pass == 0 || by_platform)
                case_of(label, sizeof label, p);
            else
                vp_figures_label(label, sizeof label, d, p);
            int g = -1;
            for (int k = 0; k < gr->n && g < 0 && (pass == 0 || by_platform); k++)
                if (strcmp(gr->label[k], label) == 0)
                    g = k;
            if (g < 0) {
                g = gr->n++;
                snprintf(gr->label[g], sizeof gr->label[g], "%s", label);
                gr->flag[g] = false;
            }
            int pl = -1;
            for (int k = 0; k < gr->nplat && pl < 0; k++)
                if (strcmp(gr->platform[k], p->platform) == 0)
                    pl = k;
            if (pl < 0) {
                pl = gr->nplat++;
                gr->platform[pl] = p->platform;
            }
            for (int k = 0; k < i; k++) /* a case on a second platform */
                by_platform |= pass == 0 && gr->g[k] == g && gr->pl[k] != pl;
            gr->g[i] = g;
            gr->pl[i] = pass == 1 && !by_platform ? 0 : pl;
            gr->flag[g] |= vp_point_other_work(st, d->id, p->point, err) > VP_OTHER_WORK_LIMIT;
        }
        if (pass == 1 && !by_platform)
            gr->nplat = 1;
    }
    return 0;
}

static void groups_free(struct groups *gr)
{
    free(gr->label);
    free(gr->flag);
    free(gr->platform);
    free(gr->g);
    free(gr->pl);
}

/* The bars of the run points with rounds (grouped by case, a series per
 * platform, when the experiment compares platforms), and their table. */
static int workload_bars(struct vp_store *st, const struct vp_exp_data *d,
                         const struct vp_point_stats *ps, struct vp_json *j, struct vp_err *err)
{
    struct groups gr = {0};
    char label[256];
    int rc = group(st, d, ps, &gr, err);
    if (rc < 0) {
        groups_free(&gr);
        return rc;
    }
    vp_fig_begin(j, "bars", "workload: mean elapsed time per round, per case (95% CI)",
                 "the measured rounds of all the point's appliances as one sample; * marks a "
                 "point disturbed by other work on the host");
    vp_json_string(j, "y", "elapsed (s)");
    vp_json_array_begin(j, "x");
    for (int g = 0; g < gr.n; g++)
        vp_fig_cell(j, "%s%s", gr.label[g], gr.flag[g] ? " *" : "");
    vp_json_array_end(j);
    vp_json_array_begin(j, "series");
    for (int pl = 0; pl < gr.nplat; pl++) {
        vp_json_object_begin(j, NULL);
        vp_json_string(j, "name", gr.nplat > 1 ? gr.platform[pl] : "elapsed");
        static const char *const arrays[] = {"data", "lo", "hi"};
        for (int a = 0; a < 3; a++) {
            vp_json_array_begin(j, arrays[a]);
            for (int g = 0; g < gr.n; g++) {
                double v = NAN;
                for (int i = 0; i < d->npoints; i++) {
                    const struct vp_summary *s = &ps[i].elapsed;
                    if (gr.g[i] != g || gr.pl[i] != pl)
                        continue;
                    bool ok = vp_fig_ci_ok(s, true);
                    v = a == 0 ? s->mean : !ok ? NAN : a == 1 ? s->ci_lo : s->ci_hi;
                }
                vp_fig_num(j, NULL, v);
            }
            vp_json_array_end(j);
        }
        vp_json_object_end(j);
    }
    vp_json_array_end(j);
    static const char *const cols[] = {
        "point",    "platform", "appliances",         "n", "mean s", "95% CI",
        "median s", "jain",     "other work (cores)", NULL};
    vp_fig_table_begin(j, cols);
    for (int i = 0; i < d->npoints; i++) {
        const struct vp_exp_point_row *p = &d->points[i];
        if (ps[i].elapsed.n == 0)
            continue;
        vp_fig_point_label(label, sizeof label, p->point, p->params, 120);
        vp_fig_row_begin(j);
        vp_fig_cell(j, "%s", label);
        vp_fig_cell(j, "%s", p->platform);
        vp_fig_cell(j, "%d", p->instances);
        vp_fig_cell(j, "%d", ps[i].elapsed.n);
        vp_fig_cell_num(j, "%.4g", ps[i].elapsed.mean);
        vp_fig_cell_ci(j, "%.3g", &ps[i].elapsed, true);
        vp_fig_cell_num(j, "%.4g", ps[i].elapsed.median);
        vp_fig_cell_num(j, "%.3f", ps[i].jain);
        vp_fig_cell_num(j, "%.2f", vp_point_other_work(st, d->id, p->point, err));
        vp_fig_row_end(j);
    }
    vp_fig_table_end(j);
    vp_fig_end(j);
    groups_free(&gr);
    return 0;
}

/* Jain's index of the points with two or more appliances. */
static void fairness_bars(const struct vp_exp_data *d, const struct vp_point_stats *ps,
                          struct vp_json *j)
{
    char label[256];
    vp_fig_begin(j, "bars", "fairness: Jain's index over the appliances' work rates",
                 "1 when every appliance got the same share, 1/n when one got everything");
    vp_json_string(j, "y", "Jain's index");
    vp_json_array_begin(j, "x");
    for (int i = 0; i < d->npoints; i++)
        if (ps[i].elapsed.n > 0 && ps[i].appliances > 1) {
            vp_figures_label(label, sizeof label, d, &d->points[i]);
            vp_json_string(j, NULL, label);
        }
    vp_json_array_end(j);
    vp_json_array_begin(j, "series");
    vp_json_object_begin(j, NULL);
    vp_json_string(j, "name", "jain");
    vp_json_array_begin(j, "data");
    for (int i = 0; i < d->npoints; i++)
        if (ps[i].elapsed.n > 0 && ps[i].appliances > 1)
            vp_fig_num(j, NULL, ps[i].jain);
    vp_json_array_end(j);
    vp_json_object_end(j);
    vp_json_array_end(j);
    static const char *const fcols[] = {"point", "appliances", "jain", NULL};
    vp_fig_table_begin(j, fcols);
    for (int i = 0; i < d->npoints; i++) {
        if (ps[i].elapsed.n == 0 || ps[i].appliances < 2)
            continue;
        vp_fig_point_label(label, sizeof label, d->points[i].point, d->points[i].params, 120);
        vp_fig_row_begin(j);
        vp_fig_cell(j, "%s", label);
        vp_fig_cell(j, "%d", ps[i].appliances);
        vp_fig_cell_num(j, "%.3f", ps[i].jain);
        vp_fig_row_end(j);
    }
    vp_fig_table_end(j);
    vp_fig_end(j);
}

int vp_figures_workload(struct vp_store *st, const struct vp_exp_data *d, struct vp_json *j,
                        struct vp_err *err)
{
    struct vp_point_stats *ps = calloc((size_t)d->npoints + 1, sizeof *ps);
    int shown = 0, several = 0;
    if (ps == NULL)
        return vp_run_error(err, ENOMEM, "figures");
    for (int i = 0; i < d->npoints; i++) {
        if (strcmp(d->points[i].kind, "run") != 0)
            continue;
        int rc = vp_point_stats(st, &d->points[i], &ps[i], err);
        if (rc < 0) {
            free(ps);
            return rc;
        }
        shown += ps[i].elapsed.n > 0;
        several += ps[i].appliances > 1;
    }
    int rc = shown > 0 ? workload_bars(st, d, ps, j, err) : 0;
    if (rc == 0 && several > 0)
        fairness_bars(d, ps, j);
    free(ps);
    return rc;
}

/* An "xy" line over the rows' instance counts: column v of each row. */
static void model_line(struct vp_json *j, const char *name, const struct vp_model_series *s,
                       size_t offset)
{
    vp_json_object_begin(j, NULL);
    vp_json_string(j, "name", name);
    vp_json_string(j, "type", "line");
    vp_json_array_begin(j, "data");
    for (int k = 0; k < s->nrows; k++)
        vp_fig_xy(j, s->rows[k].instances, *(const double *)((const char *)&s->rows[k] + offset));
    vp_json_array_end(j);
    if (offset == offsetof(struct vp_model_row, measured)) {
        vp_json_array_begin(j, "err");
        for (int k = 0; k < s->nrows; k++) {
            const struct vp_model_row *r = &s->rows[k];
            if (r->n < 2 || !isfinite(r->ci_half) || !isfinite(r->measured))
                continue;
            vp_json_array_begin(j, NULL);
            vp_fig_num(j, NULL, r->instances);
            vp_fig_num(j, NULL, r->measured - r->ci_half);
            vp_fig_num(j, NULL, r->measured + r->ci_half);
            vp_json_array_end(j);
        }
        vp_json_array_end(j);
    }
    vp_json_object_end(j);
}

static void model_series(struct vp_json *j, const struct vp_model_series *s)
{
    char title[512];
    snprintf(title, sizeof title, "seed 002's model: elapsed time vs instances, series %s on %s",
             strcmp(s->first->series, "{}") == 0 ? "(one)" : s->first->series, s->first->platform);
    vp_fig_begin(j, "xy", title,
                 s->have_p
                     ? "Estimate1 = ET_P·i/P (queueing alone); Estimate2 = Estimate1·(1 + O·i) "
                       "with O from the idle appliances' fit (when it shows a trend); * the "
                       "point was disturbed by other work on the host"
                     : "no point with i = P instances: no estimates");
    vp_json_string(j, "xname", "instances");
    vp_json_string(j, "y", "elapsed (s)");
    vp_json_array_begin(j, "series");
    model_line(j, "measured (95% CI)", s, offsetof(struct vp_model_row, measured));
    if (s->have_p)
        model_line(j, "Estimate1", s, offsetof(struct vp_model_row, estimate1));
    if (s->have_p && s->overhead.ok && s->overhead.fit.trend)
        model_line(j, "Estimate2", s, offsetof(struct vp_model_row, estimate2));
    vp_json_array_end(j);
    static const char *const cols[] = {
        "i",      "n",    "measured s",         "95% CI", "Estimate1 s", "err1 %", "Estimate2 s",
        "err2 %", "jain", "other work (cores)", NULL};
    vp_fig_table_begin(j, cols);
    for (int k = 0; k < s->nrows; k++) {
        const struct vp_model_row *r = &s->rows[k];
        struct vp_summary m = {.n = r->n,
                               .ci_half = r->ci_half,
                               .ci_lo = r->measured - r->ci_half,
                               .ci_hi = r->measured + r->ci_half};
        vp_fig_row_begin(j);
        vp_fig_cell(j, "%d%s", r->instances, r->other_work > VP_OTHER_WORK_LIMIT ? " *" : "");
        vp_fig_cell(j, "%d", r->n);
        vp_fig_cell_num(j, "%.4f", r->measured);
        vp_fig_cell_ci(j, "%.4f", &m, true);
        vp_fig_cell_num(j, "%.4f", r->estimate1);
        vp_fig_cell_num(j, "%.2f", 100 * r->rel_error1);
        vp_fig_cell_num(j, "%.4f", r->estimate2);
        vp_fig_cell_num(j, "%.2f", 100 * r->rel_error2);
        vp_fig_cell_num(j, "%.3f", r->jain);
        vp_fig_cell_num(j, "%.2f", r->other_work);
        vp_fig_row_end(j);
    }
    vp_fig_table_end(j);
    vp_fig_end(j);
}

static void model_overhead(struct vp_json *j, const struct vp_model_overhead *o)
{
    char title[256], note[512], verdict[256];
    bool fitted = o->ok && o->fit.trend;
    snprintf(title, sizeof title, "host CPU cost of idle appliances on %s, O(n) = a + b·n",
             o->platform);
    snprintf(note, sizeof note, "%s; %s", vp_model_overhead_source(o),
             vp_model_overhead_verdict(o, verdict, sizeof verdict));
    vp_fig_begin(j, "xy", title, note);
    vp_json_string(j, "xname", "idle appliances");
    vp_json_string(j, "y", "host CPU (%)");
    vp_json_array_begin(j, "series");
    vp_json_object_begin(j, NULL);
    vp_json_string(j, "name", "measured (95% CI)");
    vp_json_string(j, "type", "scatter");
    vp_json_array_begin(j, "data");
    for (int k = 0; k < o->n; k++)
        vp_fig_xy(j, o->count[k], o->pct[k]);
    vp_json_array_end(j);
    vp_json_array_begin(j, "err");
    for (int k = 0; k < o->n; k++) {
        if (!isfinite(o->ci[k]))
            continue;
        vp_json_array_begin(j, NULL);
        vp_fig_num(j, NULL, o->count[k]);
        vp_fig_num(j, NULL, o->pct[k] - o->ci[k]);
        vp_fig_num(j, NULL, o->pct[k] + o->ci[k]);
        vp_json_array_end(j);
    }
    vp_json_array_end(j);
    vp_json_object_end(j);
    if (fitted) {
        double lo = o->count[0], hi = o->count[0];
        for (int k = 1; k < o->n; k++) {
            lo = fmin(lo, o->count[k]);
            hi = fmax(hi, o->count[k]);
        }
        vp_json_object_begin(j, NULL);
        vp_json_string(j, "name", "O(n) fit");
        vp_json_string(j, "type", "line");
        vp_json_array_begin(j, "data");
        vp_fig_xy(j, lo, o->fit.a + o->fit.b * lo);
        vp_fig_xy(j, hi, o->fit.a + o->fit.b * hi);
        vp_json_array_end(j);
        vp_json_object_end(j);
    }
    vp_json_array_end(j);
    static const char *const cols[] = {"n", "host CPU % (95% CI)", "fit %", NULL};
    vp_fig_table_begin(j, cols);
    for (int k = 0; k < o->n; k++) {
        char cost[96];
        vp_fig_row_begin(j);
        vp_fig_cell(j, "%.0f", o->count[k]);
        vp_fig_cell(j, "%s", vp_format_cost(cost, sizeof cost, "%.3f", o->pct[k], o->ci[k]));
        vp_fig_cell_num(j, "%.3f", fitted ? o->fit.a + o->fit.b * o->count[k] : NAN);
        vp_fig_row_end(j);
    }
    vp_fig_table_end(j);
    vp_fig_end(j);
}

/* Seed 002's figures, where the experiment has what they need: a series
 * with two or more instance counts, idle points. */
int vp_figures_model(struct vp_store *st, const struct vp_exp_data *d, struct vp_json *j,
                     struct vp_err *err)
{
    bool idle = false;
    for (int i = 0; i < d->npoints; i++)
        idle |= strcmp(d->points[i].kind, "idle") == 0;
    for (int i = 0; i < d->npoints; i++) {
        const struct vp_exp_point_row *p = &d->points[i];
        if (strcmp(p->kind, "run") != 0 || !vp_model_first_of(d, i))
            continue;
        struct vp_model_series s;
        int rc = vp_model_series_of(st, d, i, &s, err);
        if (rc < 0)
            return rc;
        if (s.nrows >= 2 && (s.have_p || idle) &&
            s.rows[0].instances != s.rows[s.nrows - 1].instances)
            model_series(j, &s);
    }
    for (int i = 0; i < d->npoints; i++) {
        if (strcmp(d->points[i].kind, "idle") != 0 || !vp_model_first_of(d, i))
            continue;
        struct vp_model_overhead o;
        vp_model_overhead_of(d, d->points[i].platform, &o);
        model_overhead(j, &o);
    }
    return 0;
}
