/* Experiment files: parsing, exact file:line:col errors, matrix expansion,
 * core-allocation schemes, the workload command line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "drivers/app.h"
#include "drivers/sip_uas.h"
#include "drivers/driver.h"
#include "experiment/experiment.h"

static char fixture_dir[512];

/* tests/data/experiments/, found from this file's path (relative paths are
 * from the build directory, where the tests run). */
static const char *fixture(const char *name)
{
    static char path[1024];
    if (fixture_dir[0] == '\0') {
        snprintf(fixture_dir, sizeof fixture_dir, "%s", __FILE__);
        char *slash = strrchr(fixture_dir, '/');
        if (slash)
            *slash = '\0';
        strncat(fixture_dir, "/../data/experiments", sizeof fixture_dir - strlen(fixture_dir) - 1);
    }
    snprintf(path, sizeof path, "%s/%s", fixture_dir, name);
    return path;
}

static struct vp_experiment ex;

static const struct vp_cpuset two = {{0, 1}, 2};

static int check_platform(const char *name, struct vp_err *err)
{
    if (strcmp(name, "native") == 0 || strcmp(name, "container") == 0)
        return 0;
    return vp_input_error(err, "unknown platform \"%s\"", name);
}
static const struct vp_exp_checks checks = {.platform = check_platform};

/* Load name; expect an input error whose message ends with want after the
 * path (which is checked to be the fixture's). */
static void expect_error(const char *name, const char *want)
{
    struct vp_err err = {0};
    const char *path = fixture(name);
    int rc = vp_experiment_load(path, &checks, &ex, &err);
    CHECK(rc < 0);
    CHECK_INT(err.kind, VP_ERR_INPUT);
    size_t n = strlen(path);
    CHECK(strncmp(err.msg, path, n) == 0);
    CHECK_STR(err.msg + (strncmp(err.msg, path, n) == 0 ? n : 0), want);
}

static void test_good(void)
{
    struct vp_err err = {0};
    CHECK_INT(vp_experiment_load(fixture("good.yaml"), &checks, &ex, &err), 0);
    if (err.msg[0])
        fprintf(stderr, "%s\n", err.msg);
    CHECK_STR(ex.s.name, "good");
    CHECK_INT(ex.s.rounds, 3);
    CHECK_INT(ex.s.warmup, 0);
    CHECK_INT(ex.s.scheme, VP_SCHEME_EXCLUSIVE);
    CHECK(ex.s.overcommit);
    CHECK_INT(ex.napps, 2);
    CHECK_STR(ex.apps[0].f.name, "pi");
    CHECK_INT(ex.apps[0].f.weight, 512);
    CHECK_INT(ex.apps[0].f.preset, 1);
    CHECK_INT(ex.apps[0].nopts, 1);
    CHECK_STR(ex.apps[1].opts[0].key, "count"); /* from options: */
    CHECK_INT(ex.apps[1].f.count, 1);
    CHECK_INT(ex.apps[1].f.memory, 64 << 20);
    CHECK_INT(ex.naxes, 3);
    CHECK_INT(ex.matrix[0].nvalues, 3);
    CHECK_INT(ex.matrix[0].value_marks[2].line, 23);
    CHECK_INT(ex.matrix[0].value_marks[2].col, 20);
    CHECK_INT(ex.noverhead, 2);
    CHECK_INT(ex.overhead_seconds, 500000000);
}

static void test_errors(void)
{
    expect_error("bad-unknown-key.yaml", ":5:5: unknown key \"vcpu\" (neither an appliance field "
                                         "nor an option of cpu-pi)");
    expect_error("bad-top-key.yaml", ":2:1: unknown key \"round\"");
    expect_error("bad-type.yaml", ":1:9: rounds: expected a value, got a list");
    expect_error("bad-range.yaml", ":3:13: weight 70000: out of range (1 to 65535)");
    expect_error("bad-yaml.yaml",
                 ":3:4: did not find expected '-' indicator while parsing a block collection");
    expect_error("bad-matrix-key.yaml", ":5:3: unknown key \"wieght\" (not a setting, appliance "
                                        "field, workload or server option, or load option)");
    expect_error("bad-matrix-value.yaml", ":4:14: count 300: out of range (0 to 256)");
    expect_error("bad-workload-opt.yaml", ":3:11: size 5x: not a size (try 4M, 512k or 2GiB)");
    expect_error("bad-workload.yaml",
                 ":2:5: unknown workload \"cpu-foo\" (see `virtperf workload list`)");
    expect_error("bad-duplicate.yaml", ":5:5: key \"weight\" given twice");
    expect_error("bad-scheme.yaml",
                 ":1:9: scheme packed: expected one of float, exclusive, shared-one");
}

