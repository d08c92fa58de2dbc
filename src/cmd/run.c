/* virtperf run FILE.yaml [--dry-run] [--json] [--store FILE] */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/exp_stats.h"
#include "analysis/load_stats.h"
#include "cmd/cmd.h"
#include "core/json.h"
#include "core/progress.h"
#include "core/signals.h"
#include "experiment/exp_store.h"
#include "experiment/experiment.h"
#include "run/runner.h"

struct run_opts {
    bool dry_run;
};

static const struct vp_opt run_opt_table[] = {
    {"dry-run", VP_OPT_BOOL, offsetof(struct run_opts, dry_run), NULL, 0, 0, NULL,
     "print the expanded plan (points and what each creates), run nothing", false},
    VP_OPT_END,
};

static int known_platform(const char *name, struct vp_err *err)
{
    if (vp_platform_find(name))
        return 0;
    char list[256] = "";
    for (int i = 0; vp_platforms[i]; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, vp_platforms[i]->name, sizeof list - strlen(list) - 1);
    }
    return vp_input_error(err, "platform %s: unknown (platforms: %s)", name, list);
}

/* The whole file, for the store. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0;
    if (f == NULL)
        return NULL;
    FILE *m = open_memstream(&text, &len);
    if (m) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            fwrite(buf, 1, n, m);
        fclose(m);
    }
    fclose(f);
    return text;
}

/* A figure for the table: "-" when there is none (NaN), never "nan". */
static const char *fig(char *buf, size_t len, const char *fmt, double v)
{
    if (!isfinite(v))
        return "-";
    snprintf(buf, len, fmt, v);
    return buf;
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
        printf("%lld calls, %s%% failed, retrans %s%%, INVITE→200 p95 %s ms",
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
    if (strcmp(f->status, "complete") != 0)
        printf(" [%s]", f->status);
    if (f->generator_limited)
        printf("; generator-limited: not the server's figure");
    printf("\n");
}

static void json_boxplot(struct vp_json *j, const char *key, const struct vp_boxplot *b, bool any)
{
    if (!any) {
        vp_json_null(j, key);
        return;
    }
    vp_json_object_begin(j, key);
    vp_json_double(j, "min", b->min);
    vp_json_double(j, "q1", b->q1);
    vp_json_double(j, "median", b->median);
    vp_json_double(j, "q3", b->q3);
    vp_json_double(j, "max", b->max);
    vp_json_double(j, "whisker_lo", b->whisker_lo);
    vp_json_double(j, "whisker_hi", b->whisker_hi);
    vp_json_int(j, "outliers_lo", (int64_t)b->outliers_lo);
    vp_json_int(j, "outliers_hi", (int64_t)b->outliers_hi);
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
 * services with the counters each server printed. */
static void show_loads(struct vp_store *st, int64_t exp_id, int point, struct vp_json *j)
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
        return;
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
}

/* One line per point (and one per load under it), or its JSON object, read
 * back from the store. */
static void show_point(struct vp_store *st, int64_t exp_id, const struct vp_exp_point_row *p,
                       struct vp_json *j)
{
    struct vp_point_stats ps;
    struct vp_err err = {0};
    bool idle = strcmp(p->kind, "idle") == 0;
    if (vp_point_stats(st, p, &ps, &err) < 0)
        vp_err_report(&err);
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
        show_loads(st, exp_id, p->point, NULL);
        return;
    }
    vp_json_object_begin(j, NULL);
    vp_json_int(j, "point", p->point);
    vp_json_string(j, "kind", p->kind);
    vp_json_raw(j, "params", p->params);
    vp_json_string(j, "platform", p->platform);
    vp_json_string(j, "status", p->status);
    vp_json_int(j, "instances", p->instances);
    vp_json_int(j, "cpus_available", p->cpus_available);
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
    show_loads(st, exp_id, p->point, j);
    vp_json_object_end(j);
}

/* The stored experiment as a table or a JSON document (with the error of a
 * failed run, when there is one). */
