/* virtperf sip-uas: the signaling-server appliance; serves until SIGINT or
 * SIGTERM, then prints its counters. */
#include <string.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "drivers/sip_uas.h"
#include "rtp/addr.h"
#include "sip/uas.h"

/* The counters as the document's end (a server has no intervals). */
static void print_doc(struct vp_doc *d, const char *listen, unsigned port,
                      const struct vp_sip_uas_cfg *cfg, const struct vp_sip_uas_stats *s)
{
    struct vp_json *j = vp_doc_start(d, stdout, false);
    vp_json_string(j, "listen", listen);
    vp_json_int(j, "port", port);
    vp_json_int(j, "threads", cfg->threads);
    vp_json_double(j, "work_us", (double)cfg->work_ns / 1e3);
    vp_json_bool(j, "ringing", cfg->ringing);
    vp_json_int(j, "max_calls", (int64_t)cfg->max_calls);
    j = vp_doc_end(d);
    vp_json_int(j, "invites", (int64_t)s->invites);
    vp_json_int(j, "acks", (int64_t)s->acks);
    vp_json_int(j, "byes", (int64_t)s->byes);
    vp_json_int(j, "other_requests", (int64_t)s->other_requests);
    vp_json_int(j, "responses_received", (int64_t)s->responses);
    vp_json_int(j, "retransmissions_absorbed", (int64_t)s->retrans_absorbed);
    vp_json_int(j, "sent_100", (int64_t)s->sent_100);
    vp_json_int(j, "sent_180", (int64_t)s->sent_180);
    vp_json_int(j, "sent_200", (int64_t)s->sent_200);
    vp_json_int(j, "sent_503", (int64_t)s->sent_503);
    vp_json_int(j, "sent_481", (int64_t)s->sent_481);
    vp_json_int(j, "sent_501", (int64_t)s->sent_501);
    vp_json_int(j, "retransmitted_200", (int64_t)s->retrans_200);
    vp_json_int(j, "calls_completed", (int64_t)s->calls_completed);
    vp_json_int(j, "queue_max", (int64_t)s->queue_max);
    vp_json_int(j, "disk_errors", (int64_t)s->disk_errors);
    vp_json_int(j, "calls_max", (int64_t)s->calls_max);
    vp_json_int(j, "rejected_table_full", (int64_t)s->rejected_full);
    vp_json_int(j, "retransmissions_suppressed", (int64_t)s->retrans_suppressed);
    uint64_t bad = 0;
    vp_json_object_begin(j, "malformed_by_cause");
    for (int i = 1; i < VP_SIP_E_COUNT; i++) {
        bad += s->malformed[i];
        vp_json_int(j, vp_sip_perr_name(i), (int64_t)s->malformed[i]);
    }
    vp_json_object_end(j);
    vp_json_int(j, "malformed", (int64_t)bad);
    vp_doc_close(d, NULL);
}

static void print_stats(const struct vp_sip_uas_stats *s)
{
    printf("requests: %lu INVITE, %lu ACK, %lu BYE, %lu other; %lu retransmissions absorbed\n",
           (unsigned long)s->invites, (unsigned long)s->acks, (unsigned long)s->byes,
           (unsigned long)s->other_requests, (unsigned long)s->retrans_absorbed);
    printf("sent: %lu 100, %lu 180, %lu 200 (+%lu retransmitted, %lu suppressed), %lu 503, %lu "
           "481, %lu 501\n",
           (unsigned long)s->sent_100, (unsigned long)s->sent_180, (unsigned long)s->sent_200,
           (unsigned long)s->retrans_200, (unsigned long)s->retrans_suppressed,
           (unsigned long)s->sent_503, (unsigned long)s->sent_481, (unsigned long)s->sent_501);
    printf("call table: max %lu entries; %lu INVITEs answered 503 statelessly when full\n",
           (unsigned long)s->calls_max, (unsigned long)s->rejected_full);
    printf("calls completed: %lu; queue max %lu; disk errors %lu; malformed:",
           (unsigned long)s->calls_completed, (unsigned long)s->queue_max,
           (unsigned long)s->disk_errors);
    for (int i = 1; i < VP_SIP_E_COUNT; i++)
        if (s->malformed[i])
            printf(" %s=%lu", vp_sip_perr_name(i), (unsigned long)s->malformed[i]);
    putchar('\n');
}

