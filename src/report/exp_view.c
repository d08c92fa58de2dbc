/* A stored experiment for people (a line per point, its loads' figures
 * under it) or as a JSON document, every figure recomputed from the store
 * (analysis/exp_stats.c, analysis/load_stats.c). */
#include "report/exp_view.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/exp_stats.h"
#include "analysis/load_stats.h"
#include "core/json.h"
#include "experiment/exp_store.h"
#include "rtp/report.h"

/* A figure for the table: "-" when there is none (NaN), never "nan". */
static const char *fig(char *buf, size_t len, const char *fmt, double v)
{
    if (!isfinite(v))
        return "-";
    snprintf(buf, len, fmt, v);
    return buf;
}

/* Whether the experiment ran servers (then the queueing model is not its
 * reading, even when its loads stored nothing). */
static bool has_servers(struct vp_store *st, int64_t exp_id)
{
    sqlite3_stmt *q;
    struct vp_err err = {0};
    bool any = false;
    if (vp_store_prepare(st, "SELECT 1 FROM point_services WHERE experiment_id = ? LIMIT 1", &q,
                         &err) < 0)
        return false;
    sqlite3_bind_int64(q, 1, exp_id);
    any = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    return any;
}

/* What a generator that fell behind its plan means for each kind of figure. */
static const char *generator_note(enum vp_load_type type)
{
    switch (type) {
    case VP_LOAD_SIP_CAPACITY:
        return "generator-limited: rates where the generator fell behind were not counted, "
               "so the server's maximum may be higher";
    case VP_LOAD_SIP_UAC:
        return "generator-limited: calls started late, the server got less than the plan";
    case VP_LOAD_RTP:
        return "generator late (send lateness p99 over 1 ms): jitter includes the generator's";
    default:
        return "generator-limited";
    }
}

/* One indented line under its point: the load's headline figures. */
static void print_load(const struct vp_load_row *l, const struct vp_load_figures *f)
{
    char a[32], b[32], c[32];
    printf("       %s %s", l->driver, l->target);
    if (strcmp(l->load, l->driver) != 0)
        printf(" (%s)", l->load);
    printf(": ");
    switch (f->type) {
    case VP_LOAD_FAILED:
        printf("failed (%s)\n",
               strcmp(f->status, "missing") == 0 ? "its run is no longer stored" : "no run stored");
        return;
    case VP_LOAD_SIP_CAPACITY: {
        const struct vp_summary *m = &f->cap.max_rate;
        printf("max %s calls/s", fig(a, sizeof a, "%.1f", m->n ? m->mean : NAN));
        if (m->n > 1)
            printf(" (95%% CI %s .. %s, %d searches)", fig(b, sizeof b, "%.1f", m->ci_lo),
                   fig(c, sizeof c, "%.1f", m->ci_hi), m->n);
        else if (m->n == 1)
            printf(" (1 search)");
        if (f->cap.from_cache)
            printf(", as stored: no steps kept");
        break;
    }
    case VP_LOAD_SIP_UAC:
        printf("%lld calls, %s%% failed or unfinished, retrans %s%%, INVITE→200 p95 %s ms",
               (long long)f->uac.created, fig(a, sizeof a, "%.3g", f->uac.failed_pct),
               fig(b, sizeof b, "%.3g", f->uac.retransmission_pct),
               fig(c, sizeof c, "%.3g", f->uac.inv200_p95_ms));
        break;
    case VP_LOAD_RTP: {
        const struct vp_boxplot *d = &f->rtp.delay_ms;
        printf("%d streams, loss %s%% (%lld/%lld)", f->rtp.streams,
               fig(a, sizeof a, "%.3g", f->rtp.loss_pct), (long long)f->rtp.lost,
               (long long)f->rtp.sent);
        if (f->rtp.delay_samples)
            printf(", delay ms min/q1/median/q3/max %.3g/%.3g/%.3g/%.3g/%.3g, p99 %.3g", d->min,
                   d->q1, d->median, d->q3, d->max, f->rtp.delay_p99_ms);
        else
            printf(", no delay samples");
        break;
    }
    }
    if (strcmp(f->status, "complete") != 0 && strcmp(f->status, "generator_limited") != 0)
        printf(" [%s]", f->status);
    if (f->generator_limited)
        printf("; %s", generator_note(f->type));
    printf("\n");
}

