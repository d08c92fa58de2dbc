/* A stored experiment for people (a line per point, its loads' figures
 * under it) or as a document (core/doc.h), every figure recomputed from the store
 * (analysis/exp_stats.c, and each load's driver: drivers/). */
#include "report/exp_view.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "analysis/exp_stats.h"
#include "analysis/load_stats.h"
#include "core/doc.h"
#include "core/json.h"
#include "core/units.h"
#include "drivers/driver.h"
#include "experiment/exp_store.h"

/* Whether the experiment ran servers (then the queueing model is not its
 * reading, even when its loads stored nothing). */
static bool has_servers(struct vp_store *st, int64_t exp_id)
{
    struct vp_stmt *q;
    struct vp_err err = {0};
    bool any = false;
    if (vp_store_prepare(st, "SELECT 1 FROM point_services WHERE experiment_id = ? LIMIT 1", &q,
                         &err) < 0)
        return false;
    vp_db_bind_int64(q, 1, exp_id);
    any = vp_db_step(q) == VP_DB_ROW;
    vp_db_finalize(q);
    return any;
}

/* One indented line under its point: the load's headline figures, as its
 * driver prints them. */
static void print_load(const struct vp_load_row *l, const struct vp_load_figures *f)
{
    printf("       %s%s%s", l->driver, l->target[0] ? " " : "", l->target); /* none: own test bed */
    if (strcmp(l->load, l->driver) != 0)
        printf(" (%s)", l->load);
    printf(": ");
    if (f->own == NULL) {
        printf("failed (%s)\n",
               strcmp(f->status, "missing") == 0 ? "its run is no longer stored" : "no run stored");
        return;
    }
    f->driver->print(stdout, f);
    if (strcmp(f->status, "complete") != 0 && strcmp(f->status, "generator_limited") != 0)
        printf(" [%s]", f->status);
    if (f->generator_limited)
        printf("; %s", f->driver->generator_note);
    printf("\n");
}

static void json_load(struct vp_json *j, const struct vp_load_row *l,
                      const struct vp_load_figures *f)
{
    vp_json_object_begin(j, NULL);
    vp_json_string(j, "load", l->load);
    vp_json_string(j, "target", l->target);
    vp_json_string(j, "driver", l->driver);
    vp_json_string(j, "kind", l->kind);
    if (l->run_id > 0)
        vp_json_int(j, "run_id", l->run_id);
    else
        vp_json_null(j, "run_id");
    vp_json_string(j, "status", f->status);
    if (f->own) {
        vp_json_bool(j, "generator_limited", f->generator_limited);
        f->driver->json(j, f);
    }
    vp_json_object_end(j);
}

/* The point's loads (a line each, or the "loads" array) and, in JSON, its
 * services with the counters each server printed; how many loads. */
static int show_loads(struct vp_store *st, int64_t exp_id, int point, struct vp_json *j)
{
    struct vp_err err = {0};
    struct vp_load_row *loads = NULL;
    struct vp_service_row *sv = NULL;
    int nloads = 0, nsv = 0;
    if (vp_point_loads(st, exp_id, point, &loads, &nloads, &err) < 0)
        vp_err_report(&err);
    if (j)
        vp_json_array_begin(j, "loads");
    for (int i = 0; i < nloads; i++) {
        struct vp_load_figures f;
        if (vp_load_figures(st, &loads[i], &f, &err) < 0) {
            vp_err_report(&err);
            continue;
        }
        if (j)
            json_load(j, &loads[i], &f);
        else
            print_load(&loads[i], &f);
        vp_load_figures_free(&f);
    }
    free(loads);
    if (j == NULL)
        return nloads;
    vp_json_array_end(j);
    if (vp_point_services(st, exp_id, point, &sv, &nsv, &err) < 0)
        vp_err_report(&err);
    vp_json_array_begin(j, "services");
    for (int i = 0; i < nsv; i++) {
        vp_json_object_begin(j, NULL);
        vp_json_string(j, "appliance", sv[i].appliance);
        vp_json_string(j, "role", sv[i].role);
        vp_json_string(j, "address", sv[i].address);
        if (sv[i].counters_object)
            vp_json_raw(j, "counters", sv[i].counters);
        else /* none, or not an object: kept as text so the document stays valid */
            vp_json_string(j, "counters", sv[i].counters);
        vp_json_object_end(j);
    }
    vp_json_array_end(j);
    vp_service_rows_free(sv, nsv);
    return nloads;
}

/* One line per point (and one per load under it), or its JSON object, read
 * back from the store. */
