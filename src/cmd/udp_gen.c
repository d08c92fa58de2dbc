/* virtperf udp-gen: test datagrams of one size to a udp-sink at a paced
 * rate (or as fast as the kernel takes them) for a duration; then the
 * sink's figures of the flow, so that loss is exact (sent − received), and
 * the generator's own: its CPU, how late its batches left, and whether it,
 * not the path, was the limit. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/json.h"
#include "net/udp_engine.h"
#include "net/udp_report.h"
#include "rtp/addr.h"
#include "timing/probe.h"

#define FIN_EVERY_MS  20
#define FIN_TRIES     100     /* 2 s for the sink's report */
#define LATE_LIMIT_NS 1000000 /* a paced sender whose batches leave later is the limit */

struct gen_opts {
    char target[VP_STR_MAX];
    uint64_t size, duration;
    double rate;
    int64_t batch;
    bool json;
};

static const struct vp_opt gen_opt_table[] = {
    {"target", VP_OPT_STRING, offsetof(struct gen_opts, target), NULL, 0, 0, NULL,
     "the udp-sink's HOST:PORT (numeric; required)", false},
    {"size", VP_OPT_SIZE, offsetof(struct gen_opts, size), "1472", VP_UDP_MIN_SIZE, VP_UDP_MAX_SIZE,
     NULL, "UDP payload bytes per datagram (1472: a 1500-byte MTU's)", false},
    {"rate", VP_OPT_DOUBLE, offsetof(struct gen_opts, rate), "0", 0, 1e8, NULL,
     "datagrams per second (0: as fast as the kernel takes them)", false},
    {"duration", VP_OPT_DURATION, offsetof(struct gen_opts, duration), "10s", 1e6, 86400e9, NULL,
     "sending time", false},
    {"batch", VP_OPT_INT, offsetof(struct gen_opts, batch), "32", 1, VP_UDP_BATCH_MAX, NULL,
     "datagrams per sendmmsg at most: the largest burst", false},
    {"json", VP_OPT_BOOL, offsetof(struct gen_opts, json), NULL, 0, 0, NULL,
     "print a JSON document (start, end)", false},
    VP_OPT_END,
};

