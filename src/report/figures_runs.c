/* Stored runs side by side in a report: per metric (the round's elapsed
 * time first, then every metric in the order the runs name them) a bar
 * per run with the 95% CI of its measured rounds, and a table of the runs'
 * facts: the methods behind them. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/run_stats.h"
#include "report/fig.h"
#include "report/figures.h"
#include "store/query.h"

/* Metric `name` of run r: its index, VP_METRIC_ELAPSED for "elapsed", or
 * -2 when r has none. */
static int metric_of(const struct vp_run_data *r, const char *name)
{
    if (strcmp(name, "elapsed") == 0)
        return VP_METRIC_ELAPSED;
    for (int m = 0; m < r->nmetrics; m++)
        if (strcmp(r->metrics[m].name, name) == 0)
            return m;
    return -2;
}

static void label_of(char *buf, size_t len, const struct vp_run_data *r)
{
    snprintf(buf, len, "run %lld %s", (long long)r->id, r->subject);
}

/* The figure of one metric over the runs that measured it. */
static void metric_figure(struct vp_json *j, const struct vp_run_data *runs, int n,
                          const char *name)
{
    struct vp_summary *s = calloc((size_t)n, sizeof *s);
    const char *unit = "s";
    char title[160], label[160];
    int shown = 0;
    if (s == NULL)
        return;
    for (int i = 0; i < n; i++) {
        int m = metric_of(&runs[i], name);
        if (m == -2)
            continue;
        vp_run_summary(&runs[i], m, &s[i]);
        if (m >= 0)
            unit = runs[i].metrics[m].unit;
        shown += s[i].n > 0;
    }
    if (shown == 0) {
        free(s);
        return;
    }
    snprintf(title, sizeof title, "%s (%s): mean of the measured rounds with its 95%% CI", name,
             unit);
    vp_fig_begin(j, "bars", title, NULL);
    vp_json_string(j, "y", unit);
    vp_json_array_begin(j, "x");
    for (int i = 0; i < n; i++)
        if (s[i].n > 0) {
            label_of(label, sizeof label, &runs[i]);
            vp_json_string(j, NULL, label);
        }
    vp_json_array_end(j);
    vp_json_array_begin(j, "series");
    vp_json_object_begin(j, NULL);
    vp_json_string(j, "name", name);
    static const char *const arrays[] = {"data", "lo", "hi"};
    for (int a = 0; a < 3; a++) {
        vp_json_array_begin(j, arrays[a]);
        for (int i = 0; i < n; i++) {
            if (s[i].n == 0)
                continue;
            bool ok = vp_fig_ci_ok(&s[i], true);
            vp_fig_num(j, NULL, a == 0 ? s[i].mean : !ok ? NAN : a == 1 ? s[i].ci_lo : s[i].ci_hi);
        }
        vp_json_array_end(j);
    }
    vp_json_object_end(j);
    vp_json_array_end(j);
    static const char *const cols[] = {"run", "n",   "mean", "95% CI", "median",
                                       "min", "max", "unit", NULL};
    vp_fig_table_begin(j, cols);
    for (int i = 0; i < n; i++) {
        if (s[i].n == 0)
            continue;
        label_of(label, sizeof label, &runs[i]);
        vp_fig_row_begin(j);
        vp_fig_cell(j, "%s", label);
        vp_fig_cell(j, "%d", s[i].n);
        vp_fig_cell_num(j, "%.5g", s[i].mean);
        vp_fig_cell_ci(j, "%.3g", &s[i], true);
        vp_fig_cell_num(j, "%.5g", s[i].median);
        vp_fig_cell_num(j, "%.5g", s[i].min);
        vp_fig_cell_num(j, "%.5g", s[i].max);
        vp_fig_cell(j, "%s", unit);
        vp_fig_row_end(j);
    }
    vp_fig_table_end(j);
    vp_fig_end(j);
    free(s);
}

/* A run that marked its rounds to a time server: each round's elapsed by
 * its own clock beside the time server's, the rounds where they disagree
 * flagged (seed 002: a guest's clock can lie; the external one is taken). */
