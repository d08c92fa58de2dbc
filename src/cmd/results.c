/* virtperf results list | show RUN | experiment ID */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "report/exp_view.h"
#include "store/query.h"

struct list_opts {
    int64_t limit;
};

static const struct vp_opt list_opt_table[] = {
    {"limit", VP_OPT_INT, offsetof(struct list_opts, limit), "20", 0, 1000000, NULL,
     "newest runs to list (0 = all)", false},
    VP_OPT_END,
};

/* The list is the document's summary (end.runs): it has no rounds. */
static void print_list_json(struct vp_doc *d, const char *store, int64_t limit,
                            const struct vp_run_data *runs, int n)
{
    struct vp_json *j = vp_doc_start(d, stdout, false);
    vp_json_string(j, "store", store);
    vp_json_int(j, "limit", limit);
    j = vp_doc_end(d);
    vp_json_array_begin(j, "runs");
    for (int i = 0; i < n; i++) {
        const struct vp_run_data *r = &runs[i];
        vp_json_object_begin(j, NULL);
        vp_json_int(j, "run_id", r->id);
        vp_json_string(j, "kind", r->kind);
        vp_json_string(j, "subject", r->subject);
        vp_json_string(j, "status", r->status);
        vp_json_string(j, "started_at", r->started_at);
        vp_json_string(j, "finished_at", r->finished_at);
        vp_json_int(j, "rounds_stored", r->nrounds);
        vp_json_int(j, "rounds_planned", r->rounds_planned);
        vp_json_int(j, "warmup_planned", r->warmup_planned);
        vp_json_raw(j, "params", r->params);
        vp_json_string(j, "error", r->error);
        vp_json_object_end(j);
    }
    vp_json_array_end(j);
    vp_doc_close(d, NULL);
}

static void print_list_text(const struct vp_run_data *runs, int n)
{
    printf("%6s  %-12s %-11s %-7s %-24s %s\n", "run", "subject", "status", "rounds", "started",
           "params");
    for (int i = 0; i < n; i++) {
        const struct vp_run_data *r = &runs[i];
        char rounds[32];
        snprintf(rounds, sizeof rounds, "%d/%d", r->nrounds, r->rounds_planned + r->warmup_planned);
        printf("%6lld  %-12s %-11s %-7s %-24s %s\n", (long long)r->id, r->subject, r->status,
               rounds, r->started_at, r->params);
    }
}

static int list(int argc, char **argv)
{
    struct vp_output_opts out = {0};
    struct list_opts lo;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_doc doc;
    struct vp_optset sets[] = {{vp_output_json_opt_table, &out}, {list_opt_table, &lo}};
    char *pos[1];
    int npos, n;
    struct vp_run_data *runs;
    vp_doc_init(&doc, VP_DOC_ROUNDS, argc, argv);
    vp_opt_defaults(vp_output_json_opt_table, &out, &err);
    vp_opt_defaults(list_opt_table, &lo, &err);
    if (vp_opt_parse_argv(sets, 2, argc - 1, argv + 1, pos, 0, &npos, &err) < 0 ||
        vp_output_open_store(&out, &st, &err) < 0 ||
        vp_store_list_runs(st, (int)lo.limit, &runs, &n, &err) < 0) {
        vp_store_close(st);
        return vp_doc_fail(&doc, out.json, &err);
    }
    if (out.json)
        print_list_json(&doc, vp_store_name(st), lo.limit, runs, n);
    else
        print_list_text(runs, n);
    vp_run_list_free(runs, n);
    vp_store_close(st);
    return VP_EXIT_OK;
}

/* The output options and the one id argument of `results show|experiment`
 * (what: "run" or "experiment"). */
static int parse_id(int argc, char **argv, const char *what, const struct vp_opt *out_opts,
                    struct vp_output_opts *out, long long *id, struct vp_err *err)
{
    struct vp_optset sets[] = {{out_opts, out}};
    char *pos[1], *end;
    int npos;
    *out = (struct vp_output_opts){0};
    vp_opt_defaults(out_opts, out, err);
    if (vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, pos, 1, &npos, err) < 0)
        return -EINVAL;
    if (npos != 1)
        return vp_input_error(err, "results %s: name a%s %s id", argv[0], what[0] == 'e' ? "n" : "",
                              what);
    *id = strtoll(pos[0], &end, 10);
    if (*end != '\0' || *id <= 0)
        return vp_input_error(err, "results %s: \"%s\" is not a%s %s id", argv[0], pos[0],
                              what[0] == 'e' ? "n" : "", what);
    return 0;
}

static int show(int argc, char **argv)
{
    struct vp_output_opts out;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_doc doc;
    long long id;
    vp_doc_init(&doc, VP_DOC_ROUNDS, argc, argv);
    if (parse_id(argc, argv, "run", vp_output_opt_table, &out, &id, &err) < 0)
        return vp_doc_fail(&doc, out.json, &err);
    if (vp_output_open_store(&out, &st, &err) < 0 || vp_show_run(&out, &doc, st, id, &err) < 0) {
        vp_store_close(st);
        return vp_doc_fail(&doc, out.json, &err);
    }
    vp_store_close(st);
    return VP_EXIT_OK;
}

/* A stored experiment as `virtperf run` printed it, recomputed. */
static int experiment(int argc, char **argv)
{
    struct vp_output_opts out;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_doc doc;
    long long id;
    vp_doc_init(&doc, VP_DOC_ROUNDS, argc, argv);
    if (parse_id(argc, argv, "experiment", vp_output_json_opt_table, &out, &id, &err) < 0 ||
        vp_output_open_store(&out, &st, &err) < 0) {
        vp_store_close(st);
        return vp_doc_fail(&doc, out.json, &err);
    }
    int rc = vp_exp_view(st, id, out.json ? &doc : NULL, true, NULL);
    vp_store_close(st);
    return rc;
}

static int results_main(int argc, char **argv)
{
    static const struct vp_subcommand subs[] = {
        {"list", list}, {"show", show}, {"experiment", experiment}, {NULL, NULL}};
    return vp_run_subcommand(subs, argc, argv);
}

static void results_help(FILE *f)
{
    fputs("Runs are kept in a SQLite store with every round and metric; `show`\n"
          "recomputes the statistics (mean, 95% CI from Student's t, quartiles) from\n"
          "the stored rounds. A run whose process died reads as incomplete.\n\n"
          "list options:\n",
          f);
    vp_opt_print_help(f, list_opt_table);
    fputs("Figures of an experiment: `virtperf report ID -o FILE.html`.\n", f);
    fputs("Output options of show (its rounds as CSV with --csv):\n", f);
    vp_opt_print_help(f, vp_output_opt_table);
    fputs("Output options of list and experiment:\n", f);
    vp_opt_print_help(f, vp_output_json_opt_table);
}

const struct vp_command vp_cmd_results = {
    .name = "results",
    .run = results_main,
    .summary = "list stored runs, show one with its statistics, or an experiment",
    .usage = "virtperf results list [--limit N] [--json] [--store FILE]\n"
             "virtperf results show RUN [--json | --csv] [--store FILE]\n"
             "virtperf results experiment ID [--json] [--store FILE]",
    .help = results_help,
};
