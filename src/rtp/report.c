#include "rtp/report.h"

#include <string.h>

#include "core/host.h"
#include "rtp/rtp.h"

int64_t vp_rtp_stream_lost(const struct vp_rtp_stream *st)
{
    return (int64_t)st->sent - (int64_t)st->rx.received;
}

int64_t vp_rtp_stream_lost_rfc(const struct vp_rtp_stream *st)
{
    return vp_rtp_seq_expected(&st->rx.seq) - (int64_t)st->rx.seq.received;
}

const char *vp_rtp_run_status(const struct vp_rtp_client_result *r)
{
    if (r->interrupted)
        return "interrupted";
    return r->silent_from >= 0 ? "server_silent" : "complete";
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0;
}

void vp_boxplot_json_fields(struct vp_json *j, const struct vp_boxplot *b, double unit)
{
    vp_json_double(j, "min", b->min / unit);
    vp_json_double(j, "q1", b->q1 / unit);
    vp_json_double(j, "median", b->median / unit);
    vp_json_double(j, "q3", b->q3 / unit);
    vp_json_double(j, "max", b->max / unit);
    vp_json_double(j, "whisker_lo", b->whisker_lo / unit);
    vp_json_double(j, "whisker_hi", b->whisker_hi / unit);
    vp_json_int(j, "outliers_lo", (int64_t)b->outliers_lo);
    vp_json_int(j, "outliers_hi", (int64_t)b->outliers_hi);
    vp_json_array_begin(j, "outliers");
    for (int i = 0; i < b->nout; i++) {
        vp_json_object_begin(j, NULL);
        vp_json_double(j, "value", b->out_value[i] / unit);
        vp_json_int(j, "count", (int64_t)b->out_count[i]);
        vp_json_object_end(j);
    }
    vp_json_array_end(j);
}

static void boxplot_json(struct vp_json *j, const char *key, const struct vp_hist *h, double unit)
{
    struct vp_boxplot b;
    vp_hist_boxplot(h, &b);
    vp_json_object_begin(j, key);
    vp_json_int(j, "n", (int64_t)h->count);
    vp_json_double(j, "mean", vp_hist_mean(h) / unit);
    vp_boxplot_json_fields(j, &b, unit);
    vp_json_double(j, "p90", vp_hist_percentile(h, 90) / unit);
    vp_json_double(j, "p99", vp_hist_percentile(h, 99) / unit);
    vp_json_double(j, "p999", vp_hist_percentile(h, 99.9) / unit);
    vp_json_double(j, "relative_error", VP_HIST_REL_ERROR);
    vp_json_object_end(j);
}

static void jitter_summary(const struct vp_rtp_client_cfg *cfg,
                           const struct vp_rtp_client_result *r, double *mean, double *max)
{
    double sum = 0;
    *max = 0;
    for (int i = 0; i < cfg->streams; i++) {
        double jm = vp_rtp_jitter_ms(&r->streams[i].rx, cfg->clock_rate);
        sum += jm;
        if (jm > *max)
            *max = jm;
    }
    *mean = cfg->streams ? sum / cfg->streams : 0;
}

