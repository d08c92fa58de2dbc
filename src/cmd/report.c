/* virtperf report ID... -o FILE.html: stored experiments (ID) and runs
 * (run:ID, side by side) as one self-contained HTML page of ECharts
 * figures, each with its table, and the methods behind them
 * (report/figures*.c build the figures' JSON once; report/html.c writes
 * the page). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "report/page.h"

struct report_opts {
    char output[VP_STR_MAX];
    char title[VP_STR_MAX];
    struct vp_output_opts out; /* its store only: the page is the report's one output */
};

static const struct vp_opt report_opt_table[] = {
    {"output", VP_OPT_OUTPUT, offsetof(struct report_opts, output), NULL, 0, 0, NULL,
     "the HTML file to write (-o FILE)", false},
    {"title", VP_OPT_STRING, offsetof(struct report_opts, title), NULL, 0, 0, NULL,
     "the page's title (default: what it reports)", false},
    {"store", VP_OPT_OUTPUT, offsetof(struct report_opts, out.store), NULL, 0, 0, NULL,
     "results store (SQLite file) [default $VIRTPERF_STORE or ~/.local/share/virtperf/results.db]",
     false},
    VP_OPT_END,
};

/* The page, written next to path and renamed over it: nothing half-done. */
static int write_page(const char *path, struct vp_store *st, char *const *ids, int n,
                      const char *title, struct vp_err *err)
{
    char tmp[VP_STR_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return vp_input_error(err, "report: -o %s: %s", path, strerror(errno));
    int rc = vp_report_page(st, ids, n, title, f, err);
    if (fclose(f) != 0 && rc == 0)
        rc = vp_run_error(err, errno, "report: -o %s", path);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = vp_run_error(err, errno, "report: -o %s", path);
    if (rc < 0)
        unlink(tmp);
    return rc;
}

static int report_main(int argc, char **argv)
{
    struct report_opts ro = {0};
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_optset sets[] = {{report_opt_table, &ro}};
    static char long_output[] = "--output";
    char *pos[VP_REPORT_MAX_IDS + 1];
    int npos, rc;
    for (int i = 1; i < argc; i++) /* -o is --output */
        if (strcmp(argv[i], "-o") == 0)
            argv[i] = long_output;
    vp_opt_defaults(report_opt_table, &ro, &err);
    if ((rc = vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, pos, VP_REPORT_MAX_IDS + 1, &npos,
                                &err)) < 0)
        goto out;
    if (npos == 0 || npos > VP_REPORT_MAX_IDS) {
        rc = vp_input_error(&err, "report: name 1 to %d experiments (ID) or runs (run:ID)",
                            VP_REPORT_MAX_IDS);
        goto out;
    }
    if (ro.output[0] == '\0') {
        rc = vp_input_error(&err, "report: name the HTML file to write with -o FILE");
        goto out;
    }
    if ((rc = vp_output_open_store(&ro.out, &st, &err)) < 0)
        goto out;
    rc = write_page(ro.output, st, pos, npos, ro.title[0] ? ro.title : NULL, &err);
out:
    vp_store_close(st);
    return rc < 0 ? vp_err_report(&err) : VP_EXIT_OK;
}

static void report_help(FILE *f)
{
    fputs("Figures (ECharts, inlined: the file opens offline), each with its table:\n"
          "workload bars per case with 95% CI, fairness, delay boxplots with loss, SIP\n"
          "calls/s and response times over time, capacity searches step by step, seed\n"
          "002's measured vs Estimate1/Estimate2, profiler time series per appliance\n"
          "with the points marked; then the methods: host, versions, platforms and\n"
          "disturbance warnings. ECharts comes from scripts/install-deps.\n\noptions:\n",
          f);
    vp_opt_print_help(f, report_opt_table);
}

const struct vp_command vp_cmd_report = {
    .name = "report",
    .run = report_main,
    .summary = "stored experiments and runs as one self-contained HTML page of figures",
    .usage = "virtperf report ID|run:ID... -o FILE.html [--title TEXT] [--store FILE]",
    .help = report_help,
};
