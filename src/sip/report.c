/* sip-uac results as JSON, text and CSV (see report.h). */
#include "sip/report.h"

#include "core/host.h"

double vp_sip_fail_pct(const struct vp_sip_counts *c)
{
    uint64_t f = vp_sip_counts_failed(c), ended = f + c->successful;
    return ended ? 100.0 * (double)f / (double)ended : 0;
}

double vp_sip_retrans_pct(const struct vp_sip_counts *c)
{
    return c->created ? 100.0 * (double)c->retransmissions / (double)c->created : 0;
}

static double ms(const struct vp_hist *h, double p)
{
    return h->count ? vp_hist_percentile(h, p) / 1e6 : 0;
}

void vp_sip_report_counts_json(struct vp_json *j, const struct vp_sip_counts *c)
{
    vp_json_int(j, "created", (int64_t)c->created);
    vp_json_int(j, "successful", (int64_t)c->successful);
    vp_json_int(j, "failed", (int64_t)vp_sip_counts_failed(c));
    vp_json_object_begin(j, "failed_by_cause");
    for (int i = 0; i < VP_SIP_FAIL_COUNT; i++)
        vp_json_int(j, vp_sip_fail_names[i], (int64_t)c->failed[i]);
    vp_json_object_end(j);
    vp_json_int(j, "retransmissions", (int64_t)c->retransmissions);
    vp_json_int(j, "response_duplicates", (int64_t)c->resp_dups);
    vp_json_int(j, "malformed", (int64_t)vp_sip_counts_malformed(c));
    vp_json_object_begin(j, "malformed_by_cause"); /* every cause: rows keep one shape */
    for (int i = 1; i < VP_SIP_E_COUNT; i++)
        vp_json_int(j, vp_sip_perr_name(i), (int64_t)c->malformed[i]);
    vp_json_object_end(j);
    vp_json_int(j, "stray", (int64_t)c->stray);
    vp_json_int(j, "limited", (int64_t)c->limited);
}

static void hist_json(struct vp_json *j, const char *key, const struct vp_hist *h)
{
    vp_json_object_begin(j, key);
    vp_json_int(j, "count", (int64_t)h->count);
    vp_json_double(j, "mean_ms", h->count ? vp_hist_mean(h) / 1e6 : 0);
    vp_json_double(j, "p50_ms", ms(h, 50));
    vp_json_double(j, "p95_ms", ms(h, 95));
    vp_json_double(j, "p99_ms", ms(h, 99));
    vp_json_double(j, "max_ms", h->count ? (double)h->max / 1e6 : 0);
    vp_json_object_end(j);
}

void vp_sip_report_doc(struct vp_doc *d, FILE *out, bool csv, const struct vp_sip_report_in *in)
{
    const struct vp_sip_uac_cfg *cfg = in->cfg;
    const struct vp_sip_uac_result *r = in->r;
    struct vp_json *j = vp_doc_start(d, out, csv);
    if (in->run_id > 0)
        vp_json_int(j, "run_id", in->run_id);
    vp_json_string(j, "target", in->target);
    vp_json_object_begin(j, "params");
    vp_json_double(j, "rate", cfg->rate);
    vp_json_double(j, "ramp_step", cfg->ramp_step);
    vp_json_double(j, "ramp_max", cfg->ramp_max);
    vp_json_double(j, "duration_s", (double)cfg->duration_ns / 1e9);
    vp_json_double(j, "hold_s", (double)cfg->hold_ns / 1e9);
    vp_json_double(j, "t1_ms", (double)cfg->t1_ns / 1e6);
    vp_json_int(j, "threads", cfg->threads);
    vp_json_double(j, "hist_relative_error", VP_HIST_REL_ERROR);
    vp_json_object_end(j);
    vp_host_json_now(j, "host");
    j = vp_doc_rows(d);
    for (int i = 0; i < r->nintervals; i++) {
        const struct vp_sip_interval *iv = &r->iv[i];
        vp_json_object_begin(j, NULL);
        vp_json_double(j, "t_s", (double)i * (double)cfg->interval_ns / 1e9);
        vp_json_double(j, "planned_rate", iv->planned_rate);
        vp_sip_report_counts_json(j, &iv->c);
        hist_json(j, "invite_100", &iv->inv100);
        hist_json(j, "invite_200", &iv->inv200);
        vp_json_object_end(j);
    }
    j = vp_doc_end(d);
    vp_sip_report_counts_json(j, &r->total);
    vp_json_int(j, "abandoned", (int64_t)r->abandoned);
    vp_json_double(j, "failed_pct", vp_sip_fail_pct(&r->total));
    vp_json_double(j, "retransmission_pct", vp_sip_retrans_pct(&r->total));
    hist_json(j, "invite_100", &r->inv100);
    hist_json(j, "invite_200", &r->inv200);
    vp_json_object_begin(j, "self_check");
    vp_json_double(j, "lateness_p50_us",
                   r->lateness.count ? vp_hist_percentile(&r->lateness, 50) / 1e3 : 0);
    vp_json_double(j, "lateness_p99_us",
                   r->lateness.count ? vp_hist_percentile(&r->lateness, 99) / 1e3 : 0);
    vp_json_double(j, "lateness_max_us", r->lateness.count ? (double)r->lateness.max / 1e3 : 0);
    vp_json_double(j, "elapsed_s", r->elapsed_s);
    vp_json_double(j, "cpu_s", r->cpu_s);
    vp_json_double(j, "cpu_fraction", r->cpu_fraction);
    vp_json_double(j, "cpu_us_per_call",
                   r->total.created ? r->cpu_s * 1e6 / (double)r->total.created : 0);
    vp_json_int(j, "max_active_calls", (int64_t)r->max_active);
    vp_json_double(j, "tick_ms", (double)r->tick_ns / 1e6);
    vp_json_bool(j, "generator_bottleneck", r->generator_bottleneck);
    vp_json_bool(j, "interrupted", r->interrupted);
    vp_json_object_end(j);
}

