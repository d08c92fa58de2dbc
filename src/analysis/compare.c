#include "analysis/compare.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/exp_stats.h"
#include "analysis/load_stats.h"
#include "analysis/run_stats.h"
#include "drivers/driver.h"
#include "experiment/exp_store.h"
#include "store/query.h"

static const struct {
    const char *prefix;
    enum vp_cmp_kind kind;
} ref_kinds[] = {
    {"run:", VP_CMP_RUN},
    {"exp:", VP_CMP_EXPERIMENT},
    {"experiment:", VP_CMP_EXPERIMENT},
};

int vp_cmp_parse_ref(const char *text, struct vp_cmp_ref *ref, struct vp_err *err)
{
    const char *num = text;
    char *end;
    memset(ref, 0, sizeof *ref);
    ref->kind = VP_CMP_RUN;
    for (size_t i = 0; i < sizeof ref_kinds / sizeof ref_kinds[0]; i++)
        if (strncmp(text, ref_kinds[i].prefix, strlen(ref_kinds[i].prefix)) == 0) {
            ref->kind = ref_kinds[i].kind;
            num = text + strlen(ref_kinds[i].prefix);
        }
    errno = 0;
    ref->id = strtoll(num, &end, 10);
    if (*num < '0' || *num > '9' || *end != '\0' || errno != 0 || ref->id <= 0)
        return vp_input_error(err,
                              "compare: \"%s\" is not a run or an experiment "
                              "(RUN, run:RUN or exp:EXPERIMENT)",
                              text);
    snprintf(ref->label, sizeof ref->label, "%s %lld",
             ref->kind == VP_CMP_RUN ? "run" : "experiment", (long long)ref->id);
    return 0;
}

/* A new row at the end of c, zeroed; NULL on ENOMEM. */
static struct vp_cmp_row *add_row(struct vp_comparison *c)
{
    void *more = realloc(c->rows, (size_t)(c->nrows + 1) * sizeof *c->rows);
    if (more == NULL)
        return NULL;
    c->rows = more;
    memset(&c->rows[c->nrows], 0, sizeof c->rows[0]);
    return &c->rows[c->nrows++];
}

/* Ratio, how much worse, the test and its verdict of a row whose two
 * summaries are made; the test from the moments of each side's sample
 * (ma, mb: of 1/x for a rate). */
static void judge(struct vp_cmp_row *r, const struct vp_summary *ma, const struct vp_summary *mb)
{
    double a = r->a.mean, b = r->b.mean;
    r->ratio = a != 0 && isfinite(a) && isfinite(b) ? b / a : NAN;
    r->worse_pct =
        isfinite(r->ratio) ? 100 * (r->higher_is_better ? 1 - r->ratio : r->ratio - 1) : NAN;
    vp_welch(ma->mean, ma->sd, ma->n, mb->mean, mb->sd, mb->n, &r->test);
    r->significant = r->test.p < VP_CMP_ALPHA;
}

/* The summaries of a sample and of its reciprocals (for a rate's test). */
static int summarize(double *x, int n, bool harmonic, struct vp_summary *s,
                     struct vp_summary *moments)
{
    int rc = vp_summarize(x, n, harmonic, s);
    if (rc < 0 || !harmonic) {
        *moments = *s;
        return rc;
    }
    for (int i = 0; i < n; i++)
        x[i] = 1 / x[i];
    return vp_summarize(x, n, false, moments);
}

