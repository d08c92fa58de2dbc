/* virtperf sip-capacity: the highest calls/s a SIP server sustains within
 * stated criteria — ramp up by doubling to bracket it, then bisect — repeated
 * for a mean with a 95% CI. Steps where the generator was the bottleneck are
 * rejected: they bound the search but are not counted as the server's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/search.h"
#include "analysis/stats.h"
#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/host.h"
#include "core/json.h"
#include "core/signals.h"
#include "drivers/sip_capacity.h"
#include "net/target.h"
#include "rtp/addr.h"
#include "sip/report.h"

#define MAX_STEPS 64

struct step {
    int repeat;
    double rate;
    uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC around its calls */
    const char *verdict;
    struct vp_sip_uac_result r;
};

struct search {
    const struct vp_sip_capacity_opts *o;
    struct vp_sip_uac_cfg cfg;
    struct step steps[MAX_STEPS * 4];
    int nsteps;
    struct vp_search_result found;
    bool generator_limited;
};

/* One step at rate: run, judge, keep (analysis/search.h's trial). */
static int try_rate(void *ctx, int repeat, double rate, enum vp_verdict *verdict,
                    struct vp_err *err)
{
    struct search *s = ctx;
    if (s->nsteps == (int)(sizeof s->steps / sizeof s->steps[0]))
        return vp_run_error(err, 0, "sip-capacity: too many steps");
    if (s->nsteps > 0)
        vp_sleep_ns(s->o->settle);
    struct step *st = &s->steps[s->nsteps];
    s->cfg.rate = rate;
    st->start_ns = vp_now_ns();
    int rc = vp_sip_uac_run(&s->cfg, &st->r, err);
    st->end_ns = vp_now_ns();
    if (rc < 0)
        return rc;
    s->nsteps++;
    st->repeat = repeat;
    st->rate = rate;
    const struct vp_sip_counts *c = &st->r.total;
    uint64_t failed = vp_sip_counts_failed(c) + st->r.abandoned;
    double fail = c->created ? 100.0 * (double)failed / (double)c->created : 100;
    double p95 = st->r.inv200.count ? vp_hist_percentile(&st->r.inv200, 95) / 1e6 : 1e9;
    bool pass = c->created > 0 && fail <= s->o->fail_pct &&
                vp_sip_retrans_pct(c) <= s->o->retrans_pct && p95 <= s->o->p95_ms;
    st->verdict = st->r.generator_bottleneck ? "rejected" : pass ? "pass" : "fail";
    fprintf(stderr,
            "sip-capacity: repeat %d: %.0f calls/s: %s (failed %.2f%%, retrans %.2f%%, "
            "p95 %.2f ms, generator CPU %.0f%%)\n",
            repeat + 1, rate, st->verdict, fail, vp_sip_retrans_pct(c), p95,
            100 * st->r.cpu_fraction);
    if (st->r.interrupted)
        return -EINTR;
    *verdict = st->r.generator_bottleneck ? VP_TRIAL_REJECTED
               : pass                     ? VP_TRIAL_PASS
                                          : VP_TRIAL_FAIL;
    return 0;
}

/* The document: the search's steps are its rounds. */
static void print_doc(struct vp_doc *d, bool csv, const struct search *s, const double *best, int n,
                      const struct vp_summary *sum, int64_t run_id)
{
    struct vp_json *j = vp_doc_start(d, stdout, csv);
    vp_json_int(j, "run_id", run_id);
    vp_json_string(j, "target", s->o->target);
    vp_json_options(j, "params", vp_sip_capacity_opt_table, s->o);
    vp_host_json_now(j, "host");
    j = vp_doc_rows(d);
    for (int i = 0; i < s->nsteps; i++) {
        const struct step *st = &s->steps[i];
        vp_json_object_begin(j, NULL);
        vp_json_int(j, "repeat", st->repeat);
        vp_json_double(j, "rate", st->rate);
        vp_json_string(j, "verdict", st->verdict);
        vp_sip_report_counts_json(j, &st->r.total);
        vp_json_int(j, "abandoned", (int64_t)st->r.abandoned);
        vp_json_double(j, "invite_200_p95_ms",
                       st->r.inv200.count ? vp_hist_percentile(&st->r.inv200, 95) / 1e6 : 0);
        vp_json_double(j, "generator_cpu_fraction", st->r.cpu_fraction);
        vp_json_bool(j, "generator_bottleneck", st->r.generator_bottleneck);
        vp_json_object_end(j);
    }
    j = vp_doc_end(d);
    vp_json_array_begin(j, "max_rate_per_repeat");
    for (int i = 0; i < n; i++)
        vp_json_double(j, NULL, best[i]);
    vp_json_array_end(j);
    vp_json_double(j, "max_rate_mean", sum->mean);
    vp_json_double(j, "ci95_lo", sum->ci_lo);
    vp_json_double(j, "ci95_hi", sum->ci_hi);
    vp_json_bool(j, "generator_limited", s->generator_limited);
    vp_doc_close(d, NULL);
}

