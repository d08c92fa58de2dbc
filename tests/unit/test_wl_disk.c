/* The disk workloads, disk-zfg and disk-files: rounds pass and verify, an
 * injected fault is caught, impossible sizes are refused at setup, a full disk
 * is a run error, and no scratch directory survives teardown. Everything
 * happens under a fresh directory in /var/tmp (not /tmp, which may be a tmpfs);
 * the full-disk and O_DIRECT-refusal cases mount a tiny tmpfs and a ramfs and
 * are skipped with a note when mounting is not allowed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "check.h"
#include "core/signals.h"
#include "core/workdir.h"
#include "workload/workload.h"

static char base[PATH_MAX];

static const struct vp_workload *zfg, *files;

/* Parameters: defaults, the small preset, then extra "name=value,..." and dir. */
static void *params_new(const struct vp_workload *wl, const char *extra, const char *dir)
{
    struct vp_err err = {0};
    void *p = calloc(1, wl->params_size);
    CHECK(p != NULL);
    CHECK_INT(vp_opt_defaults(wl->opts, p, &err), 0);
    CHECK_INT(vp_opt_apply_list(wl->opts, p, wl->small_preset, &err), 0);
    if (extra && *extra) {
        int rc = vp_opt_apply_list(wl->opts, p, extra, &err);
        if (rc != 0)
            fprintf(stderr, "  %s: %s\n", extra, err.msg);
        CHECK_INT(rc, 0);
    }
    CHECK_INT(vp_opt_set(wl->opts, p, "dir", dir, &err), 0);
    return p;
}

/* Entries of dir whose name starts with the scratch prefix (0 when dir does
 * not exist); the first one's path goes to first when asked. */
static int count_scratch(const char *dir, char *first, size_t len)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? 0 : -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, VP_WORKDIR_PREFIX, strlen(VP_WORKDIR_PREFIX)) != 0)
            continue;
        if (n++ == 0 && first)
            snprintf(first, len, "%s/%s", dir, de->d_name);
    }
    closedir(d);
    return n;
}

/* Entries in dir other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* before_round, round and verify; returns verify's result (or the first failure). */
static int one_round(const struct vp_workload *wl, void *state, int round, bool fault,
                     struct vp_round_ctx *ctx, struct vp_err *err)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->round = round;
    ctx->inject_fault = fault;
    int rc = 0;
    if (wl->before_round && (rc = wl->before_round(state, ctx, err)) < 0)
        return rc;
    if ((rc = wl->round(state, ctx, err)) < 0)
        return rc;
    return wl->verify(state, ctx, err);
}

/* Setup, two good rounds, one faulty round caught by verify, teardown, and no
 * scratch dir left. Returns false when setup refused with an input error
 * (message left in refusal). */
static bool run_cycle(const struct vp_workload *wl, const char *extra, char *refusal, size_t len)
{
    struct vp_err err = {0};
    struct vp_round_ctx ctx;
    void *p = params_new(wl, extra, base);
    void *state = NULL;
    int rc = wl->setup(p, &state, &err);
    if (rc < 0) {
        free(p);
        wl->teardown(state);
        CHECK_INT(err.kind, VP_ERR_INPUT);
        CHECK(state == NULL);
        CHECK_INT(count_scratch(base, NULL, 0), 0);
        if (refusal)
            snprintf(refusal, len, "%s", err.msg);
        else
            fprintf(stderr, "  %s %s: setup: %s\n", wl->name, extra, err.msg);
        CHECK(refusal != NULL);
        return false;
    }
    CHECK_INT(count_scratch(base, NULL, 0), 1);
    for (int r = 0; r < 2; r++) {
        err = (struct vp_err){0};
        rc = one_round(wl, state, r, false, &ctx, &err);
        if (rc != 0)
            fprintf(stderr, "  %s %s round %d: %s\n", wl->name, extra, r, err.msg);
        CHECK_INT(rc, 0);
        for (int m = 0; m < wl->nmetrics; m++)
            CHECK(ctx.metrics[m] > 0);
    }
    err = (struct vp_err){0};
    rc = one_round(wl, state, 2, true, &ctx, &err);
    CHECK(rc < 0);
    CHECK_INT(err.kind, VP_ERR_RUN);
    /* the damage is gone with the next good round */
    err = (struct vp_err){0};
    CHECK_INT(one_round(wl, state, 3, false, &ctx, &err), 0);
    wl->teardown(state);
    free(p);
    CHECK_INT(count_scratch(base, NULL, 0), 0);
    return true;
}