/* One metric of two runs: a row, or nothing when either has no value. */
static int compare_metric(const struct vp_run_data *ra, int ma, const struct vp_run_data *rb,
                          int mb, struct vp_cmp_row *proto, struct vp_comparison *c)
{
    double *xa = NULL, *xb = NULL;
    bool ha, hb;
    int na = vp_run_samples(ra, ma, &xa, &ha), nb = vp_run_samples(rb, mb, &xb, &hb), rc = 0;
    struct vp_summary sa, sb;
    struct vp_cmp_row *r;
    if (na < 0 || nb < 0) {
        rc = -ENOMEM;
        goto out;
    }
    if (na == 0 || nb == 0) {
        c->only_a += na > 0;
        c->only_b += nb > 0;
        goto out;
    }
    if ((r = add_row(c)) == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    *r = *proto;
    r->harmonic = ha && hb; /* a zero rate on either side: both plain means */
    summarize(xa, na, r->harmonic, &r->a, &sa);
    summarize(xb, nb, r->harmonic, &r->b, &sb);
    judge(r, &sa, &sb);
out:
    free(xa);
    free(xb);
    return rc;
}

static int find_metric(const struct vp_run_data *run, const char *name)
{
    for (int m = 0; m < run->nmetrics; m++)
        if (strcmp(run->metrics[m].name, name) == 0)
            return m;
    return -2; /* not VP_METRIC_ELAPSED */
}

/* Every metric of two runs, elapsed first, under point and appliance. */
static int compare_runs(const struct vp_run_data *ra, const struct vp_run_data *rb,
                        const char *point, const char *appliance, struct vp_comparison *c)
{
    int rc = 0;
    for (int m = VP_METRIC_ELAPSED; m < ra->nmetrics && rc == 0; m++) {
        struct vp_cmp_row proto = {.point = point};
        int mb = m == VP_METRIC_ELAPSED ? m : find_metric(rb, ra->metrics[m].name);
        if (mb == -2) {
            c->only_a++;
            continue;
        }
        snprintf(proto.appliance, sizeof proto.appliance, "%s", appliance);
        snprintf(proto.metric, sizeof proto.metric, "%s",
                 m == VP_METRIC_ELAPSED ? "elapsed" : ra->metrics[m].name);
        snprintf(proto.unit, sizeof proto.unit, "%s",
                 m == VP_METRIC_ELAPSED ? "s" : ra->metrics[m].unit);
        proto.higher_is_better = m != VP_METRIC_ELAPSED && ra->metrics[m].higher_is_better;
        rc = compare_metric(ra, m, rb, mb, &proto, c);
    }
    for (int m = 0; m < rb->nmetrics; m++)
        c->only_b += find_metric(ra, rb->metrics[m].name) == -2;
    return rc;
}

/* Two stored runs by id, compared under point and appliance. */
static int compare_run_ids(struct vp_store *st, int64_t a, int64_t b, const char *point,
                           const char *appliance, struct vp_comparison *c, struct vp_err *err)
{
    struct vp_run_data ra, rb;
    int rc = vp_store_load_run(st, a, &ra, err);
    if (rc < 0)
        return rc;
    if ((rc = vp_store_load_run(st, b, &rb, err)) < 0) {
        vp_run_data_free(&ra);
        return rc;
    }
    if (point == NULL && strcmp(ra.subject, rb.subject) != 0)
        rc = vp_input_error(err, "compare: run %lld is %s, run %lld %s: different workloads",
                            (long long)a, ra.subject, (long long)b, rb.subject);
    else if (compare_runs(&ra, &rb, point, appliance, c) < 0)
        rc = vp_run_error(err, ENOMEM, "compare");
    if (point == NULL && rc == 0) {
        snprintf(c->a.label, sizeof c->a.label, "run %lld (%s)", (long long)a, ra.subject);
        snprintf(c->b.label, sizeof c->b.label, "run %lld (%s)", (long long)b, rb.subject);
    }
    vp_run_data_free(&ra);
    vp_run_data_free(&rb);
    return rc;
}

/* A row of a load's figure without rounds: one value a side, no test. */
static int single_row(struct vp_comparison *c, const struct vp_cmp_row *proto, const char *metric,
                      const char *unit, double a, double b)
{
    struct vp_cmp_row *r;
    if (!isfinite(a) || !isfinite(b))
        return 0;
    if ((r = add_row(c)) == NULL)
        return -ENOMEM;
    *r = *proto;
    snprintf(r->metric, sizeof r->metric, "%s", metric);
    snprintf(r->unit, sizeof r->unit, "%s", unit);
    const double x[2] = {a, b};
    vp_summarize(&x[0], 1, false, &r->a);
    vp_summarize(&x[1], 1, false, &r->b);
    judge(r, &r->a, &r->b);
    return 0;
}

/* Two loads' figures, by the chart their driver draws them on. */
static int compare_figures(struct vp_comparison *c, const struct vp_cmp_row *proto,
                           const struct vp_load_figures *fa, const struct vp_load_figures *fb)
{
    struct vp_chart_value va = {0}, vb = {0};
    if (fa->own == NULL || fb->own == NULL || fa->driver != fb->driver || fa->driver->draw == NULL)
        return 0;
    enum vp_chart ka = fa->driver->draw(fa, &va), kb = fb->driver->draw(fb, &vb);
    if (ka != kb || ka == VP_CHART_NONE)
        return 0;
    if (ka == VP_CHART_DELAY_BOX) {
        int rc = single_row(c, proto, "delay_median", "ms", va.delay_ms.median, vb.delay_ms.median);
        return rc < 0 ? rc : single_row(c, proto, "loss", "%", va.loss_pct, vb.loss_pct);
    }
    struct vp_cmp_row *r = add_row(c); /* a capacity: a mean of searches with its CI */
    if (r == NULL)
        return -ENOMEM;
    *r = *proto;
    snprintf(r->metric, sizeof r->metric, "capacity");
    snprintf(r->unit, sizeof r->unit, "/s");
    r->higher_is_better = true;
    r->a = va.rate;
    r->b = vb.rate;
    judge(r, &r->a, &r->b);
    return 0;
}

/* The loads of two matched points, by name and target. */
static int compare_loads(struct vp_store *st, int64_t ea, int64_t eb, int pa, int pb,
                         const char *point, struct vp_comparison *c, struct vp_err *err)
{
    struct vp_load_row *la = NULL, *lb = NULL;
    int na = 0, nb = 0, rc, matched = 0;
    if ((rc = vp_point_loads(st, ea, pa, &la, &na, err)) < 0 ||
        (rc = vp_point_loads(st, eb, pb, &lb, &nb, err)) < 0)
        goto out;
    for (int i = 0; i < na && rc == 0; i++) {
        int k = 0;
        while (k < nb &&
               (strcmp(la[i].load, lb[k].load) != 0 || strcmp(la[i].target, lb[k].target) != 0))
            k++;
        if (k == nb) {
            c->only_a++;
            continue;
        }
        matched++;
        struct vp_load_figures fa, fb;
        if ((rc = vp_load_figures(st, &la[i], &fa, err)) < 0)
            break;
        if ((rc = vp_load_figures(st, &lb[k], &fb, err)) == 0) {
            struct vp_cmp_row proto = {.point = point};
            snprintf(proto.load, sizeof proto.load, "%s", la[i].load);
            if (compare_figures(c, &proto, &fa, &fb) < 0)
                rc = vp_run_error(err, ENOMEM, "compare");
            vp_load_figures_free(&fb);
        }
        vp_load_figures_free(&fa);
    }
    c->only_b += nb - matched;
out:
    free(la);
    free(lb);
    return rc;
}

/* The point of d with these params, or NULL. */
static const struct vp_exp_point_row *find_point(const struct vp_exp_data *d, const char *params)
{
    for (int i = 0; i < d->npoints; i++)
        if (strcmp(d->points[i].params, params) == 0)
            return &d->points[i];
    return NULL;
}

/* The point's figure: all its appliances' measured rounds as one sample
 * (externally timed where they were), as `results experiment` shows it. */
static int compare_pooled(struct vp_store *st, const struct vp_exp_point_row *pa,
                          const struct vp_exp_point_row *pb, const char *point,
                          struct vp_comparison *c, struct vp_err *err)
{
    struct vp_point_stats sa, sb;
    struct vp_cmp_row *r;
    int rc;
    if ((rc = vp_point_stats(st, pa, &sa, err)) < 0 || (rc = vp_point_stats(st, pb, &sb, err)) < 0)
        return rc;
    if (sa.elapsed.n == 0 || sb.elapsed.n == 0)
        return 0;
    if ((r = add_row(c)) == NULL)
        return vp_run_error(err, ENOMEM, "compare");
    r->point = point;
    snprintf(r->metric, sizeof r->metric, "elapsed");
    snprintf(r->unit, sizeof r->unit, "s");
    r->a = sa.elapsed;
    r->b = sb.elapsed;
    judge(r, &r->a, &r->b);
    return 0;
}

/* The appliances' runs and the loads of two matched points. */
static int compare_points(struct vp_store *st, const struct vp_exp_data *da,
                          const struct vp_exp_point_row *pa, const struct vp_exp_data *db,
                          const struct vp_exp_point_row *pb, struct vp_comparison *c,
                          struct vp_err *err)
{
    void *more = realloc(c->points, (size_t)(c->npoints + 1) * sizeof *c->points);
    char *point = strdup(pa->params);
    int rc = 0, matched = 0;
    if (more)
        c->points = more;
    if (more == NULL || point == NULL) {
        free(point);
        return vp_run_error(err, ENOMEM, "compare");
    }
    c->points[c->npoints++] = point;
    if ((rc = compare_pooled(st, pa, pb, point, c, err)) < 0)
        return rc;
    for (int i = 0; i < pa->nruns && rc == 0; i++) {
        int k = 0;
        while (k < pb->nruns && strcmp(pa->appliance[i], pb->appliance[k]) != 0)
            k++;
        if (k == pb->nruns || pa->run_id[i] <= 0 || pb->run_id[k] <= 0) {
            c->only_a++;
            continue;
        }
        matched++;
        rc = compare_run_ids(st, pa->run_id[i], pb->run_id[k], point, pa->appliance[i], c, err);
    }
    c->only_b += pb->nruns - matched;
    return rc < 0 ? rc : compare_loads(st, da->id, db->id, pa->point, pb->point, point, c, err);
}

static int compare_experiments(struct vp_store *st, int64_t a, int64_t b, struct vp_comparison *c,
                               struct vp_err *err)
{
    struct vp_exp_data da, db;
    int rc = vp_exp_store_load(st, a, &da, err), matched = 0;
    if (rc < 0)
        return rc;
    if ((rc = vp_exp_store_load(st, b, &db, err)) < 0) {
        vp_exp_data_free(&da);
        return rc;
    }
    snprintf(c->a.label, sizeof c->a.label, "experiment %lld (%s)", (long long)a, da.name);
    snprintf(c->b.label, sizeof c->b.label, "experiment %lld (%s)", (long long)b, db.name);
    for (int i = 0; i < da.npoints && rc == 0; i++) {
        const struct vp_exp_point_row *pb = find_point(&db, da.points[i].params);
        if (pb == NULL) {
            c->only_a++;
            continue;
        }
        matched++;
        rc = compare_points(st, &da, &da.points[i], &db, pb, c, err);
    }
    c->only_b += db.npoints - matched;
    vp_exp_data_free(&da);
    vp_exp_data_free(&db);
    return rc;
}

int vp_compare(struct vp_store *st, const struct vp_cmp_ref *a, const struct vp_cmp_ref *b,
               struct vp_comparison *c, struct vp_err *err)
{
    int rc;
    memset(c, 0, sizeof *c);
    c->a = *a;
    c->b = *b;
    if (a->kind != b->kind)
        return vp_input_error(err,
                              "compare: %s is a%s and %s a%s: compare runs with runs, "
                              "experiments with experiments",
                              a->label, a->kind == VP_CMP_RUN ? " run" : "n experiment", b->label,
                              b->kind == VP_CMP_RUN ? " run" : "n experiment");
    if (a->kind == VP_CMP_RUN)
        rc = compare_run_ids(st, a->id, b->id, NULL, "", c, err);
    else
        rc = compare_experiments(st, a->id, b->id, c, err);
    if (rc < 0)
        vp_comparison_free(c);
    return rc;
}

void vp_comparison_free(struct vp_comparison *c)
{
    for (int i = 0; i < c->npoints; i++)
        free(c->points[i]);
    free(c->points);
    free(c->rows);
    c->points = NULL;
    c->rows = NULL;
    c->npoints = c->nrows = 0;
}

bool vp_cmp_worse(const struct vp_cmp_row *r, double pct)
{
    return r->significant && r->worse_pct > pct;
}
