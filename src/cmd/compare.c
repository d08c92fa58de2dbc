/* virtperf compare A B: two stored runs or experiments side by side
 * (analysis/compare.c), as a table, JSON or CSV; --fail-if-worse for
 * users' CI.
 *
 * The JSON (core/doc.h's shape): start {a: {kind, id, label}, b: {...},
 *   alpha: 0.05, fail_if_worse_pct}, rounds: one per metric compared
 *   [{point (the point's params object, null for runs),
 *     appliance, load (null where none: a point's own row has neither),
 *     metric, unit, higher_is_better, average ("harmonic" | "arithmetic"),
 *     a: {n, mean, sd, ci95_low, ci95_high, ci95_half, ci95_n_too_small},
 *     b: {...}, ratio (B/A), worse_pct (below 0: better), t, df, p,
 *     significant, worse, beyond_limit}],
 *   end {only_in_a, only_in_b, beyond_limit}, error; --csv: the rounds
 * with null for every figure there is none of (never inf or NaN). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"
#include "cmd/cmd.h"
#include "core/doc.h"
#include "core/json.h"
#include "core/units.h"

struct compare_opts {
    double fail_pct; /* < 0: never fail */
};

static const struct vp_opt compare_opt_table[] = {
    {"fail-if-worse", VP_OPT_DOUBLE, offsetof(struct compare_opts, fail_pct), "-1", -1, 1e9, NULL,
     "exit 1 when a metric of B is significantly (p < 0.05) worse than A's by more than PCT "
     "percent (-1: never)",
     false},
    VP_OPT_END,
};

/* The output options in compare's own words (the same struct as every
 * reporting command's). */
static const struct vp_opt output_opt_table[] = {
    {"json", VP_OPT_BOOL, offsetof(struct vp_output_opts, json), NULL, 0, 0, NULL,
     "print JSON: a, b, metrics (each side's n, mean, CI; ratio, worse_pct, t, df, p), error",
     false},
    {"csv", VP_OPT_BOOL, offsetof(struct vp_output_opts, csv), NULL, 0, 0, NULL,
     "print one CSV line per metric instead of a table", false},
    {"store", VP_OPT_OUTPUT, offsetof(struct vp_output_opts, store), NULL, 0, 0, NULL,
     "results store (SQLite file) [default $VIRTPERF_STORE or ~/.local/share/virtperf/results.db]",
     false},
    VP_OPT_END,
};

/* What a row's verdict is, in a word. */
static const char *verdict(const struct vp_cmp_row *r)
{
    if (!r->significant)
        return "";
    return r->worse_pct > 0 ? "worse" : r->worse_pct < 0 ? "better" : "";
}

/* The heading of a group of rows (a point's appliance or load). */
static void print_group(const struct vp_cmp_row *r)
{
    if (r->point == NULL)
        return;
    if (!r->load[0] && !r->appliance[0])
        printf("\npoint %s, all appliances' rounds\n", r->point);
    else
        printf("\npoint %s, %s %s\n", r->point, r->load[0] ? "load" : "appliance",
               r->load[0] ? r->load : r->appliance);
}

static bool same_group(const struct vp_cmp_row *r, const struct vp_cmp_row *prev)
{
    return prev && r->point == prev->point && strcmp(r->appliance, prev->appliance) == 0 &&
           strcmp(r->load, prev->load) == 0;
}

