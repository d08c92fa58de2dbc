/* The build workload: the generated project is the same for the same sizes
 * (every byte), rounds compile it to the reference build's objects, a
 * truncated object is caught, a compiler that is not there is an input
 * error before anything is made, a compiler that fails is a run error
 * quoting it, and no scratch directory outlives teardown. */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/workdir.h"
#include "workload/build_tree.h"
#include "workload/workload.h"

static char base[PATH_MAX];
static const struct vp_workload *wl;

static int scratch_dirs(void)
{
    DIR *d = opendir(base);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        n += strncmp(de->d_name, VP_WORKDIR_PREFIX, strlen(VP_WORKDIR_PREFIX)) == 0;
    if (d)
        closedir(d);
    return n;
}

static void *params(const char *extra)
{
    struct vp_err err = {0};
    void *p = calloc(1, wl->params_size);
    CHECK_INT(vp_opt_defaults(wl->opts, p, &err), 0);
    CHECK_INT(vp_opt_apply_list(wl->opts, p, extra, &err), 0);
    CHECK_INT(vp_opt_set(wl->opts, p, "dir", base, &err), 0);
    return p;
}

static int round_and_verify(void *state, bool fault, struct vp_err *err)
{
    struct vp_round_ctx ctx = {.inject_fault = fault};
    int rc = wl->before_round(state, &ctx, err);
    if (rc == 0)
        rc = wl->round(state, &ctx, err);
    if (rc == 0) {
        CHECK(ctx.metrics[0] > 0 && ctx.metrics[1] > 0);
        rc = wl->verify(state, &ctx, err);
    }
    return rc;
}

/* Two trees of the same sizes, byte for byte; another seed differs. */
static void test_tree_deterministic(void)
{
    char a[PATH_MAX], b[PATH_MAX], cmd[3 * PATH_MAX];
    struct vp_err err = {0};
    uint64_t la, lb;
    struct vp_build_tree t = {6, 4, 3, 42};
    CHECK_INT(vp_workdir_make(base, "tree", a, sizeof a, &err), 0);
    CHECK_INT(vp_workdir_make(base, "tree", b, sizeof b, &err), 0);
    CHECK_INT(vp_build_tree_write(a, &t, &la, &err), 0);
    CHECK_INT(vp_build_tree_write(b, &t, &lb, &err), 0);
    CHECK(la == lb && la > 6 * 4 * 20);
    snprintf(cmd, sizeof cmd, "diff -r %s %s >/dev/null", a, b);
    CHECK_INT(system(cmd), 0);
    t.seed = 43;
    CHECK_INT(vp_build_tree_write(b, &t, &lb, &err), 0);
    CHECK(system(cmd) != 0);
    vp_rmtree(a);
    vp_rmtree(b);
}

static void test_rounds(void)
{
    struct vp_err err = {0};
    void *p = params("units=4,funcs=3,headers=2"), *state = NULL;
    CHECK_INT(wl->setup(p, &state, &err), 0);
    CHECK_INT(scratch_dirs(), 1);
    for (int r = 0; r < 2; r++)
        CHECK_INT(round_and_verify(state, false, &err), 0);
    CHECK(round_and_verify(state, true, &err) < 0);
    CHECK(strstr(err.msg, "u0000.o differs from the reference build's") != NULL);
    wl->teardown(state);
    CHECK_INT(scratch_dirs(), 0);
    free(p);
}

static void test_bad_compiler(void)
{
    struct vp_err err = {0};
    void *p = params("units=2,funcs=1,cc=no-such-cc"), *state = NULL;
    CHECK(wl->setup(p, &state, &err) < 0);
    CHECK_INT(err.kind, VP_ERR_INPUT);
    CHECK_STR(err.msg, "--cc no-such-cc: not found in PATH");
    free(p);
    /* there, and failing: the reference build fails quoting it */
    p = params("units=2,funcs=1,cc=false");
    CHECK(wl->setup(p, &state, &err) < 0);
    CHECK(state == NULL);
    CHECK_INT(err.kind, VP_ERR_RUN);
    CHECK(strncmp(err.msg, "the reference build: make ", 26) == 0);
    fprintf(stderr, "  %s\n", err.msg);
    CHECK_INT(scratch_dirs(), 0);
    free(p);
}

int main(void)
{
    wl = vp_workload_find("build");
    CHECK(wl != NULL);
    if (wl == NULL)
        return CHECK_DONE();
    if (wl->unsupported()) {
        printf("SKIP: %s\n", wl->unsupported());
        return 77;
    }
    snprintf(base, sizeof base, "/var/tmp/vp-test-build.%d", (int)getpid());
    CHECK_INT(mkdir(base, 0700), 0);
    RUN(test_tree_deterministic);
    RUN(test_rounds);
    RUN(test_bad_compiler);
    rmdir(base);
    return CHECK_DONE();
}