static int run(int argc, char **argv)
{
    struct vp_output_opts out = {0};
    struct vp_sip_uas_opts o;
    struct vp_err err = {0};
    struct vp_sip_uas *u = NULL;
    struct vp_sip_uas_stats stats;
    struct vp_doc doc;
    int rc;

    vp_doc_init(&doc, VP_DOC_INTERVALS, argc, argv);
    vp_opt_defaults(vp_output_json_only_opt_table, &out, &err);
    vp_opt_defaults(vp_sip_uas_opt_table, &o, &err);
    struct vp_optset sets[] = {{vp_output_json_only_opt_table, &out}, {vp_sip_uas_opt_table, &o}};
    char *pos[1];
    int npos;
    struct vp_sip_uas_cfg cfg = {0};
    if ((rc = vp_opt_parse_argv(sets, 2, argc - 1, argv + 1, pos, 0, &npos, &err)) < 0 ||
        (rc = vp_parse_hostport("listen", o.listen, &cfg.listen, &cfg.listen_len, &err)) < 0)
        goto fail;
    cfg.threads = (int)o.threads;
    cfg.work_ns = o.work * 1000;
    snprintf(cfg.disk_log, sizeof cfg.disk_log, "%s", o.disk_log);
    cfg.fsync = o.sync == 1;
    cfg.ringing = o.ringing;
    cfg.queue_limit = (uint64_t)o.queue_limit;
    cfg.t1_ns = o.t1;
    cfg.max_calls = (uint64_t)o.max_calls;
    cfg.max_retransmits = (uint64_t)o.max_retransmits;
    if ((rc = vp_sip_uas_open(&cfg, &u, &err)) < 0)
        goto fail;
    /* "listening on HOST:PORT" is what the experiment runner waits for */
    int host_len = (int)(strrchr(o.listen, ':') - o.listen);
    unsigned port = vp_sip_uas_port(u);
    fprintf(stderr, "sip-uas: listening on %.*s:%u (%d threads)\n", host_len, o.listen, port,
            cfg.threads);
    fflush(stderr);
    rc = vp_sip_uas_run(u, &stats, &err);
    vp_sip_uas_close(u);
    if (rc < 0)
        goto fail;
    if (out.json)
        print_doc(&doc, o.listen, port, &cfg, &stats);
    else
        print_stats(&stats);
    return VP_EXIT_OK;
fail:
    return vp_doc_fail(&doc, out.json, &err);
}

static void uas_help(FILE *f)
{
    fputs("Answers INVITE with 100, optionally 180, then 200 after --work-us of CPU time and\n"
          "an optional call-record append; absorbs retransmissions with the last response;\n"
          "retransmits the 200 until ACK; answers BYE with 200. Past --queue-limit queued\n"
          "INVITEs per worker it answers 503, and past --max-calls call table entries per\n"
          "worker 503 without keeping any state; entries leave 64*T1 after their call ends\n"
          "(or their 200 goes unacknowledged). 200 retransmissions beyond --max-retransmits\n"
          "a second per worker are skipped and counted. Runs until SIGINT/SIGTERM, then\n"
          "prints its counters (JSON with --json).\n\noptions:\n",
          f);
    vp_opt_print_help(f, vp_sip_uas_opt_table);
    vp_opt_print_help(f, vp_output_json_only_opt_table);
}

const struct vp_command vp_cmd_sip_uas = {
    .name = "sip-uas",
    .run = run,
    .summary = "SIP signaling-server appliance: 100/180/200 after CPU work and disk I/O per call",
    .usage = "virtperf sip-uas [--listen HOST:PORT] [--threads N] [--work-us N]\n"
             "       [--disk-log FILE --sync none|fsync] [--ringing] [--queue-limit N]\n"
             "       [--max-calls N] [--max-retransmits N] [--json]",
    .help = uas_help,
};
