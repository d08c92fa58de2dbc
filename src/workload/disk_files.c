/* disk-files: the small-file part of Bonnie++ (seed 003, sections 5.3.1 and
 * 6.1.3). One round creates `files` files spread over `dirs` subdirectories,
 * stats them, reads them back and deletes them, timing each phase.
 *
 * Files are created and deleted in index order (Bonnie's sequential phases);
 * they are stat'ed and read in one fixed pseudo-random order, a Fisher-Yates
 * shuffle with a constant seed made at setup (Bonnie's random phases), so every
 * round and every machine does the same work in the same order. File i holds
 * file_size bytes from the PRNG seeded by i, and the read phase compares them.
 *
 * The default file_size is 1 KiB, not Bonnie's 0: with empty files the read
 * phase would have nothing to read or check; 1 KiB still fits in one block,
 * so the phases stay about metadata, as Bonnie's small-file test is. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/prng.h"
#include "core/signals.h"
#include "core/units.h"
#include "core/workdir.h"
#include "workload/workload.h"

#define BLOCK        4096u /* space a file is assumed to take, rounded up */
#define CONTENT_SEED 0x626f6e6e6965ull
#define ORDER_SEED   0x72616e646f6dull

struct files_params {
    uint64_t files;
    int64_t dirs;
    uint64_t file_size;
    char dir[VP_STR_MAX];
};

static const struct vp_opt files_opts[] = {
    {"files", VP_OPT_COUNT, offsetof(struct files_params, files), "16k", 1, 16777216.0, NULL,
     "number of files (16k = 16384, Bonnie's -n 16)", false},
    {"dirs", VP_OPT_INT, offsetof(struct files_params, dirs), "64", 1, 65536, NULL,
     "subdirectories the files are spread over", false},
    {"file-size", VP_OPT_SIZE, offsetof(struct files_params, file_size), "1k", 0, 67108864.0, NULL,
     "bytes in each file", false},
    {"dir", VP_OPT_OUTPUT, offsetof(struct files_params, dir), "/var/tmp", 0, 0, NULL,
     "directory under which the scratch directory is made", false},
    VP_OPT_END,
};

enum { M_CREATE, M_STAT, M_READ, M_DELETE };

static const struct vp_metric_def files_metrics[] = {
    {"create_rate", "ops/s", VP_AVG_HARMONIC, true},
    {"stat_rate", "ops/s", VP_AVG_HARMONIC, true},
    {"read_rate", "ops/s", VP_AVG_HARMONIC, true},
    {"delete_rate", "ops/s", VP_AVG_HARMONIC, true},
};

struct files {
    struct files_params p;
    char workdir[PATH_MAX];
    int root;                  /* fd of workdir */
    uint32_t *order;           /* stat/read order, a permutation of 0..files-1 */
    unsigned char *want, *got; /* file_size and file_size + 1 bytes */
    uint64_t stat_bad, read_bad;
    char first_bad[64]; /* the first file with a wrong size or content */
    bool round_done;
};

static void files_teardown(void *state)
{
    struct files *f = state;
    if (f == NULL)
        return;
    if (f->root >= 0)
        close(f->root);
    if (f->workdir[0])
        vp_rmtree(f->workdir);
    free(f->order);
    free(f->want);
    free(f->got);
    free(f);
}

/* Refuse a tree the file system cannot hold: inodes for every file and
 * directory, and every file's size rounded up to 4 KiB plus a margin. */
static int check_space(const struct files_params *p, struct vp_err *err)
{
    struct statvfs sv;
    if (statvfs(p->dir, &sv) != 0)
        return vp_input_error(err, "--dir %s: %s", p->dir, strerror(errno));
    uint64_t inodes = p->files + (uint64_t)p->dirs + 1;
    if (sv.f_files != 0 && inodes > (uint64_t)sv.f_favail)
        return vp_input_error(err,
                              "--files %" PRIu64 " with --dirs %" PRId64 ": needs %" PRIu64
                              " inodes in %s, %" PRIu64 " free",
                              p->files, p->dirs, inodes, p->dir, (uint64_t)sv.f_favail);
    if (sv.f_blocks == 0) /* ramfs and friends report no size */
        return 0;
    uint64_t per_file = (p->file_size + BLOCK - 1) / BLOCK * BLOCK;
    uint64_t need = p->files * per_file + (uint64_t)p->dirs * BLOCK;
    need += need / 32 + (1u << 20);
    uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
    if (need <= avail)
        return 0;
    char sz[32], nd[32], fr[32];
    vp_format_size(p->file_size, sz, sizeof sz);
    vp_format_size(need, nd, sizeof nd);
    vp_format_size(avail, fr, sizeof fr);
    return vp_input_error(err,
                          "--files %" PRIu64 " of --file-size %s do not fit in %s: needs %s "
                          "with margin, %s free",
                          p->files, sz, p->dir, nd, fr);
}

