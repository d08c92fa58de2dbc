#include "report/run_view.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/run_stats.h"
#include "core/json.h"

static const char *metric_name(const struct vp_run_data *run, int m)
{
    return m == VP_METRIC_ELAPSED ? "elapsed" : run->metrics[m].name;
}

static const char *metric_unit(const struct vp_run_data *run, int m)
{
    return m == VP_METRIC_ELAPSED ? "s" : run->metrics[m].unit;
}

/* Whether any round was timed by a time server (timing/). */
static bool has_external(const struct vp_run_data *run)
{
    for (int i = 0; i < run->nrounds; i++)
        if (!isnan(run->rounds[i].external_s))
            return true;
    return false;
}

/* Summary of the external elapsed over the measured rounds: the honest
 * figure, the server's clock rather than the appliance's. */
static void external_summary(const struct vp_run_data *run, struct vp_summary *s)
{
    double *x = malloc(((size_t)run->nrounds + 1) * sizeof *x);
    int n = 0;
    memset(s, 0, sizeof *s);
    if (x == NULL)
        return;
    for (int i = 0; i < run->nrounds; i++)
        if (!run->rounds[i].warmup && !isnan(run->rounds[i].external_s))
            x[n++] = run->rounds[i].external_s;
    if (n > 0)
        vp_summarize(x, n, false, s);
    free(x);
}

/* A number in a fixed-width column: 4 significant digits, "-" when unknown. */
static void cell(FILE *out, double v)
{
    if (isnan(v))
        fprintf(out, " %11s", "-");
    else
        fprintf(out, " %11.4g", v);
}

/* A CI's half-width in the same column: "-" or "n too small" without one. */
static void ci_cell(FILE *out, const struct vp_summary *s)
{
    char buf[32];
    fprintf(out, " %11s", vp_format_ci(buf, sizeof buf, "%.4g", s));
}

void vp_run_print_text(FILE *out, const struct vp_run_data *run)
{
    int measured = 0;
    for (int i = 0; i < run->nrounds; i++)
        measured += !run->rounds[i].warmup;
    fprintf(out, "run %lld  %s  %s  %d of %d rounds (+%d warm-up)\n", (long long)run->id,
            run->subject, run->status, measured, run->rounds_planned, run->warmup_planned);
    fprintf(out, "params %s\n", run->params);
    if (run->platform)
        fprintf(out, "platform %s\n", run->platform);
    if (run->error)
        fprintf(out, "error  %s\n", run->error);

    bool ext = has_external(run);
    fprintf(out, "\n%-6s %11s", "round", "elapsed_s");
    if (ext)
        fprintf(out, " %11s %11s %9s", "external_s", "int/ext", "clock");
    for (int m = 0; m < run->nmetrics; m++)
        fprintf(out, " %11.11s", run->metrics[m].name);
    fputc('\n', out);
    for (int i = 0; i < run->nrounds; i++) {
        const struct vp_round_row *r = &run->rounds[i];
        char label[16];
        snprintf(label, sizeof label, "%s%d", r->warmup ? "w" : "",
                 r->warmup ? r->round + 1 : r->round - run->warmup_planned + 1);
        fprintf(out, "%-6s", label);
        cell(out, r->elapsed_s);
        if (ext) {
            cell(out, r->external_s);
            cell(out, r->ratio);
            fprintf(out, " %9s",
                    isnan(r->external_s) ? "-"
                    : r->clock_distorted ? "DISTORTED"
                                         : "ok");
        }
        for (int m = 0; m < run->nmetrics; m++)
            cell(out, r->values[m]);
        fputc('\n', out);
    }

    fprintf(out, "\n%-16s %-6s %3s %11s %11s %11s %11s %11s %11s\n", "metric", "unit", "n", "mean",
            "ci95_half", "sd", "min", "median", "max");
    for (int m = VP_METRIC_ELAPSED - (ext ? 1 : 0); m < run->nmetrics; m++) {
        struct vp_summary s;
        if (m < VP_METRIC_ELAPSED)
            external_summary(run, &s);
        else
            vp_run_summary(run, m, &s);
        fprintf(out, "%-16s %-6s %3d",
                m < VP_METRIC_ELAPSED ? "external_elapsed" : metric_name(run, m),
                m < VP_METRIC_ELAPSED ? "s" : metric_unit(run, m), s.n);
        cell(out, s.n ? s.mean : NAN);
        ci_cell(out, &s);
        cell(out, s.n > 1 ? s.sd : NAN);
        cell(out, s.n ? s.min : NAN);
        cell(out, s.n ? s.median : NAN);
        cell(out, s.n ? s.max : NAN);
        fputc('\n', out);
    }
    if (ext)
        fprintf(out, "\nelapsed is the appliance's own clock; external_elapsed %s\n",
                run->platform ? "the host's, from the guest's marks" : "the time server's");
    fflush(out);
}

