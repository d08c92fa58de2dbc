/* The virtual-router test bed (router/topo.h): on each path, with one and
 * two routers, an ICMP echo from the tester reaches the sink through
 * router 0 and comes back (so every link, address, rule and neighbour
 * entry is right), the routers' tables hold exactly the routes asked for;
 * 100,000 routes are installed, counted, removed and counted again; bad
 * sizes are refused; closing the test bed leaves no namespace behind; and
 * the same with routers that are containers (test_container_routers: their
 * routes installed from inside, against the container's memory limit) and
 * QEMU guests (test_vm_routers).
 * Everything lives in namespaces the test makes. Needs root. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "platform/platform.h"
#include "router/echo.h"
#include "router/node.h"
#include "router/topo.h"
#include "router/topo_app.h"

/* Descriptors of this process that hold a network namespace. */
static int netns_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        char path[300], target[64];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len > 0) {
            target[len] = '\0';
            n += strncmp(target, "net:[", 5) == 0;
        }
    }
    if (d)
        closedir(d);
    return n;
}

static void echo_through(struct vp_fwd_topo *t)
{
    struct vp_echo_cfg cfg = {t->echo_target, 5, 20000000, 1000000000};
    struct vp_echo_result res;
    struct vp_err err = {0};
    CHECK_INT(vp_echo_run(t->tester_ns, &cfg, &res, &err), 0);
    CHECK_INT(res.sent, 5);
    CHECK_INT(res.received, 5);
    CHECK_INT(res.rtt.count, 5);
    CHECK(res.rtt.min > 0 && res.rtt.max < 1000000000);
}

/* What a router is told survives its trip to a guest as JSON, exactly. */
static void node_round_trip(const struct vp_router_node *n)
{
    struct vp_router_node back;
    struct vp_err err = {0};
    char *json = vp_router_node_json(n);
    CHECK(json != NULL);
    CHECK_INT(vp_router_node_parse(json, &back, &err), 0);
    CHECK(memcmp(&back, n, sizeof back) == 0);
    free(json);
}

