/* virtperf timing show RUN: per round, external and internal elapsed, their
 * ratio and the clock-distortion flag (timing/timing_store.h). RUN is a run
 * id, or a run token whose marks a time server recorded. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/signals.h"
#include "timing/probe.h"
#include "timing/sender.h"
#include "timing/server.h"
#include "timing/timing_store.h"

struct show_opts {
    double pct, ms;
};

static const struct vp_opt show_opt_table[] = {
    {"distortion-pct", VP_OPT_DOUBLE, offsetof(struct show_opts, pct), "1", 0, 1000, NULL,
     "for marks recorded under a token: flag rounds whose figures differ by more than this %...",
     false},
    {"distortion-ms", VP_OPT_DOUBLE, offsetof(struct show_opts, ms), "2", 0, 1e9, NULL,
     "...and by more than this many milliseconds", false},
    VP_OPT_END,
};

/* The document (or its rounds as CSV). */
static void print_doc(struct vp_doc *d, bool csv, const char *what, const char *store,
                      const struct vp_timing_row *rows, int n)
{
    int flagged = 0;
    struct vp_json *j = vp_doc_start(d, stdout, csv);
    vp_json_string(j, "run", what);
    vp_json_string(j, "store", store);
    j = vp_doc_rows(d);
    for (int i = 0; i < n; i++) {
        const struct vp_timing_row *r = &rows[i];
        flagged += r->distorted;
        vp_json_object_begin(j, NULL);
        vp_json_string(j, "appliance", r->appliance);
        vp_json_int(j, "round", r->round);
        vp_json_bool(j, "warmup", r->warmup);
        vp_json_double(j, "external_s", r->external_s);
        vp_json_double(j, "internal_s", r->internal_s);
        vp_json_double(j, "ratio", r->ratio);
        vp_json_bool(j, "clock_distorted", r->distorted);
        vp_json_int(j, "copies", r->copies);
        vp_json_object_end(j);
    }
    j = vp_doc_end(d);
    vp_json_int(j, "rounds", n);
    vp_json_int(j, "clock_distorted_rounds", flagged);
    vp_doc_close(d, NULL);
}

static void print_text(const char *what, const struct vp_timing_row *rows, int n)
{
    printf("timing of run %s (ratio = internal / external)\n\n", what);
    int nwarm = 0; /* rounds are numbered as in `results show`: w1.., then 1.. */
    for (int i = 0; i < n; i++)
        nwarm += rows[i].warmup;
    printf("%-12s %-6s %12s %12s %8s  %s\n", "appliance", "round", "external_s", "internal_s",
           "ratio", "clock");
    for (int i = 0; i < n; i++) {
        const struct vp_timing_row *r = &rows[i];
        char label[16];
        snprintf(label, sizeof label, "%s%d", r->warmup ? "w" : "",
                 r->warmup ? r->round + 1 : r->round - nwarm + (nwarm ? 1 : 0));
        printf("%-12.12s %-6s %12.6f %12.6f %8.4f  %s\n", r->appliance, label, r->external_s,
               r->internal_s, r->ratio, r->distorted ? "DISTORTED" : "ok");
    }
}

static int show(int argc, char **argv)
{
    struct vp_output_opts out;
    struct show_opts so;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_timing_row *rows = NULL;
    struct vp_doc doc;
    int n = 0, npos, rc;
    char *pos[2];
    struct vp_optset sets[] = {{vp_output_opt_table, &out}, {show_opt_table, &so}};
    vp_doc_init(&doc, VP_DOC_ROUNDS, argc, argv);
    vp_opt_defaults(vp_output_opt_table, &out, &err);
    vp_opt_defaults(show_opt_table, &so, &err);
    if ((rc = vp_opt_parse_argv(sets, 2, argc - 1, argv + 1, pos, 2, &npos, &err)) < 0)
        goto out;
    if (npos != 1) {
        rc = vp_input_error(&err, "timing show: name one run (an id or a 16-digit token)");
        goto out;
    }
    const char *what = pos[0];
    char *end;
    long long id = strtoll(what, &end, 10);
    uint64_t token = 0;
    bool is_token = strlen(what) == 16 && vp_probe_token_parse(what, &token) == 0;
    if (!is_token && (*end || id <= 0)) {
        rc = vp_input_error(&err, "timing show: \"%s\" is neither a run id nor a run token", what);
        goto out;
    }
    if ((rc = vp_output_open_store(&out, &st, &err)) < 0)
        goto out;
    if (is_token) {
        int64_t run = vp_timing_run_of_token(st, token);
        rc = run > 0 ? vp_timing_load_run(st, run, &rows, &n, &err)
                     : vp_timing_load_marks(st, token, so.pct, so.ms, &rows, &n, &err);
    } else {
        rc = vp_timing_load_run(st, id, &rows, &n, &err);
    }
    if (rc < 0)
        goto out;
    if (n == 0) {
        rc = vp_input_error(&err, "timing show: no timed rounds for run %s in %s", what,
                            vp_store_name(st));
        goto out;
    }
    if (out.json || out.csv)
        print_doc(&doc, !out.json, what, vp_store_name(st), rows, n);
    else
        print_text(what, rows, n);
out:
    free(rows);
    vp_store_close(st);
    return rc < 0 ? vp_doc_fail(&doc, out.json, &err) : VP_EXIT_OK;
}