static void json_boxplot(struct vp_json *j, const char *key, const struct vp_boxplot *b, bool any)
{
    if (!any) {
        vp_json_null(j, key);
        return;
    }
    vp_json_object_begin(j, key);
    vp_boxplot_json_fields(j, b, 1); /* already in ms */
    vp_json_object_end(j);
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
    if (f->type != VP_LOAD_FAILED)
        vp_json_bool(j, "generator_limited", f->generator_limited);
    if (f->type == VP_LOAD_SIP_CAPACITY) {
        const struct vp_load_capacity *c = &f->cap;
        vp_json_double(j, "max_rate_mean", c->max_rate.n ? c->max_rate.mean : NAN);
        vp_json_double(j, "max_rate_ci95_lo", c->max_rate.ci_lo);
        vp_json_double(j, "max_rate_ci95_hi", c->max_rate.ci_hi);
        vp_json_int(j, "searches", c->max_rate.n);
        vp_json_array_begin(j, "max_rate_per_repeat");
        for (int i = 0; i < c->nrepeats; i++)
            vp_json_double(j, NULL, c->best[i]);
        vp_json_array_end(j);
        vp_json_int(j, "steps", c->steps);
        vp_json_bool(j, "from_cache", c->from_cache);
    } else if (f->type == VP_LOAD_SIP_UAC) {
        const struct vp_load_uac *u = &f->uac;
        vp_json_int(j, "created", u->created);
        vp_json_int(j, "successful", u->successful);
        vp_json_int(j, "failed", u->failed);
        vp_json_double(j, "failed_pct", u->failed_pct);
        vp_json_int(j, "retransmissions", u->retransmissions);
        vp_json_double(j, "retransmission_pct", u->retransmission_pct);
        vp_json_int(j, "invite_200_samples", (int64_t)u->inv200_samples);
        vp_json_double(j, "invite_200_p50_ms", u->inv200_p50_ms);
        vp_json_double(j, "invite_200_p95_ms", u->inv200_p95_ms);
        vp_json_double(j, "invite_200_p99_ms", u->inv200_p99_ms);
    } else if (f->type == VP_LOAD_RTP) {
        const struct vp_load_rtp *r = &f->rtp;
        vp_json_int(j, "streams", r->streams);
        vp_json_int(j, "sent", r->sent);
        vp_json_int(j, "received", r->received);
        vp_json_int(j, "lost", r->lost);
        vp_json_double(j, "loss_pct", r->loss_pct);
        vp_json_int(j, "duplicates", r->duplicates);
        vp_json_int(j, "reordered", r->reordered);
        vp_json_double(j, "jitter_mean_ms", r->jitter_mean_ms);
        vp_json_int(j, "delay_samples", (int64_t)r->delay_samples);
        json_boxplot(j, "delay_ms", &r->delay_ms, r->delay_samples > 0);
        vp_json_double(j, "delay_p95_ms", r->delay_p95_ms);
        vp_json_double(j, "delay_p99_ms", r->delay_p99_ms);
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
        if (idle)
            printf("%5d  %-34s %-11s %4d  host CPU %6.2f%% ± %.2f\n", p->point + 1, p->params,
                   p->status, p->instances, p->host_cpu_pct, p->host_cpu_ci_half);
        else
            printf("%5d  %-34s %-11s %4d  %10s %10s %6s\n", p->point + 1, p->params, p->status,
                   p->instances, fig(m, sizeof m, "%.4g", ps.elapsed.n ? ps.elapsed.mean : NAN),
                   fig(c, sizeof c, "%.4g", ps.elapsed.n > 1 ? ps.elapsed.ci_half : NAN),
                   fig(jn, sizeof jn, "%.3f", ps.jain));
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
    } else {
        vp_json_int(j, "n", ps.elapsed.n);
        vp_json_double(j, "elapsed_mean_s", ps.elapsed.n ? ps.elapsed.mean : NAN);
        vp_json_double(j, "elapsed_ci95_half_s", ps.elapsed.n > 1 ? ps.elapsed.ci_half : NAN);
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

/* The stored experiment as a table or a JSON document (with the error of a
 * failed run, when there is one). */
int vp_exp_view(struct vp_store *st, int64_t id, bool json, bool footer,
                const struct vp_err *run_err)
{
    struct vp_exp_data d;
    struct vp_err err = {0};
    if (vp_exp_store_load(st, id, &d, &err) < 0)
        return vp_err_report(&err);
    struct vp_json j;
    if (json) {
        vp_json_init(&j, stdout);
        vp_json_object_begin(&j, NULL);
        vp_json_object_begin(&j, "experiment");
        vp_json_int(&j, "id", d.id);
        vp_json_string(&j, "name", d.name);
        vp_json_string(&j, "file", d.file);
        vp_json_string(&j, "status", d.status);
        vp_json_string(&j, "started_at", d.started_at);
        vp_json_int(&j, "cpus_available", d.cpus_available);
        vp_json_string(&j, "store", vp_store_path(st));
        vp_json_object_end(&j);
        vp_json_array_begin(&j, "points");
    } else {
        printf("experiment %lld: %s (%s), %s\n\n%5s  %-34s %-11s %4s  %10s %10s %6s\n",
               (long long)d.id, d.name, d.file, d.status, "point", "params", "status", "apps",
               "mean_s", "ci95_half", "jain");
    }
    int nloads = 0;
    for (int i = 0; i < d.npoints; i++)
        nloads += show_point(st, d.id, &d.points[i], json ? &j : NULL);
    if (json) {
        vp_json_array_end(&j);
        if (run_err && run_err->kind != VP_ERR_NONE)
            vp_json_string(&j, "error", run_err->msg);
        vp_json_object_end(&j);
        vp_json_finish(&j);
    } else if (footer) {
        printf("\nresults stored in %s", vp_store_path(st));
        if (nloads == 0 && !has_servers(st, d.id))
            printf("; `virtperf model %lld` for the queueing model", (long long)d.id);
        putchar('\n');
    }
    vp_exp_data_free(&d);
    return VP_EXIT_OK;
}