void vp_rtp_report_doc(struct vp_doc *d, FILE *out, bool csv, const struct vp_rtp_report_in *in)
{
    const struct vp_rtp_client_cfg *cfg = in->cfg;
    const struct vp_rtp_client_result *r = in->r;
    struct vp_json *j = vp_doc_start(d, out, csv);
    if (in->run_id > 0)
        vp_json_int(j, "run_id", in->run_id);
    vp_json_string(j, "server", in->server);
    vp_json_int(j, "streams", cfg->streams);
    vp_json_int(j, "sockets", cfg->sockets);
    vp_json_double(j, "ptime_ms", (double)cfg->ptime_ns / 1e6);
    vp_json_int(j, "payload", cfg->payload);
    vp_json_int(j, "udp_payload", VP_RTP_HEADER_LEN + (int64_t)cfg->payload);
    vp_json_double(j, "duration_s", (double)r->send_ns / 1e9);
    vp_json_double(j, "drain_s", (double)cfg->drain_ns / 1e9);
    vp_json_int(j, "token", cfg->token);
    vp_json_int(j, "local_port", r->local_port0);
    vp_json_double(j, "tick_ms", (double)cfg->tick_ns / 1e6);
    vp_host_json_now(j, "host");

    j = vp_doc_rows(d);
    for (int i = 0; i < r->nintervals; i++) {
        const struct vp_rtp_interval *iv = &r->intervals[i];
        vp_json_object_begin(j, NULL);
        vp_json_double(j, "t_s", (double)i * (double)cfg->interval_ns / 1e9);
        vp_json_int(j, "sent", (int64_t)iv->sent);
        vp_json_int(j, "received", (int64_t)iv->received);
        vp_json_int(j, "lost", (int64_t)(iv->sent - iv->received));
        vp_json_double(j, "loss_pct", pct(iv->sent - iv->received, iv->sent));
        vp_json_double(j, "delay_p50_ms", vp_hist_percentile(&iv->delay, 50) / 1e6);
        vp_json_double(j, "delay_p99_ms", vp_hist_percentile(&iv->delay, 99) / 1e6);
        vp_json_double(j, "delay_max_ms", (double)(iv->delay.count ? iv->delay.max : 0) / 1e6);
        vp_json_object_end(j);
    }

    j = vp_doc_end(d);
    vp_json_string(j, "status", vp_rtp_run_status(r));
    vp_json_array_begin(j, "streams");
    for (int i = 0; i < cfg->streams; i++) {
        const struct vp_rtp_stream *st = &r->streams[i];
        vp_json_object_begin(j, NULL);
        vp_json_int(j, "stream", i);
        vp_json_int(j, "ssrc", st->ssrc);
        vp_json_int(j, "sent", (int64_t)st->sent);
        vp_json_int(j, "received", (int64_t)st->rx.received);
        vp_json_int(j, "lost", vp_rtp_stream_lost(st));
        vp_json_int(j, "lost_rfc3550", vp_rtp_stream_lost_rfc(st));
        vp_json_int(j, "duplicates", (int64_t)st->rx.duplicates);
        vp_json_int(j, "reordered", (int64_t)st->rx.reordered);
        vp_json_double(j, "jitter_ms", vp_rtp_jitter_ms(&st->rx, cfg->clock_rate));
        vp_json_double(j, "jitter_max_ms", st->rx.jitter_max * 1000.0 / cfg->clock_rate);
        vp_json_double(j, "max_delta_ms", (double)st->rx.max_delta_ns / 1e6);
        bool any = st->rx.received > 0;
        vp_json_double(j, "delay_min_ms", any ? (double)st->rx.delay_min / 1e6 : 0);
        vp_json_double(j, "delay_mean_ms",
                       any ? st->rx.delay_sum / (double)st->rx.received / 1e6 : 0);
        vp_json_double(j, "delay_max_ms", (double)st->rx.delay_max / 1e6);
        vp_json_object_end(j);
    }
    vp_json_array_end(j);
    vp_json_int(j, "sent", (int64_t)r->sent);
    vp_json_int(j, "received", (int64_t)r->received);
    vp_json_int(j, "lost", (int64_t)(r->sent - r->received));
    vp_json_double(j, "loss_pct", pct(r->sent - r->received, r->sent));
    vp_json_int(j, "duplicates", (int64_t)r->duplicates);
    vp_json_int(j, "reordered", (int64_t)r->reordered);
    if (r->silent_from >= 0)
        vp_json_double(j, "server_silent_from_s",
                       (double)r->silent_from * (double)cfg->interval_ns / 1e9);
    else
        vp_json_null(j, "server_silent_from_s");
    boxplot_json(j, "delay_ms", &r->delay, 1e6);
    double jmean, jmax;
    jitter_summary(cfg, r, &jmean, &jmax);
    vp_json_object_begin(j, "jitter_ms");
    vp_json_double(j, "mean", jmean);
    vp_json_double(j, "max", jmax);
    vp_json_object_end(j);
    vp_json_object_begin(j, "rejected");
    vp_json_int(j, "not_rtp", (int64_t)r->rejects.not_rtp);
    vp_json_int(j, "truncated", (int64_t)r->rejects.truncated);
    vp_json_int(j, "foreign_token", (int64_t)r->rejects.foreign_token);
    vp_json_int(j, "foreign_ssrc", (int64_t)r->rejects.foreign_ssrc);
    vp_json_int(j, "out_of_range_seq", (int64_t)r->rejects.out_of_range_seq);
    vp_json_object_end(j);
    vp_json_object_begin(j, "self_check");
    vp_json_double(j, "lateness_p50_us", vp_hist_percentile(&r->lateness, 50) / 1e3);
    vp_json_double(j, "lateness_p99_us", vp_hist_percentile(&r->lateness, 99) / 1e3);
    vp_json_double(j, "lateness_max_us", (double)(r->lateness.count ? r->lateness.max : 0) / 1e3);
    vp_json_double(j, "cpu_fraction", r->wall_ns ? (double)r->cpu_ns / (double)r->wall_ns : 0);
    vp_json_bool(j, "generator_late", r->generator_late);
    vp_json_int(j, "rcvbuf_drops", (int64_t)r->rcvbuf_drops);
    vp_json_int(j, "send_errors", (int64_t)r->send_errors);
    vp_json_object_end(j);
}

