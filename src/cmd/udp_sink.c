/* virtperf udp-sink: the sink of udp-gen's runs (net/udp_sink.h) until
 * SIGINT/SIGTERM or --duration; then its counters. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/doc.h"
#include "core/json.h"
#include "core/signals.h"
#include "drivers/udp_sink.h"
#include "net/udp_sink.h"
#include "rtp/addr.h"

/* The counters: the document's end (a server has no intervals), or a line. */
static void print_counters(const struct vp_udp_sink_opts *o, int port, const struct vp_udp_sink *s)
{
    const struct vp_udp_sink_flow *fl;
    int n = vp_udp_sink_flows(s, &fl);
    uint64_t received = 0, sent = 0;
    struct vp_doc d;
    struct vp_json *j = NULL;
    if (o->json) {
        vp_doc_init(&d, VP_DOC_INTERVALS, 0, NULL);
        j = vp_doc_start(&d, stdout, false);
        vp_json_string(j, "listen", o->listen);
        vp_json_int(j, "port", port);
        vp_json_int(j, "sockets", o->sockets);
        vp_json_bool(j, "echo", o->echo);
        j = vp_doc_end(&d);
        vp_json_array_begin(j, "flows");
    }
    for (int i = 0; i < n; i++) {
        const struct vp_udp_flow *f = fl[i].f;
        if (fl[i].down)
            sent += fl[i].sent;
        else
            received += f->received;
        if (!o->json)
            continue;
        vp_json_object_begin(j, NULL);
        vp_json_int(j, "flow", fl[i].id);
        vp_json_string(j, "direction", fl[i].down ? "sent" : "received");
        if (fl[i].down) {
            vp_json_int(j, "sent", (int64_t)fl[i].sent);
        } else {
            vp_json_int(j, "received", (int64_t)f->received);
            vp_json_int(j, "bytes", (int64_t)f->bytes);
            vp_json_int(j, "duplicates", (int64_t)f->duplicates);
            vp_json_int(j, "reordered", (int64_t)f->reordered);
            vp_json_int(j, "too_late", (int64_t)f->too_late);
            vp_json_double(j, "jitter_ms", f->jitter_ns / 1e6);
        }
        vp_json_object_end(j);
    }
    if (o->json) {
        vp_json_array_end(j);
        vp_json_int(j, "received", (int64_t)received);
        vp_json_int(j, "sent", (int64_t)sent);
        vp_json_int(j, "foreign", (int64_t)vp_udp_sink_foreign(s));
        vp_json_int(j, "flows_over_limit", (int64_t)vp_udp_sink_overflow(s));
        vp_doc_close(&d, NULL);
        return;
    }
    printf("udp-sink: %d flows, received %llu, sent %llu, foreign %llu, beyond %d flows %llu\n", n,
           (unsigned long long)received, (unsigned long long)sent,
           (unsigned long long)vp_udp_sink_foreign(s), VP_UDP_SINK_MAX_FLOWS,
           (unsigned long long)vp_udp_sink_overflow(s));
}

static int run(int argc, char **argv)
{
    struct vp_udp_sink_opts o;
    struct vp_err err = {0};
    struct vp_udp_rx_cfg cfg = {.batch = 64};
    struct vp_udp_sink *s = NULL;
    struct vp_doc doc;
    vp_doc_init(&doc, VP_DOC_INTERVALS, argc, argv);
    vp_opt_defaults(vp_udp_sink_opt_table, &o, &err);
    struct vp_optset sets[] = {{vp_udp_sink_opt_table, &o}};
    char *pos[1];
    int npos, rc;
    if ((rc = vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, pos, 0, &npos, &err)) < 0)
        return vp_doc_fail(&doc, o.json, &err);
    if (o.listen[0] == '\0')
        rc = vp_input_error(&err, "udp-sink: --listen HOST:PORT is required");
    else
        rc = vp_parse_hostport("listen", o.listen, &cfg.at, &cfg.at_len, &err);
    cfg.sockets = (int)o.sockets;
    cfg.echo = o.echo;
    if (rc < 0 || (rc = vp_udp_sink_open(&cfg, &s, &err)) < 0)
        return vp_doc_fail(&doc, o.json, &err);
    char host[VP_STR_MAX];
    snprintf(host, sizeof host, "%s", o.listen);
    *strrchr(host, ':') = '\0';
    int port = vp_udp_sink_port(s); /* (not known once stopped) */
    fprintf(stderr, "udp-sink: listening on %s:%d, %d sockets%s\n", host, port, cfg.sockets,
            o.echo ? ", echoing" : "");
    fflush(stderr);
    uint64_t end = o.duration ? vp_now_ns() + o.duration : 0;
    while (!vp_interrupted && (end == 0 || vp_now_ns() < end))
        if ((rc = vp_udp_sink_poll(s, 100)) < 0)
            break;
    vp_udp_sink_stop(s);
    if (rc < 0)
        vp_run_error(&err, -rc, "udp-sink");
    else
        print_counters(&o, port, s);
    vp_udp_sink_free(s);
    return err.kind == VP_ERR_NONE ? VP_EXIT_OK : vp_doc_fail(&doc, o.json, &err);
}

static void sink_help(FILE *f)
{
    fputs("Receives udp-gen's test datagrams on SO_REUSEPORT sockets with the kernel's\n"
          "receive stamps and counts each flow exactly (received, duplicates, reordered,\n"
          "RFC 3550 jitter, one-way delay), per interval too; answers a sender's FIN with\n"
          "its flow's figures, so the sender knows its loss to the datagram; sends a paced\n"
          "flow back when a run asks for the down direction; echoes when asked. Stops on\n"
          "SIGINT/SIGTERM (or after --duration) and prints its counters.\n\noptions:\n",
          f);
    vp_opt_print_help(f, vp_udp_sink_opt_table);
}

const struct vp_command vp_cmd_udp_sink = {
    .name = "udp-sink",
    .run = run,
    .summary = "the UDP load's sink: exact per-flow counts, answers, flows back on request",
    .usage = "virtperf udp-sink --listen HOST:PORT [--sockets N] [--echo] [--duration T] [--json]",
    .help = sink_help,
};