static void print_text(const struct vp_comparison *c)
{
    printf("A: %s\nB: %s\n", c->a.label, c->b.label);
    const char *head = "%-16s %-6s %4s %11s %11s %4s %11s %11s %8s %9s\n";
    if (c->nrows && c->rows[0].point == NULL)
        printf("\n");
    for (int i = 0; i < c->nrows; i++) {
        const struct vp_cmp_row *r = &c->rows[i];
        char m[2][32], ci[2][32], ratio[32], p[32];
        if (!same_group(r, i ? &c->rows[i - 1] : NULL)) {
            print_group(r);
            printf(head, "metric", "unit", "n_a", "mean_a", "ci95_a", "n_b", "mean_b", "ci95_b",
                   "B/A", "p");
        }
        printf("%-16s %-6s %4d %11s %11s %4d %11s %11s %8s %9s%s%s\n", r->metric, r->unit, r->a.n,
               vp_format_figure(m[0], sizeof m[0], "%.4g", r->a.mean),
               vp_format_ci(ci[0], sizeof ci[0], "%.4g", &r->a), r->b.n,
               vp_format_figure(m[1], sizeof m[1], "%.4g", r->b.mean),
               vp_format_ci(ci[1], sizeof ci[1], "%.4g", &r->b),
               vp_format_figure(ratio, sizeof ratio, "%.3f", r->ratio),
               vp_format_figure(p, sizeof p, "%.2g", r->test.p), r->significant ? " * " : "",
               verdict(r));
    }
    if (c->nrows == 0)
        printf("\nno metric in common\n");
    printf("\n* significant at 5%% (Welch's t-test; rates tested on 1/x); B/A of the means; "
           "%s\n",
           "higher is worse for times, delay and loss, lower for rates");
    if (c->only_a || c->only_b)
        printf("not compared: %d only in A, %d only in B (metrics, appliances, loads or points)\n",
               c->only_a, c->only_b);
}

static void json_side(struct vp_json *j, const char *key, const struct vp_summary *s)
{
    bool ci = vp_ci_shown(s);
    vp_json_object_begin(j, key);
    vp_json_int(j, "n", s->n);
    vp_json_double(j, "mean", s->n ? s->mean : NAN);
    vp_json_double(j, "sd", s->n > 1 ? s->sd : NAN);
    vp_json_double(j, "ci95_low", ci ? s->ci_lo : NAN);
    vp_json_double(j, "ci95_high", ci ? s->ci_hi : NAN);
    vp_json_double(j, "ci95_half", ci ? s->ci_half : NAN);
    vp_json_bool(j, "ci95_n_too_small", s->n > 1 && !ci);
    vp_json_object_end(j);
}

static void json_ref(struct vp_json *j, const char *key, const struct vp_cmp_ref *r)
{
    vp_json_object_begin(j, key);
    vp_json_string(j, "kind", r->kind == VP_CMP_RUN ? "run" : "experiment");
    vp_json_int(j, "id", r->id);
    vp_json_string(j, "label", r->label);
    vp_json_object_end(j);
}

/* The document: the compared metrics are its rounds; with csv, those
 * alone as CSV. */
static void print_doc(struct vp_doc *d, bool csv, const struct vp_comparison *c, double fail_pct)
{
    struct vp_json *j = vp_doc_start(d, stdout, csv);
    json_ref(j, "a", &c->a);
    json_ref(j, "b", &c->b);
    vp_json_double(j, "alpha", VP_CMP_ALPHA);
    vp_json_double(j, "fail_if_worse_pct", fail_pct >= 0 ? fail_pct : NAN);
    j = vp_doc_rows(d);
    int beyond = 0;
    for (int i = 0; i < c->nrows; i++) {
        const struct vp_cmp_row *r = &c->rows[i];
        bool over = fail_pct >= 0 && vp_cmp_worse(r, fail_pct);
        beyond += over;
        vp_json_object_begin(j, NULL);
        vp_json_raw(j, "point", r->point); /* null for runs */
        vp_json_string(j, "appliance", r->appliance[0] ? r->appliance : NULL);
        vp_json_string(j, "load", r->load[0] ? r->load : NULL);
        vp_json_string(j, "metric", r->metric);
        vp_json_string(j, "unit", r->unit);
        vp_json_bool(j, "higher_is_better", r->higher_is_better);
        vp_json_string(j, "average", r->harmonic ? "harmonic" : "arithmetic");
        json_side(j, "a", &r->a);
        json_side(j, "b", &r->b);
        vp_json_double(j, "ratio", r->ratio);
        vp_json_double(j, "worse_pct", r->worse_pct);
        vp_json_double(j, "t", r->test.t);
        vp_json_double(j, "df", r->test.df);
        vp_json_double(j, "p", r->test.p);
        vp_json_bool(j, "significant", r->significant);
        vp_json_bool(j, "worse", r->significant && r->worse_pct > 0);
        vp_json_bool(j, "beyond_limit", over);
        vp_json_object_end(j);
    }
    j = vp_doc_end(d);
    vp_json_int(j, "only_in_a", c->only_a);
    vp_json_int(j, "only_in_b", c->only_b);
    vp_json_int(j, "beyond_limit", beyond);
    vp_doc_close(d, NULL);
}