static int show_point(struct vp_store *st, int64_t exp_id, const struct vp_exp_point_row *p,
                      struct vp_json *j)
{
    struct vp_point_stats ps;
    struct vp_err err = {0};
    bool idle = strcmp(p->kind, "idle") == 0;
    if (vp_point_stats(st, p, &ps, &err) < 0)
        vp_err_report(&err);
    double other = vp_point_other_work(st, exp_id, p->point, &err);
    if (j == NULL) {
        char m[32], c[32], jn[32];
        if (idle) {
            char apps[96], host[96];
            printf("%5d  %-34s %-11s %4d  appliances' CPU %s %%, host-wide %s %%\n", p->point + 1,
                   p->params, p->status, p->instances,
                   isfinite(p->appliance_cpu_pct)
                       ? vp_format_cost(apps, sizeof apps, "%.2f", p->appliance_cpu_pct,
                                        p->appliance_cpu_ci_half)
                       : "-",
                   vp_format_cost(host, sizeof host, "%.2f", p->host_cpu_pct, p->host_cpu_ci_half));
        } else
            printf("%5d  %-34s %-11s %4d  %10s %10s %6s\n", p->point + 1, p->params, p->status,
                   p->instances,
                   vp_format_figure(m, sizeof m, "%.4g", ps.elapsed.n ? ps.elapsed.mean : NAN),
                   vp_format_ci(c, sizeof c, "%.4g", &ps.elapsed),
                   vp_format_figure(jn, sizeof jn, "%.3f", ps.jain));
        if (other > VP_OTHER_WORK_LIMIT)
            printf("       host: %.2f cores went to work outside the experiment during this "
                   "point: its figures are disturbed\n",
                   other);
        return show_loads(st, exp_id, p->point, NULL);
    }
    vp_json_object_begin(j, NULL);
    vp_json_int(j, "point", p->point);
    vp_json_string(j, "kind", p->kind);
    vp_json_raw(j, "params", p->params);
    vp_json_string(j, "platform", p->platform);
    vp_json_string(j, "status", p->status);
    vp_json_int(j, "instances", p->instances);
    vp_json_int(j, "cpus_available", p->cpus_available);
    vp_json_double(j, "other_work_cores", other); /* null without a profile */
    vp_json_bool(j, "disturbed", other > VP_OTHER_WORK_LIMIT);
    if (idle) {
        vp_json_double(j, "host_cpu_pct", p->host_cpu_pct);
        vp_json_double(j, "host_cpu_ci95_half", p->host_cpu_ci_half);
        vp_json_double(j, "appliance_cpu_pct", p->appliance_cpu_pct);
        vp_json_double(j, "appliance_cpu_ci95_half", p->appliance_cpu_ci_half);
        vp_json_bool(j, "below_resolution",
                     vp_below_resolution(p->appliance_cpu_pct, p->appliance_cpu_ci_half));
    } else {
        vp_json_int(j, "n", ps.elapsed.n);
        vp_json_double(j, "elapsed_mean_s", ps.elapsed.n ? ps.elapsed.mean : NAN);
        vp_json_double(j, "elapsed_ci95_half_s",
                       vp_ci_shown(&ps.elapsed) ? ps.elapsed.ci_half : NAN);
        vp_json_double(j, "jain", ps.jain);
    }
    vp_json_array_begin(j, "appliances");
    for (int i = 0; i < p->nruns; i++) {
        vp_json_object_begin(j, NULL);
        vp_json_string(j, "name", p->appliance[i]);
        if (p->run_id[i] > 0)
            vp_json_int(j, "run_id", p->run_id[i]);
        else
            vp_json_null(j, "run_id");
        vp_json_object_end(j);
    }
    vp_json_array_end(j);
    int nloads = show_loads(st, exp_id, p->point, j);
    vp_json_object_end(j);
    return nloads;
}

/* The stored experiment as a table or as the document d: start (the
 * experiment), rounds (a point each), end (its status), error (the run's,
 * when it failed). */
int vp_exp_view(struct vp_store *st, int64_t id, struct vp_doc *doc, bool footer,
                const struct vp_err *run_err)
{
    struct vp_exp_data d;
    struct vp_err err = {0};
    if (vp_exp_store_load(st, id, &d, &err) < 0)
        return doc ? vp_doc_fail(doc, true, &err) : vp_err_report(&err);
    struct vp_json *j = NULL;
    if (doc) {
        j = vp_doc_start(doc, stdout, false);
        vp_json_int(j, "experiment_id", d.id);
        vp_json_string(j, "name", d.name);
        vp_json_string(j, "file", d.file);
        vp_json_string(j, "started_at", d.started_at);
        vp_json_int(j, "cpus_available", d.cpus_available);
        vp_json_string(j, "store", vp_store_name(st));
        j = vp_doc_rows(doc);
    } else {
        printf("experiment %lld: %s (%s), %s\n\n%5s  %-34s %-11s %4s  %10s %10s %6s\n",
               (long long)d.id, d.name, d.file, d.status, "point", "params", "status", "apps",
               "mean_s", "ci95_half", "jain");
    }
    int nloads = 0;
    for (int i = 0; i < d.npoints; i++)
        nloads += show_point(st, d.id, &d.points[i], j);
    if (doc) {
        j = vp_doc_end(doc);
        vp_json_string(j, "status", d.status);
        vp_json_int(j, "points", d.npoints);
        vp_json_int(j, "loads", nloads);
        vp_doc_close(doc, vp_doc_error_of(run_err));
    } else if (footer) {
        printf("\nresults stored in %s", vp_store_name(st));
        if (nloads == 0 && !has_servers(st, d.id))
            printf("; `virtperf model %lld` for the queueing model", (long long)d.id);
        putchar('\n');
    }
    vp_exp_data_free(&d);
    return VP_EXIT_OK;
}