static void test_matrix(void)
{
    struct vp_err err = {0};
    struct vp_plan plan;
    CHECK_INT(vp_experiment_load(fixture("good.yaml"), &checks, &ex, &err), 0);
    CHECK_INT(vp_plan_build(&ex, &two, &plan, &err), 0);
    /* 3 counts x 2 weights x 1 digits, then 2 idle counts for the one platform */
    CHECK_INT(plan.nrun, 6);
    CHECK_INT(plan.npoints, 8);
    const struct vp_point *p3 = &plan.points[3]; /* count=2, pi.weight=768 */
    CHECK_STR(p3->params[0][1], "2");
    CHECK_STR(p3->params[1][1], "768");
    CHECK_INT(p3->ninst, 3);
    CHECK_STR(p3->inst[0].name, "pi-1");
    CHECK_STR(p3->inst[1].name, "pi-2");
    CHECK_STR(p3->inst[2].name, "zfg");
    CHECK_INT(p3->inst[0].f.weight, 768);
    CHECK_INT(p3->inst[2].f.weight, 256); /* pi.weight is pi's alone */
    CHECK_INT(p3->inst[2].f.count, 1);    /* pi.count is pi's alone */
    /* exclusive: a core each, then shared, with a warning */
    CHECK_STR(p3->inst[0].f.cpus, "0");
    CHECK_STR(p3->inst[1].f.cpus, "1");
    CHECK_STR(p3->inst[2].f.cpus, "0");
    CHECK(strstr(p3->warning, "3 vCPUs but 2 cores") != NULL);
    CHECK_STR(plan.points[0].warning, "");
    char *json = vp_point_params_json(p3, NULL);
    CHECK_STR(json ? json : "", "{\"pi.count\":2,\"pi.weight\":768,\"digits\":\"8k\"}");
    free(json);

    struct vp_cmdline cl;
    CHECK_INT(vp_instance_cmdline(p3, &p3->inst[0], "/tmp/s.db", 3, &cl, &err), 0);
    /* the matrix's digits replaces the file's 16k */
    const char *want[] = {"/proc/self/exe", "workload", "run",    "cpu-pi",   "--preset",
                          "small",          "--digits", "8k",     "--rounds", "3",
                          "--warmup",       "0",        "--json", "--store",  "/tmp/s.db",
                          "--barrier-fd",   "3"};
    CHECK_INT(cl.argc, sizeof want / sizeof want[0]);
    for (int i = 0; i < cl.argc && i < (int)(sizeof want / sizeof want[0]); i++)
        CHECK_STR(cl.argv[i], want[i]);
    CHECK(cl.argv[cl.argc] == NULL);

    const struct vp_point *idle = &plan.points[7];
    CHECK_INT(idle->kind, VP_POINT_IDLE);
    CHECK_INT(idle->ninst, 2);
    CHECK_STR(idle->inst[1].name, "idle-2");
    CHECK_STR(idle->inst[1].f.cpus, "");
    CHECK_INT(vp_instance_cmdline(idle, &idle->inst[0], NULL, -1, &cl, &err), 0);
    CHECK_STR(cl.argv[0], "sleep");
    vp_plan_free(&plan);
}

