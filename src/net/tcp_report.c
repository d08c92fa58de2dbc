#include "net/tcp_report.h"

#include <math.h>

#include "core/host.h"
#include "core/units.h"

const char *vp_tcp_status(const struct vp_tcp_result *r)
{
    return r->interrupted ? "interrupted" : "complete";
}

static const char *dir_name(int dir)
{
    return vp_tcp_dir_names[dir - 1];
}

/* The directions of the run in order: up, then down. */
static int dirs(const struct vp_tcp_result *r, int *d)
{
    int n = 0;
    if (r->cfg.dir & VP_TCP_UP)
        d[n++] = VP_TCP_UP;
    if (r->cfg.dir & VP_TCP_DOWN)
        d[n++] = VP_TCP_DOWN;
    return n;
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : NAN;
}

void vp_tcp_report_head(FILE *out, const struct vp_tcp_gen_cfg *cfg, const char *target)
{
    char len[32], dur[32];
    vp_format_size(cfg->length, len, sizeof len);
    vp_format_duration(cfg->duration_ns, dur, sizeof dur);
    fprintf(out, "tcp-gen: %d stream%s %s, %s, to %s, writes of %s\n", cfg->streams,
            cfg->streams == 1 ? "" : "s", dir_name(cfg->dir), dur, target, len);
    fprintf(out, "%-17s %-4s %10s %12s %8s %8s %6s\n", "interval s", "dir", "Mbit/s", "bytes",
            "retrans", "rtt ms", "cwnd");
    fflush(out);
}

static void span_line(FILE *out, double t0, int dir, const struct vp_tcp_span *s)
{
    char b[32], when[32], mbps[32], rtt[32];
    vp_format_size(s->received, b, sizeof b);
    snprintf(when, sizeof when, "%.2f-%.2f", t0, t0 + s->seconds);
    fprintf(out, "%-17s %-4s %10s %12s %8llu %8s %6.0f\n", when, dir_name(dir),
            vp_format_figure(mbps, sizeof mbps, "%.1f", s->bits_per_second / 1e6), b,
            (unsigned long long)s->retrans, vp_format_figure(rtt, sizeof rtt, "%.3f", s->rtt_ms),
            s->cwnd);
}

void vp_tcp_report_interval(FILE *out, const struct vp_tcp_result *r, int k)
{
    int d[2], nd = dirs(r, d);
    for (int i = 0; i < nd; i++) {
        struct vp_tcp_span s;
        vp_tcp_span_of(r, k, -1, d[i], &s);
        span_line(out, vp_tcp_interval_start(r, k), d[i], &s);
    }
    fflush(out);
}

void vp_tcp_report_end(FILE *out, const struct vp_tcp_result *r)
{
    int d[2], nd = dirs(r, d);
    fprintf(out, "end (goodput from each receiver's count, TCP_INFO from each sender)%s:\n",
            r->interrupted ? ", interrupted" : "");
    for (int i = 0; i < nd; i++) {
        for (int s = -1; s < r->cfg.streams && (s < 0 || r->cfg.streams > 1); s++) {
            struct vp_tcp_span p;
            char b[32], bps[32];
            vp_tcp_span_of(r, 0, s, d[i], &p);
            vp_format_size(p.received, b, sizeof b);
            if (s < 0)
                fprintf(out, "  %-4s %s in %.3f s: %s Mbit/s", dir_name(d[i]), b, p.seconds,
                        vp_format_figure(bps, sizeof bps, "%.1f", p.bits_per_second / 1e6));
            else
                fprintf(out, "    stream %d: %s, %s Mbit/s", s + 1, b,
                        vp_format_figure(bps, sizeof bps, "%.1f", p.bits_per_second / 1e6));
            fprintf(out, ", retrans %llu, rtt %.3f ms, cwnd %.0f x %.0f B\n",
                    (unsigned long long)p.retrans, p.rtt_ms, p.cwnd, p.snd_mss);
        }
    }
    char c[5][32];
    fprintf(
        out,
        "  cpu, %% of a core: generator %s (sender %s, receiver %s); sink receiver %s, "
        "sender %s\n",
        vp_format_figure(c[0], sizeof c[0], "%.0f", pct(r->cpu_ns, r->wall_ns)),
        vp_format_figure(c[1], sizeof c[1], "%.0f", pct(r->tx.cpu_ns, r->tx.busy_ns)),
        vp_format_figure(c[2], sizeof c[2], "%.0f", pct(r->rx.cpu_ns, r->rx.busy_ns)),
        vp_format_figure(c[3], sizeof c[3], "%.0f", pct(r->sink_rx_cpu_ns, r->sink_rx_busy_ns)),
        vp_format_figure(c[4], sizeof c[4], "%.0f", pct(r->sink_tx_cpu_ns, r->sink_tx_busy_ns)));
    if (vp_tcp_generator_limited(r))
        fprintf(out, "  generator-limited: a generator thread used 90%% of a core or more (or "
                     "the process 90%% of its CPUs); the goodput may be the generator's limit, "
                     "not the path's\n");
}

