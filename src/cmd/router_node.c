/* virtperf router-node: configure the namespace (or VM guest) it runs in as
 * one router of the test bed (router/node.h), then print how long the
 * routes took. Internal: the test bed runs it inside routers it cannot
 * reach from outside, in a guest. */
#include <stdio.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "router/node.h"

struct node_opts {
    int routes;
};

static const char *const route_steps[] = {"all", "add", "remove", "count", NULL};

static const struct vp_opt node_opt_table[] = {
    {"routes", VP_OPT_ENUM, offsetof(struct node_opts, routes), "all", 0, 0, route_steps,
     "all: configure everything; add, remove: the routes only; count: how many are there", false},
    VP_OPT_END,
};

static int node_main(int argc, char **argv)
{
    struct node_opts o;
    struct vp_err err = {0};
    struct vp_optset sets[] = {{node_opt_table, &o}};
    struct vp_router_node n;
    char *spec[2];
    int npos, rc;
    double secs = 0;
    if ((rc = vp_opt_defaults(node_opt_table, &o, &err)) < 0 ||
        (rc = vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, spec, 2, &npos, &err)) < 0)
        return vp_err_report(&err);
    if (npos != 1)
        rc = vp_input_error(&err, "router-node: give the router as one JSON argument");
    if (rc == 0)
        rc = vp_router_node_parse(spec[0], &n, &err);
    uint32_t count = 0;
    if (rc == 0 && o.routes == 3)
        rc = vp_router_node_count(&count, &err);
    else if (rc == 0)
        rc = o.routes == 0 ? vp_router_node_apply(&n, &secs, &err)
                           : vp_router_node_routes(&n, o.routes == 1, &secs, &err);
    if (rc < 0) {
        vp_err_prefix(&err, "router-node");
        return vp_err_report(&err);
    }
    struct vp_json j;
    vp_json_init_compact(&j, stdout);
    vp_json_object_begin(&j, NULL);
    vp_json_int(&j, "routes", o.routes == 3 ? count : n.routes);
    if (o.routes != 3)
        vp_json_double(&j, "routes_s", secs);
    vp_json_object_end(&j);
    vp_json_finish(&j);
    return VP_EXIT_OK;
}

const struct vp_command vp_cmd_router_node = {
    .name = "router-node",
    .run = node_main,
    .summary = "configure this namespace or guest as one router of the test bed (internal)",
    .usage = "virtperf router-node [--routes all|add|remove|count] JSON",
    .hidden = true,
};
