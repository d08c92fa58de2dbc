/* virtperf udp-sink: counts udp-gen's test datagrams per flow (exactly:
 * net/udp_flow.h) until SIGINT/SIGTERM or --duration, answers each
 * sender's FIN with what it received (net/udp_report.h), echoes the
 * datagrams when asked; then its counters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/signals.h"
#include "net/udp_engine.h"
#include "net/udp_report.h"
#include "rtp/addr.h"

#define MAX_FLOWS 256

struct sink_opts {
    char listen[VP_STR_MAX];
    int64_t sockets;
    uint64_t duration;
    bool echo, json;
};

static const struct vp_opt sink_opt_table[] = {
    {"listen", VP_OPT_STRING, offsetof(struct sink_opts, listen), NULL, 0, 0, NULL,
     "HOST:PORT to receive on (numeric; port 0: any free one; required)", false},
    {"sockets", VP_OPT_INT, offsetof(struct sink_opts, sockets), "2", 1, 64, NULL,
     "SO_REUSEPORT sockets (the kernel spreads flows over them)", false},
    {"echo", VP_OPT_BOOL, offsetof(struct sink_opts, echo), NULL, 0, 0, NULL,
     "send every datagram back to its sender (both directions at once)", false},
    {"duration", VP_OPT_DURATION, offsetof(struct sink_opts, duration), "0", 0, 86400e9, NULL,
     "stop after this long (0: at SIGINT/SIGTERM)", false},
    {"json", VP_OPT_BOOL, offsetof(struct sink_opts, json), NULL, 0, 0, NULL,
     "print the counters as JSON", false},
    VP_OPT_END,
};

/* The flows seen: a run's token and its sender's flow number. */
struct flows {
    int n;
    uint64_t token[MAX_FLOWS];
    uint16_t id[MAX_FLOWS];
    struct vp_udp_flow *f[MAX_FLOWS];
    uint64_t overflow; /* datagrams of flows beyond MAX_FLOWS */
};

static struct vp_udp_flow *flow_of(struct flows *t, uint64_t token, uint16_t id)
{
    for (int i = 0; i < t->n; i++)
        if (t->token[i] == token && t->id[i] == id)
            return t->f[i];
    if (t->n == MAX_FLOWS || (t->f[t->n] = malloc(sizeof *t->f[0])) == NULL)
        return NULL;
    vp_udp_flow_init(t->f[t->n]);
    t->token[t->n] = token;
    t->id[t->n] = id;
    return t->f[t->n++];
}

static size_t on_datagram(void *arg, const struct vp_udp_header *h, uint32_t size, uint64_t rx_ns,
                          uint8_t *reply)
{
    struct flows *t = arg;
    struct vp_udp_flow *f = flow_of(t, h->token, h->flow);
    if (f == NULL) {
        t->overflow++;
        return 0;
    }
    if (h->flags & VP_UDP_FIN) { /* what this flow's sender asks at its end */
        struct vp_udp_report r;
        struct vp_udp_header a = {VP_UDP_REPORT, h->flow, h->seq, vp_wall_ns(), h->token};
        vp_udp_report_of(f, &r);
        vp_udp_header_put(reply, &a);
        vp_udp_report_put(reply, &r);
        return VP_UDP_REPORT_SIZE;
    }
    if (h->flags == 0) /* the sink's own clock and the sender's: one host, or synchronised */
        vp_udp_flow_add(f, h->seq, size, h->tx_ns, rx_ns, true);
    return 0;
}