static void span_json(struct vp_json *j, const struct vp_tcp_span *s)
{
    vp_json_int(j, "bytes", (int64_t)s->received);
    vp_json_int(j, "sent_bytes", (int64_t)s->sent);
    vp_json_double(j, "seconds", s->seconds);
    vp_json_double(j, "bits_per_second", s->bits_per_second);
    vp_json_int(j, "retransmits", (int64_t)s->retrans);
    vp_json_double(j, "rtt_ms", s->rtt_ms);
    vp_json_double(j, "rttvar_ms", s->rttvar_ms);
    vp_json_double(j, "cwnd", s->cwnd);
    vp_json_double(j, "snd_mss", s->snd_mss);
}

/* Interval k (0: the whole run) of every direction: totals and streams. */
static void dirs_json(struct vp_json *j, const struct vp_tcp_result *r, int k)
{
    int d[2], nd = dirs(r, d);
    for (int i = 0; i < nd; i++) {
        struct vp_tcp_span s;
        vp_json_object_begin(j, dir_name(d[i]));
        vp_tcp_span_of(r, k, -1, d[i], &s);
        span_json(j, &s);
        vp_json_array_begin(j, "streams");
        for (int st = 0; st < r->cfg.streams; st++) {
            vp_json_object_begin(j, NULL);
            vp_json_int(j, "stream", st + 1);
            vp_tcp_span_of(r, k, st, d[i], &s);
            span_json(j, &s);
            vp_json_object_end(j);
        }
        vp_json_array_end(j);
        vp_json_object_end(j);
    }
}

void vp_tcp_report_doc(struct vp_doc *d, FILE *out, bool csv, const struct vp_tcp_result *r,
                       const char *target, int64_t run_id)
{
    const struct vp_tcp_gen_cfg *c = &r->cfg;
    struct vp_json *j = vp_doc_start(d, out, csv);
    if (run_id > 0)
        vp_json_int(j, "run_id", run_id);
    vp_json_string(j, "target", target);
    vp_json_int(j, "streams", c->streams);
    vp_json_string(j, "direction", dir_name(c->dir));
    vp_json_double(j, "duration_s", (double)c->duration_ns / 1e9);
    vp_json_double(j, "interval_s", (double)c->interval_ns / 1e9);
    vp_json_int(j, "length", c->length);
    vp_json_int(j, "window", c->window);
    vp_host_json_now(j, "host");
    j = vp_doc_rows(d);
    for (int k = 1; k <= vp_tcp_intervals(r); k++) {
        vp_json_object_begin(j, NULL);
        vp_json_double(j, "start_s", vp_tcp_interval_start(r, k));
        dirs_json(j, r, k);
        vp_json_object_end(j);
    }
    j = vp_doc_end(d);
    vp_json_string(j, "status", vp_tcp_status(r));
    dirs_json(j, r, 0);
    vp_json_double(j, "generator_cpu_pct", pct(r->cpu_ns, r->wall_ns));
    vp_json_double(j, "sender_cpu_pct", pct(r->tx.cpu_ns, r->tx.busy_ns));
    vp_json_double(j, "receiver_cpu_pct", pct(r->rx.cpu_ns, r->rx.busy_ns));
    vp_json_double(j, "sink_receiver_cpu_pct", pct(r->sink_rx_cpu_ns, r->sink_rx_busy_ns));
    vp_json_double(j, "sink_sender_cpu_pct", pct(r->sink_tx_cpu_ns, r->sink_tx_busy_ns));
    vp_json_bool(j, "generator_limited", vp_tcp_generator_limited(r));
}