/* A spec that is not one: an input error naming what is wrong. */
static void test_node_bad_json(void)
{
    static const struct {
        const char *json, *says;
    } bad[] = {
        {"{", "(column 1)"},
        {"{\"addr\":1,\"neigh\":[],\"route\":[]}", "lists of at most 4"},
        {"{\"addr\":[[\"eth0\",\"10.1.0.1\"]],\"neigh\":[],\"route\":[]}",
         "addr 0: want [dev, addr, plen]"},
        {"{\"addr\":[],\"neigh\":[[\"eth1\",\"10.2.0.1\",\"02:76\"]],\"route\":[]}",
         "neigh 0: want [dev, addr, mac]"},
        {"{\"addr\":[],\"neigh\":[],\"route\":[],\"block\":\"20.0.0\",\"routes\":1,"
         "\"via\":\"x\",\"via_dev\":\"eth1\"}",
         "want block (an IPv4 address)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct vp_router_node n;
        struct vp_err err = {0};
        CHECK_INT(vp_router_node_parse(bad[i].json, &n, &err), -EINVAL);
        CHECK_INT(err.kind, VP_ERR_INPUT);
        if (strstr(err.msg, bad[i].says) == NULL)
            fprintf(stderr, "  %s: said \"%s\"\n", bad[i].json, err.msg);
        CHECK(strstr(err.msg, bad[i].says) != NULL);
    }
}

static void test_paths(void)
{
    for (int path = 0; path < VP_FWD_PATHS; path++)
        for (int routers = 1; routers <= 2; routers++) {
            struct vp_fwd_topo_cfg cfg = {(enum vp_fwd_path)path, routers, 1000, 0, 0,
                                          VP_FWD_NETNS,           0};
            struct vp_fwd_topo t;
            struct vp_err err = {0};
            int rc = vp_fwd_topo_make(&cfg, &t, &err);
            if (rc != 0)
                fprintf(stderr, "%s, %d routers: %s\n", vp_fwd_path_names[path], routers, err.msg);
            CHECK_INT(rc, 0);
            if (rc != 0)
                continue;
            echo_through(&t);
            for (int i = 0; i < routers; i++) {
                uint32_t n = 0;
                CHECK_INT(vp_fwd_topo_route_count(&t, i, &n, &err), 0);
                CHECK_INT(n, 1000);
                CHECK_INT(t.r[i].block, (uint32_t)(20 + 2 * i) << 24);
                node_round_trip(&t.r[i].node);
            }
            vp_fwd_topo_free(&t);
        }
}

static void test_100k_routes(void)
{
    struct vp_fwd_topo_cfg cfg = {VP_FWD_BRIDGE, 1, 100000, 0, 0, VP_FWD_NETNS, 0};
    struct vp_fwd_topo t;
    struct vp_err err = {0};
    CHECK_INT(vp_fwd_topo_make(&cfg, &t, &err), 0);
    uint32_t n = 0;
    CHECK_INT(vp_fwd_topo_route_count(&t, 0, &n, &err), 0);
    CHECK_INT(n, 100000);
    fprintf(stderr, "100000 routes installed in %.3f s\n", t.r[0].routes_s);
    double secs;
    CHECK_INT(vp_fwd_topo_routes(&t, 0, false, &secs, &err), 0);
    fprintf(stderr, "100000 routes removed in %.3f s\n", secs);
    CHECK_INT(vp_fwd_topo_route_count(&t, 0, &n, &err), 0);
    CHECK_INT(n, 0);
    /* removing them again: the kernel refuses, and the error says which */
    CHECK(vp_fwd_topo_routes(&t, 0, false, &secs, &err) < 0);
    CHECK(strstr(err.msg, "router 0: route 1 of 100000 not removed") != NULL);
    CHECK_INT(vp_fwd_topo_routes(&t, 0, true, &secs, &err), 0);
    CHECK_INT(vp_fwd_topo_route_count(&t, 0, &n, &err), 0);
    CHECK_INT(n, 100000);
    echo_through(&t); /* still forwarding */
    vp_fwd_topo_free(&t);
}

static void test_bad_sizes(void)
{
    struct vp_fwd_topo t;
    struct vp_err err = {0};
    struct vp_fwd_topo_cfg too_many = {VP_FWD_BRIDGE, 1, VP_FWD_MAX_ROUTES + 1, 0, 0,
                                       VP_FWD_NETNS,  0};
    CHECK(vp_fwd_topo_make(&too_many, &t, &err) < 0);
    CHECK(strstr(err.msg, "routes: 131073 is not 1..131072") != NULL);
    struct vp_fwd_topo_cfg no_router = {VP_FWD_DIRECT, 0, 10, 0, 0, VP_FWD_NETNS, 0};
    CHECK(vp_fwd_topo_make(&no_router, &t, &err) < 0);
    CHECK(strstr(err.msg, "routers: 0") != NULL);
    struct vp_echo_cfg bad = {"10.2.0.x", 1, 1000000, 1000000};
    struct vp_echo_result res;
    CHECK(vp_echo_run(-1, &bad, &res, &err) < 0);
    CHECK(strstr(err.msg, "not a numeric IPv4 address") != NULL);
}

/* The test bed's namespaces are held only by its descriptors: closing it
 * (or failing to build it) lets the kernel take every one of them. */
static void test_nothing_left(void)
{
    int before = netns_fds();
    struct vp_fwd_topo_cfg cfg = {VP_FWD_ROUTED, 4, 100, 0, 0, VP_FWD_NETNS, 0};
    struct vp_fwd_topo t;
    struct vp_err err = {0};
    CHECK_INT(vp_fwd_topo_make(&cfg, &t, &err), 0);
    CHECK_INT(netns_fds(), before + 3 + 4);
    vp_fwd_topo_free(&t);
    CHECK_INT(netns_fds(), before);
    struct vp_fwd_topo_cfg bad = {VP_FWD_BRIDGE, 1, VP_FWD_MAX_ROUTES + 1, 0, 0, VP_FWD_NETNS, 0};
    CHECK(vp_fwd_topo_make(&bad, &t, &err) < 0);
    CHECK_INT(netns_fds(), before);
}

/* Routers that are appliances (2 of them, 1000 routes each): an echo
 * crosses router 0; router 1 holds its routes; router 0's go (router-node
 * in it) and come back, and it forwards again. */
static void routes_go_and_come_back(struct vp_fwd_topo *t)
{
    struct vp_err err = {0};
    uint32_t n = 0;
    double secs;
    echo_through(t);
    CHECK_INT(vp_fwd_topo_route_count(t, 1, &n, &err), 0);
    CHECK_INT(n, 1000);
    CHECK_INT(vp_fwd_topo_routes(t, 0, false, &secs, &err), 0);
    CHECK_INT(vp_fwd_topo_route_count(t, 0, &n, &err), 0);
    CHECK_INT(n, 0);
    CHECK_INT(vp_fwd_topo_routes(t, 0, true, &secs, &err), 0);
    CHECK_INT(vp_fwd_topo_route_count(t, 0, &n, &err), 0);
    CHECK_INT(n, 1000);
    echo_through(t);
}

/* Routers as containers (topo_app.h): on every path two of them forward an
 * echo and hold their routes, which router-node inside each removes and
 * installs again; the run's platform names them; with a memory limit too
 * small for 100,000 routes the cgroup's OOM killer ends the process that
 * installs them (the routing table is the container's kernel memory), the
 * error says so with how many got in, and 4 MiB more hold more;
 * nothing is left, neither namespace nor cgroup. */
static void test_container_routers(void)
{
    const char *why = vp_fwd_app_unsupported(VP_FWD_CONTAINER);
    if (why || getenv("VIRTPERF") == NULL) {
        fprintf(stderr, "  container routers not tried: %s\n", why ? why : "no $VIRTPERF");
        return;
    }
    int before = netns_fds();
    char cgroup[512] = "";
    for (int path = 0; path < VP_FWD_PATHS; path++) {
        struct vp_fwd_topo_cfg cfg = {(enum vp_fwd_path)path, 2, 1000, 0, 0, VP_FWD_CONTAINER, 0};
        struct vp_fwd_topo t;
        struct vp_err err = {0};
        int rc = vp_fwd_topo_make(&cfg, &t, &err);
        if (rc != 0)
            fprintf(stderr, "  %s: %s\n", vp_fwd_path_names[path], err.msg);
        CHECK_INT(rc, 0);
        if (rc != 0)
            continue;
        CHECK(strstr(t.platform, "\"name\":\"container\"") != NULL);
        const char *dir = vp_platform_find("container")->cgroup_path(t.r[1].app);
        CHECK(dir != NULL && access(dir, F_OK) == 0);
        snprintf(cgroup, sizeof cgroup, "%s", dir ? dir : "");
        routes_go_and_come_back(&t);
        fprintf(stderr, "  %s: 2 container routers, 1000 routes in %.3f s\n",
                vp_fwd_path_names[path], t.r[0].routes_s);
        vp_fwd_topo_free(&t);
        CHECK(access(cgroup, F_OK) != 0);
    }
    /* the installer's own footprint counts too, and differs by build (a
     * sanitizer's is some 12 MiB): the limit rises in 4 MiB steps until
     * routes get in, and one step more must hold more of them */
    struct vp_fwd_topo t;
    struct vp_err err = {0};
    unsigned before_step = 0;
    bool got_in = false;
    for (uint64_t mib = 4; mib <= 64; mib += 4) {
        struct vp_fwd_topo_cfg tight = {VP_FWD_BRIDGE,    1,        100000, 0, 0,
                                        VP_FWD_CONTAINER, mib << 20};
        if (vp_fwd_topo_make(&tight, &t, &err) == 0) { /* it all fit */
            vp_fwd_topo_free(&t);
            break;
        }
        char want[160];
        unsigned held = 0;
        snprintf(want, sizeof want,
                 "router 0: memory %llu MiB: router-node killed by the out-of-memory killer of its "
                 "cgroup after %%u of 100000 routes",
                 (unsigned long long)mib);
        fprintf(stderr, "  %s\n", err.msg);
        CHECK(sscanf(err.msg, want, &held) == 1 && held < 100000);
        if (got_in) {
            CHECK(held > before_step);
            break;
        }
        got_in = held > 0;
        before_step = held;
    }
    CHECK(got_in);
    struct vp_fwd_topo_cfg bare = {VP_FWD_BRIDGE, 1, 10, 0, 0, VP_FWD_NETNS, 4 << 20};
    CHECK_INT(vp_fwd_topo_make(&bare, &t, &err), -EINVAL);
    CHECK(strstr(err.msg, "memory: a bare namespace router has none of its own") != NULL);
    CHECK_INT(netns_fds(), before);
}

/* Routers as QEMU guests (topo_app.h): on the routed path an echo crosses
 * router 0, the guests' tables hold the routes, which go and
 * come back by router-node in the guest; the run's facts name the
 * accelerator; closing leaves no QEMU. */
static int qemus(void)
{
    return system("pgrep -f 'qemu-system.*-name vp-[^ ]*-router[0-9],' >/dev/null") == 0;
}

static void test_vm_routers(void)
{
    const char *why = vp_fwd_app_unsupported(VP_FWD_VM);
    if (why || getenv("VIRTPERF") == NULL) {
        fprintf(stderr, "  VM routers not tried: %s\n", why ? why : "no $VIRTPERF");
        return;
    }
    struct vp_err err = {0};
    struct vp_fwd_topo t;
    /* routed, two routers: the taps' own addresses and MACs matter there
     * (the direct path is the CLI test's, tests/cli/router_vm.sh) */
    struct vp_fwd_topo_cfg cfg = {VP_FWD_ROUTED, 2, 1000, 0, 0, VP_FWD_VM, 0};
    int rc = vp_fwd_topo_make(&cfg, &t, &err);
    if (rc < 0)
        fprintf(stderr, "  routed: %s\n", err.msg);
    CHECK_INT(rc, 0);
    if (rc < 0)
        return;
    fprintf(stderr, "  routed: 2 VM routers (%s), routes in %.3f s\n", t.accel, t.r[0].routes_s);
    CHECK(strcmp(t.accel, "tcg") == 0 || strcmp(t.accel, "kvm") == 0);
    CHECK(strstr(t.platform, "\"name\":\"vm\"") != NULL);
    routes_go_and_come_back(&t);
    vp_fwd_topo_free(&t);
    CHECK_INT(qemus(), 0);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("SKIP: the router test bed needs root (network namespaces)\n");
        return 77;
    }
    if (getenv("VIRTPERF")) /* router-node's binary: this one is not virtperf */
        setenv("VIRTPERF_RELAY", getenv("VIRTPERF"), 1);
    RUN(test_node_bad_json);
    RUN(test_bad_sizes);
    RUN(test_paths);
    RUN(test_100k_routes);
    RUN(test_nothing_left);
    RUN(test_container_routers);
    RUN(test_vm_routers);
    return CHECK_DONE();
}
