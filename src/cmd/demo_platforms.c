#include "cmd/demo_platforms.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/exp_stats.h"
#include "cmd/cmd.h"
#include "core/signals.h"
#include "experiment/exp_store.h"
#include "experiment/experiment.h"
#include "run/runner.h"

static const char *const workloads[] = {"cpu-pi", "mem-masr", "disk-zfg"};

int64_t vp_demo_run_yaml(struct vp_store *st, const char *name, const char *yaml, bool progress)
{
    struct vp_experiment *exp = calloc(1, sizeof *exp);
    struct vp_plan plan = {0};
    struct vp_cpuset cpus;
    struct vp_err err = {0};
    int64_t id = 0;
    vp_cpuset_self(&cpus);
    if (exp == NULL)
        return 0;
    if (vp_experiment_parse(name, yaml, NULL, exp, &err) == 0 &&
        vp_plan_build(exp, &cpus, &plan, &err) == 0) {
        struct vp_runner_cfg cfg = {
            .exp = exp, .plan = &plan, .st = st, .spec = yaml, .progress = progress};
        if (vp_runner_run(&cfg, &id, &err) < 0) {
            vp_err_report(&err);
            id = -id; /* stored, but failed */
        }
    } else {
        vp_err_report(&err);
    }
    vp_plan_free(&plan);
    free(exp);
    return id;
}

/* One line (or JSON object) per point of a stored experiment. */
static void show(struct vp_store *st, int64_t id, const char *label, struct vp_json *j)
{
    struct vp_exp_data d;
    struct vp_err err = {0};
    if (vp_exp_store_load(st, id, &d, &err) < 0) {
        vp_err_report(&err);
        return;
    }
    for (int i = 0; i < d.npoints; i++) {
        const struct vp_exp_point_row *p = &d.points[i];
        struct vp_point_stats ps;
        if (strcmp(p->kind, "run") != 0 || vp_point_stats(st, p, &ps, &err) < 0)
            continue;
        double mean = ps.elapsed.n ? ps.elapsed.mean : NAN;
        double ci = ps.elapsed.n > 1 ? ps.elapsed.ci_half : NAN;
        if (j == NULL) {
            printf("%6lld  %-12s %-10s %-9s %3d %11.4g %11.4g\n", (long long)id, label, p->platform,
                   p->status, ps.elapsed.n, mean, ci);
            continue;
        }
        vp_json_object_begin(j, NULL);
        vp_json_int(j, "experiment_id", id);
        vp_json_string(j, "workload", label);
        vp_json_string(j, "platform", p->platform);
        vp_json_string(j, "status", p->status);
        vp_json_int(j, "n", ps.elapsed.n);
        vp_json_double(j, "elapsed_mean_s", mean);
        vp_json_double(j, "elapsed_ci95_half_s", ci);
        vp_json_object_end(j);
    }
    vp_exp_data_free(&d);
}

/* Whether platform name can run here; says why not on stderr. */
static bool usable(const char *name)
{
    const struct vp_platform_ops *ops = vp_platform_find(name);
    const char *why = ops == NULL ? "no driver" : ops->unsupported ? ops->unsupported() : NULL;
    if (why)
        fprintf(stderr, "virtperf: demo: platform %s unavailable here (%s): left out\n", name, why);
    return why == NULL;
}

int vp_demo_platforms(struct vp_store *st, int rounds, bool progress, struct vp_json *j)
{
    bool container = usable("container"), vm = usable("vm");
    /* the queueing model natively and in containers; the workloads in a VM too */
    const char *platforms = container ? "[native, container]" : "[native]";
    char all[64], yaml[1024];
    snprintf(all, sizeof all, "[native%s%s]", container ? ", container" : "", vm ? ", vm" : "");
    int failed = 0;
    int64_t queueing = 0;

    if (j) {
        vp_json_array_begin(j, "platforms");
    } else {
        printf("\nnative vs container vs vm (accel auto): each workload alone at its small "
               "preset, %d rounds\n\n",
               rounds);
        printf("%6s  %-12s %-10s %-9s %3s %11s %11s\n", "exp", "workload", "platform", "status",
               "n", "mean_s", "ci95_half_s");
    }
    for (size_t w = 0; w < sizeof workloads / sizeof workloads[0] && !vp_interrupted; w++) {
        snprintf(yaml, sizeof yaml,
                 "name: demo-%s\nrounds: %d\nwarmup: 1\nappliances:\n"
                 "  - {name: %s, workload: %s, preset: small}\n"
                 "matrix:\n  platform: %s\n",
                 workloads[w], rounds, workloads[w], workloads[w], all);
        int64_t id = vp_demo_run_yaml(st, "demo platforms", yaml, progress);
        failed += id <= 0;
        if (id != 0)
            show(st, id > 0 ? id : -id, workloads[w], j);
    }
    if (j)
        vp_json_array_end(j);
    if (!vp_interrupted) {
        snprintf(yaml, sizeof yaml,
                 "name: demo-queueing\nrounds: %d\nwarmup: 1\novercommit: true\nappliances:\n"
                 "  - {name: gz, workload: cpu-gzip, preset: small}\n"
                 "matrix:\n  platform: %s\n  count: [1, 2, 3, 4]\n"
                 "overhead: {counts: [1, 2, 4], seconds: 2s}\n",
                 rounds, platforms);
        queueing = vp_demo_run_yaml(st, "demo queueing", yaml, progress);
        failed += queueing <= 0;
    }
    if (j) {
        vp_json_int(j, "queueing_experiment_id", queueing > 0 ? queueing : -queueing);
    } else if (queueing != 0) {
        char id[32], *argv[] = {"model", id, "--store", (char *)vp_store_path(st), NULL};
        snprintf(id, sizeof id, "%lld", (long long)(queueing > 0 ? queueing : -queueing));
        printf("\nseed 002's queueing model, i = 1..4 instances of cpu-gzip started together\n");
        fflush(stdout);
        vp_cmd_model.run(4, argv);
    }
    return failed;
}