void vp_sip_report_text(FILE *out, const struct vp_sip_uac_result *r)
{
    const struct vp_sip_counts *c = &r->total;
    fprintf(out, "calls: %lu created, %lu successful, %lu failed (%.2f%%)",
            (unsigned long)c->created, (unsigned long)c->successful,
            (unsigned long)vp_sip_counts_failed(c), vp_sip_fail_pct(c));
    for (int i = 0; i < VP_SIP_FAIL_COUNT; i++)
        if (c->failed[i])
            fprintf(out, " %s=%lu", vp_sip_fail_names[i], (unsigned long)c->failed[i]);
    fprintf(out, ", %lu abandoned, %lu limited\n", (unsigned long)r->abandoned,
            (unsigned long)c->limited);
    fprintf(out, "retransmissions: %lu (%.2f%% of calls); malformed messages: %lu; stray: %lu\n",
            (unsigned long)c->retransmissions, vp_sip_retrans_pct(c),
            (unsigned long)vp_sip_counts_malformed(c), (unsigned long)c->stray);
    fprintf(out, "INVITE->100 ms: p50 %.3f p95 %.3f p99 %.3f max %.3f\n", ms(&r->inv100, 50),
            ms(&r->inv100, 95), ms(&r->inv100, 99),
            r->inv100.count ? (double)r->inv100.max / 1e6 : 0);
    fprintf(out, "INVITE->200 ms: p50 %.3f p95 %.3f p99 %.3f max %.3f\n", ms(&r->inv200, 50),
            ms(&r->inv200, 95), ms(&r->inv200, 99),
            r->inv200.count ? (double)r->inv200.max / 1e6 : 0);
    fprintf(out,
            "generator (tick %.1f ms): start lateness p50 %.0f us p99 %.0f us max %.0f us; CPU "
            "%.2f s (%.0f%% "
            "of its cores, %.1f us/call)%s\n",
            (double)r->tick_ns / 1e6,
            r->lateness.count ? vp_hist_percentile(&r->lateness, 50) / 1e3 : 0,
            r->lateness.count ? vp_hist_percentile(&r->lateness, 99) / 1e3 : 0,
            r->lateness.count ? (double)r->lateness.max / 1e3 : 0, r->cpu_s, 100 * r->cpu_fraction,
            c->created ? r->cpu_s * 1e6 / (double)c->created : 0,
            r->generator_bottleneck ? " — GENERATOR BOTTLENECK: results measure the generator"
                                    : "");
}

static void interval_doc(struct vp_doc *d, FILE *f, const void *in)
{
    vp_sip_report_doc(d, f, true, in);
}

int vp_sip_report_interval_csv(const char *path, const struct vp_sip_report_in *in,
                               struct vp_err *err)
{
    return vp_doc_csv_file(path, "sip-uac: --interval-csv", VP_DOC_INTERVALS, interval_doc, in,
                           err);
}