/* Tell the sink how many were sent until it answers with its figures. */
static int ask_report(struct vp_udp_tx *tx, uint64_t token, uint64_t sent, struct vp_udp_report *r,
                      struct vp_err *err)
{
    int fd = vp_udp_tx_fd(tx);
    struct timeval tv = {0, FIN_EVERY_MS * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (int i = 0; i < FIN_TRIES; i++) {
        uint8_t fin[VP_UDP_MIN_SIZE] = {0}, in[VP_UDP_REPLY_MAX];
        struct vp_udp_header h = {VP_UDP_FIN, 1, sent, vp_wall_ns(), token}, a;
        vp_udp_header_put(fin, &h);
        send(fd, fin, sizeof fin, 0);
        ssize_t n;
        while ((n = recv(fd, in, sizeof in, 0)) > 0)
            if (n == VP_UDP_REPORT_SIZE && vp_udp_header_get(in, (size_t)n, &a) &&
                (a.flags & VP_UDP_REPORT) && a.token == token && a.seq == sent) {
                vp_udp_report_get(in, r);
                return 0;
            }
    }
    return vp_run_error(err, 0,
                        "the sink did not report (its FIN unanswered for %d s): loss unknown",
                        FIN_EVERY_MS * FIN_TRIES / 1000);
}

static void print(const struct gen_opts *o, const struct vp_udp_tx_stats *st,
                  const struct vp_udp_report *r, bool limited)
{
    double secs = (double)st->elapsed_ns / 1e9, pps = (double)st->sent / secs;
    double mbps = (double)st->bytes * 8 / secs / 1e6,
           cpu = 100.0 * (double)st->cpu_ns / (double)st->elapsed_ns;
    uint64_t lost = st->sent - (r->received < st->sent ? r->received : st->sent);
    double loss = st->sent ? 100.0 * (double)lost / (double)st->sent : 0;
    double late_p99_us = vp_hist_percentile(&st->late, 99) / 1e3;
    if (!o->json) {
        printf("udp-gen: %llu datagrams of %llu B in %.3f s: %.0f/s, %.1f Mbit/s (planned %llu)\n",
               (unsigned long long)st->sent, (unsigned long long)o->size, secs, pps, mbps,
               (unsigned long long)st->planned);
        printf("  sink: received %llu, lost %llu (%.4f%%), reordered %llu, duplicates %llu, "
               "jitter %.3f ms, one-way delay p50 %.3f p99 %.3f ms\n",
               (unsigned long long)r->received, (unsigned long long)lost, loss,
               (unsigned long long)r->reordered, (unsigned long long)r->duplicates,
               (double)r->jitter_ns / 1e6, (double)r->delay_p50 / 1e6, (double)r->delay_p99 / 1e6);
        printf("  generator: cpu %.1f%%, batches late p99 %.1f us%s\n", cpu, late_p99_us,
               limited ? "; generator-limited: the figure is the sender's, not the path's" : "");
        return;
    }
    struct vp_json j;
    vp_json_init(&j, stdout);
    vp_json_object_begin(&j, NULL);
    vp_json_object_begin(&j, "start");
    vp_json_string(&j, "target", o->target);
    vp_json_int(&j, "size", (int64_t)o->size);
    vp_json_double(&j, "rate", o->rate);
    vp_json_double(&j, "duration_s", (double)o->duration / 1e9);
    vp_json_int(&j, "batch", o->batch);
    vp_json_object_end(&j);
    vp_json_object_begin(&j, "end");
    vp_json_int(&j, "sent", (int64_t)st->sent);
    vp_json_int(&j, "planned", (int64_t)st->planned);
    vp_json_double(&j, "seconds", secs);
    vp_json_double(&j, "pps", pps);
    vp_json_double(&j, "mbps", mbps);
    vp_json_int(&j, "received", (int64_t)r->received);
    vp_json_int(&j, "lost", (int64_t)lost);
    vp_json_double(&j, "loss_pct", loss);
    vp_json_int(&j, "reordered", (int64_t)r->reordered);
    vp_json_int(&j, "duplicates", (int64_t)r->duplicates);
    vp_json_int(&j, "too_late", (int64_t)r->too_late);
    vp_json_double(&j, "jitter_ms", (double)r->jitter_ns / 1e6);
    vp_json_object_begin(&j, "one_way_delay_ms");
    vp_json_int(&j, "count", (int64_t)r->delay_count);
    vp_json_double(&j, "min", (double)r->delay_min / 1e6);
    vp_json_double(&j, "p50", (double)r->delay_p50 / 1e6);
    vp_json_double(&j, "p99", (double)r->delay_p99 / 1e6);
    vp_json_double(&j, "max", (double)r->delay_max / 1e6);
    vp_json_object_end(&j);
    vp_json_double(&j, "generator_cpu_pct", cpu);
    vp_json_double(&j, "late_p99_us", late_p99_us);
    vp_json_int(&j, "send_refused", (int64_t)st->refused);
    vp_json_bool(&j, "generator_limited", limited);
    vp_json_object_end(&j);
    vp_json_object_end(&j);
    vp_json_finish(&j);
}

static int run(int argc, char **argv)
{
    struct gen_opts o;
    struct vp_err err = {0};
    struct vp_udp_tx *tx = NULL;
    vp_opt_defaults(gen_opt_table, &o, &err);
    struct vp_optset sets[] = {{gen_opt_table, &o}};
    char *pos[1];
    int npos, rc;
    if ((rc = vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, pos, 0, &npos, &err)) < 0)
        return vp_err_report(&err);
    struct vp_udp_tx_cfg cfg = {.size = (uint32_t)o.size,
                                .rate = o.rate,
                                .batch = (int)o.batch,
                                .flow = 1,
                                .token = vp_probe_new_token()};
    if (o.target[0] == '\0')
        rc = vp_input_error(&err, "udp-gen: --target HOST:PORT is required");
    else
        rc = vp_parse_hostport("target", o.target, &cfg.to, &cfg.to_len, &err);
    if (rc < 0 || (rc = vp_udp_tx_open(&cfg, &tx, &err)) < 0)
        return vp_err_report(&err);
    struct vp_udp_tx_stats st;
    struct vp_udp_report r;
    if ((rc = vp_udp_tx_run(tx, o.duration, &st, &err)) == 0)
        rc = ask_report(tx, cfg.token, st.sent, &r, &err);
    vp_udp_tx_close(tx);
    if (rc < 0)
        return vp_err_report(&err);
    /* paced: it fell behind its plan; unpaced: it kept a core busy, so the
     * rate is what it could send, whatever the path could take */
    bool limited = o.rate > 0 ? (double)st.sent < 0.99 * (double)st.planned ||
                                    vp_hist_percentile(&st.late, 99) > LATE_LIMIT_NS
                              : st.cpu_ns > st.elapsed_ns * 9 / 10;
    print(&o, &st, &r, limited);
    return VP_EXIT_OK;
}

static void gen_help(FILE *f)
{
    fputs("Sends test datagrams (64-bit sequence numbers, send stamps) to a udp-sink in\n"
          "sendmmsg batches, paced on absolute deadlines (a burst is one batch at most), for\n"
          "--duration; then asks the sink for its figures of the flow: loss is sent −\n"
          "received, exactly. The generator's CPU and lateness say when it, not the path,\n"
          "was the limit.\n\noptions:\n",
          f);
    vp_opt_print_help(f, gen_opt_table);
}

const struct vp_command vp_cmd_udp_gen = {
    .name = "udp-gen",
    .run = run,
    .summary = "UDP load: datagrams of one size, paced or not, loss exact to the datagram",
    .usage = "virtperf udp-gen --target HOST:PORT [--size N] [--rate R|0] [--duration T]\n"
             "       [--batch N] [--json]",
    .help = gen_help,
};
