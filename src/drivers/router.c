/* router: seed 004's virtual routers (virtperf router) as a load of an
 * experiment, one run per point on a test bed the command builds itself;
 * its run is a router_runs row with its trials. */
#include "drivers/router.h"

#include <math.h>
#include <string.h>

#include "store/db.h"
#include "drivers/driver.h"
#include "router/forward.h"

const struct vp_opt vp_router_opt_table[] = {
    {"path", VP_OPT_ENUM, offsetof(struct vp_router_opts, path), "bridge", 0, 0, vp_fwd_path_names,
     "between the host and the routers: bridge, routed or direct", false},
    {"platform", VP_OPT_ENUM, offsetof(struct vp_router_opts, platform), "netns", 0, 0,
     vp_fwd_platform_names,
     "what a router is: netns (a bare namespace: the host's kernel forwards), container (an "
     "appliance of the container platform: the same kernel forwards, its routes count against "
     "its memory) or vm (a QEMU guest: its kernel forwards)",
     false},
    {"memory", VP_OPT_SIZE, offsetof(struct vp_router_opts, memory), "0", 0, 1ull << 40, NULL,
     "each router's memory limit (container, vm; 0: none for a container, 256M for a VM)", false},
    {"routers", VP_OPT_INT, offsetof(struct vp_router_opts, routers), "1", 1, VP_FWD_MAX_ROUTERS,
     NULL, "routers forwarding at once (frames take turns over them)", false},
    {"routes", VP_OPT_COUNT, offsetof(struct vp_router_opts, routes), "1000", 1, VP_FWD_MAX_ROUTES,
     NULL, "routes in each router's table (/24s; destinations spread over all of them)", false},
    {"frame", VP_OPT_SIZE, offsetof(struct vp_router_opts, frame), "60", 60, 1514, NULL,
     "frame bytes without the FCS (60: 64-byte frames on the wire)", false},
    {"trial", VP_OPT_DURATION, offsetof(struct vp_router_opts, trial), "1s", 1e8, 60e9, NULL,
     "sending time of each trial of the search", false},
    {"loss", VP_OPT_DOUBLE, offsetof(struct vp_router_opts, loss_pct), "0.1", 0, 50, NULL,
     "loss % a passing trial may have (RFC 2544 asks 0; 0.1 is seed 004's)", false},
    {"start", VP_OPT_DOUBLE, offsetof(struct vp_router_opts, start), "10000", 1, 1e8, NULL,
     "first rate tried, frames/s; doubled until a trial fails", false},
    {"max", VP_OPT_DOUBLE, offsetof(struct vp_router_opts, max), "4000000", 1, 1e8, NULL,
     "highest rate tried, frames/s", false},
    {"precision", VP_OPT_DOUBLE, offsetof(struct vp_router_opts, precision), "0.02", 0.001, 0.5,
     NULL, "bisection stops within this fraction of the rate", false},
    {"repeats", VP_OPT_INT, offsetof(struct vp_router_opts, repeats), "3", 1, VP_SEARCH_MAX_REPEATS,
     NULL, "searches; the rate is their mean with a 95% CI", false},
    {"echoes", VP_OPT_INT, offsetof(struct vp_router_opts, echoes), "500", 0, 65535, NULL,
     "ICMP echoes through router 0 (1 ms apart), idle and at the rate found; 0: none", false},
    {"gen-cpu", VP_OPT_INT, offsetof(struct vp_router_opts, gen_cpu), "0", -1, 1023, NULL,
     "CPU of the generator (the routers' work is steered to the others); -1: not pinned", false},
    VP_OPT_END,
};

static void fill_run(struct vp_stmt *q, void *ctx)
{
    struct vp_load_figures *f = ctx;
    struct vp_load_router *r = f->own;
    vp_load_col_text(f->status, sizeof f->status, q, 0);
    vp_load_col_text(r->path, sizeof r->path, q, 1);
    r->routers = vp_db_column_int(q, 2);
    r->routes = vp_db_column_int64(q, 3);
    r->install_s_max = vp_load_col_double(q, 4);
    f->generator_limited = strcmp(f->status, "generator_limited") == 0;
}