static void test_schemes(void)
{
    struct vp_point *pt = calloc(1, sizeof *pt);
    const struct vp_cpuset cs = {{2, 3, 5}, 3};
    pt->ninst = 3;
    for (int i = 0; i < 3; i++)
        pt->inst[i].f.vcpus = i == 1 ? 2 : 1;
    pt->s.scheme = VP_SCHEME_EXCLUSIVE;
    vp_scheme_apply(pt, &cs);
    CHECK_STR(pt->inst[0].f.cpus, "2");
    CHECK_STR(pt->inst[1].f.cpus, "3,5");
    CHECK_STR(pt->inst[2].f.cpus, "2");
    CHECK(pt->warning[0] != '\0');
    for (int i = 0; i < 3; i++)
        pt->inst[i].f.cpus[0] = '\0';
    snprintf(pt->inst[2].f.cpus, sizeof pt->inst[2].f.cpus, "5");
    pt->s.scheme = VP_SCHEME_SHARED_ONE;
    vp_scheme_apply(pt, &cs);
    CHECK_STR(pt->inst[0].f.cpus, "2");
    CHECK_STR(pt->inst[1].f.cpus, "2");
    CHECK_STR(pt->inst[2].f.cpus, "5"); /* its own pinning wins */
    CHECK_STR(pt->warning, "");
    for (int i = 0; i < 3; i++)
        pt->inst[i].f.cpus[0] = '\0';
    pt->s.scheme = VP_SCHEME_FLOAT;
    vp_scheme_apply(pt, &cs);
    CHECK_STR(pt->inst[1].f.cpus, "");
    free(pt);
}

/* Errors only the plan can see: totals and pinning against the host. */
static void test_plan_errors(void)
{
    struct vp_err err = {0};
    struct vp_plan plan;
    CHECK_INT(vp_experiment_load(fixture("bad-overcommit.yaml"), &checks, &ex, &err), 0);
    CHECK(vp_plan_build(&ex, &two, &plan, &err) < 0);
    CHECK_STR(err.msg, "point 1: vcpus: 3 vCPUs on 2 cores; set overcommit: true to allow it");
    CHECK(plan.points == NULL);
    memset(&err, 0, sizeof err);
    CHECK_INT(vp_experiment_load(fixture("bad-pin.yaml"), &checks, &ex, &err), 0);
    CHECK(vp_plan_build(&ex, &two, &plan, &err) < 0);
    CHECK_STR(err.msg, "appliance cpu-pi: cpus \"0,7\": core 7 does not exist or is not ours");
}

/* Server appliances and loads refused at parse time, naming the position. */
static void test_load_errors(void)
{
    expect_error("bad-load-driver.yaml", ":4:5: load: driver \"sipp\": unknown (drivers: sip-uac, "
                                         "sip-capacity, rtp, udp, tcp, router)");
    expect_error("bad-load-target.yaml",
                 ":4:5: load sip-uac: target \"proxy\" is not an appliance of this file");
    expect_error("bad-load-role.yaml",
                 ":4:5: load rtp: rtp drives a media-server, and appliance sip is a sip-server");
    expect_error("bad-server-reserved.yaml", ":5:5: \"listen\" is set by the runner, not the file");
    expect_error("bad-load-reserved.yaml", ":6:5: \"server\" is set by the runner, not the file");
    expect_error("bad-server-opt.yaml", ":5:5: unknown key \"work-ms\" (neither an appliance "
                                        "field nor an option of sip-uas)");
    expect_error("bad-case-key.yaml",
                 ":5:19: key \"sip.work-ms\": no appliance or load \"sip\" with that key");
    expect_error("bad-server-workload.yaml",
                 ":2:5: appliance \"sip\": a sip-server runs no workload");
}

static const char loads_text[] = "rounds: 3\n"
                                 "warmup: 1\n"
                                 "appliances:\n"
                                 "  - {name: sip, role: sip-server, net: bridge, work-us: 50}\n"
                                 "  - {name: pi, workload: cpu-pi, count: 0}\n"
                                 "loads:\n"
                                 "  - {name: calls, driver: sip-capacity, target: sip, step: 1s}\n"
                                 "cases:\n"
                                 "  - {label: alone}\n"
                                 "  - {pi.count: 1, calls.start: 300}\n"
                                 "  - {label: no server, sip.count: 0, pi.count: 2}\n"
                                 "matrix:\n"
                                 "  sip.threads: [1, 2]\n";

/* Cases times the matrix: case slowest, params the label then the matrix
 * values; a case's count 0 removes an appliance, 1 adds one; NAME.key sets
 * a load's option; a point whose loads' target is absent runs plain rounds. */
