/* virtperf rtp-client: timed RTP voice streams through a media server, with
 * loss, delay, jitter and the generator's own timing checked. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/json.h"
#include "drivers/media_server.h"
#include "drivers/rtp.h"
#include "net/target.h"
#include "rtp/addr.h"
#include "rtp/report.h"
#include "rtp/rtp.h"

/* vp_output_opt_table's options, with what they mean here. */
static const struct vp_opt out_opt_table[] = {
    {"json", VP_OPT_BOOL, offsetof(struct vp_output_opts, json), NULL, 0, 0, NULL,
     "print JSON (sections start, intervals, streams, end, error) instead of a summary", false},
    {"csv", VP_OPT_BOOL, offsetof(struct vp_output_opts, csv), NULL, 0, 0, NULL,
     "print one CSV line per stream instead of a summary", false},
    {"store", VP_OPT_STRING, offsetof(struct vp_output_opts, store), NULL, 0, 0, NULL,
     "results store (SQLite file) [default $VIRTPERF_STORE or ~/.local/share/virtperf/results.db]",
     false},
    VP_OPT_END,
};

/* The command line as one string, for the store. */
static char *join_argv(int argc, char **argv)
{
    size_t len = sizeof "virtperf";
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len);
    if (s == NULL)
        return NULL;
    strcpy(s, "virtperf");
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

static void print_stream_csv(const struct vp_rtp_client_cfg *cfg,
                             const struct vp_rtp_client_result *r)
{
    puts("stream,ssrc,sent,received,lost,lost_rfc3550,duplicates,reordered,jitter_ms,"
         "max_delta_ms,delay_min_ms,delay_mean_ms,delay_max_ms");
    for (int i = 0; i < cfg->streams; i++) {
        const struct vp_rtp_stream *st = &r->streams[i];
        bool any = st->rx.received > 0;
        printf("%d,%u,%lu,%lu,%ld,%ld,%lu,%lu,%.4f,%.4f,%.4f,%.4f,%.4f\n", i, st->ssrc,
               (unsigned long)st->sent, (unsigned long)st->rx.received,
               (long)vp_rtp_stream_lost(st), (long)vp_rtp_stream_lost_rfc(st),
               (unsigned long)st->rx.duplicates, (unsigned long)st->rx.reordered,
               vp_rtp_jitter_ms(&st->rx, cfg->clock_rate), (double)st->rx.max_delta_ns / 1e6,
               any ? (double)st->rx.delay_min / 1e6 : 0,
               any ? st->rx.delay_sum / (double)st->rx.received / 1e6 : 0,
               (double)st->rx.delay_max / 1e6);
    }
}

