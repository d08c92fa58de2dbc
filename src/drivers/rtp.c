/* rtp: timed RTP voice streams through a media-server (virtperf
 * rtp-client); its run is an rtp_runs row with its streams and delay
 * buckets. Drawn as a delay boxplot with the loss under it. */
#include "drivers/rtp.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "store/db.h"
#include "core/units.h"
#include "drivers/driver.h"
#include "drivers/media_server.h"
#include "rtp/report.h"

const struct vp_opt vp_rtp_client_opt_table[] = {
    {"server", VP_OPT_STRING, offsetof(struct vp_rtp_client_opts, server), NULL, 0, 0, NULL,
     "media server HOST:PORT (numeric; required)", false},
    {"streams", VP_OPT_INT, offsetof(struct vp_rtp_client_opts, streams), "1", 1, 100000, NULL,
     "concurrent RTP streams", false},
    {"duration", VP_OPT_DURATION, offsetof(struct vp_rtp_client_opts, duration), "10s", 1e6,
     86400e9, NULL, "sending time", false},
    {"ptime", VP_OPT_DURATION, offsetof(struct vp_rtp_client_opts, ptime), "20ms", 1e6, 1e9, NULL,
     "packet interval of each stream", false},
    {"tick", VP_OPT_DURATION, offsetof(struct vp_rtp_client_opts, tick), "100us", 0, 1e9, NULL,
     "stream start phases are multiples of this; one wakeup sends a tick's packets (0: none)",
     false},
    {"payload", VP_OPT_SIZE, offsetof(struct vp_rtp_client_opts, payload), "160", 24, 1400, NULL,
     "RTP payload bytes (G.711 frame; the first 24 carry the probe)", false},
    {"interval", VP_OPT_DURATION, offsetof(struct vp_rtp_client_opts, interval), "1s", 1e7, 3600e9,
     NULL, "reporting interval", false},
    {"drain", VP_OPT_DURATION, offsetof(struct vp_rtp_client_opts, drain), "500ms", 0, 60e9, NULL,
     "time to keep listening after the last packet is sent", false},
    {"sockets", VP_OPT_INT, offsetof(struct vp_rtp_client_opts, sockets), "0", 0, 1024, NULL,
     "UDP sockets (source ports) the streams are spread over; 0: min(streams, 4)", false},
    {"gso", VP_OPT_ENUM, offsetof(struct vp_rtp_client_opts, gso), "on", 0, 0, vp_gso_names,
     "send a tick's packets of a socket as one UDP GSO message and receive with UDP GRO (off: "
     "one skb each, for a capture on lo or veth)",
     false},
    {"interval-csv", VP_OPT_OUTPUT, offsetof(struct vp_rtp_client_opts, interval_csv), NULL, 0, 0,
     NULL, "also write the intervals to this file, as --csv prints them", false},
    {"token", VP_OPT_INT, offsetof(struct vp_rtp_client_opts, token), "0", 0, 4294967295.0, NULL,
     "test hook: the run token carried in the probes (0: random)", true},
    VP_OPT_END,
};

static void fill_run(struct vp_stmt *q, void *ctx)
{
    struct vp_load_figures *f = ctx;
    struct vp_load_rtp *r = f->own;
    vp_load_col_text(f->status, sizeof f->status, q, 0);
    r->streams = vp_db_column_int(q, 1);
    r->sent = vp_db_column_int64(q, 2);
    r->received = vp_db_column_int64(q, 3);
    r->lost = vp_db_column_int64(q, 4);
    r->duplicates = vp_db_column_int64(q, 5);
    r->reordered = vp_db_column_int64(q, 6);
    f->generator_limited = vp_db_column_int(q, 7) != 0;
    r->jitter_mean_ms = vp_load_col_double(q, 8);
    r->loss_pct = r->sent > 0 ? 100.0 * (double)r->lost / (double)r->sent : NAN;
}

static void boxplot_ms(const struct vp_hist *h, struct vp_boxplot *b)
{
    vp_hist_boxplot(h, b);
    double *v[] = {&b->min, &b->q1, &b->median, &b->q3, &b->max, &b->whisker_lo, &b->whisker_hi};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        *v[i] /= 1e6;
    for (int i = 0; i < b->nout; i++)
        b->out_value[i] /= 1e6;
}

/* The counts as stored, the delay over the whole run from its buckets. */
static int summarise(struct vp_store *st, int64_t id, struct vp_load_figures *f, struct vp_err *err)
{
    struct vp_load_rtp *r = f->own;
    int rc = vp_load_run_row(
        st,
        "SELECT status, streams, sent, received, lost, duplicates, reordered,"
        " generator_late, (SELECT avg(jitter_ms) FROM rtp_streams WHERE run_id = ?1)"
        " FROM rtp_runs WHERE id = ?1",
        id, fill_run, f, "rtp run", err);
    if (rc != 0)
        return rc;
    struct vp_hist *h = malloc(sizeof *h);
    if (h == NULL)
        return vp_run_error(err, ENOMEM, "histogram");
    rc = vp_load_hist(st,
                      "SELECT lo_ns, hi_ns, count FROM rtp_delay_hist"
                      " WHERE run_id = ? AND series = 'delay' AND interval = -1 ORDER BY lo_ns",
                      id, h, err);
    r->delay_samples = h->count;
    boxplot_ms(h, &r->delay_ms);
    r->delay_p95_ms = vp_load_pct_ms(h, 95);
    r->delay_p99_ms = vp_load_pct_ms(h, 99);
    free(h);
    return rc == 0 ? vp_rtp_batches(st, id, r, err) : rc;
}

