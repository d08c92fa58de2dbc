/* virtperf media-server: the media appliance relaying RTP with per-packet
 * work, until SIGINT/SIGTERM; then its counters. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/doc.h"
#include "core/json.h"
#include "core/signals.h"
#include "drivers/media_server.h"
#include "rtp/addr.h"
#include "rtp/g711.h"
#include "rtp/media_server.h"

/* The counters: the document's end (a server has no intervals), or a line. */
static void print_counters(const struct vp_media_server_opts *o, unsigned port,
                           const struct vp_media_server_counters *c)
{
    if (o->json) {
        struct vp_doc d;
        vp_doc_init(&d, VP_DOC_INTERVALS, 0, NULL);
        struct vp_json *j = vp_doc_start(&d, stdout, false);
        vp_json_string(j, "listen", o->listen);
        vp_json_int(j, "port", port);
        vp_json_options(j, "params", vp_media_server_opt_table, o);
        j = vp_doc_end(&d);
        vp_json_int(j, "received", (int64_t)c->received);
        vp_json_int(j, "relayed", (int64_t)c->relayed);
        vp_json_int(j, "transcoded", (int64_t)c->transcoded);
        vp_json_int(j, "not_rtp", (int64_t)c->not_rtp);
        vp_json_int(j, "send_errors", (int64_t)c->send_errors);
        vp_json_int(j, "rxq_drops", (int64_t)c->rxq_drops);
        if (c->snmp_rcvbuf_errors >= 0)
            vp_json_int(j, "udp_rcvbuf_errors_host", c->snmp_rcvbuf_errors);
        else
            vp_json_null(j, "udp_rcvbuf_errors_host");
        vp_doc_close(&d, NULL);
        return;
    }
    printf("media-server: received %lu  relayed %lu  transcoded %lu  not RTP %lu  send errors "
           "%lu  dropped (socket buffer full) %lu  host UDP RcvbufErrors %ld\n",
           (unsigned long)c->received, (unsigned long)c->relayed, (unsigned long)c->transcoded,
           (unsigned long)c->not_rtp, (unsigned long)c->send_errors, (unsigned long)c->rxq_drops,
           (long)c->snmp_rcvbuf_errors);
}

static int run(int argc, char **argv)
{
    struct vp_media_server_opts o;
    struct vp_err err = {0};
    struct vp_media_server *ms = NULL;
    struct vp_media_server_cfg cfg = {0};
    struct vp_doc doc;
    int rc;

    vp_doc_init(&doc, VP_DOC_INTERVALS, argc, argv);
    vp_opt_defaults(vp_media_server_opt_table, &o, &err);
    struct vp_optset sets[] = {{vp_media_server_opt_table, &o}};
    char *pos[1];
    int npos;
    if ((rc = vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, pos, 0, &npos, &err)) < 0)
        return vp_doc_fail(&doc, o.json, &err);
    if (o.listen[0] == '\0')
        rc = vp_input_error(&err, "media-server: --listen HOST:PORT is required");
    else
        rc = vp_parse_hostport("listen", o.listen, &cfg.listen, &cfg.listen_len, &err);
    if (rc == 0 && o.peer[0])
        rc = vp_parse_hostport("peer", o.peer, &cfg.peer, &cfg.peer_len, &err);
    if (rc < 0)
        return vp_doc_fail(&doc, o.json, &err);
    cfg.threads = (int)o.threads;
    cfg.transcode = o.work == VP_MEDIA_WORK_TRANSCODE;
    cfg.fir_taps = (int)o.fir_taps;
    cfg.gso = o.gso == VP_GSO_ON;
    if ((rc = vp_media_server_start(&cfg, &ms, &err)) < 0)
        return vp_doc_fail(&doc, o.json, &err);
    char host[VP_STR_MAX];
    snprintf(host, sizeof host, "%s", o.listen);
    char *colon = strrchr(host, ':');
    if (colon)
        *colon = '\0';
    fprintf(stderr, "media-server: listening on %s:%u, %d threads, work %s", host,
            vp_media_server_port(ms), cfg.threads, vp_media_work_names[o.work]);
    if (cfg.transcode)
        fprintf(stderr, " (%d FIR taps)", cfg.fir_taps);
    fputc('\n', stderr);
    fflush(stderr);
    uint64_t end = o.duration ? vp_now_ns() + o.duration : 0;
    while (!vp_interrupted && (end == 0 || vp_now_ns() < end))
        vp_sleep_ns(50000000);
    struct vp_media_server_counters c;
    unsigned port = vp_media_server_port(ms);
    vp_media_server_stop(ms, &c);
    print_counters(&o, port, &c);
    return VP_EXIT_OK;
}

static void ms_help(FILE *f)
{
    fputs("Relays RTP packets back to their source (or to --peer) from a pool of worker\n"
          "threads, each doing the per-packet work of a media path. Stops on SIGINT/SIGTERM\n"
          "(or after --duration) and prints its counters, its own drops among them.\n\n"
          "options:\n",
          f);
    vp_opt_print_help(f, vp_media_server_opt_table);
}

const struct vp_command vp_cmd_media_server = {
    .name = "media-server",
    .run = run,
    .summary = "the media appliance: relays RTP with G.711 + FIR work per packet",
    .usage = "virtperf media-server --listen HOST:PORT [--threads N] [--work none|transcode]\n"
             "       [--fir-taps N] [--peer HOST:PORT] [--json]",
    .help = ms_help,
};
