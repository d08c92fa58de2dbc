/* virtperf run FILE.yaml [--dry-run] [--json] [--store FILE] */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "drivers/app.h"
#include "core/json.h"
#include "core/progress.h"
#include "core/signals.h"
#include "experiment/exp_store.h"
#include "experiment/experiment.h"
#include "report/exp_view.h"
#include "run/runner.h"

struct run_opts {
    bool dry_run;
    char preset[VP_STR_MAX];
};

static const struct vp_opt run_opt_table[] = {
    {"dry-run", VP_OPT_BOOL, offsetof(struct run_opts, dry_run), NULL, 0, 0, NULL,
     "print the expanded plan (points and what each creates), run nothing", false},
    {"preset", VP_OPT_STRING, offsetof(struct run_opts, preset), NULL, 0, 0, NULL,
     "apply the file's preset of this name (presets: NAME: {key: value, matrix: ..., cases: "
     "[...]}), e.g. small: the study in a few seconds",
     false},
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

static int run_main(int argc, char **argv)
{
    struct vp_output_opts out = {0};
    struct run_opts ro;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_doc doc;
    struct vp_plan plan = {0};
    struct vp_cpuset cpus;
    char *spec = NULL, *pos[1];
    int npos, rc;
    int64_t id = 0;
    struct vp_experiment *exp = calloc(1, sizeof *exp);
    struct vp_optset sets[] = {{vp_output_json_opt_table, &out}, {run_opt_table, &ro}};
    vp_doc_init(&doc, VP_DOC_ROUNDS, argc, argv);
    vp_opt_defaults(vp_output_json_opt_table, &out, &err);
    vp_opt_defaults(run_opt_table, &ro, &err);
    if (exp == NULL) {
        vp_run_error(&err, ENOMEM, "run");
        return vp_doc_fail(&doc, out.json, &err);
    }
    if ((rc = vp_opt_parse_argv(sets, 2, argc - 1, argv + 1, pos, 1, &npos, &err)) < 0)
        goto fail;
    if (npos != 1) {
        rc = vp_input_error(&err, "run: name an experiment file (see experiments/)");
        goto fail;
    }
    const struct vp_exp_checks checks = {.platform = known_platform,
                                         .preset = ro.preset[0] ? ro.preset : NULL};
    vp_cpuset_self(&cpus);
    if ((rc = vp_experiment_load(pos[0], &checks, exp, &err)) < 0 ||
        (rc = vp_plan_build(exp, &cpus, &plan, &err)) < 0)
        goto fail;
    struct vp_runner_cfg cfg = {.exp = exp, .plan = &plan};
    if ((rc = vp_runner_validate(&cfg, &err)) < 0)
        goto fail;
    if (ro.dry_run) {
        if (out.json)
            vp_plan_print_doc(&doc, stdout, exp, &plan);
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
    if (id > 0) /* its document carries the run's error */
        vp_exp_view(st, id, out.json ? &doc : NULL, true, rc < 0 ? &err : NULL);
    if (rc < 0)
        goto fail;
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
    return vp_doc_fail(&doc, out.json, &err);
}

static void run_help(FILE *f)
{
    fputs("Runs an experiment file: for each point of its matrix, creates the appliances,\n"
          "starts their workloads together (a start barrier), stores every appliance's run,\n"
          "and removes the appliances. Keys (see experiments/ and README):\n"
          "  name, platform, rounds, warmup, scheme, overcommit, timeserver\n"
          "  appliances: [{name, role, workload, count, preset, vcpus, cpus, weight, cap,\n"
          "               memory, net, <workload or server options>, options: {...}}]\n"
          "  loads: [{name, driver, target, cpus, weight, background, <driver options>}]\n"
          "  cases: [{label, key: value, ...}]   each case is a point (times the matrix)\n"
          "  matrix: {key: [values]}   key = a setting, a field, a workload, server or\n"
          "                            load option; NAME.key for one appliance or load\n"
          "  overhead: {counts: [n...], seconds: S}   host CPU of n idle appliances\n"
          "  presets: {NAME: {key: value, matrix: {key: [values]}, cases: [labels]}}\n"
          "                            other forms of the study, applied by --preset NAME\n"
          "Roles: workload (default), sip-server (virtperf sip-uas), media-server\n"
          "(virtperf media-server), udp-sink, tcp-sink, and app: a command of your own\n"
          "(native or container) standing in for one of those servers, e.g. Kamailio as\n"
          "the sip-server (experiments/voip-kamailio.yaml). Drivers: sip-uac,\n"
          "sip-capacity (target a sip-server), rtp (virtperf rtp-client; targets a\n"
          "media-server), udp, tcp, and router (virtperf router on a test bed of its own:\n"
          "no target, one per point; experiments/virtual-router.yaml). A point with loads\n"
          "lasts until its non-background loads end; its workloads run until then.\n\n"
          "Top-level keys (written `key: value`):\n",
          f);
    vp_opt_print_help(f, vp_exp_settings_opts);
    fputs("Appliance fields:\n", f);
    vp_opt_print_help(f, vp_exp_fields_opts);
    fputs("App fields (role app):\n", f);
    vp_opt_print_help(f, vp_app_opt_table);
    fputs("Load fields:\n", f);
    vp_opt_print_help(f, vp_exp_load_opts);
    fputs("Options:\n", f);
    vp_opt_print_help(f, run_opt_table);
    vp_opt_print_help(f, vp_output_json_opt_table);
}

const struct vp_command vp_cmd_run = {
    .name = "run",
    .run = run_main,
    .summary = "run an experiment file (YAML): appliances and loads, swept by cases and a matrix",
    .usage = "virtperf run FILE.yaml [--preset NAME] [--dry-run] [--json] [--store FILE]",
    .help = run_help,
};