static int store(struct vp_store *st, struct search *s, const struct vp_summary *sum, int n,
                 int argc, char **argv, int64_t *run_id, struct vp_err *err)
{
    char command[2048] = "virtperf";
    for (int i = 0; i < argc; i++)
        snprintf(command + strlen(command), sizeof command - strlen(command), " %s", argv[i]);
    char *params = NULL;
    struct vp_json_buf pb;
    if (vp_json_buf_open(&pb) == 0) {
        vp_json_options(&pb.j, NULL, vp_sip_capacity_opt_table, s->o);
        params = vp_json_buf_close(&pb);
    }
    struct vp_sip_store_run run = {
        .kind = "capacity",
        .command = command,
        .params = params ? params : "{}",
        .target = s->o->target,
        .status = s->generator_limited ? "generator_limited" : "complete",
        .r = NULL,
        .cap_mean = sum->mean,
        .cap_lo = sum->ci_lo,
        .cap_hi = sum->ci_hi,
        .cap_n = n,
    };
    int rc = vp_sip_store_run(st, &run, &s->cfg, run_id, err);
    free(params);
    int k[128] = {0};
    for (int i = 0; rc == 0 && i < s->nsteps; i++) {
        const struct step *p = &s->steps[i];
        struct vp_sip_step_row row = {.repeat = p->repeat,
                                      .step = k[p->repeat % 128]++,
                                      .rate = p->rate,
                                      .r = &p->r,
                                      .verdict = p->verdict,
                                      .mono_start_s = (double)p->start_ns / 1e9,
                                      .mono_end_s = (double)p->end_ns / 1e9};
        rc = vp_sip_store_step(st, *run_id, &row, err);
    }
    return rc;
}

static int run(int argc, char **argv)
{
    struct vp_output_opts out;
    struct vp_sip_capacity_opts o;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct search *s = calloc(1, sizeof *s);
    struct vp_doc doc;
    int rc;
    int64_t run_id = 0;

    vp_doc_init(&doc, VP_DOC_ROUNDS, argc, argv);
    vp_opt_defaults(vp_output_opt_table, &out, &err);
    vp_opt_defaults(vp_sip_capacity_opt_table, &o, &err);
    struct vp_optset sets[] = {{vp_output_opt_table, &out}, {vp_sip_capacity_opt_table, &o}};
    char *pos[1];
    int npos;
    if (s == NULL) {
        rc = vp_run_error(&err, ENOMEM, "sip-capacity");
        goto out;
    }
    if ((rc = vp_opt_parse_argv(sets, 2, argc - 1, argv + 1, pos, 0, &npos, &err)) < 0)
        goto out;
    if (o.target[0] == '\0') {
        rc = vp_input_error(&err, "sip-capacity: --target HOST:PORT is required");
        goto out;
    }
    if (o.start > o.max) {
        rc = vp_input_error(&err, "sip-capacity: --start %.0f is above --max %.0f", o.start, o.max);
        goto out;
    }
    s->o = &o;
    if ((rc = vp_parse_target("sip-capacity", "target", o.target, &s->cfg.target,
                              &s->cfg.target_len, &err)) < 0 ||
        (rc = vp_output_open_store(&out, &st, &err)) < 0)
        goto out;
    s->cfg.duration_ns = o.step;
    s->cfg.drain_ns = o.drain;
    s->cfg.hold_ns = o.hold;
    s->cfg.interval_ns = 1000000000;
    s->cfg.t1_ns = o.t1;
    s->cfg.tick_ns = o.tick;
    s->cfg.threads = (int)o.threads;
    struct vp_search_cfg sc = {o.start, o.max, o.precision, 20, (int)o.repeats};
    if ((rc = vp_search_run(&sc, try_rate, s, &s->found, &err)) < 0)
        goto out;
    s->generator_limited = s->found.generator_limited;
    const double *best = s->found.best;
    const struct vp_summary sum = s->found.rate;
    int n = s->found.n;
    if ((rc = store(st, s, &sum, n, argc, argv, &run_id, &err)) < 0)
        goto out;
    if (out.json || out.csv) {
        print_doc(&doc, !out.json, s, best, n, &sum, run_id);
    } else {
        vp_search_print(stdout, &sum, best, n, "calls/s");
        printf("%s\n", s->generator_limited
                           ? "; some steps were rejected: the generator was the bottleneck"
                           : "");
    }
out:
    for (int i = 0; s && i < s->nsteps; i++)
        vp_sip_uac_result_free(&s->steps[i].r);
    free(s);
    vp_store_close(st);
    if (rc == -EINTR && vp_interrupted)
        rc = vp_run_error(&err, 0, "sip-capacity: interrupted");
    return rc < 0 ? vp_doc_fail(&doc, out.json, &err) : VP_EXIT_OK;
}

static void cap_help(FILE *f)
{
    fputs("Closed-loop search for the highest calls/s meeting the criteria: steps of\n"
          "sip-uac doubling from --start until one fails, then bisection. Repeated\n"
          "--repeats times; prints the mean with a 95% CI (Student t). Steps where the\n"
          "generator was the bottleneck are rejected: tried once more, then they bound the\n"
          "search (never pass) and the result is marked generator_limited.\n"
          "Stored in sip_runs (kind capacity) and sip_capacity_steps.\n\noptions:\n",
          f);
    vp_opt_print_help(f, vp_sip_capacity_opt_table);
    vp_opt_print_help(f, vp_output_opt_table);
}

const struct vp_command vp_cmd_sip_capacity = {
    .name = "sip-capacity",
    .run = run,
    .summary = "closed-loop search for a SIP server's highest clean calls/s, with a 95% CI",
    .usage = "virtperf sip-capacity --target HOST:PORT [--fail-pct 1] [--retrans-pct 5]\n"
             "       [--p95-ms 50] [--repeats 3] [--step 5s] [--json | --csv] [--store FILE]",
    .help = cap_help,
};
