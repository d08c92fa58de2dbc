/* Seed 002's tables from a stored experiment: see model_exp.h. */
#include "analysis/model_exp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/exp_stats.h"

void vp_model_overhead_of(const struct vp_exp_data *d, const char *platform,
                          struct vp_model_overhead *o)
{
    memset(o, 0, sizeof *o);
    o->platform = platform;
    bool apps = false;
    for (int i = 0; i < d->npoints; i++)
        apps |= strcmp(d->points[i].kind, "idle") == 0 &&
                strcmp(d->points[i].platform, platform) == 0 &&
                isfinite(d->points[i].appliance_cpu_pct);
    o->source = apps ? "appliances" : "host";
    for (int i = 0; i < d->npoints && o->n < VP_MODEL_MAX_ROWS; i++) {
        const struct vp_exp_point_row *p = &d->points[i];
        double pct = apps ? p->appliance_cpu_pct : p->host_cpu_pct;
        if (strcmp(p->kind, "idle") != 0 || strcmp(p->platform, platform) != 0 || !isfinite(pct))
            continue;
        o->count[o->n] = p->instances;
        o->pct[o->n] = pct;
        o->ci[o->n] = apps ? p->appliance_cpu_ci_half : p->host_cpu_ci_half;
        o->n++;
    }
    o->ok = vp_overhead_fit(o->count, o->pct, o->n, &o->fit) == 0;
}

const char *vp_model_overhead_verdict(const struct vp_model_overhead *o, char *buf, size_t len)
{
    const struct vp_overhead_fit *f = &o->fit;
    if (!o->ok)
        snprintf(buf, len, "no fit: it needs idle points at two or more counts");
    else if (f->n < 3)
        snprintf(buf, len, "no fit judged: two counts always fit (R² = 1); it needs three or more");
    else if (!isfinite(f->r2))
        snprintf(buf, len, "no fit: the same cost at every count (%.4f %%)", f->a);
    else if (!f->trend)
        snprintf(buf, len,
                 "no fit: the cost does not grow with n beyond the noise (b = %.4f ± %.4f %% per "
                 "appliance, R² = %.2f over %d counts)",
                 f->b, f->b_ci_half, f->r2, f->n);
    else
        snprintf(buf, len,
                 "fit O(n) = a + b·n: a = %.4f, b = %.4f ± %.4f (O = %.5f per appliance), "
                 "R² = %.4f",
                 f->a, f->b, f->b_ci_half, f->b / 100, f->r2);
    return buf;
}

const char *vp_model_overhead_source(const struct vp_model_overhead *o)
{
    return strcmp(o->source, "appliances") == 0
               ? "charged to the appliances (their cgroups or processes)"
               : "host-wide busy difference (a store from before appliance figures)";
}

static int cmp_rows(const void *a, const void *b)
{
    return ((const struct vp_model_row *)a)->instances -
           ((const struct vp_model_row *)b)->instances;
}

int vp_model_series_of(struct vp_store *st, const struct vp_exp_data *d, int first,
                       struct vp_model_series *s, struct vp_err *err)
{
    memset(s, 0, sizeof *s);
    s->first = &d->points[first];
    for (int i = first; i < d->npoints && s->nrows < VP_MODEL_MAX_ROWS; i++) {
        const struct vp_exp_point_row *p = &d->points[i];
        if (strcmp(p->kind, "run") != 0 || strcmp(p->series, s->first->series) != 0)
            continue;
        struct vp_point_stats ps;
        int rc = vp_point_stats(st, p, &ps, err);
        if (rc < 0)
            return rc;
        s->rows[s->nrows++] =
            (struct vp_model_row){.instances = p->instances,
                                  .n = ps.elapsed.n,
                                  .measured = ps.elapsed.n ? ps.elapsed.mean : NAN,
                                  .ci_half = ps.elapsed.ci_half,
                                  .jain = ps.jain,
                                  .other_work = vp_point_other_work(st, d->id, p->point, err)};
        s->external += ps.external;
        s->samples += ps.elapsed.n;
        if (p->cpus_available > s->P)
            s->P = p->cpus_available;
    }
    qsort(s->rows, (size_t)s->nrows, sizeof s->rows[0], cmp_rows);
    vp_model_overhead_of(d, s->first->platform, &s->overhead);
    s->have_p =
        vp_model_estimate(s->rows, s->nrows, s->P,
                          s->overhead.ok && s->overhead.fit.trend ? &s->overhead.fit : NULL) == 0;
    return 0;
}

bool vp_model_first_of(const struct vp_exp_data *d, int i)
{
    const struct vp_exp_point_row *b = &d->points[i];
    bool idle = strcmp(b->kind, "idle") == 0;
    for (int k = 0; k < i; k++) {
        const struct vp_exp_point_row *a = &d->points[k];
        if (strcmp(a->kind, b->kind) == 0 &&
            strcmp(idle ? a->platform : a->series, idle ? b->platform : b->series) == 0)
            return false;
    }
    return true;
}
