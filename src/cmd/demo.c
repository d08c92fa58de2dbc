/* virtperf demo: every workload at its small preset, natively. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/run_stats.h"
#include "cmd/cmd.h"
#include "cmd/demo_platforms.h"
#include "core/json.h"
#include "core/progress.h"
#include "core/signals.h"
#include "run/stored_run.h"
#include "workload/workload.h"

struct demo_opts {
    int64_t rounds;
};

static const struct vp_opt demo_opt_table[] = {
    {"rounds", VP_OPT_INT, offsetof(struct demo_opts, rounds), "3", 1, 1000, NULL,
     "measured rounds per workload (after one warm-up round)", false},
    VP_OPT_END,
};

/* Run one workload at its small preset; 0 and the run id, or an error. */
static int demo_one(struct vp_store *st, const struct vp_workload *w, int rounds, bool progress,
                    int64_t *run_id, struct vp_err *err)
{
    void *params = calloc(1, w->params_size);
    int rc;
    char command[128];
    if (params == NULL)
        return vp_run_error(err, 0, "out of memory");
    snprintf(command, sizeof command, "virtperf demo (%s --preset small --rounds %d)", w->name,
             rounds);
    if ((rc = vp_opt_defaults(w->opts, params, err)) == 0 &&
        (rc = vp_opt_apply_list(w->opts, params, w->small_preset, err)) == 0) {
        struct vp_stored_run req = {
            .workload = w,
            .params = params,
            .command = command,
            .rounds = {.rounds = rounds, .warmup = 1, .progress = progress},
        };
        rc = vp_stored_run(st, &req, run_id, err);
    }
    free(params);
    return rc;
}

static void print_row(const struct vp_run_data *run, struct vp_json *j)
{
    struct vp_summary s;
    vp_run_summary(run, VP_METRIC_ELAPSED, &s);
    if (j == NULL) {
        printf("%6lld  %-12s %-9s %3d %11.4g %11.4g %11.4g %11.4g\n", (long long)run->id,
               run->subject, run->status, s.n, s.n ? s.mean : NAN, s.n > 1 ? s.ci_half : NAN,
               s.n ? s.min : NAN, s.n ? s.max : NAN);
        return;
    }
    vp_json_object_begin(j, NULL);
    vp_json_int(j, "run_id", run->id);
    vp_json_string(j, "subject", run->subject);
    vp_json_string(j, "status", run->status);
    vp_json_int(j, "n", s.n);
    vp_json_double(j, "elapsed_mean_s", s.n ? s.mean : NAN);
    vp_json_double(j, "elapsed_ci95_half_s", s.n > 1 ? s.ci_half : NAN);
    vp_json_string(j, "error", run->error);
    vp_json_object_end(j);
}

static int demo_main(int argc, char **argv)
{
    struct vp_output_opts out = {0};
    struct demo_opts d;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_doc doc;
    struct vp_optset sets[] = {{vp_output_json_opt_table, &out}, {demo_opt_table, &d}};
    char *pos[1];
    int npos, failed = 0;
    vp_doc_init(&doc, VP_DOC_ROUNDS, argc, argv);
    vp_opt_defaults(vp_output_json_opt_table, &out, &err);
    vp_opt_defaults(demo_opt_table, &d, &err);
    if (vp_opt_parse_argv(sets, 2, argc - 1, argv + 1, pos, 0, &npos, &err) < 0 ||
        vp_output_open_store(&out, &st, &err) < 0)
        return vp_doc_fail(&doc, out.json, &err);

    bool progress = vp_progress_wanted() && !out.json;
    struct vp_json *j = NULL;
    if (out.json) { /* its runs and experiments are the summary (end) */
        j = vp_doc_start(&doc, stdout, false);
        vp_json_string(j, "store", vp_store_name(st));
        vp_json_int(j, "rounds", d.rounds);
        j = vp_doc_end(&doc);
        vp_json_array_begin(j, "runs");
    } else {
        printf("virtperf demo: every workload at its small preset, %lld rounds each, natively\n\n",
               (long long)d.rounds);
        printf("%6s  %-12s %-9s %3s %11s %11s %11s %11s\n", "run", "workload", "status", "n",
               "mean_s", "ci95_half_s", "min_s", "max_s");
    }
    for (int i = 0; vp_workloads[i] && !vp_interrupted; i++) {
        const struct vp_workload *w = vp_workloads[i];
        int64_t run_id = 0;
        struct vp_err run_err = {0};
        if (w->unsupported && w->unsupported()) {
            fprintf(stderr, "virtperf: demo: skipping %s: %s\n", w->name, w->unsupported());
            continue;
        }
        if (demo_one(st, w, (int)d.rounds, progress, &run_id, &run_err) < 0) {
            failed++;
            vp_err_report(&run_err);
        }
        struct vp_run_data run;
        if (run_id > 0 && vp_store_load_run(st, run_id, &run, &run_err) == 0) {
            print_row(&run, j);
            vp_run_data_free(&run);
        }
    }
    if (out.json)
        vp_json_array_end(j);
    /* part two: native vs container, and seed 002's queueing table */
    if (!vp_interrupted)
        failed += vp_demo_platforms(st, (int)d.rounds, progress, j);
    if (!vp_interrupted) /* part three: telephony appliances under load */
        failed += vp_demo_voip(st, progress, j);
    if (vp_interrupted)
        vp_run_error(&err, 0, "demo: interrupted");
    else if (failed)
        vp_run_error(&err, 0, "demo: %d of its parts failed", failed);
    if (out.json) {
        vp_doc_close(&doc, vp_doc_error_of(&err));
    } else {
        printf("\nresults stored in %s\n(`virtperf results show RUN` for rounds and statistics)\n",
               vp_store_name(st));
    }
    vp_store_close(st);
    return failed || vp_interrupted ? VP_EXIT_FAILED : VP_EXIT_OK;
}

static void demo_help(FILE *f)
{
    fputs("Runs every workload at its small preset natively, then each alone on every\n"
          "platform this host offers, seed 002's queueing experiment and the telephony\n"
          "experiment; prints what it stored.\n\noptions:\n",
          f);
    vp_opt_print_help(f, demo_opt_table);
    vp_opt_print_help(f, vp_output_json_opt_table);
}

const struct vp_command vp_cmd_demo = {
    .name = "demo",
    .run = demo_main,
    .summary = "run every workload at its small preset and show the results",
    .usage = "virtperf demo [--rounds N] [--json] [--store FILE]",
    .help = demo_help,
};