static void print(FILE *out, const struct vp_load_figures *f)
{
    const struct vp_load_rtp *r = f->own;
    const struct vp_boxplot *d = &r->delay_ms;
    char a[32];
    fprintf(out, "%d streams, loss %s%% (%lld/%lld)", r->streams,
            vp_format_figure(a, sizeof a, "%.3g", r->loss_pct), (long long)r->lost,
            (long long)r->sent);
    if (r->delay_samples)
        fprintf(out, ", delay ms min/q1/median/q3/max %.3g/%.3g/%.3g/%.3g/%.3g, p99 %.3g", d->min,
                d->q1, d->median, d->q3, d->max, r->delay_p99_ms);
    else
        fprintf(out, ", no delay samples");
    if (r->batches >= 2) {
        char l[32], m[32], p[32];
        fprintf(out, "; 95%% CI (%d batches): loss ± %s%%, median ± %s ms, p99 ± %s ms", r->batches,
                vp_format_ci(l, sizeof l, "%.2g", &r->loss_batches),
                vp_format_ci(m, sizeof m, "%.3g", &r->median_batches),
                vp_format_ci(p, sizeof p, "%.3g", &r->p99_batches));
    }
}

static void json(struct vp_json *j, const struct vp_load_figures *f)
{
    const struct vp_load_rtp *r = f->own;
    vp_json_int(j, "streams", r->streams);
    vp_json_int(j, "sent", r->sent);
    vp_json_int(j, "received", r->received);
    vp_json_int(j, "lost", r->lost);
    vp_json_double(j, "loss_pct", r->loss_pct);
    vp_json_int(j, "duplicates", r->duplicates);
    vp_json_int(j, "reordered", r->reordered);
    vp_json_double(j, "jitter_mean_ms", r->jitter_mean_ms);
    vp_json_int(j, "delay_samples", (int64_t)r->delay_samples);
    if (r->delay_samples > 0) {
        vp_json_object_begin(j, "delay_ms");
        vp_boxplot_json_fields(j, &r->delay_ms, 1); /* already in ms */
        vp_json_object_end(j);
    } else {
        vp_json_null(j, "delay_ms");
    }
    vp_json_double(j, "delay_p95_ms", r->delay_p95_ms);
    vp_json_double(j, "delay_p99_ms", r->delay_p99_ms);
    /* batch means: each batch's figure averaged, the CI's half-width (null
     * where vp_ci_shown says it means nothing) */
    vp_json_int(j, "batches", r->batches);
    const struct {
        const char *mean, *ci;
        const struct vp_summary *s;
    } b[] = {
        {"batch_loss_pct", "batch_loss_pct_ci95_half", &r->loss_batches},
        {"batch_delay_median_ms", "batch_delay_median_ms_ci95_half", &r->median_batches},
        {"batch_delay_p99_ms", "batch_delay_p99_ms_ci95_half", &r->p99_batches},
    };
    for (size_t k = 0; k < sizeof b / sizeof b[0]; k++) {
        vp_json_double(j, b[k].mean, r->batches >= 2 ? b[k].s->mean : NAN);
        vp_json_double(j, b[k].ci, r->batches >= 2 && vp_ci_shown(b[k].s) ? b[k].s->ci_half : NAN);
    }
}

/* A box when some delay was measured. */
static enum vp_chart draw(const struct vp_load_figures *f, struct vp_chart_value *v)
{
    const struct vp_load_rtp *r = f->own;
    if (r->delay_samples == 0)
        return VP_CHART_NONE;
    v->delay_ms = r->delay_ms;
    v->loss_pct = r->loss_pct;
    if (r->batches >= 2) {
        v->loss_batches = r->loss_batches;
        v->median_batches = r->median_batches;
    }
    return VP_CHART_DELAY_BOX;
}

/* Options whose values the runner chooses: addresses, output, files. */
static const char *const reserved[] = {"server", "interval-csv", "token", NULL};

const struct vp_driver vp_driver_rtp = {
    .name = "rtp",
    .command = "rtp-client",
    .options = {vp_rtp_client_opt_table, sizeof(struct vp_rtp_client_opts)},
    .serves = &vp_server_media,
    .target_opt = "server",
    .reserved = reserved,
    .stoppable = true,
    .store_kind = "rtp",
    .figures_size = sizeof(struct vp_load_rtp),
    .summarise = summarise,
    .print = print,
    .json = json,
    .generator_note =
        "generator late (send lateness p99 over 1 ms): jitter includes the generator's",
    .draw = draw,
};