static void json_summary(struct vp_json *j, const struct vp_run_data *run, int m)
{
    struct vp_summary s;
    if (m < VP_METRIC_ELAPSED)
        external_summary(run, &s);
    else
        vp_run_summary(run, m, &s);
    vp_json_object_begin(j, m < VP_METRIC_ELAPSED ? "external_elapsed" : metric_name(run, m));
    vp_json_string(j, "unit", m < VP_METRIC_ELAPSED ? "s" : metric_unit(run, m));
    vp_json_string(j, "average",
                   m > VP_METRIC_ELAPSED && run->metrics[m].harmonic ? "harmonic" : "arithmetic");
    vp_json_bool(j, "higher_is_better", m > VP_METRIC_ELAPSED && run->metrics[m].higher_is_better);
    vp_json_int(j, "n", s.n);
    vp_json_double(j, "mean", s.n ? s.mean : NAN);
    vp_json_double(j, "sd", s.n > 1 ? s.sd : NAN);
    /* null without a meaningful interval; ci95_n_too_small tells that from n < 2 */
    bool ci = vp_ci_shown(&s);
    vp_json_double(j, "ci95_low", ci ? s.ci_lo : NAN);
    vp_json_double(j, "ci95_high", ci ? s.ci_hi : NAN);
    vp_json_double(j, "ci95_half", ci ? s.ci_half : NAN);
    vp_json_bool(j, "ci95_n_too_small", s.n > 1 && !ci);
    vp_json_double(j, "min", s.n ? s.min : NAN);
    vp_json_double(j, "q1", s.n ? s.q1 : NAN);
    vp_json_double(j, "median", s.n ? s.median : NAN);
    vp_json_double(j, "q3", s.n ? s.q3 : NAN);
    vp_json_double(j, "max", s.n ? s.max : NAN);
    vp_json_object_end(j);
}

void vp_run_print_doc(struct vp_doc *d, FILE *out, bool csv, const struct vp_run_data *run,
                      const char *store_path)
{
    struct vp_json *j = vp_doc_start(d, out, csv);
    vp_json_int(j, "run_id", run->id);
    vp_json_string(j, "kind", run->kind);
    vp_json_string(j, "subject", run->subject);
    vp_json_string(j, "command", run->command);
    vp_json_string(j, "version", run->version);
    vp_json_string(j, "started_at", run->started_at);
    vp_json_int(j, "rounds_planned", run->rounds_planned);
    vp_json_int(j, "warmup_planned", run->warmup_planned);
    vp_json_string(j, "store", store_path);
    vp_json_string(j, "run_token", run->run_token);
    vp_json_raw(j, "params", run->params);
    vp_json_raw(j, "host", run->host);
    vp_json_raw(j, "platform", run->platform);

    j = vp_doc_rows(d);
    for (int i = 0; i < run->nrounds; i++) {
        const struct vp_round_row *r = &run->rounds[i];
        vp_json_object_begin(j, NULL);
        vp_json_int(j, "round", r->round);
        vp_json_bool(j, "warmup", r->warmup);
        vp_json_double(j, "elapsed_s", r->elapsed_s);
        vp_json_double(j, "external_s", r->external_s);
        vp_json_double(j, "ratio", r->ratio);
        vp_json_bool(j, "clock_distorted", !isnan(r->external_s) && r->clock_distorted);
        vp_json_object_begin(j, "metrics");
        for (int m = 0; m < run->nmetrics; m++)
            vp_json_double(j, run->metrics[m].name, r->values[m]);
        vp_json_object_end(j);
        vp_json_object_end(j);
    }

    j = vp_doc_end(d);
    vp_json_string(j, "status", run->status);
    vp_json_string(j, "finished_at", run->finished_at);
    vp_json_object_begin(j, "summary");
    for (int m = VP_METRIC_ELAPSED - (has_external(run) ? 1 : 0); m < run->nmetrics; m++)
        json_summary(j, run, m);
    vp_json_object_end(j);
    vp_doc_close(d, run->error);
}