static int show_experiment(const struct vp_output_opts *out, struct vp_store *st, int64_t id,
                           const struct vp_err *run_err)
{
    struct vp_exp_data d;
    struct vp_err err = {0};
    if (vp_exp_store_load(st, id, &d, &err) < 0)
        return vp_err_report(&err);
    struct vp_json j;
    if (out->json) {
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
    for (int i = 0; i < d.npoints; i++)
        show_point(st, d.id, &d.points[i], out->json ? &j : NULL);
    if (out->json) {
        vp_json_array_end(&j);
        if (run_err && run_err->kind != VP_ERR_NONE)
            vp_json_string(&j, "error", run_err->msg);
        vp_json_object_end(&j);
        vp_json_finish(&j);
    } else {
        printf("\nresults stored in %s; `virtperf model %lld` for the queueing model\n",
               vp_store_path(st), (long long)d.id);
    }
    vp_exp_data_free(&d);
    return VP_EXIT_OK;
}

static int run_main(int argc, char **argv)
{
    struct vp_output_opts out;
    struct run_opts ro;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_plan plan = {0};
    struct vp_cpuset cpus;
    char *spec = NULL, *pos[1];
    int npos, rc;
    int64_t id = 0;
    struct vp_experiment *exp = calloc(1, sizeof *exp);
    struct vp_optset sets[] = {{vp_output_opt_table, &out}, {run_opt_table, &ro}};
    vp_opt_defaults(vp_output_opt_table, &out, &err);
    vp_opt_defaults(run_opt_table, &ro, &err);
    if (exp == NULL)
        return vp_output_fail(&out, &err);
    if ((rc = vp_opt_parse_argv(sets, 2, argc - 1, argv + 1, pos, 1, &npos, &err)) < 0)
        goto fail;
    if (out.csv) {
        rc = vp_input_error(&err, "run: --csv is not offered; use --json");
        goto fail;
    }
    if (npos != 1) {
        rc = vp_input_error(&err, "run: name an experiment file (see experiments/)");
        goto fail;
    }
    const struct vp_exp_checks checks = {known_platform};
    vp_cpuset_self(&cpus);
    if ((rc = vp_experiment_load(pos[0], &checks, exp, &err)) < 0 ||
        (rc = vp_plan_build(exp, &cpus, &plan, &err)) < 0)
        goto fail;
    struct vp_runner_cfg cfg = {.exp = exp, .plan = &plan};
    if ((rc = vp_runner_validate(&cfg, &err)) < 0)
        goto fail;
    if (ro.dry_run) {
        if (out.json)
            vp_plan_print_json(stdout, exp, &plan);
        else
            vp_plan_print(stdout, exp, &plan);
        goto done;
    }
    if ((rc = vp_output_open_store(&out, &st, &err)) < 0)
        goto fail;
    spec = read_file(pos[0]);
    cfg.st = st;
    cfg.spec = spec;
    cfg.progress = vp_progress_wanted() && !out.json;
    rc = vp_runner_run(&cfg, &id, &err);
    if (id > 0)
        show_experiment(&out, st, id, rc < 0 ? &err : NULL);
    if (rc < 0) {
        if (id > 0 && out.json)
            out.json = false; /* the document carries the error */
        goto fail;
    }
done:
    vp_plan_free(&plan);
    vp_store_close(st);
    free(spec);
    free(exp);
    return VP_EXIT_OK;
fail:
    vp_plan_free(&plan);
    vp_store_close(st);
    free(spec);
    free(exp);
    return vp_output_fail(&out, &err);
}

static void run_help(FILE *f)
{
    fputs("Runs an experiment file: for each point of its matrix, creates the appliances,\n"
          "starts their workloads together (a start barrier), stores every appliance's run,\n"
          "and removes the appliances. Keys (see experiments/ and README):\n"
          "  name, platform, rounds, warmup, scheme, overcommit, timeserver\n"
          "  appliances: [{name, workload, count, preset, vcpus, cpus, weight, cap, memory,\n"
          "               net, <workload options>, options: {<workload options>}}]\n"
          "  matrix: {key: [values]}   key = a setting, a field or a workload option;\n"
          "                            NAME.key for one appliance only\n"
          "  overhead: {counts: [n...], seconds: S}   host CPU of n idle appliances\n\n"
          "Top-level keys (written `key: value`):\n",
          f);
    vp_opt_print_help(f, vp_exp_settings_opts);
    fputs("Appliance fields:\n", f);
    vp_opt_print_help(f, vp_exp_fields_opts);
    fputs("Options:\n", f);
    vp_opt_print_help(f, run_opt_table);
    vp_opt_print_help(f, vp_output_opt_table);
}

const struct vp_command vp_cmd_run = {
    .name = "run",
    .run = run_main,
    .summary = "run an experiment file (YAML): appliances on platforms, swept by a matrix",
    .usage = "virtperf run FILE.yaml [--dry-run] [--json] [--store FILE]",
    .help = run_help,
};
