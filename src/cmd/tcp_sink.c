/* virtperf tcp-sink: serves tcp-gen runs one after another until
 * SIGINT/SIGTERM (or --duration): each run's streams, its direction(s),
 * its samples and final counts sent back to the generator; a line per run
 * as it ends, and with --json one document of every run at the end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/doc.h"
#include "core/json.h"
#include "core/signals.h"
#include "drivers/tcp_sink.h"
#include "net/tcp_sink.h"
#include "net/tcp_wire.h"
#include "rtp/addr.h"

#define RUNS_KEPT 1000 /* runs listed in the JSON document; the totals count all */

struct served {
    int n, failed;
    uint64_t rx_bytes, tx_bytes;
    struct vp_tcp_sink_run *runs; /* the first RUNS_KEPT */
};

static double mbps(uint64_t bytes, uint64_t ns)
{
    return ns ? (double)bytes * 8 / ((double)ns / 1e9) / 1e6 : 0;
}

static void print_run(FILE *out, int n, const struct vp_tcp_sink_run *r)
{
    if (!r->ok) {
        fprintf(out, "tcp-sink: run %d from %s failed: %s\n", n, r->peer, r->error);
    } else {
        fprintf(out,
                "tcp-sink: run %d from %s: %d stream%s %s, received %llu B in %.3f s (%.1f "
                "Mbit/s), sent %llu B; cpu %% of a core: receiver %.0f, sender %.0f\n",
                n, r->peer, r->streams, r->streams == 1 ? "" : "s", vp_tcp_dir_names[r->dir - 1],
                (unsigned long long)r->rx_bytes, (double)r->rx_elapsed_ns / 1e9,
                mbps(r->rx_bytes, r->rx_elapsed_ns), (unsigned long long)r->tx_bytes,
                100 * r->rx_cpu, 100 * r->tx_cpu);
    }
    fflush(out);
}

/* The runs served: the document's end (a server has no intervals). */
static void print_doc(struct vp_doc *d, const char *listen, int port, const struct served *s)
{
    struct vp_json *j = vp_doc_start(d, stdout, false);
    vp_json_string(j, "listen", listen);
    vp_json_int(j, "port", port);
    j = vp_doc_end(d);
    vp_json_int(j, "served", s->n);
    vp_json_int(j, "failed", s->failed);
    vp_json_int(j, "rx_bytes", (int64_t)s->rx_bytes);
    vp_json_int(j, "tx_bytes", (int64_t)s->tx_bytes);
    vp_json_array_begin(j, "runs");
    for (int i = 0; i < s->n && i < RUNS_KEPT; i++) {
        const struct vp_tcp_sink_run *r = &s->runs[i];
        vp_json_object_begin(j, NULL);
        vp_json_string(j, "peer", r->peer);
        vp_json_bool(j, "ok", r->ok);
        if (!r->ok)
            vp_json_string(j, "error", r->error);
        vp_json_int(j, "streams", r->streams);
        vp_json_string(j, "direction", r->dir ? vp_tcp_dir_names[r->dir - 1] : NULL);
        vp_json_int(j, "rx_bytes", (int64_t)r->rx_bytes);
        vp_json_int(j, "tx_bytes", (int64_t)r->tx_bytes);
        vp_json_double(j, "rx_seconds", (double)r->rx_elapsed_ns / 1e9);
        vp_json_double(j, "rx_mbps", mbps(r->rx_bytes, r->rx_elapsed_ns));
        vp_json_double(j, "receiver_cpu_pct", 100 * r->rx_cpu);
        vp_json_double(j, "sender_cpu_pct", 100 * r->tx_cpu);
        vp_json_object_end(j);
    }
    vp_json_array_end(j);
    vp_doc_close(d, NULL);
}

static int run(int argc, char **argv)
{
    struct vp_tcp_sink_opts o;
    struct vp_err err = {0};
    struct sockaddr_storage at;
    socklen_t at_len;
    struct vp_tcp_sink *k = NULL;
    struct vp_doc doc;
    vp_doc_init(&doc, VP_DOC_INTERVALS, argc, argv);
    vp_opt_defaults(vp_tcp_sink_opt_table, &o, &err);
    struct vp_optset sets[] = {{vp_tcp_sink_opt_table, &o}};
    char *pos[1];
    int npos, rc;
    if ((rc = vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, pos, 0, &npos, &err)) < 0)
        return vp_doc_fail(&doc, o.json, &err);
    if (o.listen[0] == '\0')
        rc = vp_input_error(&err, "tcp-sink: --listen HOST:PORT is required");
    else
        rc = vp_parse_hostport("listen", o.listen, &at, &at_len, &err);
    if (rc < 0 || (rc = vp_tcp_sink_open(&at, at_len, &k, &err)) < 0)
        return vp_doc_fail(&doc, o.json, &err);
    int port = vp_tcp_sink_port(k);
    char host[VP_STR_MAX];
    snprintf(host, sizeof host, "%s", o.listen);
    *strrchr(host, ':') = '\0';
    fprintf(stderr, "tcp-sink: listening on %s:%d\n", host, port);
    fflush(stderr);
    struct served s = {0};
    uint64_t end = o.duration ? vp_now_ns() + o.duration : 0;
    while (!vp_interrupted && (end == 0 || vp_now_ns() < end)) {
        struct vp_tcp_sink_run r;
        if ((rc = vp_tcp_sink_serve(k, 200, &r)) < 0) {
            vp_run_error(&err, -rc, "tcp-sink");
            break;
        }
        if (rc == 0)
            continue;
        if (s.n < RUNS_KEPT && s.n % 64 == 0) {
            struct vp_tcp_sink_run *more = realloc(s.runs, (size_t)(s.n + 64) * sizeof r);
            if (more == NULL) {
                vp_run_error(&err, ENOMEM, "tcp-sink");
                break;
            }
            s.runs = more;
        }
        if (s.n < RUNS_KEPT)
            s.runs[s.n] = r;
        s.n++;
        s.failed += !r.ok;
        s.rx_bytes += r.rx_bytes;
        s.tx_bytes += r.tx_bytes;
        print_run(o.json ? stderr : stdout, s.n, &r);
    }
    vp_tcp_sink_close(k);
    if (err.kind == VP_ERR_NONE && o.json)
        print_doc(&doc, o.listen, port, &s);
    free(s.runs);
    return err.kind == VP_ERR_NONE ? VP_EXIT_OK : vp_doc_fail(&doc, o.json, &err);
}

static void sink_help(FILE *f)
{
    fputs("Serves tcp-gen runs one after another on one listening socket: takes a run's\n"
          "streams, receives (and for --direction down or both, sends) until the generator\n"
          "stops, and reports its own byte counts back so that goodput is measured where the\n"
          "bytes arrive. A generator that comes while a run is on is told the sink is busy.\n"
          "Prints a line per run; stops on SIGINT/SIGTERM (or after --duration).\n\n"
          "options:\n",
          f);
    vp_opt_print_help(f, vp_tcp_sink_opt_table);
}

const struct vp_command vp_cmd_tcp_sink = {
    .name = "tcp-sink",
    .run = run,
    .summary = "the TCP load's sink: serves tcp-gen runs, counts what arrives",
    .usage = "virtperf tcp-sink --listen HOST:PORT [--duration T] [--json]",
    .help = sink_help,
};
