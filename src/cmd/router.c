/* virtperf router: seed 004's virtual-router evaluation on a test bed of
 * the run's own namespaces (router/topo.h): the forwarding rate of 64-byte
 * frames through 1..8 Linux routers with N routes each, over the bridge,
 * routed or direct path (RFC 2544 throughput with a 95% CI), and the
 * latency through router 0 by ICMP echo, timed on the tester. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/host.h"
#include "core/json.h"
#include "drivers/router.h"
#include "router/forward.h"
#include "router/store_router.h"

static uint64_t other_cpus(int gen_cpu)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (gen_cpu < 0 || n < 2 || n > 64)
        return 0;
    uint64_t all = n == 64 ? ~0ull : (1ull << n) - 1;
    return all & ~(1ull << gen_cpu);
}

static void print_box(const char *what, const struct vp_echo_result *e)
{
    struct vp_boxplot b;
    vp_hist_boxplot(&e->rtt, &b);
    printf("  %s: %d of %d answered; round trip µs min %.1f q1 %.1f median %.1f q3 %.1f "
           "max %.1f\n",
           what, e->received, e->sent, b.min / 1e3, b.q1 / 1e3, b.median / 1e3, b.q3 / 1e3,
           b.max / 1e3);
}

static void print_text(const struct vp_router_opts *o, const struct vp_fwd_result *r)
{
    const struct vp_search_result *s = &r->search;
    printf("virtual routers: %d (%s%s%s) on the %s path, %llu routes each (installed in",
           r->topo.cfg.routers, vp_fwd_platform_names[o->platform], r->topo.accel[0] ? ", " : "",
           r->topo.accel, vp_fwd_path_names[o->path], (unsigned long long)o->routes);
    for (int i = 0; i < r->topo.cfg.routers; i++)
        printf(" %.3f s", r->topo.r[i].routes_s);
    printf(")\n");
    printf("forwarding rate (%llu-byte frames, loss <= %g%%): ", (unsigned long long)o->frame + 4,
           o->loss_pct);
    vp_search_print(stdout, &s->rate, s->best, s->n, "frames/s");
    printf(", %d trials%s\n", s->trials,
           s->generator_limited
               ? "; the tester was the limit in some trials (rejected): the routers may "
                 "forward more"
               : "");
    if (r->per_router && r->topo.cfg.routers > 1) {
        printf("  each router's share of the frames at the highest passing rate:");
        for (int p = 0; p < r->topo.cfg.routers; p++)
            printf(" %.1f%%", 100 * r->share[p]);
        printf("\n");
    }
    if (r->idle.sent > 0)
        print_box("latency idle", &r->idle);
    if (r->loaded.sent > 0) {
        char what[64];
        snprintf(what, sizeof what, "latency at %.0f frames/s", r->loaded_rate);
        print_box(what, &r->loaded);
    }
}

static void json_box(struct vp_json *j, const char *name, const struct vp_echo_result *e)
{
    struct vp_boxplot b;
    vp_hist_boxplot(&e->rtt, &b);
    vp_json_object_begin(j, name);
    vp_json_int(j, "sent", e->sent);
    vp_json_int(j, "received", e->received);
    vp_json_double(j, "min_us", b.min / 1e3);
    vp_json_double(j, "q1_us", b.q1 / 1e3);
    vp_json_double(j, "median_us", b.median / 1e3);
    vp_json_double(j, "q3_us", b.q3 / 1e3);
    vp_json_double(j, "max_us", b.max / 1e3);
    vp_json_object_end(j);
}

/* The document: the search's trials are its rounds. */
static void print_doc(struct vp_doc *d, bool csv, const struct vp_router_opts *o,
                      const struct vp_fwd_result *r, int64_t run_id)
{
    static const char *const verdicts[] = {"fail", "pass", "rejected"};
    struct vp_json *j = vp_doc_start(d, stdout, csv);
    vp_json_int(j, "run_id", run_id);
    vp_json_options(j, "params", vp_router_opt_table, o);
    vp_json_raw(j, "platform", r->topo.platform);
    vp_host_json_now(j, "host");
    j = vp_doc_rows(d);
    for (int i = 0; i < r->ntrials; i++) {
        const struct vp_fwd_trial *t = &r->trials[i];
        vp_json_object_begin(j, NULL);
        vp_json_int(j, "repeat", t->repeat);
        vp_json_double(j, "rate", t->rate);
        vp_json_int(j, "sent", (int64_t)t->sent);
        vp_json_int(j, "received", (int64_t)t->received);
        vp_json_int(j, "not_forwarded", (int64_t)t->not_forwarded);
        vp_json_int(j, "sink_drops", (int64_t)t->ring_drops);
        vp_json_double(j, "generator_cpu", t->gen_cpu);
        vp_json_string(j, "verdict", verdicts[t->verdict]);
        vp_json_array_begin(j, "per_router");
        for (int p = 0; r->per_router && p < r->topo.cfg.routers; p++)
            vp_json_int(j, NULL, (int64_t)t->peer_received[p]);
        vp_json_array_end(j);
        vp_json_object_end(j);
    }
    j = vp_doc_end(d);
    vp_json_array_begin(j, "install_s");
    for (int i = 0; i < r->topo.cfg.routers; i++)
        vp_json_double(j, NULL, r->topo.r[i].routes_s);
    vp_json_array_end(j);
    vp_json_array_begin(j, "rate_per_repeat");
    for (int i = 0; i < r->search.n; i++)
        vp_json_double(j, NULL, r->search.best[i]);
    vp_json_array_end(j);
    vp_json_double(j, "rate_mean", r->search.rate.mean);
    vp_json_double(j, "ci95_lo", r->search.rate.ci_lo);
    vp_json_double(j, "ci95_hi", r->search.rate.ci_hi);
    vp_json_bool(j, "generator_limited", r->search.generator_limited);
    vp_json_array_begin(j, "router_share");
    for (int p = 0; r->per_router && p < r->topo.cfg.routers; p++)
        vp_json_double(j, NULL, r->share[p]);
    vp_json_array_end(j);
    json_box(j, "latency_idle", &r->idle);
    json_box(j, "latency_loaded", &r->loaded);
    vp_json_double(j, "latency_loaded_rate", r->loaded_rate);
    vp_doc_close(d, NULL);
}