static int run(int argc, char **argv)
{
    struct vp_output_opts out;
    struct vp_rtp_client_opts o;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_rtp_client_result res = {0};
    char *command = NULL, *params = NULL;
    int64_t run_id = 0;
    int rc;

    vp_opt_defaults(out_opt_table, &out, &err);
    vp_opt_defaults(vp_rtp_client_opt_table, &o, &err);
    struct vp_optset sets[] = {{out_opt_table, &out}, {vp_rtp_client_opt_table, &o}};
    char *pos[1];
    int npos;
    if ((rc = vp_opt_parse_argv(sets, 2, argc - 1, argv + 1, pos, 0, &npos, &err)) < 0)
        goto fail;
    if (o.server[0] == '\0') {
        rc = vp_input_error(&err, "rtp-client: --server HOST:PORT is required");
        goto fail;
    }
    struct vp_rtp_client_cfg cfg = {
        .streams = (int)o.streams,
        .sockets = o.sockets ? (int)o.sockets : (o.streams < 4 ? (int)o.streams : 4),
        .duration_ns = o.duration,
        .drain_ns = o.drain,
        .ptime_ns = o.ptime,
        .tick_ns = o.tick,
        .interval_ns = o.interval,
        .payload = (unsigned)o.payload,
        .clock_rate = 8000,
        .gso = o.gso == VP_GSO_ON,
    };
    if (o.duration / o.interval > 10000) {
        rc = vp_input_error(&err, "rtp-client: --duration / --interval is over 10000 intervals; "
                                  "raise --interval");
        goto fail;
    }
    if (cfg.sockets > cfg.streams)
        cfg.sockets = cfg.streams;
    if ((rc = vp_parse_target("rtp-client", "server", o.server, &cfg.server, &cfg.server_len,
                              &err)) < 0)
        goto fail;
    cfg.token = (uint32_t)o.token;
    if (cfg.token == 0 && getrandom(&cfg.token, sizeof cfg.token, 0) != sizeof cfg.token)
        cfg.token = (uint32_t)vp_now_ns();
    if ((rc = vp_output_open_store(&out, &st, &err)) < 0)
        goto fail;

    if ((rc = vp_rtp_client_run(&cfg, &res, &err)) < 0)
        goto fail;
    command = join_argv(argc, argv);
    struct vp_json_buf pb;
    if (vp_json_buf_open(&pb) == 0) {
        vp_json_options(&pb.j, NULL, vp_rtp_client_opt_table, &o);
        params = vp_json_buf_close(&pb);
    }
    rc = vp_rtp_store_run(st, command ? command : "", params ? params : "{}", &cfg, &res, &run_id,
                          &err);
    if (rc == 0 && o.interval_csv[0])
        rc = vp_rtp_report_interval_csv(o.interval_csv, &cfg, &res, &err);
    if (out.json) {
        struct vp_json j;
        vp_json_init(&j, stdout);
        vp_rtp_report_json(&j, &cfg, &res, run_id);
        vp_json_finish(&j);
    } else if (out.csv) {
        print_stream_csv(&cfg, &res);
    } else {
        vp_rtp_report_text(stdout, &cfg, &res);
    }
    fflush(stdout);
    if (rc < 0) {
        out.json = false; /* the document is out; the message goes to stderr */
        goto fail;
    }
    if (res.silent_from >= 0) {
        double from = (double)res.silent_from * (double)cfg.interval_ns / 1e9;
        vp_run_error(&err, 0,
                     "rtp-client: nothing came back from the media server from %.1f s on: 100%% "
                     "loss for the last %.1f s of sending",
                     from, (double)res.send_ns / 1e9 - from);
        rc = vp_err_report(&err);
        goto done;
    }
    if (res.interrupted) {
        vp_run_error(&err, 0, "rtp-client: interrupted; the partial run is stored");
        rc = vp_err_report(&err);
        goto done;
    }
    rc = VP_EXIT_OK;
done:
    vp_rtp_client_result_free(&res);
    vp_store_close(st);
    free(command);
    free(params);
    return rc;
fail:
    vp_rtp_client_result_free(&res);
    vp_store_close(st);
    free(command);
    free(params);
    return vp_output_fail(&out, &err);
}

static void client_help(FILE *f)
{
    fputs("Sends N RTP streams (12-byte header + G.711 frame every ptime) to a media server\n"
          "that relays them back; reports loss, duplicates, reordering, round-trip delay\n"
          "(percentiles and boxplot from a histogram with 0.8% error bound), RFC 3550 jitter,\n"
          "and its own send lateness and CPU (generator_late when p99 lateness > 1 ms or CPU\n"
          "> 90% of a core). Stored in tables rtp_runs, rtp_streams, rtp_intervals,\n"
          "rtp_delay_hist. Exit 1 when the server went silent (100% loss to the end).\n\n"
          "options:\n",
          f);
    vp_opt_print_help(f, vp_rtp_client_opt_table);
    vp_opt_print_help(f, out_opt_table);
}

const struct vp_command vp_cmd_rtp_client = {
    .name = "rtp-client",
    .run = run,
    .summary = "timed RTP voice streams through a media server: loss, delay, jitter",
    .usage = "virtperf rtp-client --server HOST:PORT --streams N [--duration T] [--ptime 20ms]\n"
             "       [--payload 160] [--interval-csv FILE] [--json | --csv] [--store FILE]",
    .help = client_help,
};