static void test_registered(void)
{
    zfg = vp_workload_find("disk-zfg");
    files = vp_workload_find("disk-files");
    CHECK(zfg != NULL);
    CHECK(files != NULL);
}

static void test_zfg_modes(void)
{
    static const char *const modes[] = {"plain", "dirty", "rest"};
    static const char *const syncs[] = {"none", "fsync", "direct"};
    for (int m = 0; m < 3; m++) {
        for (int s = 0; s < 3; s++) {
            char extra[128], refusal[512] = "";
            snprintf(extra, sizeof extra, "mode=%s,sync=%s", modes[m], syncs[s]);
            bool direct = s == 2;
            if (!run_cycle(zfg, extra, direct ? refusal : NULL, sizeof refusal)) {
                fprintf(stderr, "  note: %s refused here: %s\n", extra, refusal);
                CHECK(strstr(refusal, "--sync direct") != NULL);
            }
        }
    }
}

static void test_zfg_odd_sizes(void)
{
    /* a size that is not a multiple of the block, nor of 4 KiB */
    run_cycle(zfg, "size=1000001,count=3,block=64k,sync=direct", NULL, 0);
    run_cycle(zfg, "size=4k,count=1,block=512", NULL, 0);
}

static void test_files(void)
{
    run_cycle(files, "", NULL, 0);
    run_cycle(files, "files=300,dirs=1,file-size=0", NULL, 0);
    run_cycle(files, "files=40,dirs=7,file-size=9000", NULL, 0);
}

/* setup must refuse, with an input error naming want, leaving nothing behind. */
static void check_refused(const struct vp_workload *wl, const char *extra, const char *dir,
                          const char *want)
{
    struct vp_err err = {0};
    void *p = params_new(wl, extra, dir);
    void *state = NULL;
    int rc = wl->setup(p, &state, &err);
    CHECK_INT(rc, -EINVAL);
    CHECK_INT(err.kind, VP_ERR_INPUT);
    CHECK(state == NULL);
    CHECK(strstr(err.msg, want) != NULL);
    if (strstr(err.msg, want) == NULL || rc != -EINVAL)
        fprintf(stderr, "  %s %s: \"%s\"\n", wl->name, extra, err.msg);
    wl->teardown(state);
    free(p);
    CHECK_INT(count_scratch(dir, NULL, 0), 0);
}

static void test_impossible_sizes(void)
{
    struct statvfs sv;
    CHECK_INT(statvfs(base, &sv), 0);
    uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
    char extra[256];

    snprintf(extra, sizeof extra, "size=%" PRIu64, avail * 2 + ((uint64_t)1 << 30));
    check_refused(zfg, extra, base, "--size");
    snprintf(extra, sizeof extra, "mode=dirty,dirty-size=%" PRIu64, avail + ((uint64_t)1 << 30));
    check_refused(zfg, extra, base, "--dirty-size");
    /* just too big once the margin counts */
    snprintf(extra, sizeof extra, "size=%" PRIu64, avail - avail % 4096);
    check_refused(zfg, extra, base, "free");
    check_refused(zfg, "sync=direct,block=6k", base, "--block");
    check_refused(zfg, "", "/nonexistent/virtperf-test", "--dir");

    snprintf(extra, sizeof extra, "file-size=64M,files=%" PRIu64, avail / (64u << 20) * 2 + 2);
    check_refused(files, extra, base, "--files");
    check_refused(files, "", "/nonexistent/virtperf-test", "--dir");
}

static void test_interrupted(void)
{
    struct vp_err err = {0};
    struct vp_round_ctx ctx = {0};
    const struct vp_workload *wls[] = {zfg, files};
    for (int i = 0; i < 2; i++) {
        void *p = params_new(wls[i], "", base);
        void *state = NULL;
        CHECK_INT(wls[i]->setup(p, &state, &err), 0);
        vp_interrupted = 1;
        CHECK_INT(wls[i]->round(state, &ctx, &err), -EINTR);
        vp_interrupted = 0;
        CHECK_INT(err.kind, VP_ERR_RUN);
        wls[i]->teardown(state);
        free(p);
        CHECK_INT(count_scratch(base, NULL, 0), 0);
    }
}