static void test_cases(void)
{
    struct vp_err err = {0};
    struct vp_plan plan;
    CHECK_INT(vp_experiment_parse("loads.yaml", loads_text, &checks, &ex, &err), 0);
    if (err.msg[0])
        fprintf(stderr, "%s\n", err.msg);
    CHECK_INT(ex.nloads, 1);
    CHECK_INT(ex.ncases, 3);
    CHECK_STR(ex.cases[1].label, "2"); /* no label: its number */
    CHECK_INT(ex.apps[0].f.role, VP_ROLE_SIP_SERVER);
    CHECK(ex.apps[0].server == vp_exp_roles[VP_ROLE_SIP_SERVER]);
    CHECK(ex.loads[0].driver == vp_driver_find("sip-capacity"));
    if (vp_plan_build(&ex, &two, &plan, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        CHECK(0);
        return;
    }
    CHECK_INT(plan.nrun, 6);
    CHECK_INT(plan.npoints, 6);
    const char *labels[] = {"alone", "alone", "2", "2", "no server", "no server"};
    const int ninst[] = {1, 1, 2, 2, 2, 2};
    for (int i = 0; i < plan.npoints; i++) {
        const struct vp_point *pt = &plan.points[i];
        CHECK_INT(pt->nparams, 2);
        CHECK_STR(pt->params[0][0], "case");
        CHECK_STR(pt->params[0][1], labels[i]);
        CHECK_STR(pt->params[1][0], "sip.threads");
        CHECK_STR(pt->params[1][1], i % 2 ? "2" : "1");
        CHECK_INT(pt->ninst, ninst[i]);
        CHECK(vp_point_has_load(pt) == (i < 4));
    }
    char *json = vp_point_params_json(&plan.points[5], NULL);
    CHECK_STR(json ? json : "", "{\"case\":\"no server\",\"sip.threads\":2}");
    free(json);
    CHECK_STR(plan.points[0].inst[0].name, "sip");
    CHECK_STR(plan.points[2].inst[1].name, "pi-1");
    CHECK_STR(plan.points[4].inst[0].name, "pi-1");
    CHECK_STR(plan.points[4].inst[1].name, "pi-2");

    /* the server: its command with the matrix value after the file's */
    struct vp_cmdline cl;
    const struct vp_point *p1 = &plan.points[1];
    CHECK_INT(vp_server_cmdline(p1, &p1->inst[0], "10.213.0.2:0", &cl, &err), 0);
    const char *server[] = {
        "/proc/self/exe", "sip-uas", "--listen", "10.213.0.2:0", "--json", "--work-us", "50",
        "--threads",      "2"};
    CHECK_INT(cl.argc, sizeof server / sizeof server[0]);
    for (int i = 0; i < cl.argc && i < (int)(sizeof server / sizeof server[0]); i++)
        CHECK_STR(cl.argv[i], server[i]);

    /* the load: calls.start from case 2 only */
    CHECK_INT(vp_load_cmdline(&p1->loads[0], "10.213.0.2:5060", "/tmp/s.db", &cl, &err), 0);
    const char *load[] = {"/proc/self/exe",  "sip-capacity", "--target",
                          "10.213.0.2:5060", "--json",       "--store",
                          "/tmp/s.db",       "--step",       "1s"};
    CHECK_INT(cl.argc, sizeof load / sizeof load[0]);
    for (int i = 0; i < cl.argc && i < (int)(sizeof load / sizeof load[0]); i++)
        CHECK_STR(cl.argv[i], load[i]);
    const struct vp_point *p2 = &plan.points[2];
    CHECK_INT(vp_load_cmdline(&p2->loads[0], "h:1", NULL, &cl, &err), 0);
    CHECK_INT(cl.argc, 9);
    if (cl.argc == 9) {
        CHECK_STR(cl.argv[7], "--start");
        CHECK_STR(cl.argv[8], "300");
    }

    /* workloads next to a load run until stopped; without one, their rounds */
    CHECK_INT(vp_instance_cmdline(p2, &p2->inst[1], NULL, 3, &cl, &err), 0);
    bool until_stopped = false;
    for (int i = 0; i < cl.argc; i++)
        until_stopped |= strcmp(cl.argv[i], "--until-stopped") == 0;
    CHECK(until_stopped);
    CHECK_STR(cl.argv[4], "--rounds");
    CHECK_STR(cl.argv[5], "100000");
    const struct vp_point *p4 = &plan.points[4];
    CHECK_INT(vp_instance_cmdline(p4, &p4->inst[0], NULL, 3, &cl, &err), 0);
    for (int i = 0; i < cl.argc; i++)
        CHECK(strcmp(cl.argv[i], "--until-stopped") != 0);
    CHECK_STR(cl.argv[4], "--rounds");
    CHECK_STR(cl.argv[5], "3");
    vp_plan_free(&plan);
}

/* A background load alone does not make a point loaded; count 0 servers in
 * the matrix neither. */
static void test_background_load(void)
{
    static const char text[] = "appliances:\n"
                               "  - {name: media, role: media-server, net: bridge}\n"
                               "  - {name: pi, workload: cpu-pi}\n"
                               "loads:\n"
                               "  - {driver: rtp, target: media, background: true, streams: 5}\n";
    struct vp_err err = {0};
    struct vp_plan plan;
    CHECK_INT(vp_experiment_parse("bg.yaml", text, &checks, &ex, &err), 0);
    CHECK_STR(ex.loads[0].f.name, "rtp"); /* the driver's name by default */
    CHECK(ex.loads[0].f.background);
    CHECK_INT(vp_plan_build(&ex, &two, &plan, &err), 0);
    CHECK_INT(plan.npoints, 1);
    if (plan.npoints == 1) {
        CHECK(!vp_point_has_load(&plan.points[0]));
        plan.points[0].loads[0].f.background = false;
        CHECK(vp_point_has_load(&plan.points[0]));
    }
    vp_plan_free(&plan);
    /* nothing would end such a point: background traffic only, no workload */
    static const char only_bg[] = "appliances:\n"
                                  "  - {name: media, role: media-server, net: bridge}\n"
                                  "loads:\n"
                                  "  - {driver: rtp, target: media, background: true}\n";
    CHECK_INT(vp_experiment_parse("bg2.yaml", only_bg, &checks, &ex, &err), 0);
    CHECK_INT(vp_plan_build(&ex, &two, &plan, &err), -EINVAL);
    CHECK_STR(err.msg, "bg2.yaml: point 1: nothing to measure: no workload runs and every load is "
                       "background");
    /* a capacity search has no duration a stop could cut short */
    static const char bg_search[] = "appliances:\n"
                                    "  - {name: sip, role: sip-server}\n"
                                    "loads:\n"
                                    "  - {driver: sip-capacity, target: sip, background: true}\n";
    CHECK_INT(vp_experiment_parse("bg3.yaml", bg_search, &checks, &ex, &err), -EINVAL);
    CHECK_STR(err.msg, "bg3.yaml:4:5: load: sip-capacity cannot be background: it has no duration "
                       "to cut short");
}

/* Role app: the user's own command standing in for a server. */
static int parse_text(const char *text, struct vp_err *err)
{
    memset(err, 0, sizeof *err);
    return vp_experiment_parse("app.yaml", text, &checks, &ex, err);
}

static int any_platform(const char *name, struct vp_err *err)
{
    (void)name, (void)err;
    return 0;
}

static void test_app(void)
{
    static const char good[] = "name: app\n"
                               "appliances:\n"
                               "  - name: kam\n"
                               "    role: app\n"
                               "    command: kamailio -l udp:{address}:{port} -f {dir}/k.cfg\n"
                               "loads:\n"
                               "  - {driver: sip-uac, target: kam, rate: 10, duration: 1s}\n";
    struct vp_err err;
    CHECK_INT(parse_text(good, &err), 0);
    CHECK(ex.apps[0].server == &vp_server_app);
    CHECK(ex.apps[0].serves == &vp_server_sip_uas); /* serves: sip-server by default */
    struct vp_app_opts o;
    CHECK_INT(vp_exp_app_opts(&ex.apps[0], &o, &err), 0);
    CHECK_INT(vp_app_ready_method(&o), VP_APP_READY_SIP);
    char buf[512], *argv[8];
    CHECK_INT(vp_app_argv(&o, "10.0.0.2", 5070, "/e", buf, sizeof buf, argv, 8, &err), 5);
    CHECK_STR(argv[0], "kamailio");
    CHECK_STR(argv[2], "udp:10.0.0.2:5070");
    CHECK_STR(argv[4], "/e/k.cfg");
    CHECK(argv[5] == NULL);
    CHECK(vp_app_argv(&o, "10.0.0.2", 5070, "/e", buf, sizeof buf, argv, 3, &err) < 0);
    CHECK_STR(err.msg, "command: more than 2 words");

    static const struct {
        const char *fields, *want;
    } bad[] = {
        {"command: \"  \"",
         "app.yaml:3:5: appliance \"kam\": command: empty (an app runs a command)"},
        {"command: \"run {host}\"",
         "app.yaml:3:5: appliance \"kam\": command: \"{host}\": only {address}, {port} and {dir} "
         "are replaced"},
        {"command: x, ready: log",
         "app.yaml:3:5: appliance \"kam\": ready: log needs the ready-text to wait for"},
        {"command: x, serves: udp-sink",
         "app.yaml:3:5: appliance \"kam\": ready: a udp-sink has no automatic readiness check: "
         "give ready: log and its ready-text"},
        {"command: x, serves: tcp-sink", "app.yaml:5:5: load sip-uac: sip-uac drives a "
                                         "sip-server, and appliance kam serves as a tcp-sink"},
        {"command: x, stop-signal: KILL",
         "app.yaml:3:53: stop-signal KILL: expected one of TERM, INT"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "name: app\nappliances:\n  - {name: kam, role: app, %s}\nloads:\n"
                 "  - {driver: sip-uac, target: kam, rate: 10, duration: 1s}\n",
                 bad[i].fields);
        CHECK(parse_text(text, &err) < 0);
        CHECK_STR(err.msg, bad[i].want);
    }

    /* a command of this host's: not in a VM guest */
    static const struct vp_exp_checks all = {.platform = any_platform};
    struct vp_plan plan;
    memset(&err, 0, sizeof err);
    CHECK_INT(vp_experiment_parse("app.yaml",
                                  "name: app\nplatform: vm\nappliances:\n"
                                  "  - {name: kam, role: app, command: kamailio}\nloads:\n"
                                  "  - {driver: sip-uac, target: kam, rate: 10, duration: 1s}\n",
                                  &all, &ex, &err),
              0);
    CHECK(vp_plan_build(&ex, &two, &plan, &err) < 0);
    CHECK_STR(err.msg, "point 1: appliance kam: an app runs a command of this host's: platform "
                       "native or container, not vm");
}

/* presets: another form of the study applied over the file by name; every
 * preset checked on every read, errors at their position. */
static void test_presets(void)
{
    static const char base[] = "name: p\n"
                               "rounds: 5\n"
                               "appliances:\n"
                               "  - {name: gz, workload: cpu-gzip, size: 16M}\n"
                               "cases:\n"
                               "  - {label: one}\n"
                               "  - {label: two, gz.size: 8M}\n"
                               "  - {label: three, gz.size: 4M}\n"
                               "matrix:\n"
                               "  count: [1, 2, 3]\n"
                               "presets:\n"
                               "  small:\n"
                               "    rounds: 1\n"
                               "    gz.size: 1M\n"
                               "    matrix: {count: [1, 2]}\n"
                               "    cases: [three, one]\n"
                               "    overhead: {counts: [1], seconds: 1s}\n";
    struct vp_err err = {0};
    struct vp_exp_checks want = {.platform = check_platform};
    /* not asked for: the file as written */
    CHECK_INT(vp_experiment_parse("p.yaml", base, &want, &ex, &err), 0);
    CHECK_INT(ex.s.rounds, 5);
    CHECK_INT(ex.ncases, 3);
    CHECK_INT(ex.matrix[0].nvalues, 3);
    CHECK_STR(ex.s.name, "p");
    /* asked for */
    want.preset = "small";
    CHECK_INT(vp_experiment_parse("p.yaml", base, &want, &ex, &err), 0);
    CHECK_INT(ex.s.rounds, 1);
    CHECK_STR(ex.s.name, "p (preset small)");
    CHECK_STR(ex.apps[0].opts[0].value, "1M");
    CHECK_INT(ex.matrix[0].nvalues, 2);
    CHECK_INT(ex.ncases, 2);
    CHECK_STR(ex.cases[0].label, "three");
    CHECK_STR(ex.cases[1].label, "one");
    CHECK_INT(ex.noverhead, 1);
    want.preset = "large";
    CHECK(vp_experiment_parse("p.yaml", base, &want, &ex, &err) < 0);
    CHECK_STR(err.msg, "p.yaml:12:3: no preset \"large\" in this file");

    /* a bad preset is found even when another one runs, or none */
    static const struct {
        const char *preset, *want;
    } bad[] = {
        {"    matrix: {platform: [native]}",
         "p.yaml:13:14: preset bad: matrix key \"platform\" is no axis of the file's matrix"},
        {"    cases: [four]", "p.yaml:13:13: preset bad: no case labelled \"four\""},
        {"    gz.size: 5x", "p.yaml:13:14: size 5x: not a size (try 4M, 512k or 2GiB)"},
        {"    gz.sise: 5M",
         "p.yaml:13:5: key \"gz.sise\": no appliance or load \"gz\" with that key"},
        {"    appliances: []", "p.yaml:13:5: preset bad: appliances cannot be replaced, only "
                               "their keys set"},
        {"    matrix: {count: [1, 999]}", "p.yaml:13:25: count 999: out of range (0 to 256)"},
    };
    want.preset = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, "%.*s  bad:\n%s\n", (int)(strstr(base, "  small:") - base),
                 base, bad[i].preset);
        CHECK(vp_experiment_parse("p.yaml", text, &want, &ex, &err) < 0);
        CHECK_STR(err.msg, bad[i].want);
    }
}