static void print_counters(const struct sink_opts *o, const struct flows *t, uint64_t foreign)
{
    struct vp_json j;
    if (o->json) {
        vp_json_init(&j, stdout);
        vp_json_object_begin(&j, NULL);
        vp_json_array_begin(&j, "flows");
    }
    uint64_t total = 0;
    for (int i = 0; i < t->n; i++) {
        const struct vp_udp_flow *f = t->f[i];
        total += f->received;
        if (!o->json)
            continue;
        vp_json_object_begin(&j, NULL);
        vp_json_int(&j, "flow", t->id[i]);
        vp_json_int(&j, "received", (int64_t)f->received);
        vp_json_int(&j, "bytes", (int64_t)f->bytes);
        vp_json_int(&j, "duplicates", (int64_t)f->duplicates);
        vp_json_int(&j, "reordered", (int64_t)f->reordered);
        vp_json_int(&j, "too_late", (int64_t)f->too_late);
        vp_json_double(&j, "jitter_ms", f->jitter_ns / 1e6);
        vp_json_object_end(&j);
    }
    if (o->json) {
        vp_json_array_end(&j);
        vp_json_int(&j, "received", (int64_t)total);
        vp_json_int(&j, "foreign", (int64_t)foreign);
        vp_json_int(&j, "flows_over_limit", (int64_t)t->overflow);
        vp_json_object_end(&j);
        vp_json_finish(&j);
        return;
    }
    printf("udp-sink: %d flows, received %llu, foreign %llu, beyond %d flows %llu\n", t->n,
           (unsigned long long)total, (unsigned long long)foreign, MAX_FLOWS,
           (unsigned long long)t->overflow);
}

static int run(int argc, char **argv)
{
    struct sink_opts o;
    struct vp_err err = {0};
    struct vp_udp_rx_cfg cfg = {.batch = 64};
    struct vp_udp_rx *rx = NULL;
    vp_opt_defaults(sink_opt_table, &o, &err);
    struct vp_optset sets[] = {{sink_opt_table, &o}};
    char *pos[1];
    int npos, rc;
    if ((rc = vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, pos, 0, &npos, &err)) < 0)
        return vp_err_report(&err);
    if (o.listen[0] == '\0')
        rc = vp_input_error(&err, "udp-sink: --listen HOST:PORT is required");
    else
        rc = vp_parse_hostport("listen", o.listen, &cfg.at, &cfg.at_len, &err);
    cfg.sockets = (int)o.sockets;
    cfg.echo = o.echo;
    if (rc < 0 || (rc = vp_udp_rx_open(&cfg, &rx, &err)) < 0)
        return vp_err_report(&err);
    char host[VP_STR_MAX];
    snprintf(host, sizeof host, "%s", o.listen);
    *strrchr(host, ':') = '\0';
    fprintf(stderr, "udp-sink: listening on %s:%d, %d sockets%s\n", host, vp_udp_rx_port(rx),
            cfg.sockets, o.echo ? ", echoing" : "");
    fflush(stderr);
    struct flows *t = calloc(1, sizeof *t);
    uint64_t foreign = 0, end = o.duration ? vp_now_ns() + o.duration : 0;
    while (t && !vp_interrupted && (end == 0 || vp_now_ns() < end))
        if ((rc = vp_udp_rx_poll(rx, 100, on_datagram, t, &foreign)) < 0)
            break;
    vp_udp_rx_close(rx);
    if (t == NULL || rc < 0)
        vp_run_error(&err, t ? -rc : ENOMEM, "udp-sink");
    else
        print_counters(&o, t, foreign);
    for (int i = 0; t && i < t->n; i++)
        free(t->f[i]);
    free(t);
    return err.kind == VP_ERR_NONE ? VP_EXIT_OK : vp_err_report(&err);
}

static void sink_help(FILE *f)
{
    fputs("Receives udp-gen's test datagrams on SO_REUSEPORT sockets with the kernel's\n"
          "receive stamps and counts each flow exactly (received, duplicates, reordered,\n"
          "RFC 3550 jitter, one-way delay). A sender's FIN is answered with its flow's\n"
          "figures, so the sender knows its loss to the datagram. Stops on SIGINT/SIGTERM\n"
          "(or after --duration) and prints its counters.\n\noptions:\n",
          f);
    vp_opt_print_help(f, sink_opt_table);
}

const struct vp_command vp_cmd_udp_sink = {
    .name = "udp-sink",
    .run = run,
    .summary = "the UDP load's sink: exact per-flow counts, answers, echoes on request",
    .usage = "virtperf udp-sink --listen HOST:PORT [--sockets N] [--echo] [--duration T] [--json]",
    .help = sink_help,
};
