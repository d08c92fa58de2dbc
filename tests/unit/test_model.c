/* Seed 002's model against the paper's own numbers, computed by hand. */
#include <errno.h>
#include <math.h>

#include "analysis/model.h"
#include "check.h"

/* Table 3: host CPU overhead of n idle VMs. The paper's LINEST on its
 * unrounded data gave a = 1.064, b = 1.022, R^2 = 0.975819; on the table's
 * two-decimal values the least-squares line is (by hand) a = 1.0622549,
 * b = 1.0223529, R^2 = 0.9758543. */
static void test_overhead_fit(void)
{
    const double n[] = {1, 2, 3, 4, 6, 8};
    const double pct[] = {1.68, 3.19, 4.00, 5.94, 7.11, 8.99};
    struct vp_overhead_fit fit;
    CHECK_INT(vp_overhead_fit(n, pct, 6, &fit), 0);
    CHECK_NEAR(fit.a, 1.0622549, 1e-6);
    CHECK_NEAR(fit.b, 1.0223529, 1e-6);
    CHECK_NEAR(fit.r2, 0.9758543, 1e-6);
    CHECK_NEAR(fit.a, 1.064, 0.002); /* and the paper's, to its rounding */
    CHECK_NEAR(fit.r2, 0.975819, 0.0001);
    CHECK_INT(fit.n, 6);
    CHECK_NEAR(fit.b_ci_half, 0.2232477, 1e-5); /* t(0.975, 4) * se(b), by hand */
    CHECK(fit.trend);
    const double same[] = {2, 2};
    CHECK(vp_overhead_fit(same, pct, 2, &fit) < 0);
    CHECK(vp_overhead_fit(n, pct, 1, &fit) < 0);
}

/* Idle appliances whose cost is noise around zero: a line fits (R^2 low)
 * but its slope's interval holds zero, so it means nothing; two points
 * always fit exactly and cannot be judged. */
static void test_overhead_no_trend(void)
{
    const double n[] = {1, 2, 4, 8};
    const double pct[] = {0.5, -0.3, 0.4, 0.1};
    struct vp_overhead_fit fit;
    CHECK_INT(vp_overhead_fit(n, pct, 4, &fit), 0);
    CHECK_NEAR(fit.b, -0.0113043, 1e-6);
    CHECK_NEAR(fit.b_ci_half, 4.302653 * 0.0817021, 1e-5); /* t(0.975, 2) * se(b) */
    CHECK(!fit.trend);
    CHECK_INT(vp_overhead_fit(n, pct, 2, &fit), 0);
    CHECK_NEAR(fit.r2, 1, 1e-12);
    CHECK(isnan(fit.b_ci_half));
    CHECK(!fit.trend);
}

/* Table 2 (native, P = 2): 215 at i = 2 gives 322.5, 430, 645, 860, 1290. */
static void test_estimate1(void)
{
    struct vp_model_row rows[] = {
        {.instances = 1, .measured = 210},  {.instances = 2, .measured = 215},
        {.instances = 3, .measured = 302},  {.instances = 4, .measured = 430},
        {.instances = 6, .measured = 649},  {.instances = 8, .measured = 868},
        {.instances = 12, .measured = 1308}};
    CHECK_INT(vp_model_estimate(rows, 7, 2, NULL), 0);
    CHECK(isnan(rows[0].estimate1));
    CHECK_NEAR(rows[1].estimate1, 215, 1e-9);
    CHECK_NEAR(rows[2].estimate1, 322.5, 1e-9);
    CHECK_NEAR(rows[6].estimate1, 1290, 1e-9);
    CHECK_NEAR(rows[2].rel_error1, (322.5 - 302) / 302, 1e-12);
    CHECK(isnan(rows[3].estimate2));
    CHECK_INT(vp_model_estimate(rows, 7, 5, NULL), -ENOENT);
    CHECK(isnan(rows[6].estimate1));
}

/* Table 6 (VMware, ET_2 = 229, O = 1.022%): Estimate1 and Estimate2. */
static void test_estimate2(void)
{
    struct vp_model_row rows[] = {{.instances = 2, .measured = 229},
                                  {.instances = 3, .measured = 346},
                                  {.instances = 12, .measured = 1514}};
    struct vp_overhead_fit fit = {.a = 1.064, .b = 1.022, .r2 = 0.98, .n = 6};
    CHECK_INT(vp_model_estimate(rows, 3, 2, &fit), 0);
    CHECK_NEAR(rows[1].estimate1, 343.5, 1e-9);
    CHECK_NEAR(rows[1].estimate2, 343.5 * 1.03066, 1e-9); /* paper: 354 */
    CHECK_NEAR(rows[2].estimate1, 1374, 1e-9);
    CHECK_NEAR(rows[2].estimate2, 1542.5, 0.1); /* paper: 1542 */
    CHECK_NEAR(rows[0].estimate2, 229 * 1.02044, 1e-9);
}

static void test_jain(void)
{
    const double equal[] = {3, 3, 3, 3};
    const double one[] = {5, 0, 0, 0};
    const double mixed[] = {1, 2, 3};
    CHECK_NEAR(vp_jain_index(equal, 4), 1.0, 1e-12);
    CHECK_NEAR(vp_jain_index(one, 4), 0.25, 1e-12);
    CHECK_NEAR(vp_jain_index(mixed, 3), 36.0 / 42.0, 1e-12);
    CHECK(isnan(vp_jain_index(one, 0)));
}

int main(void)
{
    RUN(test_overhead_fit);
    RUN(test_overhead_no_trend);
    RUN(test_estimate1);
    RUN(test_estimate2);
    RUN(test_jain);
    return CHECK_DONE();
}
