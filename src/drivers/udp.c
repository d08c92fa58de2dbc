/* udp: UDP datagrams of one size to a udp-sink, one or both directions at
 * once (virtperf udp-gen); its run is a udp_runs row with its directions,
 * intervals and delay buckets. Drawn as a one-way delay boxplot with the
 * loss under it, when the clocks were shared. */
#include "drivers/udp.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "core/units.h"
#include "drivers/driver.h"
#include "drivers/udp_sink.h"
#include "net/udp_wire.h"
#include "rtp/report.h"

const char *const vp_udp_direction_names[] = {"up", "down", "both", NULL};

const struct vp_opt vp_udp_gen_opt_table[] = {
    {"target", VP_OPT_STRING, offsetof(struct vp_udp_gen_opts, target), NULL, 0, 0, NULL,
     "the udp-sink's HOST:PORT (numeric; required)", false},
    {"size", VP_OPT_SIZE, offsetof(struct vp_udp_gen_opts, size), "1472", VP_UDP_MIN_SIZE,
     VP_UDP_MAX_SIZE, NULL,
     "UDP payload bytes per datagram: 64..1472 on a 1500-byte MTU, up to 8972 with jumbo frames "
     "(the path's MTU is checked; 65507 at most)",
     false},
    {"rate", VP_OPT_DOUBLE, offsetof(struct vp_udp_gen_opts, rate), "0", 0, 1e8, NULL,
     "datagrams per second in each direction (0: as fast as the kernel takes them; checked "
     "against the link's speed where the kernel knows it)",
     false},
    {"duration", VP_OPT_DURATION, offsetof(struct vp_udp_gen_opts, duration), "10s", 1e6, 86400e9,
     NULL, "sending time", false},
    {"interval", VP_OPT_DURATION, offsetof(struct vp_udp_gen_opts, interval), "1s", 1e7, 3600e9,
     NULL, "reporting interval (at most 10000 in the duration)", false},
    {"direction", VP_OPT_ENUM, offsetof(struct vp_udp_gen_opts, direction), "up", 0, 0,
     vp_udp_direction_names,
     "up (to the sink), down (the sink sends back a flow of the same size and rate) or both at "
     "once",
     false},
    {"batch", VP_OPT_INT, offsetof(struct vp_udp_gen_opts, batch), "32", 1, 256, NULL,
     "datagrams per sendmmsg at most: the largest burst", false},
    {"token", VP_OPT_INT, offsetof(struct vp_udp_gen_opts, token), "0", 0, 4294967295.0, NULL,
     "test hook: the run token carried in the datagrams (0: random)", true},
    VP_OPT_END,
};

static void fill_run(struct vp_stmt *q, void *ctx)
{
    struct vp_load_figures *f = ctx;
    struct vp_load_udp *r = f->own;
    vp_load_col_text(f->status, sizeof f->status, q, 0);
    vp_load_col_text(r->direction, sizeof r->direction, q, 1);
    r->size = vp_db_column_int(q, 2);
    r->rate = vp_db_column_double(q, 3);
    r->sent = vp_db_column_int64(q, 4);
    r->received = vp_db_column_int64(q, 5);
    r->lost = vp_db_column_int64(q, 6);
    r->duplicates = vp_db_column_int64(q, 7);
    r->reordered = vp_db_column_int64(q, 8);
    r->jitter_ms = vp_load_col_double(q, 9);
    f->generator_limited = vp_db_column_int(q, 10) != 0;
    r->cpu_pct = 100 * vp_load_col_double(q, 11);
    r->lateness_p99_us = vp_load_col_double(q, 12);
    r->clocks_shared = vp_db_column_int(q, 13) != 0;
    r->loss_pct = r->sent > 0 ? 100.0 * (double)r->lost / (double)r->sent : NAN;
}