static int files_setup(const void *params, void **state, struct vp_err *err)
{
    const struct files_params *p = params;
    int rc = 0;

    *state = NULL;
    if ((rc = check_space(p, err)) < 0)
        return rc;
    struct files *f = calloc(1, sizeof *f);
    if (f == NULL)
        return vp_run_error(err, ENOMEM, "disk-files");
    f->p = *p;
    f->root = -1;
    f->order = malloc(p->files * sizeof *f->order);
    f->want = malloc(p->file_size + 1);
    f->got = malloc(p->file_size + 1);
    if (f->order == NULL || f->want == NULL || f->got == NULL) {
        files_teardown(f);
        return vp_run_error(err, ENOMEM, "disk-files: buffers for %" PRIu64 " files", p->files);
    }
    uint64_t seed = ORDER_SEED;
    for (uint64_t i = 0; i < p->files; i++)
        f->order[i] = (uint32_t)i;
    for (uint64_t i = p->files - 1; i > 0; i--) {
        uint64_t j = vp_prng_next(&seed) % (i + 1);
        uint32_t t = f->order[i];
        f->order[i] = f->order[j];
        f->order[j] = t;
    }

    if ((rc = vp_workdir_make(p->dir, "files", f->workdir, sizeof f->workdir, err)) < 0) {
        f->workdir[0] = '\0';
        files_teardown(f);
        return rc;
    }
    f->root = open(f->workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f->root < 0) {
        rc = vp_run_error(err, errno, "%s: open", f->workdir);
        files_teardown(f);
        return rc;
    }
    for (int64_t d = 0; d < p->dirs; d++) {
        char name[32];
        snprintf(name, sizeof name, "d%05" PRId64, d);
        if (mkdirat(f->root, name, 0700) != 0) {
            rc = vp_run_error(err, errno, "%s/%s: mkdir", f->workdir, name);
            files_teardown(f);
            return rc;
        }
    }
    *state = f;
    return 0;
}

/* Path of file i relative to the scratch dir. */
static void file_name(const struct files *f, uint64_t i, char *buf, size_t len)
{
    snprintf(buf, len, "d%05" PRIu64 "/f%08" PRIu64, i % (uint64_t)f->p.dirs, i);
}

/* The content of file i. */
static void fill_content(unsigned char *buf, uint64_t len, uint64_t i)
{
    uint64_t seed = CONTENT_SEED ^ (i * 0x9e3779b97f4a7c15ull);
    for (uint64_t k = 0; k < len; k += 8) {
        uint64_t w = vp_prng_next(&seed);
        memcpy(buf + k, &w, len - k < 8 ? (size_t)(len - k) : 8);
    }
}

static double rate(uint64_t n, uint64_t t0, uint64_t t1)
{
    return (double)n / ((double)(t1 > t0 ? t1 - t0 : 1) / 1e9);
}

/* A failed file operation as a run error; a full disk is named as such. */
static int op_error(struct files *f, int e, const char *what, const char *name, struct vp_err *err)
{
    if (e == EINTR && vp_interrupted)
        return vp_run_error(err, EINTR, "disk-files: %s phase", what);
    if (e == ENOSPC || e == EDQUOT)
        return vp_run_error(err, e, "%s/%s: disk full in the %s phase", f->workdir, name, what);
    return vp_run_error(err, e, "%s/%s: %s", f->workdir, name, what);
}