static int run(int argc, char **argv)
{
    struct vp_output_opts out;
    struct vp_router_opts o;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_fwd_result *r = calloc(1, sizeof *r);
    struct vp_doc doc;
    int64_t run_id = 0;
    vp_doc_init(&doc, VP_DOC_ROUNDS, argc, argv);
    vp_opt_defaults(vp_output_opt_table, &out, &err);
    vp_opt_defaults(vp_router_opt_table, &o, &err);
    struct vp_optset sets[] = {{vp_output_opt_table, &out}, {vp_router_opt_table, &o}};
    char *pos[1];
    int npos, rc;
    if (r == NULL) {
        rc = vp_run_error(&err, ENOMEM, "router");
        goto out;
    }
    if ((rc = vp_opt_parse_argv(sets, 2, argc - 1, argv + 1, pos, 0, &npos, &err)) < 0)
        goto out;
    if (o.start > o.max) {
        rc = vp_input_error(&err, "router: --start %.0f is above --max %.0f", o.start, o.max);
        goto out;
    }
    if (geteuid() != 0) {
        rc = vp_input_error(&err, "router: needs root (it makes network namespaces)");
        goto out;
    }
    struct vp_fwd_cfg cfg = {
        .topo = {(enum vp_fwd_path)o.path, (int)o.routers, (uint32_t)o.routes,
                 other_cpus((int)o.gen_cpu), o.gen_cpu >= 0 ? 1ull << o.gen_cpu : 0,
                 (enum vp_fwd_platform)o.platform, o.memory},
        .frame_len = (uint32_t)o.frame,
        .trial_ns = o.trial,
        .loss_limit = o.loss_pct / 100,
        .search = {o.start, o.max, o.precision, 1000, (int)o.repeats},
        .gen_cpu = (int)o.gen_cpu,
        .echoes = (int)o.echoes,
    };
    if ((rc = vp_output_open_store(&out, &st, &err)) < 0 || (rc = vp_fwd_run(&cfg, r, &err)) < 0)
        goto out;
    char *params = NULL;
    struct vp_json_buf pb;
    if (vp_json_buf_open(&pb) == 0) {
        vp_json_options(&pb.j, NULL, vp_router_opt_table, &o);
        params = vp_json_buf_close(&pb);
    }
    rc = vp_router_store_run(st, argc, argv, params ? params : "{}", r, &run_id, &err);
    free(params);
    if (rc < 0)
        goto out;
    if (out.json || out.csv)
        print_doc(&doc, !out.json, &o, r, run_id);
    else
        print_text(&o, r);
out:
    free(r);
    vp_store_close(st);
    return rc < 0 ? vp_doc_fail(&doc, out.json, &err) : VP_EXIT_OK;
}

static void help(FILE *f)
{
    fputs("Builds seed 004's test bed in namespaces of its own — a tester, the host, N\n"
          "routers with --routes routes each, a sink — joined over the bridge, routed or\n"
          "direct path, and searches the highest rate of --frame byte frames the routers\n"
          "forward with at most --loss % lost (RFC 2544 throughput: double, then bisect,\n"
          "--repeats times, a 95% CI). Frames take turns over the routers and spread over\n"
          "every route; the sink counts each trial's forwarded frames exactly. Then times\n"
          "ICMP echoes through router 0 from the tester, idle and at the rate found. A\n"
          "trial the tester could not run as planned is rejected, and the result says the\n"
          "tester was the limit. Nothing it makes outlives it.\n\noptions:\n",
          f);
    vp_opt_print_help(f, vp_router_opt_table);
    vp_opt_print_help(f, vp_output_opt_table);
}

const struct vp_command vp_cmd_router = {
    .name = "router",
    .run = run,
    .summary = "virtual routers' forwarding rate (RFC 2544, 95% CI) and echo latency",
    .usage = "virtperf router [--path bridge|routed|direct] [--platform netns|container|vm]\n"
             "       [--memory SIZE] [--routers N] [--routes N] [--frame N] [--trial T]\n"
             "       [--repeats N] [--echoes N] [--json | --csv] [--store F]",
    .help = help,
};
