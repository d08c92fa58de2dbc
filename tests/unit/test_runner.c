/* The runner checks every appliance of every point with the platform's
 * validate() before it creates anything, and talks to platforms only
 * through their ops table (a fake one here). */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "experiment/experiment.h"
#include "run/runner.h"

static int validated, created;

static int fake_validate(const struct vp_appliance_spec *spec, struct vp_err *err)
{
    validated++;
    if (spec->weight == 999)
        return vp_input_error(err, "weight 999: refused by the fake platform");
    return 0;
}

static int fake_create(const struct vp_appliance_spec *spec, struct vp_journal *j,
                       struct vp_appliance **out, struct vp_err *err)
{
    (void)spec, (void)j, (void)out;
    created++;
    return vp_run_error(err, 0, "the fake platform creates nothing");
}

static const struct vp_platform_ops fake = {
    .version = VP_PLATFORM_OPS_VERSION,
    .name = "fake",
    .validate = fake_validate,
    .create = fake_create,
};

static const struct vp_platform_ops *find_fake(const char *name)
{
    return strcmp(name, "fake") == 0 ? &fake : NULL;
}

static struct vp_experiment ex;

static void test_validate_before_create(void)
{
    static const char yaml[] = "platform: fake\n"
                               "appliances:\n"
                               "  - {name: a, workload: cpu-pi, count: 2}\n"
                               "matrix:\n"
                               "  weight: [256, 512, 999]\n";
    const struct vp_cpuset cpus = {{0, 1}, 2};
    struct vp_plan plan;
    struct vp_err err = {0};
    int64_t id = -1;
    CHECK_INT(vp_experiment_parse("fake.yaml", yaml, NULL, &ex, &err), 0);
    CHECK_INT(vp_plan_build(&ex, &cpus, &plan, &err), 0);
    CHECK_INT(plan.npoints, 3);
    struct vp_runner_cfg cfg = {.exp = &ex, .plan = &plan, .find = find_fake};
    CHECK_INT(vp_runner_run(&cfg, &id, &err), -EINVAL);
    CHECK_INT(id, 0);
    CHECK_INT(created, 0);
    CHECK_INT(validated, 5); /* 2 + 2 appliances pass, the fifth is refused */
    CHECK_STR(err.msg, "point 3, appliance a-1: weight 999: refused by the fake platform");

    struct vp_runner_cfg unknown = {.exp = &ex, .plan = &plan, .find = NULL};
    snprintf(plan.points[0].s.platform, sizeof plan.points[0].s.platform, "nowhere");
    memset(&err, 0, sizeof err);
    CHECK_INT(vp_runner_validate(&unknown, &err), -EINVAL);
    CHECK_STR(err.msg, "point 1: unknown platform \"nowhere\"");
    vp_plan_free(&plan);
}

int main(void)
{
    RUN(test_validate_before_create);
    return CHECK_DONE();
}