static void fill_dir(struct vp_stmt *q, void *ctx)
{
    struct vp_load_udp_dir *d = ctx;
    d->on = true;
    d->sent = vp_db_column_int64(q, 0);
    d->received = vp_db_column_int64(q, 1);
    d->lost = vp_db_column_int64(q, 2);
    d->sender_limited = vp_db_column_int(q, 3) != 0;
    d->loss_pct = d->sent > 0 ? 100.0 * (double)d->lost / (double)d->sent : NAN;
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

/* The counts as stored, each direction's, the delay of both from its buckets. */
static int summarise(struct vp_store *st, int64_t id, struct vp_load_figures *f, struct vp_err *err)
{
    struct vp_load_udp *r = f->own;
    int rc = vp_load_run_row(st,
                             "SELECT status, direction, size, rate, sent, received, lost,"
                             " duplicates, reordered, jitter_ms, generator_limited, cpu_fraction,"
                             " lateness_p99_us, clocks_shared FROM udp_runs WHERE id = ?1",
                             id, fill_run, f, "udp run", err);
    static const char *const dir_sql[2] = {
        "SELECT sent, received, lost, sender_limited FROM udp_directions"
        " WHERE run_id = ?1 AND direction = 'up'",
        "SELECT sent, received, lost, sender_limited FROM udp_directions"
        " WHERE run_id = ?1 AND direction = 'down'",
    };
    for (int i = 0; i < 2 && rc == 0; i++)
        if ((rc = vp_load_run_row(st, dir_sql[i], id, fill_dir, &r->dir[i], "udp direction",
                                  err)) == 1)
            rc = 0; /* a direction the run did not go */
    if (rc != 0)
        return rc;
    struct vp_hist *h = malloc(sizeof *h);
    if (h == NULL)
        return vp_run_error(err, ENOMEM, "histogram");
    rc = vp_load_hist(st, "SELECT lo_ns, hi_ns, count FROM udp_delay_hist WHERE run_id = ?", id, h,
                      err);
    r->delay_samples = h->count;
    boxplot_ms(h, &r->delay_ms);
    r->delay_p50_ms = vp_load_pct_ms(h, 50);
    r->delay_p99_ms = vp_load_pct_ms(h, 99);
    free(h);
    return rc;
}

static void print(FILE *out, const struct vp_load_figures *f)
{
    const struct vp_load_udp *r = f->own;
    const struct vp_boxplot *d = &r->delay_ms;
    char a[32], b[32];
    fprintf(out, "%s, %d B at ", r->direction, r->size);
    if (r->rate > 0)
        fprintf(out, "%.6g/s", r->rate);
    else
        fprintf(out, "full speed");
    fprintf(out, ": loss %s%% (%lld/%lld)", vp_format_figure(a, sizeof a, "%.3g", r->loss_pct),
            (long long)r->lost, (long long)r->sent);
    if (r->dir[0].on && r->dir[1].on)
        fprintf(out, " (up %s%%, down %s%%)",
                vp_format_figure(a, sizeof a, "%.3g", r->dir[0].loss_pct),
                vp_format_figure(b, sizeof b, "%.3g", r->dir[1].loss_pct));
    fprintf(out, ", jitter %s ms", vp_format_figure(a, sizeof a, "%.3g", r->jitter_ms));
    if (r->delay_samples)
        fprintf(out, ", one-way delay ms min/q1/median/q3/max %.3g/%.3g/%.3g/%.3g/%.3g, p99 %.3g",
                d->min, d->q1, d->median, d->q3, d->max, r->delay_p99_ms);
    else
        fprintf(out, ", no delay (clocks %s)", r->clocks_shared ? "shared" : "not shared");
}

static void dir_json(struct vp_json *j, const char *key, const struct vp_load_udp_dir *d)
{
    if (!d->on) {
        vp_json_null(j, key);
        return;
    }
    vp_json_object_begin(j, key);
    vp_json_int(j, "sent", d->sent);
    vp_json_int(j, "received", d->received);
    vp_json_int(j, "lost", d->lost);
    vp_json_double(j, "loss_pct", d->loss_pct);
    vp_json_bool(j, "sender_limited", d->sender_limited);
    vp_json_object_end(j);
}

static void json(struct vp_json *j, const struct vp_load_figures *f)
{
    const struct vp_load_udp *r = f->own;
    vp_json_string(j, "direction", r->direction);
    vp_json_int(j, "size", r->size);
    vp_json_double(j, "rate", r->rate);
    vp_json_int(j, "sent", r->sent);
    vp_json_int(j, "received", r->received);
    vp_json_int(j, "lost", r->lost);
    vp_json_double(j, "loss_pct", r->loss_pct);
    vp_json_int(j, "duplicates", r->duplicates);
    vp_json_int(j, "reordered", r->reordered);
    vp_json_double(j, "jitter_ms", r->jitter_ms);
    vp_json_bool(j, "clocks_shared", r->clocks_shared);
    vp_json_int(j, "delay_samples", (int64_t)r->delay_samples);
    if (r->delay_samples > 0) {
        vp_json_object_begin(j, "delay_ms");
        vp_boxplot_json_fields(j, &r->delay_ms, 1); /* already in ms */
        vp_json_object_end(j);
    } else {
        vp_json_null(j, "delay_ms");
    }
    vp_json_double(j, "delay_p50_ms", r->delay_p50_ms);
    vp_json_double(j, "delay_p99_ms", r->delay_p99_ms);
    vp_json_double(j, "generator_cpu_pct", r->cpu_pct);
    vp_json_double(j, "lateness_p99_us", r->lateness_p99_us);
    dir_json(j, "up", &r->dir[0]);
    dir_json(j, "down", &r->dir[1]);
}

/* A box when some one-way delay was measured (shared clocks). */
static enum vp_chart draw(const struct vp_load_figures *f, struct vp_chart_value *v)
{
    const struct vp_load_udp *r = f->own;
    if (r->delay_samples == 0)
        return VP_CHART_NONE;
    v->delay_ms = r->delay_ms;
    v->loss_pct = r->loss_pct;
    return VP_CHART_DELAY_BOX;
}

/* Options whose values the runner chooses: the address, the token. */
static const char *const reserved[] = {"target", "token", NULL};

const struct vp_driver vp_driver_udp = {
    .name = "udp",
    .command = "udp-gen",
    .options = {vp_udp_gen_opt_table, sizeof(struct vp_udp_gen_opts)},
    .serves = &vp_server_udp_sink,
    .target_opt = "target",
    .reserved = reserved,
    .stoppable = true,
    .store_kind = "udp",
    .figures_size = sizeof(struct vp_load_udp),
    .summarise = summarise,
    .print = print,
    .json = json,
    .generator_note = "a sender (udp-gen up, udp-sink down) fell behind its plan or saturated "
                      "its core, or udp-gen's receiving did: the rate and loss are the "
                      "endpoints', not the path's",
    .draw = draw,
};
