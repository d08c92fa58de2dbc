#include "net/udp_gen_report.h"

#include <math.h>

#include "core/host.h"

const char *const vp_udp_dir_names[2] = {"up", "down"};

void vp_udp_totals(const struct vp_udp_gen_result *r, struct vp_udp_totals *t)
{
    *t = (struct vp_udp_totals){0};
    vp_hist_init(&t->delay);
    for (int i = 0; i < 2; i++) {
        const struct vp_udp_dir *d = &r->dir[i];
        if (!d->on)
            continue;
        t->sent += d->sent;
        t->received += d->received;
        t->lost += d->lost;
        t->duplicates += d->duplicates;
        t->reordered += d->reordered;
        t->jitter_ns = fmax(t->jitter_ns, d->jitter_ns);
        vp_hist_merge(&t->delay, &d->delay);
    }
}

const char *vp_udp_run_status(const struct vp_udp_gen_result *r)
{
    return r->interrupted ? "interrupted" : "complete";
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* "one_way_delay_ms": {count, min, p50, p99, max}, or null without samples. */
static void delay_json(struct vp_json *j, const struct vp_hist *h)
{
    if (h->count == 0) {
        vp_json_null(j, "one_way_delay_ms");
        return;
    }
    vp_json_object_begin(j, "one_way_delay_ms");
    vp_json_int(j, "count", (int64_t)h->count);
    vp_json_double(j, "min", (double)h->min / 1e6);
    vp_json_double(j, "p50", vp_hist_percentile(h, 50) / 1e6);
    vp_json_double(j, "p99", vp_hist_percentile(h, 99) / 1e6);
    vp_json_double(j, "max", (double)h->max / 1e6);
    vp_json_object_end(j);
}

static void ival_json(struct vp_json *j, const char *key, const struct vp_udp_ival *iv)
{
    vp_json_object_begin(j, key);
    vp_json_int(j, "sent", (int64_t)iv->sent);
    vp_json_int(j, "received", (int64_t)iv->received);
    vp_json_int(j, "lost", (int64_t)(iv->sent > iv->received ? iv->sent - iv->received : 0));
    vp_json_int(j, "duplicates", (int64_t)iv->duplicates);
    vp_json_int(j, "reordered", (int64_t)iv->reordered);
    vp_json_int(j, "too_late", (int64_t)iv->too_late);
    vp_json_double(j, "jitter_ms", (double)iv->jitter_ns / 1e6);
    if (iv->delay_count) {
        vp_json_double(j, "delay_mean_ms",
                       (double)iv->delay_sum_ns / (double)iv->delay_count / 1e6);
        vp_json_double(j, "delay_max_ms", (double)iv->delay_max_ns / 1e6);
    } else {
        vp_json_null(j, "delay_mean_ms");
        vp_json_null(j, "delay_max_ms");
    }
    vp_json_object_end(j);
}

static void dir_json(struct vp_json *j, const struct vp_udp_gen_result *r, int i, uint32_t size)
{
    const struct vp_udp_dir *d = &r->dir[i];
    if (!d->on) {
        vp_json_null(j, vp_udp_dir_names[i]);
        return;
    }
    double secs = (double)d->elapsed_ns / 1e9;
    vp_json_object_begin(j, vp_udp_dir_names[i]);
    vp_json_string(j, "sender", i == 0 ? "udp-gen" : "udp-sink");
    vp_json_int(j, "sent", (int64_t)d->sent);
    vp_json_int(j, "planned", (int64_t)d->planned);
    vp_json_double(j, "seconds", secs);
    vp_json_double(j, "pps", secs > 0 ? (double)d->sent / secs : 0);
    vp_json_double(j, "mbps", secs > 0 ? (double)d->sent * size * 8 / secs / 1e6 : 0);
    vp_json_int(j, "received", (int64_t)d->received);
    vp_json_int(j, "lost", (int64_t)d->lost);
    vp_json_double(j, "loss_pct", pct(d->lost, d->sent));
    vp_json_int(j, "duplicates", (int64_t)d->duplicates);
    vp_json_int(j, "reordered", (int64_t)d->reordered);
    vp_json_int(j, "too_late", (int64_t)d->too_late);
    vp_json_double(j, "jitter_ms", d->jitter_ns / 1e6);
    delay_json(j, &d->delay);
    vp_json_double(j, "late_p99_us", d->late_p99_ns / 1e3);
    vp_json_double(j, "sender_cpu_pct", pct(d->cpu_ns, d->elapsed_ns));
    vp_json_int(j, "send_refused", (int64_t)d->refused);
    vp_json_bool(j, "sender_limited", d->sender_limited);
    vp_json_object_end(j);
}

void vp_udp_report_doc(struct vp_doc *d, FILE *out, bool csv, const struct vp_udp_run_info *in,
                       const struct vp_udp_gen_result *r, int64_t run_id)
{
    const struct vp_udp_gen_cfg *c = in->cfg;
    struct vp_udp_totals t;
    vp_udp_totals(r, &t);
    struct vp_json *j = vp_doc_start(d, out, csv);
    if (run_id > 0)
        vp_json_int(j, "run_id", run_id);
    vp_json_string(j, "target", in->target);
    vp_json_string(j, "direction", in->direction);
    vp_json_int(j, "size", c->size);
    vp_json_double(j, "rate", c->rate);
    vp_json_double(j, "duration_s", (double)c->duration_ns / 1e9);
    vp_json_double(j, "interval_s", (double)c->interval_ns / 1e9);
    vp_json_int(j, "batch", c->batch);
    vp_json_int(j, "path_mtu", r->mtu);
    vp_json_int(j, "link_mbps", r->link_mbps);
    vp_host_json_now(j, "host");
    j = vp_doc_rows(d);
    for (uint32_t k = 0; k < r->nintervals; k++) {
        vp_json_object_begin(j, NULL);
        vp_json_int(j, "interval", k);
        vp_json_double(j, "t_s", (double)k * (double)c->interval_ns / 1e9);
        for (int i = 0; i < 2; i++)
            if (r->dir[i].on)
                ival_json(j, vp_udp_dir_names[i], &r->dir[i].iv[k]);
        vp_json_object_end(j);
    }
    j = vp_doc_end(d);
    vp_json_string(j, "status", vp_udp_run_status(r));
    /* the run over its directions; up's figures where only udp-gen sent */
    const struct vp_udp_dir *up = &r->dir[0];
    double secs = (double)(up->on ? up->elapsed_ns : r->dir[1].elapsed_ns) / 1e9;
    vp_json_int(j, "sent", (int64_t)t.sent);
    vp_json_int(j, "planned", (int64_t)(up->planned + r->dir[1].planned));
    vp_json_double(j, "seconds", secs);
    vp_json_double(j, "pps", secs > 0 ? (double)t.sent / secs : 0);
    vp_json_double(j, "mbps", secs > 0 ? (double)t.sent * c->size * 8 / secs / 1e6 : 0);
    vp_json_int(j, "received", (int64_t)t.received);
    vp_json_int(j, "lost", (int64_t)t.lost);
    vp_json_double(j, "loss_pct", pct(t.lost, t.sent));
    vp_json_int(j, "duplicates", (int64_t)t.duplicates);
    vp_json_int(j, "reordered", (int64_t)t.reordered);
    vp_json_double(j, "jitter_ms", t.jitter_ns / 1e6);
    vp_json_bool(j, "clocks_shared", r->clocks_shared);
    vp_json_double(j, "clock_bound_us", (double)r->clock_bound_ns / 1e3);
    delay_json(j, &t.delay);
    vp_json_double(j, "generator_cpu_pct", pct(r->cpu_ns, r->wall_ns));
    if (up->on)
        vp_json_double(j, "late_p99_us", up->late_p99_ns / 1e3);
    else
        vp_json_null(j, "late_p99_us");
    vp_json_bool(j, "receiver_limited", r->receiver_limited);
    vp_json_bool(j, "generator_limited", r->generator_limited);
    for (int i = 0; i < 2; i++)
        dir_json(j, r, i, c->size);
}

static void dir_text(FILE *out, const struct vp_udp_gen_result *r, int i)
{
    const struct vp_udp_dir *d = &r->dir[i];
    double secs = (double)d->elapsed_ns / 1e9;
    fprintf(out,
            "  %-4s %s: sent %llu (%.0f/s, planned %llu), received %llu, lost %llu (%.4f%%), "
            "reordered %llu, duplicates %llu, jitter %.3f ms",
            vp_udp_dir_names[i], i == 0 ? "udp-gen → sink" : "sink → udp-gen",
            (unsigned long long)d->sent, secs > 0 ? (double)d->sent / secs : 0,
            (unsigned long long)d->planned, (unsigned long long)d->received,
            (unsigned long long)d->lost, pct(d->lost, d->sent), (unsigned long long)d->reordered,
            (unsigned long long)d->duplicates, d->jitter_ns / 1e6);
    if (d->delay.count)
        fprintf(out, ", one-way delay p50 %.3f p99 %.3f ms",
                vp_hist_percentile(&d->delay, 50) / 1e6, vp_hist_percentile(&d->delay, 99) / 1e6);
    fprintf(out, "; sender late p99 %.1f us, cpu %.1f%%%s\n", d->late_p99_ns / 1e3,
            pct(d->cpu_ns, d->elapsed_ns), d->sender_limited ? ", the limit" : "");
}

void vp_udp_report_text(FILE *out, const struct vp_udp_run_info *in,
                        const struct vp_udp_gen_result *r)
{
    struct vp_udp_totals t;
    vp_udp_totals(r, &t);
    fprintf(out,
            "udp-gen: %s, %u-byte datagrams to %s, %u intervals of %.3g s: sent %llu, "
            "lost %llu (%.4f%%)%s\n",
            in->direction, in->cfg->size, in->target, r->nintervals,
            (double)in->cfg->interval_ns / 1e9, (unsigned long long)t.sent,
            (unsigned long long)t.lost, pct(t.lost, t.sent),
            r->interrupted ? " (interrupted)" : "");
    for (int i = 0; i < 2; i++)
        if (r->dir[i].on)
            dir_text(out, r, i);
    fprintf(out, "  generator: cpu %.1f%%; clocks %s (within %.0f us)%s\n",
            pct(r->cpu_ns, r->wall_ns), r->clocks_shared ? "shared" : "not shared: no delay",
            (double)r->clock_bound_ns / 1e3,
            r->generator_limited ? "; generator-limited: the figure is the senders', not the path's"
                                 : "");
}
