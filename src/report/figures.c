/* A report's section of an experiment: its figures (figures_*.c). The
 * runs' section is figures_runs.c. */
#include "report/figures.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/fig.h"

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