static int summarise(struct vp_store *st, int64_t id, struct vp_load_figures *f, struct vp_err *err)
{
    struct vp_load_router *r = f->own;
    struct vp_stmt *q;
    int rc = vp_load_run_row(st,
                             "SELECT status, path, routers, routes, install_s_max FROM router_runs "
                             "WHERE id = ?1",
                             id, fill_run, f, "router run", err);
    if (rc != 0)
        return rc;
    /* each search's best passing rate (0 when none passed), from its trials */
    if ((rc = vp_store_prepare(st,
                               "SELECT max(CASE WHEN verdict = 'pass' THEN rate END) FROM "
                               "router_trials WHERE run_id = ?1 GROUP BY repeat ORDER BY repeat",
                               &q, err)) < 0)
        return rc;
    vp_db_bind_int64(q, 1, id);
    while ((rc = vp_db_step(q)) == VP_DB_ROW && r->nrepeats < VP_SEARCH_MAX_REPEATS)
        r->best[r->nrepeats++] = vp_db_column_is_null(q, 0) ? 0 : vp_db_column_double(q, 0);
    vp_db_finalize(q);
    if (rc != VP_DB_DONE && rc != VP_DB_ROW)
        return vp_store_sql_error(st, err, "router trials");
    if (r->nrepeats > 0)
        vp_summarize(r->best, r->nrepeats, false, &r->rate);
    return 0;
}

static void print(FILE *out, const struct vp_load_figures *f)
{
    const struct vp_load_router *r = f->own;
    fprintf(out, "%s path, %d router%s, %lld routes: ", r->path, r->routers,
            r->routers == 1 ? "" : "s", (long long)r->routes);
    vp_search_print(out, &r->rate, r->best, r->nrepeats, "frames/s");
}

static void json(struct vp_json *j, const struct vp_load_figures *f)
{
    const struct vp_load_router *r = f->own;
    vp_json_string(j, "path", r->path);
    vp_json_int(j, "routers", r->routers);
    vp_json_int(j, "routes", r->routes);
    vp_json_double(j, "rate_mean", r->rate.n ? r->rate.mean : NAN);
    vp_json_double(j, "rate_ci95_lo", vp_ci_shown(&r->rate) ? r->rate.ci_lo : NAN);
    vp_json_double(j, "rate_ci95_hi", vp_ci_shown(&r->rate) ? r->rate.ci_hi : NAN);
    vp_json_int(j, "searches", r->rate.n);
    vp_json_array_begin(j, "rate_per_repeat");
    for (int i = 0; i < r->nrepeats; i++)
        vp_json_double(j, NULL, r->best[i]);
    vp_json_array_end(j);
    vp_json_double(j, "install_s_max", r->install_s_max);
}

/* A bar of the forwarding rate when a search passed anything. */
static enum vp_chart draw(const struct vp_load_figures *f, struct vp_chart_value *v)
{
    const struct vp_load_router *r = f->own;
    if (r->rate.n <= 0)
        return VP_CHART_NONE;
    v->rate = r->rate;
    v->unit = "frames/s";
    return VP_CHART_CAPACITY_BAR;
}

/* Options whose values the runner chooses: none but the output. */
static const char *const reserved[] = {"json", "csv", "store", NULL};

const struct vp_driver vp_driver_router = {
    .name = "router",
    .command = "router",
    .options = {vp_router_opt_table, sizeof(struct vp_router_opts)},
    .serves = NULL, /* its own test bed: no target */
    .target_opt = NULL,
    .reserved = reserved,
    .stoppable = false,
    .privileged = true, /* it makes namespaces, links and routes, and QEMU guests */
    .store_kind = "router",
    .figures_size = sizeof(struct vp_load_router),
    .summarise = summarise,
    .print = print,
    .json = json,
    .draw = draw,
    .generator_note = "the tester, not the routers, was the limit in some trials: the routers "
                      "may forward more",
};
