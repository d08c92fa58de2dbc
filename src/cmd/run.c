/* virtperf run FILE.yaml [--dry-run] [--json] [--store FILE] */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/exp_stats.h"
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

/* One line per point, or its JSON object, read back from the store. */
static void show_point(struct vp_store *st, const struct vp_exp_point_row *p, struct vp_json *j)
{
    struct vp_point_stats ps;
    struct vp_err err = {0};
    bool idle = strcmp(p->kind, "idle") == 0;
    if (vp_point_stats(st, p, &ps, &err) < 0)
        vp_err_report(&err);
    if (j == NULL) {
        if (idle)
            printf("%5d  %-34s %-11s %4d  host CPU %6.2f%% ± %.2f\n", p->point + 1, p->params,
                   p->status, p->instances, p->host_cpu_pct, p->host_cpu_ci_half);
        else
            printf("%5d  %-34s %-11s %4d  %10.4g %10.4g %6.3f\n", p->point + 1, p->params,
                   p->status, p->instances, ps.elapsed.n ? ps.elapsed.mean : NAN,
                   ps.elapsed.n > 1 ? ps.elapsed.ci_half : NAN, ps.jain);
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
        show_point(st, &d.points[i], out->json ? &j : NULL);
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
