/* Experiment files (experiment/parse*.c, plan.c): any bytes as a YAML file
 * give an experiment or an error with a message; an experiment's plan is
 * built, printed both ways and freed, as `virtperf run --dry-run` does. */
#include "core/doc.h"
#include "experiment/experiment.h"
#include "fuzz.h"
#include "platform/platform.h"

static struct vp_experiment exp;
static const struct vp_cpuset cpus = {{0, 1, 2, 3}, 4};
static FILE *null;

static int platform(const char *name, struct vp_err *err)
{
    return vp_platform_find(name) ? 0 : vp_input_error(err, "unknown platform \"%s\"", name);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    FUZZ_CHECK((null = fopen("/dev/null", "w")) != NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    const struct vp_exp_checks checks = {.platform = platform};
    struct vp_err err = {0};
    struct vp_plan plan;
    if (vp_experiment_parse("fuzz.yaml", text, &checks, &exp, &err) < 0) {
        FUZZ_CHECK(err.msg[0] != '\0');
    } else if (vp_plan_build(&exp, &cpus, &plan, &err) < 0) {
        FUZZ_CHECK(err.msg[0] != '\0' && plan.points == NULL);
    } else {
        FUZZ_CHECK(plan.npoints >= plan.nrun && plan.nrun >= 1);
        vp_plan_print(null, &exp, &plan);
        struct vp_doc d;
        vp_doc_init(&d, VP_DOC_ROUNDS, 0, NULL);
        vp_plan_print_doc(&d, null, &exp, &plan);
        free(vp_point_params_json(&plan.points[0], NULL));
        vp_plan_free(&plan);
    }
    free(text);
    return 0;
}
