/* tcp: N TCP streams to a tcp-sink, up, down or both (virtperf tcp-gen);
 * its run is a tcp_runs row with its streams and intervals. Not drawn: no
 * chart of the experiment figure shows a goodput yet. */
#include "drivers/tcp.h"

#include <math.h>
#include <string.h>

#include "store/db.h"
#include "core/units.h"
#include "drivers/driver.h"
#include "drivers/tcp_sink.h"
#include "net/tcp_wire.h"

const struct vp_opt vp_tcp_gen_opt_table[] = {
    {"target", VP_OPT_STRING, offsetof(struct vp_tcp_gen_opts, target), NULL, 0, 0, NULL,
     "the tcp-sink's HOST:PORT (numeric; required)", false},
    {"streams", VP_OPT_INT, offsetof(struct vp_tcp_gen_opts, streams), "1", 1, VP_TCP_STREAMS_MAX,
     NULL, "TCP connections, each carrying the direction(s)", false},
    {"direction", VP_OPT_ENUM, offsetof(struct vp_tcp_gen_opts, direction), "up", 0, 0,
     vp_tcp_dir_names, "up: to the sink; down: from it; both: both at once", false},
    {"duration", VP_OPT_DURATION, offsetof(struct vp_tcp_gen_opts, duration), "10s", 1e7, 86400e9,
     NULL, "sending time", false},
    {"interval", VP_OPT_DURATION, offsetof(struct vp_tcp_gen_opts, interval), "1s", 1e7, 3600e9,
     NULL, "reporting interval", false},
    {"length", VP_OPT_SIZE, offsetof(struct vp_tcp_gen_opts, length), "128K", 1, 16777216, NULL,
     "bytes per write and read, on both ends (iperf3's -l)", false},
    {"window", VP_OPT_SIZE, offsetof(struct vp_tcp_gen_opts, window), "0", 0, 1073741824, NULL,
     "SO_SNDBUF and SO_RCVBUF of every stream, both ends (0: the kernel's autotuning)", false},
    {"connect-timeout", VP_OPT_DURATION, offsetof(struct vp_tcp_gen_opts, connect_timeout), "5s",
     1e6, 300e9, NULL, "how long a connection may take", false},
    {"token", VP_OPT_INT, offsetof(struct vp_tcp_gen_opts, token), "0", 0, 9007199254740992.0, NULL,
     "test hook: the run's token (0: random)", true},
    VP_OPT_END,
};

static void fill_run(struct vp_stmt *q, void *ctx)
{
    struct vp_load_figures *f = ctx;
    struct vp_load_tcp *r = f->own;
    vp_load_col_text(f->status, sizeof f->status, q, 0);
    r->streams = vp_db_column_int(q, 1);
    vp_load_col_text(r->direction, sizeof r->direction, q, 2);
    r->duration_s = vp_load_col_double(q, 3);
    r->up_bytes = vp_db_column_is_null(q, 4) ? -1 : vp_db_column_int64(q, 4);
    r->up_mbps = vp_load_col_double(q, 5);
    r->up_retrans = vp_db_column_int64(q, 6);
    r->down_bytes = vp_db_column_is_null(q, 7) ? -1 : vp_db_column_int64(q, 7);
    r->down_mbps = vp_load_col_double(q, 8);
    r->down_retrans = vp_db_column_int64(q, 9);
    r->generator_cpu_pct = vp_load_col_double(q, 10);
    r->sender_cpu_pct = vp_load_col_double(q, 11);
    f->generator_limited = vp_db_column_int(q, 12) != 0;
}

static int summarise(struct vp_store *st, int64_t id, struct vp_load_figures *f, struct vp_err *err)
{
    return vp_load_run_row(st,
                           "SELECT status, streams, direction, duration_s, up_bytes, up_mbps,"
                           " up_retrans, down_bytes, down_mbps, down_retrans, generator_cpu_pct,"
                           " sender_cpu_pct, generator_limited FROM tcp_runs WHERE id = ?1",
                           id, fill_run, f, "tcp run", err);
}

static void print(FILE *out, const struct vp_load_figures *f)
{
    const struct vp_load_tcp *r = f->own;
    char a[32];
    fprintf(out, "%d stream%s %s", r->streams, r->streams == 1 ? "" : "s", r->direction);
    if (r->up_bytes >= 0)
        fprintf(out, ", up %s Mbit/s (retrans %lld)",
                vp_format_figure(a, sizeof a, "%.1f", r->up_mbps), (long long)r->up_retrans);
    if (r->down_bytes >= 0)
        fprintf(out, ", down %s Mbit/s (retrans %lld)",
                vp_format_figure(a, sizeof a, "%.1f", r->down_mbps), (long long)r->down_retrans);
}

static void json_dir(struct vp_json *j, const char *key, int64_t bytes, double mbps,
                     int64_t retrans)
{
    if (bytes < 0) {
        vp_json_null(j, key);
        return;
    }
    vp_json_object_begin(j, key);
    vp_json_int(j, "bytes", bytes);
    vp_json_double(j, "mbps", mbps);
    vp_json_int(j, "retransmits", retrans);
    vp_json_object_end(j);
}

static void json(struct vp_json *j, const struct vp_load_figures *f)
{
    const struct vp_load_tcp *r = f->own;
    vp_json_int(j, "streams", r->streams);
    vp_json_string(j, "direction", r->direction);
    vp_json_double(j, "duration_s", r->duration_s);
    json_dir(j, "up", r->up_bytes, r->up_mbps, r->up_retrans);
    json_dir(j, "down", r->down_bytes, r->down_mbps, r->down_retrans);
    vp_json_double(j, "generator_cpu_pct", r->generator_cpu_pct);
    vp_json_double(j, "sender_cpu_pct", r->sender_cpu_pct);
}

/* Options whose values the runner chooses: the address, test hooks. */
static const char *const reserved[] = {"target", "token", NULL};

const struct vp_driver vp_driver_tcp = {
    .name = "tcp",
    .command = "tcp-gen",
    .options = {vp_tcp_gen_opt_table, sizeof(struct vp_tcp_gen_opts)},
    .serves = &vp_server_tcp_sink,
    .target_opt = "target",
    .reserved = reserved,
    .stoppable = true,
    .store_kind = "tcp",
    .figures_size = sizeof(struct vp_load_tcp),
    .summarise = summarise,
    .print = print,
    .json = json,
    .generator_note = "generator CPU-bound (a thread at 90% of a core, or the process at 90% of "
                      "its CPUs): the goodput may "
                      "be the generator's limit, not the path's",
};
