/* virtperf sip-uac: SIP calls at a planned rate or ramp against a server,
 * with per-interval outcomes, latency percentiles and a self-check. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "drivers/sip_uac.h"
#include "net/target.h"
#include "rtp/addr.h"
#include "sip/report.h"

/* "START,STEP,INTERVAL,MAX" into cfg. */
static int parse_ramp(const char *text, struct vp_sip_uac_cfg *cfg, struct vp_err *err)
{
    char buf[VP_STR_MAX], *parts[4], *save = NULL;
    int n = 0;
    snprintf(buf, sizeof buf, "%s", text);
    for (char *t = strtok_r(buf, ",", &save); t && n < 5; t = strtok_r(NULL, ",", &save))
        parts[n < 4 ? n : 3] = t, n++;
    if (n != 4)
        return vp_input_error(err, "--ramp \"%s\": expected START,STEP,INTERVAL,MAX", text);
    char *end;
    double v[3];
    int which[3] = {0, 1, 3};
    for (int i = 0; i < 3; i++) {
        v[i] = strtod(parts[which[i]], &end);
        if (*end || end == parts[which[i]] || v[i] < 0 || v[i] > 200000)
            return vp_input_error(err, "--ramp \"%s\": \"%s\" is not a rate in 0..200000", text,
                                  parts[which[i]]);
    }
    struct vp_opt d = {"ramp interval", VP_OPT_DURATION, 0, NULL, 1e7, 86400e9, NULL, "", false};
    struct vp_opt tab[] = {d, VP_OPT_END};
    if (vp_opt_set(tab, &cfg->ramp_interval_ns, "ramp interval", parts[2], err) < 0)
        return -EINVAL;
    if (v[0] <= 0 || v[2] < v[0])
        return vp_input_error(err, "--ramp \"%s\": need 0 < START <= MAX", text);
    cfg->rate = v[0];
    cfg->ramp_step = v[1];
    cfg->ramp_max = v[2];
    return 0;
}

/* Options to a generator configuration (shared with sip-capacity through
 * the same option names). */
static int make_cfg(const struct vp_sip_uac_opts *o, struct vp_sip_uac_cfg *cfg, struct vp_err *err)
{
    memset(cfg, 0, sizeof *cfg);
    if (o->target[0] == '\0')
        return vp_input_error(err, "sip-uac: --target HOST:PORT is required");
    int rc = vp_parse_target("sip-uac", "target", o->target, &cfg->target, &cfg->target_len, err);
    if (rc < 0)
        return rc;
    cfg->rate = o->rate;
    if (o->ramp[0] && (rc = parse_ramp(o->ramp, cfg, err)) < 0)
        return rc;
    cfg->duration_ns = o->duration;
    cfg->calls = o->calls;
    cfg->hold_ns = o->hold;
    cfg->max_concurrent = (uint64_t)o->max_concurrent;
    cfg->interval_ns = o->interval;
    cfg->t1_ns = o->t1;
    cfg->tick_ns = o->tick;
    cfg->per_event = o->per_event;
    cfg->drain_ns = o->drain ? o->drain : o->hold + 64 * o->t1;
    cfg->threads = (int)o->threads;
    return 0;
}

static char *join_argv(int argc, char **argv)
{
    size_t len = sizeof "virtperf";
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len);
    if (s == NULL)
        return NULL;
    strcpy(s, "virtperf");
    for (int i = 0; i < argc; i++)
        strcat(strcat(s, " "), argv[i]);
    return s;
}

static int run(int argc, char **argv)
{
    struct vp_output_opts out;
    struct vp_sip_uac_opts o;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_sip_uac_result res = {0};
    struct vp_sip_uac_cfg cfg;
    struct vp_doc doc;
    char *command = NULL, *params = NULL;
    int64_t run_id = 0;
    int rc;

    vp_doc_init(&doc, VP_DOC_INTERVALS, argc, argv);
    vp_opt_defaults(vp_output_opt_table, &out, &err);
    vp_opt_defaults(vp_sip_uac_opt_table, &o, &err);
    struct vp_optset sets[] = {{vp_output_opt_table, &out}, {vp_sip_uac_opt_table, &o}};
    char *pos[1];
    int npos;
    if ((rc = vp_opt_parse_argv(sets, 2, argc - 1, argv + 1, pos, 0, &npos, &err)) < 0 ||
        (rc = make_cfg(&o, &cfg, &err)) < 0 || (rc = vp_output_open_store(&out, &st, &err)) < 0)
        goto fail;
    if ((rc = vp_sip_uac_run(&cfg, &res, &err)) < 0)
        goto fail;
    command = join_argv(argc, argv);
    struct vp_json_buf pb;
    if (vp_json_buf_open(&pb) == 0) {
        vp_json_options(&pb.j, NULL, vp_sip_uac_opt_table, &o);
        params = vp_json_buf_close(&pb);
    }
    struct vp_sip_store_run sr = {
        .kind = "uac",
        .command = command ? command : "",
        .params = params ? params : "{}",
        .target = o.target,
        .status = res.interrupted ? "interrupted" : "complete",
        .r = &res,
    };
    rc = vp_sip_store_run(st, &sr, &cfg, &run_id, &err);
    struct vp_sip_report_in in = {o.target, &cfg, &res, run_id};
    if (rc == 0 && o.interval_csv[0])
        rc = vp_sip_report_interval_csv(o.interval_csv, &in, &err);
    if (rc == 0 && res.interrupted)
        vp_run_error(&err, 0, "sip-uac: interrupted; the partial run is stored");
    if (out.json || out.csv) {
        vp_sip_report_doc(&doc, stdout, !out.json, &in);
        vp_doc_close(&doc, vp_doc_error_of(&err));
    } else {
        vp_sip_report_text(stdout, &res);
    }
    fflush(stdout);
    if (err.kind != VP_ERR_NONE)
        goto fail;
    vp_sip_uac_result_free(&res);
    vp_store_close(st);
    free(command);
    free(params);
    return VP_EXIT_OK;
fail:
    vp_sip_uac_result_free(&res);
    vp_store_close(st);
    free(command);
    free(params);
    return vp_doc_fail(&doc, out.json, &err);
}

static void uac_help(FILE *f)
{
    fputs("Places SIP calls over UDP: INVITE (timers A/B), 100/180/200, ACK, hold, BYE\n"
          "(timers E/F). Per interval and in total: calls created, successful, failed by\n"
          "cause (timeout, 4xx, 5xx, 6xx, unexpected), retransmissions, malformed messages\n"
          "by cause, INVITE->100 and INVITE->200 percentiles (log-linear histogram, relative\n"
          "error <= 1/128). Self-check: call start lateness against the plan and CPU use;\n"
          "generator_bottleneck when p99 lateness > 10 ms, max > 100 ms or CPU > 90% of its\n"
          "cores. Stored in sip_runs, sip_intervals, sip_latency_hist.\n\noptions:\n",
          f);
    vp_opt_print_help(f, vp_sip_uac_opt_table);
    vp_opt_print_help(f, vp_output_opt_table);
}

const struct vp_command vp_cmd_sip_uac = {
    .name = "sip-uac",
    .run = run,
    .summary = "SIP call generator: INVITE/ACK/BYE at a rate or ramp, outcomes and latency",
    .usage = "virtperf sip-uac --target HOST:PORT [--rate N | --ramp START,STEP,INTERVAL,MAX]\n"
             "       [--duration T] [--calls N] [--hold T] [--max-concurrent N]\n"
             "       [--interval-csv FILE] [--json | --csv] [--store FILE]",
    .help = uac_help,
};