/* A load that builds its own test bed (the router driver) has no target:
 * one generator per point, and a file of such loads needs no appliances. */
static void test_targetless_load(void)
{
    struct vp_err err = {0};
    struct vp_plan plan;
    CHECK_INT(vp_experiment_parse("r.yaml",
                                  "name: r\nloads:\n  - {name: fwd, driver: router, routes: 100}\n"
                                  "matrix:\n  fwd.path: [bridge, routed]\n",
                                  &checks, &ex, &err),
              0);
    CHECK_INT(ex.napps, 0);
    CHECK_INT(vp_plan_build(&ex, &two, &plan, &err), 0);
    CHECK_INT(plan.npoints, 2);
    for (int p = 0; p < plan.npoints; p++) {
        int target[VP_EXP_MAX_INSTANCES];
        CHECK_INT(plan.points[p].ninst, 0);
        CHECK(vp_point_has_load(&plan.points[p]));
        CHECK_INT(vp_load_targets(&plan.points[p], &plan.points[p].loads[0], target), 1);
        CHECK_INT(target[0], -1);
    }
    struct vp_cmdline cl;
    CHECK_INT(vp_load_cmdline(&plan.points[1].loads[0], NULL, NULL, &cl, &err), 0);
    char line[512] = "";
    for (int i = 0; i < cl.argc; i++)
        snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", i ? " " : "", cl.argv[i]);
    CHECK_STR(line, "/proc/self/exe router --json --routes 100 --path routed");
    vp_plan_free(&plan);
    /* naming a target is refused */
    CHECK(vp_experiment_parse("r.yaml",
                              "appliances:\n  - {name: pi, workload: cpu-pi}\nloads:\n"
                              "  - {name: fwd, driver: router, target: pi}\n",
                              &checks, &ex, &err) < 0);
    CHECK_STR(err.msg, "r.yaml:4:5: load fwd: router drives no appliance (it builds its own test "
                       "bed): no target");
}

int main(void)
{
    RUN(test_good);
    RUN(test_errors);
    RUN(test_matrix);
    RUN(test_schemes);
    RUN(test_plan_errors);
    RUN(test_load_errors);
    RUN(test_cases);
    RUN(test_background_load);
    RUN(test_app);
    RUN(test_presets);
    RUN(test_targetless_load);
    return CHECK_DONE();
}
