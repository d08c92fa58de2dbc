/* virtperf tcp-gen: N TCP streams to a tcp-sink, up, down or both at once,
 * for a duration; goodput per stream and in all from each receiver's byte
 * count (the sink reports its own), the senders' retransmissions, RTT and
 * window from TCP_INFO, per interval and for the run; the generator's CPU
 * and whether it, not the path, was the limit. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/json.h"
#include "drivers/tcp.h"
#include "net/target.h"
#include "net/tcp_report.h"
#include "rtp/addr.h"

#define MAX_INTERVALS 100000

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

static void on_interval(void *arg, const struct vp_tcp_result *r, int k)
{
    (void)arg;
    vp_tcp_report_interval(stdout, r, k);
}

/* quiet: no line per interval (a document is printed at the end). */
static int make_cfg(const struct vp_tcp_gen_opts *o, struct vp_tcp_gen_cfg *cfg, bool quiet,
                    struct vp_err *err)
{
    *cfg = (struct vp_tcp_gen_cfg){.streams = (int)o->streams,
                                   .dir = o->direction + 1,
                                   .length = (uint32_t)o->length,
                                   .window = (uint32_t)o->window,
                                   .duration_ns = o->duration,
                                   .interval_ns = o->interval,
                                   .connect_timeout_ns = o->connect_timeout,
                                   .token = (uint64_t)o->token,
                                   .on_interval = quiet ? NULL : on_interval};
    if (o->target[0] == '\0')
        return vp_input_error(err, "tcp-gen: --target HOST:PORT is required");
    if (o->duration / o->interval > MAX_INTERVALS)
        return vp_input_error(err,
                              "tcp-gen: --duration / --interval is over %d intervals; "
                              "raise --interval",
                              MAX_INTERVALS);
    while (cfg->token == 0)
        if (getrandom(&cfg->token, sizeof cfg->token, 0) != sizeof cfg->token)
            cfg->token = vp_wall_ns();
    return vp_parse_target("tcp-gen", "target", o->target, &cfg->to, &cfg->to_len, err);
}

static int run(int argc, char **argv)
{
    struct vp_output_opts out;
    struct vp_tcp_gen_opts o;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_tcp_result res = {0};
    struct vp_tcp_gen_cfg cfg;
    struct vp_doc doc;
    char *command = NULL, *params = NULL;
    int64_t run_id = 0;
    int rc;

    vp_doc_init(&doc, VP_DOC_INTERVALS, argc, argv);
    vp_opt_defaults(vp_output_opt_table, &out, &err);
    vp_opt_defaults(vp_tcp_gen_opt_table, &o, &err);
    struct vp_optset sets[] = {{vp_output_opt_table, &out}, {vp_tcp_gen_opt_table, &o}};
    char *pos[1];
    int npos;
    if ((rc = vp_opt_parse_argv(sets, 2, argc - 1, argv + 1, pos, 0, &npos, &err)) < 0 ||
        (rc = make_cfg(&o, &cfg, out.json || out.csv, &err)) < 0 ||
        (rc = vp_output_open_store(&out, &st, &err)) < 0)
        goto fail;
    if (!out.json && !out.csv)
        vp_tcp_report_head(stdout, &cfg, o.target);
    if ((rc = vp_tcp_gen_run(&cfg, &res, &err)) < 0)
        goto fail;
    command = join_argv(argc, argv);
    struct vp_json_buf pb;
    if (vp_json_buf_open(&pb) == 0) {
        vp_json_options(&pb.j, NULL, vp_tcp_gen_opt_table, &o);
        params = vp_json_buf_close(&pb);
    }
    rc = vp_tcp_store_run(st, command ? command : "", params ? params : "{}", &res, &run_id, &err);
    if (rc == 0 && res.interrupted)
        vp_run_error(&err, 0, "tcp-gen: interrupted; the partial run is stored");
    if (out.json || out.csv) {
        vp_tcp_report_doc(&doc, stdout, !out.json, &res, o.target, run_id);
        vp_doc_close(&doc, vp_doc_error_of(&err));
    } else {
        vp_tcp_report_end(stdout, &res);
        if (run_id > 0)
            printf("stored as tcp run %lld\n", (long long)run_id);
    }
    fflush(stdout);
    if (err.kind != VP_ERR_NONE)
        goto fail;
    vp_tcp_result_free(&res);
    vp_store_close(st);
    free(command);
    free(params);
    return VP_EXIT_OK;
fail:
    vp_tcp_result_free(&res);
    vp_store_close(st);
    free(command);
    free(params);
    return vp_doc_fail(&doc, out.json, &err);
}

static void gen_help(FILE *f)
{
    fputs("Opens --streams TCP connections to a tcp-sink and moves bytes over them for\n"
          "--duration: up (to the sink), down (from it) or both at once, writes and reads of\n"
          "--length bytes. Goodput is counted where the bytes arrive (the sink reports its\n"
          "counts over a control connection, as iperf3 does); retransmissions, RTT and\n"
          "congestion window come from the sending end's TCP_INFO. Per --interval and for\n"
          "the run, per stream and in all; the generator's CPU, and generator_limited when\n"
          "one of its threads used 90% of a core or more (or the process 90% of the CPUs\n"
          "it may run on). A thread per stream (up to 8 per direction, then several streams\n"
          "a thread). Stored in tables tcp_runs, tcp_streams, tcp_intervals. A sink that is\n"
          "not there, goes away or reports counts that disagree with the generator's is a\n"
          "failed run (exit 1).\n\n"
          "options:\n",
          f);
    vp_opt_print_help(f, vp_tcp_gen_opt_table);
    vp_opt_print_help(f, vp_output_opt_table);
}

const struct vp_command vp_cmd_tcp_gen = {
    .name = "tcp-gen",
    .run = run,
    .summary = "TCP load: N streams up, down or both; goodput, retransmissions, RTT",
    .usage = "virtperf tcp-gen --target HOST:PORT [--streams N] [--direction up|down|both]\n"
             "       [--duration T] [--interval T] [--length N] [--window N]\n"
             "       [--json | --csv] [--store FILE]",
    .help = gen_help,
};