static int create_one(struct files *f, uint64_t i, const char *name)
{
    int fd = openat(f->root, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    fill_content(f->want, f->p.file_size, i);
    int rc = 0;
    for (uint64_t done = 0; done < f->p.file_size;) {
        ssize_t n = write(fd, f->want + done, f->p.file_size - done);
        if (n < 0 && errno == EINTR && !vp_interrupted)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : -EIO;
            break;
        }
        done += (uint64_t)n;
    }
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

/* Read file i whole and compare it with its content: 1 on a mismatch. */
static int read_one(struct files *f, uint64_t i, const char *name)
{
    int fd = openat(f->root, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    uint64_t cap = f->p.file_size + 1, got = 0;
    int rc = 0;
    while (got < cap) {
        ssize_t n = read(fd, f->got + got, cap - got);
        if (n < 0 && errno == EINTR && !vp_interrupted)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        if (n == 0)
            break;
        got += (uint64_t)n;
    }
    close(fd);
    if (rc < 0)
        return rc;
    if (got != f->p.file_size)
        return 1;
    fill_content(f->want, f->p.file_size, i);
    return memcmp(f->want, f->got, f->p.file_size) != 0;
}

/* Test hook: change one byte of one file (or give an empty file one byte). */
static int damage(struct files *f)
{
    char name[64];
    file_name(f, f->order[f->p.files / 2], name, sizeof name);
    int fd = openat(f->root, name, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    unsigned char c = 0;
    off_t at = (off_t)(f->p.file_size / 2);
    int rc = 0;
    if (f->p.file_size > 0 && pread(fd, &c, 1, at) != 1)
        rc = -EIO;
    c = (unsigned char)~c;
    if (rc == 0 && pwrite(fd, &c, 1, at) != 1)
        rc = -EIO;
    close(fd);
    return rc;
}

static int files_round(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct files *f = state;
    uint64_t n = f->p.files;
    char name[64];
    int rc = 0;

    f->stat_bad = f->read_bad = 0;
    f->first_bad[0] = '\0';
    f->round_done = false;

    uint64_t t0 = vp_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        file_name(f, i, name, sizeof name);
        if (vp_interrupted || (rc = create_one(f, i, name)) < 0)
            return op_error(f, vp_interrupted ? EINTR : -rc, "create", name, err);
    }
    uint64_t t1 = vp_now_ns();
    for (uint64_t k = 0; k < n; k++) {
        struct stat st;
        file_name(f, f->order[k], name, sizeof name);
        if (vp_interrupted || fstatat(f->root, name, &st, 0) != 0)
            return op_error(f, vp_interrupted ? EINTR : errno, "stat", name, err);
        if ((uint64_t)st.st_size != f->p.file_size && f->stat_bad++ == 0)
            snprintf(f->first_bad, sizeof f->first_bad, "%s", name);
    }
    uint64_t t2 = vp_now_ns();
    if (ctx->inject_fault && (rc = damage(f)) < 0)
        return vp_run_error(err, -rc, "disk-files: injecting the fault");
    uint64_t t3 = vp_now_ns();
    for (uint64_t k = 0; k < n; k++) {
        file_name(f, f->order[k], name, sizeof name);
        if (vp_interrupted || (rc = read_one(f, f->order[k], name)) < 0)
            return op_error(f, vp_interrupted ? EINTR : -rc, "read", name, err);
        if (rc > 0 && f->read_bad++ == 0 && f->first_bad[0] == 0)
            snprintf(f->first_bad, sizeof f->first_bad, "%s", name);
    }
    uint64_t t4 = vp_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        file_name(f, i, name, sizeof name);
        if (vp_interrupted || unlinkat(f->root, name, 0) != 0)
            return op_error(f, vp_interrupted ? EINTR : errno, "delete", name, err);
    }
    uint64_t t5 = vp_now_ns();

    ctx->metrics[M_CREATE] = rate(n, t0, t1);
    ctx->metrics[M_STAT] = rate(n, t1, t2);
    ctx->metrics[M_READ] = rate(n, t3, t4);
    ctx->metrics[M_DELETE] = rate(n, t4, t5);
    f->round_done = true;
    return 0;
}

/* Entries left in the subdirectories (the subdirectories themselves stay). */
static int count_left(struct files *f, uint64_t *left, struct vp_err *err)
{
    *left = 0;
    for (int64_t d = 0; d < f->p.dirs; d++) {
        char name[32];
        snprintf(name, sizeof name, "d%05" PRId64, d);
        int fd = openat(f->root, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dir = fd < 0 ? NULL : fdopendir(fd);
        if (dir == NULL) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            return vp_run_error(err, e, "%s/%s: open", f->workdir, name);
        }
        struct dirent *de;
        while ((de = readdir(dir)) != NULL)
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                (*left)++;
        closedir(dir);
    }
    return 0;
}

static int files_verify(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct files *f = state;
    (void)ctx;
    if (!f->round_done)
        return vp_run_error(err, 0, "disk-files: the round did not finish");
    if (f->stat_bad != 0)
        return vp_run_error(err, 0, "%s: %" PRIu64 " of %" PRIu64 " files had the wrong size (%s)",
                            f->workdir, f->stat_bad, f->p.files, f->first_bad);
    if (f->read_bad != 0)
        return vp_run_error(err, 0,
                            "%s: %" PRIu64 " of %" PRIu64 " files read back wrong content (%s)",
                            f->workdir, f->read_bad, f->p.files, f->first_bad);
    uint64_t left;
    int rc = count_left(f, &left, err);
    if (rc < 0)
        return rc;
    if (left != 0)
        return vp_run_error(err, 0, "disk-files: %" PRIu64 " entries left after the delete phase",
                            left);
    return 0;
}

const struct vp_workload vp_wl_disk_files = {
    .name = "disk-files",
    .summary = "create, stat, read and delete many small files: metadata speed",
    .origin = "Bonnie++ small-file test, seed 003 sections 5.3.1 and 6.1.3",
    .opts = files_opts,
    .params_size = sizeof(struct files_params),
    .small_preset = "files=512,dirs=4,file-size=1k",
    .metrics = files_metrics,
    .nmetrics = 4,
    .unsupported = NULL,
    .setup = files_setup,
    .before_round = NULL,
    .round = files_round,
    .verify = files_verify,
    .teardown = files_teardown,
};