/* The metrics beyond the limit, named on stderr; how many. */
static int report_worse(const struct vp_comparison *c, double pct)
{
    int n = 0;
    for (int i = 0; i < c->nrows; i++) {
        const struct vp_cmp_row *r = &c->rows[i];
        if (!vp_cmp_worse(r, pct))
            continue;
        char where[VP_STR_MAX + 160] = "";
        if (r->point)
            snprintf(where, sizeof where, "point %s %s %s: ", r->point,
                     r->load[0] ? "load" : "appliance",
                     r->load[0]        ? r->load
                     : r->appliance[0] ? r->appliance
                                       : "(all)");
        fprintf(stderr, "virtperf: compare: %s%s is %.1f%% worse in B (p = %.2g), beyond %g%%\n",
                where, r->metric, r->worse_pct, r->test.p, pct);
        n++;
    }
    return n;
}

static int compare_main(int argc, char **argv)
{
    struct vp_output_opts out;
    struct compare_opts co;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_optset sets[] = {{output_opt_table, &out}, {compare_opt_table, &co}};
    struct vp_cmp_ref a, b;
    struct vp_comparison c;
    struct vp_doc d;
    char *pos[2];
    int npos, rc = VP_EXIT_OK;
    vp_doc_init(&d, VP_DOC_ROUNDS, argc, argv);
    vp_opt_defaults(output_opt_table, &out, &err);
    vp_opt_defaults(compare_opt_table, &co, &err);
    if (vp_opt_parse_argv(sets, 2, argc - 1, argv + 1, pos, 2, &npos, &err) < 0)
        return vp_doc_fail(&d, out.json, &err);
    if (npos != 2) {
        vp_input_error(&err, "compare: name two runs or two experiments (A B)");
        return vp_doc_fail(&d, out.json, &err);
    }
    if (out.json && out.csv) {
        vp_input_error(&err, "compare: --json or --csv, not both");
        return vp_doc_fail(&d, out.json, &err);
    }
    if (vp_cmp_parse_ref(pos[0], &a, &err) < 0 || vp_cmp_parse_ref(pos[1], &b, &err) < 0 ||
        vp_output_open_store(&out, &st, &err) < 0 || vp_compare(st, &a, &b, &c, &err) < 0) {
        vp_store_close(st);
        return vp_doc_fail(&d, out.json, &err);
    }
    vp_store_close(st);
    if (out.json || out.csv)
        print_doc(&d, out.csv, &c, co.fail_pct);
    else
        print_text(&c);
    fflush(stdout);
    if (co.fail_pct >= 0 && report_worse(&c, co.fail_pct) > 0)
        rc = VP_EXIT_FAILED;
    vp_comparison_free(&c);
    return rc;
}

static void compare_help(FILE *f)
{
    fputs("A and B are stored runs (RUN or run:RUN) or experiments (exp:ID). Every metric\n"
          "both have is shown with both means and 95% CIs (from the stored rounds), the\n"
          "ratio B/A, and Welch's t-test of the two means: * marks a difference\n"
          "significant at 5%, named worse or better by the metric's direction (times,\n"
          "delay and loss: higher is worse; rates: lower is worse). Experiments are\n"
          "matched point by point (case label and matrix values), then by appliance\n"
          "and by load.\n\n"
          "Options:\n",
          f);
    vp_opt_print_help(f, compare_opt_table);
    vp_opt_print_help(f, output_opt_table);
}

const struct vp_command vp_cmd_compare = {
    .name = "compare",
    .run = compare_main,
    .summary = "two stored runs or experiments side by side, with Welch's t-test",
    .usage = "virtperf compare A B [--json | --csv] [--fail-if-worse PCT] [--store FILE]",
    .help = compare_help,
};