void vp_rtp_report_text(FILE *out, const struct vp_rtp_client_cfg *cfg,
                        const struct vp_rtp_client_result *r)
{
    struct vp_boxplot b;
    vp_hist_boxplot(&r->delay, &b);
    double jmean, jmax;
    jitter_summary(cfg, r, &jmean, &jmax);
    fprintf(out, "rtp-client: %d streams, %.0f ms ptime, %u-byte UDP payload, %.1f s: %s\n",
            cfg->streams, (double)cfg->ptime_ns / 1e6, 12 + cfg->payload, (double)r->send_ns / 1e9,
            vp_rtp_run_status(r));
    fprintf(out,
            "  packets   sent %lu  received %lu  lost %lu (%.3f%%)  duplicated %lu  "
            "reordered %lu\n",
            (unsigned long)r->sent, (unsigned long)r->received,
            (unsigned long)(r->sent - r->received), pct(r->sent - r->received, r->sent),
            (unsigned long)r->duplicates, (unsigned long)r->reordered);
    fprintf(out,
            "  delay ms  min %.3f  q1 %.3f  median %.3f  q3 %.3f  p99 %.3f  max %.3f  "
            "(whiskers %.3f..%.3f, %lu outliers)\n",
            b.min / 1e6, b.q1 / 1e6, b.median / 1e6, b.q3 / 1e6,
            vp_hist_percentile(&r->delay, 99) / 1e6, b.max / 1e6, b.whisker_lo / 1e6,
            b.whisker_hi / 1e6, (unsigned long)(b.outliers_lo + b.outliers_hi));
    fprintf(out, "  jitter ms mean %.3f  max %.3f (RFC 3550)\n", jmean, jmax);
    fprintf(out, "  generator lateness us p50 %.1f  p99 %.1f  max %.1f; cpu %.0f%% of a core%s\n",
            vp_hist_percentile(&r->lateness, 50) / 1e3, vp_hist_percentile(&r->lateness, 99) / 1e3,
            (double)r->lateness.max / 1e3,
            r->wall_ns ? 100.0 * (double)r->cpu_ns / (double)r->wall_ns : 0,
            r->generator_late ? "  GENERATOR LATE: figures are suspect" : "");
    const struct vp_rtp_rejects *x = &r->rejects;
    uint64_t rej = x->not_rtp + x->truncated + x->foreign_token + x->foreign_ssrc;
    if (rej)
        fprintf(out, "  ignored   %lu not RTP, %lu truncated, %lu foreign run, %lu foreign SSRC\n",
                (unsigned long)x->not_rtp, (unsigned long)x->truncated,
                (unsigned long)x->foreign_token, (unsigned long)x->foreign_ssrc);
}

static void interval_doc(struct vp_doc *d, FILE *f, const void *in)
{
    vp_rtp_report_doc(d, f, true, in);
}

int vp_rtp_report_interval_csv(const char *path, const struct vp_rtp_report_in *in,
                               struct vp_err *err)
{
    return vp_doc_csv_file(path, "rtp-client: --interval-csv", VP_DOC_INTERVALS, interval_doc, in,
                           err);
}