struct cal_opts {
    char timeserver[VP_STR_MAX];
    char key_file[VP_STR_MAX];
    int64_t rounds;
    uint64_t length;
    bool json;
};

static const struct vp_opt cal_opt_table[] = {
    {"timeserver", VP_OPT_STRING, offsetof(struct cal_opts, timeserver), NULL, 0, 0, NULL,
     "ADDR:PORT of a time server [default: one in this process, on loopback]", false},
    {"key-file", VP_OPT_PATH, offsetof(struct cal_opts, key_file), NULL, 0, 0, NULL,
     "the server's key (with --timeserver)", false},
    {"rounds", VP_OPT_INT, offsetof(struct cal_opts, rounds), "1000", 1, 1000000, NULL,
     "rounds of known length", false},
    {"length", VP_OPT_DURATION, offsetof(struct cal_opts, length), "10ms", 1e3, 6e10, NULL,
     "length of each round: a busy wait on CLOCK_MONOTONIC", false},
    {"json", VP_OPT_BOOL, offsetof(struct cal_opts, json), NULL, 0, 0, NULL,
     "print JSON (sections start, rounds, end, error) instead of a line", false},
    VP_OPT_END,
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Time rounds of known length as the round driver does and collect
 * |external - true| in microseconds into err_us. */
static int calibrate_rounds(struct vp_mark_client *mc, const struct cal_opts *o, double *err_us,
                            struct vp_err *err)
{
    int rc = 0;
    for (int64_t i = 0; i < o->rounds && rc == 0; i++) {
        struct vp_mark_ack s, e;
        uint32_t round = (uint32_t)i;
        if ((rc = vp_mark_post(mc, VP_PROBE_START, round, err)) < 0)
            break;
        uint64_t t0 = vp_now_ns(), t1;
        while ((t1 = vp_now_ns()) - t0 < o->length)
            ;
        if ((rc = vp_mark_post(mc, VP_PROBE_END, round, err)) < 0 ||
            (rc = vp_mark_wait(mc, VP_PROBE_START, &s, err)) < 0 ||
            (rc = vp_mark_wait(mc, VP_PROBE_END, &e, err)) < 0)
            break;
        err_us[i] = fabs((double)(e.server_ns - s.server_ns) - (double)(t1 - t0)) / 1e3;
        if (vp_interrupted)
            rc = vp_run_error(err, EINTR, "timing calibrate: interrupted");
    }
    return rc;
}

/* virtperf timing calibrate: the error of external timing on this path. */
static int calibrate(int argc, char **argv)
{
    struct cal_opts o;
    struct vp_err err = {0};
    struct vp_optset sets[] = {{cal_opt_table, &o}};
    struct vp_timeserver *ts = NULL;
    struct vp_mark_client *mc = NULL;
    double *err_us = NULL;
    struct vp_doc doc;
    char *pos[1];
    int npos, rc;
    struct vp_mark_client_cfg cc = {.appliance = "calibrate"};
    vp_doc_init(&doc, VP_DOC_ROUNDS, argc, argv);
    o.json = false;
    if ((rc = vp_opt_defaults(cal_opt_table, &o, &err)) < 0 ||
        (rc = vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, pos, 0, &npos, &err)) < 0)
        goto out;
    if (o.timeserver[0]) {
        if (o.key_file[0] == 0) {
            rc = vp_input_error(&err, "--timeserver needs --key-file");
            goto out;
        }
        if ((rc = vp_probe_key_load(o.key_file, &cc.key, &err)) < 0)
            goto out;
    } else {
        struct vp_timeserver_cfg tc = {.listen = "127.0.0.1:0"};
        vp_probe_key_random(&tc.key);
        cc.key = tc.key;
        if ((rc = vp_timeserver_start(&tc, &ts, &err)) < 0)
            goto out;
        snprintf(o.timeserver, sizeof o.timeserver, "%s", vp_timeserver_address(ts));
    }
    cc.server = o.timeserver;
    cc.token = vp_probe_new_token();
    err_us = calloc((size_t)o.rounds, sizeof *err_us);
    if (err_us == NULL) {
        rc = vp_run_error(&err, ENOMEM, "timing calibrate");
        goto out;
    }
    if ((rc = vp_mark_client_open(&cc, &mc, &err)) < 0 ||
        (rc = calibrate_rounds(mc, &o, err_us, &err)) < 0)
        goto out;
    qsort(err_us, (size_t)o.rounds, sizeof *err_us, cmp_double);
    size_t n = (size_t)o.rounds;
    double p50 = err_us[(n - 1) / 2], p99 = err_us[(size_t)((double)(n - 1) * 0.99)],
           max = err_us[n - 1], sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += err_us[i];
    if (o.json) { /* the rounds' errors in summary: no rows */
        struct vp_json *j = vp_doc_start(&doc, stdout, false);
        vp_json_string(j, "timeserver", o.timeserver);
        vp_json_bool(j, "in_process", ts != NULL);
        vp_json_int(j, "rounds", o.rounds);
        vp_json_double(j, "length_s", (double)o.length / 1e9);
        j = vp_doc_end(&doc);
        vp_json_double(j, "error_mean_us", sum / (double)n);
        vp_json_double(j, "error_p50_us", p50);
        vp_json_double(j, "error_p99_us", p99);
        vp_json_double(j, "error_max_us", max);
        vp_doc_close(&doc, NULL);
    } else {
        printf("%lld rounds of %.3f ms against %s%s: |external - true| mean %.1f us, p50 %.1f "
               "us, p99 %.1f us, max %.1f us\n",
               (long long)o.rounds, (double)o.length / 1e6, o.timeserver,
               ts ? " (in this process)" : "", sum / (double)n, p50, p99, max);
    }
out:
    vp_mark_client_close(mc);
    vp_timeserver_stop(ts);
    free(err_us);
    return rc < 0 ? vp_doc_fail(&doc, o.json, &err) : VP_EXIT_OK;
}