static void clocks_figure(struct vp_json *j, const struct vp_run_data *r)
{
    int timed = 0, distorted = 0;
    char title[256], note[160];
    for (int k = 0; k < r->nrounds; k++) {
        timed += isfinite(r->rounds[k].external_s);
        distorted += r->rounds[k].clock_distorted;
    }
    if (timed == 0)
        return;
    snprintf(title, sizeof title,
             "the run's own clock vs the time server's, round by round: run %lld %s",
             (long long)r->id, r->subject);
    snprintf(note, sizeof note,
             "%d of %d rounds timed externally; %d flagged: the two clocks disagree", timed,
             r->nrounds, distorted);
    vp_fig_begin(j, "xy", title, note);
    vp_json_string(j, "xname", "round");
    vp_json_string(j, "y", "elapsed (s)");
    vp_json_array_begin(j, "series");
    for (int which = 0; which < 2; which++) {
        vp_json_object_begin(j, NULL);
        vp_json_string(j, "name", which ? "time server (external)" : "its own clock (internal)");
        vp_json_string(j, "type", "line");
        vp_json_array_begin(j, "data");
        for (int k = 0; k < r->nrounds; k++) {
            const struct vp_round_row *x = &r->rounds[k];
            if (isfinite(x->external_s))
                vp_fig_xy(j, x->round + 1, which ? x->external_s : x->elapsed_s);
        }
        vp_json_array_end(j);
        vp_json_object_end(j);
    }
    vp_json_array_end(j);
    static const char *const cols[] = {
        "round", "warm-up", "internal s", "external s", "internal / external", "flagged", NULL};
    vp_fig_table_begin(j, cols);
    for (int k = 0; k < r->nrounds; k++) {
        const struct vp_round_row *x = &r->rounds[k];
        vp_fig_row_begin(j);
        vp_fig_cell(j, "%d", x->round + 1);
        vp_fig_cell(j, "%s", x->warmup ? "yes" : "");
        vp_fig_cell_num(j, "%.4f", x->elapsed_s);
        vp_fig_cell_num(j, "%.4f", x->external_s);
        vp_fig_cell_num(j, "%.3f", x->ratio);
        vp_fig_cell(j, "%s", x->clock_distorted ? "distorted" : "");
        vp_fig_row_end(j);
    }
    vp_fig_table_end(j);
    vp_fig_end(j);
}

/* The runs' facts: the methods of their figures. */
static void methods(struct vp_json *j, const struct vp_run_data *runs, int n)
{
    static const char *const cols[] = {"run",      "status", "rounds",  "started", "virtperf",
                                       "platform", "host",   "command", "error",   NULL};
    char label[160];
    vp_fig_begin(j, "table", "methods: the runs", NULL);
    vp_fig_table_begin(j, cols);
    for (int i = 0; i < n; i++) {
        const struct vp_run_data *r = &runs[i];
        label_of(label, sizeof label, r);
        vp_fig_row_begin(j);
        vp_fig_cell(j, "%s", label);
        vp_fig_cell(j, "%s", r->status);
        vp_fig_cell(j, "%d of %d (%d warm-up)", r->nrounds, r->rounds_planned + r->warmup_planned,
                    r->warmup_planned);
        vp_fig_cell(j, "%s", r->started_at);
        vp_fig_cell(j, "%s", r->version);
        vp_fig_cell(j, "%s", r->platform ? r->platform : "the host itself");
        vp_fig_cell(j, "%s", r->host);
        vp_fig_cell(j, "%s", r->command);
        vp_fig_cell(j, "%s", r->error ? r->error : "");
        vp_fig_row_end(j);
    }
    vp_fig_table_end(j);
    vp_fig_end(j);
}

int vp_figures_runs(struct vp_store *st, const int64_t *ids, int n, struct vp_json *j,
                    struct vp_err *err)
{
    struct vp_run_data *runs = calloc((size_t)n + 1, sizeof *runs);
    int loaded = 0, rc = 0;
    if (runs == NULL)
        return vp_run_error(err, ENOMEM, "figures");
    for (; loaded < n && rc == 0; loaded++)
        rc = vp_store_load_run(st, ids[loaded], &runs[loaded], err);
    if (rc == 0) {
        char title[64];
        vp_json_object_begin(j, NULL);
        if (n == 1)
            snprintf(title, sizeof title, "run %lld", (long long)ids[0]);
        else
            snprintf(title, sizeof title, "%d runs side by side", n);
        vp_json_string(j, "title", title);
        vp_json_array_begin(j, "figures");
        metric_figure(j, runs, n, "elapsed");
        for (int i = 0; i < n; i++)
            for (int m = 0; m < runs[i].nmetrics; m++) {
                bool seen = false; /* an earlier run named it: drawn already */
                for (int k = 0; k < i && !seen; k++)
                    seen = metric_of(&runs[k], runs[i].metrics[m].name) != -2;
                for (int k = 0; k < m && !seen; k++)
                    seen = strcmp(runs[i].metrics[k].name, runs[i].metrics[m].name) == 0;
                if (!seen)
                    metric_figure(j, runs, n, runs[i].metrics[m].name);
            }
        for (int i = 0; i < n; i++)
            clocks_figure(j, &runs[i]);
        methods(j, runs, n);
        vp_json_array_end(j);
        vp_json_object_end(j);
    }
    for (int i = 0; i < loaded - (rc < 0); i++)
        vp_run_data_free(&runs[i]);
    free(runs);
    return rc;
}
