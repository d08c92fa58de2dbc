/* virtperf model EXPERIMENT [--json]: seed 002's tables from a stored
 * experiment — measured elapsed time per instance count with Estimate1 and
 * its error, the idle-appliance overhead fit O(n) = a + b*n with R^2, and
 * Estimate2 — per series (the matrix values other than the count). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/exp_stats.h"
#include "analysis/model_exp.h"
#include "analysis/stats.h"
#include "cmd/cmd.h"
#include "core/json.h"
#include "core/units.h"
#include "experiment/exp_store.h"

static void print_overhead(const struct vp_model_overhead *o, struct vp_json *j)
{
    bool fitted = o->ok && o->fit.trend;
    if (j) {
        vp_json_object_begin(j, NULL);
        vp_json_string(j, "platform", o->platform);
        vp_json_string(j, "source", o->source);
        vp_json_array_begin(j, "points");
        for (int k = 0; k < o->n; k++) {
            vp_json_object_begin(j, NULL);
            vp_json_int(j, "appliances", (int64_t)o->count[k]);
            vp_json_double(j, "cpu_pct", o->pct[k]);
            vp_json_double(j, "ci95_half", o->ci[k]);
            vp_json_bool(j, "below_resolution", vp_below_resolution(o->pct[k], o->ci[k]));
            vp_json_double(j, "estimate", fitted ? o->fit.a + o->fit.b * o->count[k] : NAN);
            vp_json_object_end(j);
        }
        vp_json_array_end(j);
        vp_json_double(j, "a", o->ok ? o->fit.a : NAN);
        vp_json_double(j, "b", o->ok ? o->fit.b : NAN);
        vp_json_double(j, "b_ci95_half", o->ok ? o->fit.b_ci_half : NAN);
        vp_json_double(j, "r2", o->ok ? o->fit.r2 : NAN);
        vp_json_bool(j, "trend", fitted);
        vp_json_object_end(j);
        return;
    }
    char cost[96], verdict[256], est[32];
    printf("\nhost CPU cost of idle appliances on %s (seed 002 Table 3), percent of the host,\n"
           "%s\n",
           o->platform, vp_model_overhead_source(o));
    printf("%6s  %-38s %10s\n", "n", "overhead (95% CI)", "estimate");
    for (int k = 0; k < o->n; k++)
        printf("%6.0f  %-38s %10s\n", o->count[k],
               vp_format_cost(cost, sizeof cost, "%.3f", o->pct[k], o->ci[k]),
               vp_format_figure(est, sizeof est, "%.3f",
                                fitted ? o->fit.a + o->fit.b * o->count[k] : NAN));
    printf("%s\n", vp_model_overhead_verdict(o, verdict, sizeof verdict));
}

/* One series: its rows, estimates and table; nothing for a series without
 * appliance rounds (points of loads alone: a router study). 1 when
 * printed. */
static int print_series(struct vp_store *st, const struct vp_exp_data *d, int first,
                        struct vp_json *j, struct vp_err *err)
{
    struct vp_model_series ms;
    int rc = vp_model_series_of(st, d, first, &ms, err);
    if (rc < 0)
        return rc;
    bool rounds = false;
    for (int k = 0; k < ms.nrows; k++)
        rounds |= ms.rows[k].n > 0;
    if (!rounds)
        return 0;
    const struct vp_exp_point_row *s = ms.first;
    const struct vp_model_row *rows = ms.rows;
    int nrows = ms.nrows, P = ms.P, external = ms.external, samples = ms.samples;
    bool have_p = ms.have_p;
    if (j) {
        vp_json_object_begin(j, NULL);
        vp_json_raw(j, "params", s->series);
        vp_json_string(j, "platform", s->platform);
        vp_json_int(j, "P", P);
        vp_json_string(j, "elapsed",
                       external == 0         ? "internal"
                       : external == samples ? "external"
                                             : "mixed");
        vp_json_array_begin(j, "rows");
        for (int k = 0; k < nrows; k++) {
            const struct vp_model_row *r = &rows[k];
            vp_json_object_begin(j, NULL);
            vp_json_int(j, "instances", r->instances);
            vp_json_int(j, "n", r->n);
            vp_json_double(j, "measured_s", r->measured);
            vp_json_double(j, "ci95_half_s", r->ci_half);
            vp_json_double(j, "estimate1_s", r->estimate1);
            vp_json_double(j, "estimate1_rel_error", r->rel_error1);
            vp_json_double(j, "estimate2_s", r->estimate2);
            vp_json_double(j, "estimate2_rel_error", r->rel_error2);
            vp_json_double(j, "other_work_cores", r->other_work);
            vp_json_bool(j, "disturbed", r->other_work > VP_OTHER_WORK_LIMIT);
            vp_json_double(j, "jain", r->jain);
            vp_json_object_end(j);
        }
        vp_json_array_end(j);
        vp_json_object_end(j);
        return 1;
    }
    printf("\nseries %s on %s: P = %d CPUs (seed 002 Tables 2 and 6)\n",
           strcmp(s->series, "{}") == 0 ? "(one)" : s->series, s->platform, P);
    printf("elapsed times: %s\n", external == 0 ? "internal (CLOCK_MONOTONIC in each appliance)"
                                  : external == samples
                                      ? "external (the time server's clock)"
                                      : "external where the time server had them");
    if (!have_p)
        printf("(no point with i = P = %d instances: no estimates)\n", P);
    else if (!(ms.overhead.ok && ms.overhead.fit.trend))
        printf("(no Estimate2: no per-appliance cost above the noise on %s, see below)\n",
               s->platform);
    printf("%4s %4s %11s %10s %11s %7s %11s %7s %6s\n", "i", "n", "measured_s", "ci95_half",
           "estimate1", "err1%", "estimate2", "err2%", "jain");
    bool disturbed = false;
    for (int k = 0; k < nrows; k++) {
        const struct vp_model_row *r = &rows[k];
        bool flagged = r->other_work > VP_OTHER_WORK_LIMIT;
        printf("%4d %4d %11.4f %10.4f %11.4f %7.2f %11.4f %7.2f %6.3f%s\n", r->instances, r->n,
               r->measured, r->ci_half, r->estimate1, 100 * r->rel_error1, r->estimate2,
               100 * r->rel_error2, r->jain, flagged ? "  *" : "");
        disturbed |= flagged;
    }
    if (disturbed)
        printf("* disturbed: more than %.2f cores of other work on the host during the point\n",
               VP_OTHER_WORK_LIMIT);
    return 1;
}