/* Mount fstype on a fresh directory under base; false (with a note) if not allowed. */
static bool mount_tmp(const char *fstype, const char *data, char *mnt, size_t len)
{
    snprintf(mnt, len, "%s/mnt-%s", base, fstype);
    CHECK_INT(mkdir(mnt, 0700), 0);
    if (mount(fstype, mnt, fstype, 0, data) != 0) {
        fprintf(stderr, "  note: cannot mount a %s (%s); part of the test skipped\n", fstype,
                strerror(errno));
        rmdir(mnt);
        return false;
    }
    return true;
}

static void unmount_tmp(const char *mnt)
{
    CHECK_INT(umount(mnt), 0);
    CHECK_INT(rmdir(mnt), 0);
}

/* Fill the file system of dir with one file until it is full. */
static void fill(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    static char buf[65536];
    memset(buf, 0xaa, sizeof buf);
    ssize_t n;
    size_t len = sizeof buf;
    for (;;) {
        n = write(fd, buf, len);
        if (n < 0 && errno == ENOSPC && len > 1) {
            len /= 2;
            continue;
        }
        if (n <= 0)
            break;
    }
    CHECK(n < 0 && errno == ENOSPC);
    close(fd);
}

/* Setup passes on a small tmpfs, then the disk fills up behind the workload's
 * back: the round is a run error naming the full disk and leaves no file. */
static void full_disk(const struct vp_workload *wl, const char *extra, const char *mnt)
{
    struct vp_err err = {0};
    struct vp_round_ctx ctx = {0};
    char scratch[PATH_MAX], filler[PATH_MAX + 16];
    void *p = params_new(wl, extra, mnt);
    void *state = NULL;
    int rc = wl->setup(p, &state, &err);
    CHECK_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "  %s %s: %s\n", wl->name, extra, err.msg);
        free(p);
        return;
    }
    CHECK_INT(count_scratch(mnt, scratch, sizeof scratch), 1);
    snprintf(filler, sizeof filler, "%s/filler", mnt);
    fill(filler);
    rc = one_round(wl, state, 0, false, &ctx, &err);
    CHECK_INT(rc, -ENOSPC);
    CHECK_INT(err.kind, VP_ERR_RUN);
    CHECK(strstr(err.msg, "disk full") != NULL);
    CHECK(strstr(err.msg, strerror(ENOSPC)) != NULL);
    fprintf(stderr, "  %s: %s\n", wl->name, err.msg);
    if (wl == zfg)
        CHECK_INT(count_entries(scratch), 0); /* the partial file is gone */
    wl->teardown(state);
    free(p);
    CHECK_INT(count_scratch(mnt, NULL, 0), 0);
    CHECK_INT(unlink(filler), 0);
}

static void test_full_disk(void)
{
    char mnt[PATH_MAX];
    if (!mount_tmp("tmpfs", "size=8m,nr_inodes=200", mnt, sizeof mnt))
        return;
    full_disk(zfg, "size=2M,count=2,block=64k,mode=plain,sync=fsync", mnt);
    full_disk(zfg, "size=2M,count=1,block=64k,mode=dirty,dirty-size=1M", mnt);
    full_disk(files, "files=64,dirs=4,file-size=4k", mnt);
    /* more files than the tmpfs has inodes */
    check_refused(files, "files=500,dirs=2,file-size=0", mnt, "inodes");
    check_refused(zfg, "size=8M", mnt, "--size");
    unmount_tmp(mnt);
}

static void test_direct_refused(void)
{
    char mnt[PATH_MAX];
    /* ramfs has no O_DIRECT (and reports no size, so the space check passes) */
    if (!mount_tmp("ramfs", NULL, mnt, sizeof mnt))
        return;
    check_refused(zfg, "sync=direct", mnt, "--sync direct");
    check_refused(zfg, "sync=direct", mnt, mnt);
    unmount_tmp(mnt);
}

int main(void)
{
    snprintf(base, sizeof base, "/var/tmp/vp-test-wl-disk.XXXXXX");
    if (mkdtemp(base) == NULL) {
        perror("mkdtemp /var/tmp");
        return 1;
    }
    RUN(test_registered);
    if (zfg && files) {
        RUN(test_zfg_modes);
        RUN(test_zfg_odd_sizes);
        RUN(test_files);
        RUN(test_impossible_sizes);
        RUN(test_interrupted);
        RUN(test_full_disk);
        RUN(test_direct_refused);
    }
    CHECK_INT(count_scratch(base, NULL, 0), 0);
    CHECK_INT(vp_rmtree(base), 0);
    return CHECK_DONE();
}