static int timing_main(int argc, char **argv)
{
    static const struct vp_subcommand subs[] = {
        {"show", show}, {"calibrate", calibrate}, {NULL, NULL}};
    return vp_run_subcommand(subs, argc, argv);
}

static void timing_help(FILE *f)
{
    fputs("External is the time server's clock (end mark's receive stamp minus the start\n"
          "mark's); internal the appliance's own (CLOCK_MONOTONIC around the round, or for\n"
          "`virtperf mark` the difference of the sender's clock readings). A round is flagged\n"
          "DISTORTED when they differ by more than 1% and more than 2 ms.\n\nshow options:\n",
          f);
    vp_opt_print_help(f, show_opt_table);
    vp_opt_print_help(f, vp_output_opt_table);
    fputs("\ncalibrate: rounds of known length (busy waits) timed through a time server, and\n"
          "the distribution of |external - true|, the error bound of external timing on\n"
          "this path.\n",
          f);
    vp_opt_print_help(f, cal_opt_table);
}

const struct vp_command vp_cmd_timing = {
    .name = "timing",
    .run = timing_main,
    .summary = "per round external and internal elapsed, their ratio, clock distortion",
    .usage = "virtperf timing show RUN [--json | --csv] [--store FILE]\n"
             "virtperf timing calibrate [--rounds N] [--length T] [--timeserver ADDR:PORT "
             "--key-file F]",
    .help = timing_help,
};
