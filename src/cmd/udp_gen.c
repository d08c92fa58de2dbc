/* virtperf udp-gen: test datagrams of one size between udp-gen and a
 * udp-sink, one or both directions at once, paced (or as fast as the
 * kernel takes them) for a duration (net/udp_gen.h); loss exact to the
 * datagram per direction and per interval, reordered, duplicates, jitter,
 * one-way delay when the clocks are shared, and the senders' own figures:
 * CPU, lateness, whether they, not the path, were the limit. The run is
 * stored (udp_runs and the rest) and printed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/json.h"
#include "drivers/udp.h"
#include "net/udp_gen_report.h"
#include "net/udp_path.h"
#include "net/target.h"
#include "rtp/addr.h"
#include "timing/probe.h"

static const unsigned directions[] = {
    [VP_UDP_DIR_UP] = VP_UDP_UP,
    [VP_UDP_DIR_DOWN] = VP_UDP_DOWN,
    [VP_UDP_DIR_BOTH] = VP_UDP_UP | VP_UDP_DOWN,
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

/* The path's MTU and link speed, checked before anything is stored. */
static int preflight(const char *target, const struct vp_udp_gen_cfg *cfg, struct vp_err *err)
{
    int fd = socket(cfg->to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), mtu, rc;
    long mbps;
    if (fd < 0 || connect(fd, (const struct sockaddr *)&cfg->to, cfg->to_len) < 0)
        rc = vp_run_error(err, errno, "udp-gen: --target %s", target);
    else
        rc = vp_udp_path_check(fd, cfg->size, cfg->rate, &mtu, &mbps, err);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int parse(int argc, char **argv, struct vp_output_opts *out, struct vp_udp_gen_opts *o,
                 struct vp_udp_gen_cfg *cfg, struct vp_err *err)
{
    vp_opt_defaults(vp_output_opt_table, out, err);
    vp_opt_defaults(vp_udp_gen_opt_table, o, err);
    struct vp_optset sets[] = {{vp_output_opt_table, out}, {vp_udp_gen_opt_table, o}};
    char *pos[1];
    int npos, rc;
    if ((rc = vp_opt_parse_argv(sets, 2, argc - 1, argv + 1, pos, 0, &npos, err)) < 0)
        return rc;
    *cfg = (struct vp_udp_gen_cfg){.size = (uint32_t)o->size,
                                   .rate = o->rate,
                                   .batch = (int)o->batch,
                                   .duration_ns = o->duration,
                                   .interval_ns = o->interval,
                                   .directions = directions[o->direction],
                                   .token = (uint64_t)o->token};
    if (cfg->token == 0)
        cfg->token = vp_probe_new_token();
    if (o->target[0] == '\0')
        return vp_input_error(err, "udp-gen: --target HOST:PORT is required");
    if ((rc = vp_parse_target("udp-gen", "target", o->target, &cfg->to, &cfg->to_len, err)) < 0)
        return rc;
    if ((o->duration + o->interval - 1) / o->interval > VP_UDP_MAX_INTERVALS)
        return vp_input_error(err, "--duration / --interval: over %d intervals; raise --interval",
                              VP_UDP_MAX_INTERVALS);
    return preflight(o->target, cfg, err);
}

static int run(int argc, char **argv)
{
    struct vp_output_opts out;
    struct vp_udp_gen_opts o;
    struct vp_udp_gen_cfg cfg;
    struct vp_udp_gen_result res = {0};
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_doc doc;
    char *command = NULL, *params = NULL;
    int64_t run_id = 0;
    int rc;
    vp_doc_init(&doc, VP_DOC_INTERVALS, argc, argv);
    if ((rc = parse(argc, argv, &out, &o, &cfg, &err)) < 0 ||
        (rc = vp_output_open_store(&out, &st, &err)) < 0 ||
        (rc = vp_udp_gen_run(&cfg, &res, &err)) < 0)
        goto fail;
    struct vp_udp_run_info in = {o.target, vp_udp_direction_names[o.direction], &cfg};
    command = join_argv(argc, argv);
    struct vp_json_buf pb;
    if (vp_json_buf_open(&pb) == 0) {
        vp_json_options(&pb.j, NULL, vp_udp_gen_opt_table, &o);
        params = vp_json_buf_close(&pb);
    }
    rc = vp_udp_store_run(st, command ? command : "", params ? params : "{}", &in, &res, &run_id,
                          &err);
    if (rc == 0 && res.interrupted)
        vp_run_error(&err, 0, "udp-gen: interrupted; the partial run is stored");
    if (out.json || out.csv) {
        vp_udp_report_doc(&doc, stdout, !out.json, &in, &res, run_id);
        vp_doc_close(&doc, vp_doc_error_of(&err));
    } else {
        vp_udp_report_text(stdout, &in, &res);
        if (run_id > 0)
            printf("  stored as udp run %lld in %s\n", (long long)run_id, vp_store_name(st));
    }
    fflush(stdout);
    if (err.kind != VP_ERR_NONE)
        goto fail;
    vp_udp_gen_result_free(&res);
    vp_store_close(st);
    free(command);
    free(params);
    return VP_EXIT_OK;
fail:
    vp_udp_gen_result_free(&res);
    vp_store_close(st);
    free(command);
    free(params);
    return vp_doc_fail(&doc, out.json, &err);
}

static void gen_help(FILE *f)
{
    fputs("Sends test datagrams (64-bit sequence numbers, send stamps) to a udp-sink in\n"
          "sendmmsg batches, paced on absolute deadlines (a burst is one batch at most), for\n"
          "--duration; with --direction down or both the sink sends a flow of the same size\n"
          "and rate back, counted here the same way. Loss is sent − received, exactly, per\n"
          "direction and per interval (a datagram counts in the interval of its send stamp\n"
          "at both ends); one-way delay only when both ends' clocks agree within the control\n"
          "exchanges' round trip. The senders' CPU and lateness say when they, not the path,\n"
          "were the limit. Stored in tables udp_runs, udp_directions, udp_intervals,\n"
          "udp_delay_hist.\n\noptions:\n",
          f);
    vp_opt_print_help(f, vp_udp_gen_opt_table);
    vp_opt_print_help(f, vp_output_opt_table);
}

const struct vp_command vp_cmd_udp_gen = {
    .name = "udp-gen",
    .run = run,
    .summary = "UDP load: datagrams of one size, one or both ways, loss exact to the datagram",
    .usage = "virtperf udp-gen --target HOST:PORT [--size N] [--rate R|0] [--duration T]\n"
             "       [--interval T] [--direction up|down|both] [--batch N] [--json | --csv]\n"
             "       [--store FILE]",
    .help = gen_help,
};
