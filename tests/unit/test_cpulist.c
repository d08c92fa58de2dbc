/* CPU lists (platform/registry.c: vp_cpulist_parse): what an appliance's
 * "cpus" field becomes. Numbers past the mask are refused, never written. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "platform/platform.h"

static int parse(const char *list, struct vp_cpumask *m, struct vp_err *err)
{
    memset(err, 0, sizeof *err);
    return vp_cpulist_parse("cpus", list, m, err);
}

static void test_valid(void)
{
    struct vp_cpumask m;
    struct vp_err err;
    CHECK_INT(parse("0", &m, &err), 1);
    CHECK(m.bits[0] == 1);
    CHECK_INT(parse("0,0-0", &m, &err), 1);
    CHECK(m.bits[0] == 1);
}

/* Regression (issue 18): "4294967296" was cast to int (CPU 0, online) and
 * its bit set 512 MiB past the mask. */
static void test_past_the_mask(void)
{
    static const char *const bad[] = {
        "4294967296",
        "4294967297",
        "1024",
        "0-4294967296",
        "0,1024",
        "9223372036854775807",
        "99999999999999999999",
        "0-99999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct vp_cpumask m;
        struct vp_err err;
        CHECK_INT(parse(bad[i], &m, &err), -EINVAL);
        CHECK(strstr(err.msg, "does not exist") != NULL);
        for (size_t w = 0; w < sizeof m.bits / sizeof m.bits[0]; w++)
            CHECK(m.bits[w] == 0 || strchr(bad[i], ',') != NULL);
    }
}

static void test_malformed(void)
{
    static const char *const bad[] = {"", "-1", "a", "1-0", "0-", "0,,1", "0 ", "0-1-2"};
    for (size_t i = 1; i < sizeof bad / sizeof bad[0]; i++) {
        struct vp_cpumask m;
        struct vp_err err;
        CHECK_INT(parse(bad[i], &m, &err), -EINVAL);
    }
    struct vp_cpumask m;
    struct vp_err err;
    CHECK_INT(parse(bad[0], &m, &err), 0); /* empty: no CPU named */
}

int main(void)
{
    RUN(test_valid);
    RUN(test_past_the_mask);
    RUN(test_malformed);
    return CHECK_DONE();
}
