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

static int run(int argc, char **argv)
{
    struct vp_output_opts out;
    struct vp_rtp_client_opts o;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_rtp_client_result res = {0};
    struct vp_doc doc;
    char *command = NULL, *params = NULL;
    int64_t run_id = 0;
    int rc;

    vp_doc_init(&doc, VP_DOC_INTERVALS, argc, argv);
    vp_opt_defaults(vp_output_opt_table, &out, &err);
    vp_opt_defaults(vp_rtp_client_opt_table, &o, &err);
    struct vp_optset sets[] = {{vp_output_opt_table, &out}, {vp_rtp_client_opt_table, &o}};
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
    struct vp_rtp_report_in in = {o.server, &cfg, &res, run_id};
    if (rc == 0 && o.interval_csv[0])
        rc = vp_rtp_report_interval_csv(o.interval_csv, &in, &err);
    if (rc == 0 && res.silent_from >= 0) {
        double from = (double)res.silent_from * (double)cfg.interval_ns / 1e9;
        vp_run_error(&err, 0,
                     "rtp-client: nothing came back from the media server from %.1f s on: 100%% "
                     "loss for the last %.1f s of sending",
                     from, (double)res.send_ns / 1e9 - from);
    } else if (rc == 0 && res.interrupted) {
        vp_run_error(&err, 0, "rtp-client: interrupted; the partial run is stored");
    }
    if (out.json || out.csv) {
        vp_rtp_report_doc(&doc, stdout, !out.json, &in);
        vp_doc_close(&doc, vp_doc_error_of(&err));
    } else {
        vp_rtp_report_text(stdout, &cfg, &res);
    }
    fflush(stdout);
    if (err.kind != VP_ERR_NONE)
        goto fail;
    vp_rtp_client_result_free(&res);
    vp_store_close(st);
    free(command);
    free(params);
    return VP_EXIT_OK;
fail:
    vp_rtp_client_result_free(&res);
    vp_store_close(st);
    free(command);
    free(params);
    return vp_doc_fail(&doc, out.json, &err);
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
    vp_opt_print_help(f, vp_output_opt_table);
}

const struct vp_command vp_cmd_rtp_client = {
    .name = "rtp-client",
    .run = run,
    .summary = "timed RTP voice streams through a media server: loss, delay, jitter",
    .usage = "virtperf rtp-client --server HOST:PORT --streams N [--duration T] [--ptime 20ms]\n"
             "       [--payload 160] [--interval-csv FILE] [--json | --csv] [--store FILE]",
    .help = client_help,
};