static int model_main(int argc, char **argv)
{
    struct vp_output_opts out = {0};
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_exp_data d = {0};
    struct vp_doc doc;
    struct vp_optset sets[] = {{vp_output_json_opt_table, &out}};
    char *pos[1], *end;
    int npos, rc;
    vp_doc_init(&doc, VP_DOC_ROUNDS, argc, argv);
    vp_opt_defaults(vp_output_json_opt_table, &out, &err);
    if ((rc = vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, pos, 1, &npos, &err)) < 0)
        goto fail;
    long long id = npos == 1 ? strtoll(pos[0], &end, 10) : 0;
    if (npos != 1 || *end != '\0' || id <= 0) {
        rc = vp_input_error(&err, "model: name an experiment by its id (from `virtperf run`)");
        goto fail;
    }
    if ((rc = vp_output_open_store(&out, &st, &err)) < 0 ||
        (rc = vp_exp_store_load(st, id, &d, &err)) < 0)
        goto fail;
    struct vp_json *j = NULL;
    if (out.json) { /* the tables are the summary: the model has no rounds of its own */
        j = vp_doc_start(&doc, stdout, false);
        vp_json_int(j, "experiment_id", d.id);
        vp_json_string(j, "name", d.name);
        vp_json_string(j, "file", d.file);
        vp_json_string(j, "status", d.status);
        j = vp_doc_end(&doc);
        vp_json_array_begin(j, "series");
    } else {
        printf("experiment %lld: %s (%s), %s\n", id, d.name, d.file, d.status);
    }
    int printed = 0;
    for (int i = 0; rc >= 0 && i < d.npoints; i++)
        if (strcmp(d.points[i].kind, "run") == 0 && vp_model_first_of(&d, i) &&
            (rc = print_series(st, &d, i, j, &err)) > 0)
            printed++;
    if (rc >= 0 && printed == 0 && !out.json)
        printf("no point ran appliances' rounds: nothing for the queueing model\n");
    rc = rc < 0 ? rc : 0;
    if (out.json) {
        vp_json_array_end(j);
        vp_json_array_begin(j, "overhead");
    }
    for (int i = 0; rc == 0 && i < d.npoints; i++) {
        if (strcmp(d.points[i].kind, "idle") != 0 || !vp_model_first_of(&d, i))
            continue;
        struct vp_model_overhead o;
        vp_model_overhead_of(&d, d.points[i].platform, &o);
        print_overhead(&o, j);
    }
    if (out.json) {
        vp_json_array_end(j);
        vp_doc_close(&doc, vp_doc_error_of(&err));
    }
    if (rc < 0)
        goto fail;
    vp_exp_data_free(&d);
    vp_store_close(st);
    return VP_EXIT_OK;
fail:
    vp_exp_data_free(&d);
    vp_store_close(st);
    return vp_doc_fail(&doc, out.json, &err);
}

static void model_help(FILE *f)
{
    fputs("Reads a stored experiment (`virtperf run`): per series, the measured elapsed\n"
          "time per instance count with Estimate1 and its error; per platform, the host CPU\n"
          "of idle appliances with the fit O(n) = a + b*n and R^2; and Estimate2 from both.\n"
          "With --json the tables are the document's end (series, overhead).\n\noptions:\n",
          f);
    vp_opt_print_help(f, vp_output_json_opt_table);
}

const struct vp_command vp_cmd_model = {
    .name = "model",
    .run = model_main,
    .summary = "seed 002's queueing model of a stored experiment: Estimate1, overhead, Estimate2",
    .usage = "virtperf model EXPERIMENT [--json] [--store FILE]",
    .help = model_help,
};
