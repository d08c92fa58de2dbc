/* disk-zfg: ZFG, the Zero File Generator of GTA/UFRJ (seed 003, sections
 * 5.3.2 and 6.1.4-6.1.6). One round writes a file of zeros `count` times, each
 * time created anew, so the amount of work is fixed whatever the speed of the
 * disk. Two variants of the report probe the buffers between a guest and the
 * real disk: `dirty` fills the page cache with pending writes before each
 * round, `rest` waits before each round so that they drain.
 *
 * The round's write_rate is the bytes written over the round's time; with
 * --sync none it is mostly the speed of the page cache, as in the original
 * (which did not sync either), --sync fsync and --sync direct make the disk
 * itself part of the measurement. */
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

#define ALIGN       4096u /* O_DIRECT buffer, block and offset alignment */
#define SAMPLE      4096u /* bytes per verified sample block */
#define NSAMPLES    8     /* first, last and six chosen blocks */
#define SAMPLE_SEED 0x7a66672d73616dull

enum zfg_mode { MODE_PLAIN, MODE_DIRTY, MODE_REST };
enum zfg_sync { SYNC_NONE, SYNC_FSYNC, SYNC_DIRECT };

struct zfg_params {
    uint64_t size;
    int64_t count;
    uint64_t block;
    int mode;
    int sync;
    uint64_t dirty_size;
    uint64_t rest_ns;
    char dir[VP_STR_MAX];
};

static const char *const mode_names[] = {"plain", "dirty", "rest", NULL};
static const char *const sync_names[] = {"none", "fsync", "direct", NULL};

static const struct vp_opt zfg_opts[] = {
    {"size", VP_OPT_SIZE, offsetof(struct zfg_params, size), "2G", 4096, 1125899906842624.0, NULL,
     "bytes in the file of zeros", false},
    {"count", VP_OPT_INT, offsetof(struct zfg_params, count), "10", 1, 100000, NULL,
     "times the file is written per round", false},
    {"block", VP_OPT_SIZE, offsetof(struct zfg_params, block), "1M", 512, 268435456.0, NULL,
     "bytes per write call", false},
    {"mode", VP_OPT_ENUM, offsetof(struct zfg_params, mode), "plain", 0, 0, mode_names,
     "plain; dirty: dirty the page cache before each round; rest: wait before each round", false},
    {"sync", VP_OPT_ENUM, offsetof(struct zfg_params, sync), "none", 0, 0, sync_names,
     "none: write and close; fsync: fsync before close; direct: O_DIRECT writes", false},
    {"dirty-size", VP_OPT_SIZE, offsetof(struct zfg_params, dirty_size), "1G", 0,
     1125899906842624.0, NULL, "bytes of dirty data written before each round (mode dirty)", false},
    {"rest", VP_OPT_DURATION, offsetof(struct zfg_params, rest_ns), "30s", 0, 86400e9, NULL,
     "pause before each round (mode rest)", false},
    {"dir", VP_OPT_OUTPUT, offsetof(struct zfg_params, dir), "/var/tmp", 0, 0, NULL,
     "directory under which the scratch directory is made", false},
    VP_OPT_END,
};

static const struct vp_metric_def zfg_metrics[] = {
    {"write_rate", "MB/s", VP_AVG_HARMONIC, true},
};

struct zfg {
    struct zfg_params p;
    char workdir[PATH_MAX];
    char path[PATH_MAX + 16];  /* the file of zeros */
    char dirty[PATH_MAX + 16]; /* the file that dirties the page cache */
    unsigned char *zeros;      /* block bytes of zeros, ALIGN-aligned */
    unsigned char *noise;      /* block bytes for the dirty file */
    uint64_t samples[NSAMPLES];
    uint64_t written; /* bytes written by the last round */
    uint64_t dirty_round;
};

static void zfg_teardown(void *state)
{
    struct zfg *z = state;
    if (z == NULL)
        return;
    if (z->workdir[0])
        vp_rmtree(z->workdir);
    free(z->zeros);
    free(z->noise);
    free(z);
}

/* Deterministic offsets of the verified 4 KiB blocks: the first, the last and
 * six picked by the PRNG, all 4 KiB-aligned except the last. */
static void choose_samples(struct zfg *z)
{
    uint64_t size = z->p.size, seed = SAMPLE_SEED ^ size;
    uint64_t nblocks = size / SAMPLE;
    z->samples[0] = 0;
    z->samples[1] = size - SAMPLE;
    for (int i = 2; i < NSAMPLES; i++)
        z->samples[i] = (vp_prng_next(&seed) % nblocks) * SAMPLE;
}

/* Refuse sizes the file system cannot hold: size (+ dirty_size) and a margin
 * for metadata must fit in the space available to us. */
static int check_space(const struct zfg_params *p, struct vp_err *err)
{
    struct statvfs sv;
    if (statvfs(p->dir, &sv) != 0)
        return vp_input_error(err, "--dir %s: %s", p->dir, strerror(errno));
    if (sv.f_blocks == 0) /* ramfs and friends report no size: nothing to check */
        return 0;
    uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
    uint64_t need = p->size + (p->mode == MODE_DIRTY ? p->dirty_size : 0);
    uint64_t margin = need / 32 + (1u << 20);
    if (need + margin <= avail && need + margin >= need)
        return 0;
    char sz[32], dsz[32], fr[32], nd[32];
    vp_format_size(p->size, sz, sizeof sz);
    vp_format_size(p->dirty_size, dsz, sizeof dsz);
    vp_format_size(avail, fr, sizeof fr);
    vp_format_size(need + margin, nd, sizeof nd);
    if (p->mode == MODE_DIRTY)
        return vp_input_error(err,
                              "--size %s with --dirty-size %s does not fit in %s: needs %s "
                              "with margin, %s free",
                              sz, dsz, p->dir, nd, fr);
    return vp_input_error(err, "--size %s does not fit in %s: needs %s with margin, %s free", sz,
                          p->dir, nd, fr);
}

/* Open a file for writing in the scratch dir, created anew. */
static int open_new(const char *path, bool direct)
{
    return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (direct ? O_DIRECT : 0), 0600);
}

/* Check that the file system takes O_DIRECT writes of ALIGN bytes. */
static int probe_direct(struct zfg *z, struct vp_err *err)
{
    char probe[PATH_MAX + 16];
    snprintf(probe, sizeof probe, "%s/probe", z->workdir);
    int fd = open_new(probe, true);
    if (fd < 0) {
        int e = errno;
        if (e == EINVAL)
            return vp_input_error(err, "--sync direct: the file system of %s refuses O_DIRECT",
                                  z->p.dir);
        return vp_run_error(err, e, "%s: open with O_DIRECT", probe);
    }
    ssize_t n = write(fd, z->zeros, ALIGN);
    int e = errno;
    close(fd);
    unlink(probe);
    if (n == (ssize_t)ALIGN)
        return 0;
    if (n < 0 && e == EINVAL)
        return vp_input_error(err, "--sync direct: the file system of %s refuses O_DIRECT writes",
                              z->p.dir);
    return vp_run_error(err, n < 0 ? e : 0, "%s: O_DIRECT probe write", probe);
}

static int zfg_setup(const void *params, void **state, struct vp_err *err)
{
    const struct zfg_params *p = params;
    char b[32];
    int rc;

    *state = NULL;
    if (p->sync == SYNC_DIRECT && p->block % ALIGN != 0) {
        vp_format_size(p->block, b, sizeof b);
        return vp_input_error(err, "--block %s: must be a multiple of 4 KiB with --sync direct", b);
    }
    uint64_t total;
    if (__builtin_mul_overflow(p->size, (uint64_t)p->count, &total))
        return vp_input_error(err, "--size times --count is too large");
    if ((rc = check_space(p, err)) < 0)
        return rc;

    struct zfg *z = calloc(1, sizeof *z);
    if (z == NULL)
        return vp_run_error(err, ENOMEM, "disk-zfg");
    z->p = *p;
    if (posix_memalign((void **)&z->zeros, ALIGN, p->block) != 0 ||
        (p->mode == MODE_DIRTY && (z->noise = malloc(p->block)) == NULL)) {
        zfg_teardown(z);
        return vp_run_error(err, ENOMEM, "disk-zfg: %" PRIu64 "-byte buffers", p->block);
    }
    memset(z->zeros, 0, p->block);
    if ((rc = vp_workdir_make(p->dir, "zfg", z->workdir, sizeof z->workdir, err)) < 0) {
        z->workdir[0] = '\0';
        zfg_teardown(z);
        return rc;
    }
    snprintf(z->path, sizeof z->path, "%s/zeros", z->workdir);
    snprintf(z->dirty, sizeof z->dirty, "%s/dirty", z->workdir);
    if (p->sync == SYNC_DIRECT && (rc = probe_direct(z, err)) < 0) {
        zfg_teardown(z);
        return rc;
    }
    choose_samples(z);
    *state = z;
    return 0;
}

static bool is_full(int e)
{
    return e == ENOSPC || e == EDQUOT;
}

/* Write len bytes of buf at the file's offset, retrying short writes.
 * Returns 0 or -errno; *done counts what the kernel took. */
static int write_all(int fd, const unsigned char *buf, size_t len, uint64_t *done)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR && !vp_interrupted)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;
        *done += (uint64_t)n;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Pseudo-random bytes with no zero byte, different for every round. */
static void fill_noise(unsigned char *buf, size_t len, uint64_t *seed)
{
    for (size_t i = 0; i < len; i += 8) {
        uint64_t w = vp_prng_next(seed) | 0x0101010101010101ull;
        memcpy(buf + i, &w, len - i < 8 ? len - i : 8);
    }
}

/* Untimed: write dirty_size bytes of noise without syncing (dirty), or wait
 * for the buffers to drain (rest). */
static int zfg_before_round(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct zfg *z = state;
    (void)ctx;
    if (z->p.mode == MODE_REST) {
        if (vp_sleep_ns(z->p.rest_ns) < 0)
            return vp_run_error(err, EINTR, "disk-zfg: resting");
        return 0;
    }
    if (z->p.mode != MODE_DIRTY)
        return 0;

    int fd = open_new(z->dirty, false);
    if (fd < 0)
        return vp_run_error(err, errno, "%s: create", z->dirty);
    uint64_t seed = 0x6469727479ull + z->dirty_round++, done = 0;
    int rc = 0;
    while (done < z->p.dirty_size) {
        if (vp_interrupted) {
            rc = -EINTR;
            break;
        }
        uint64_t left = z->p.dirty_size - done;
        size_t len = left < z->p.block ? (size_t)left : (size_t)z->p.block;
        fill_noise(z->noise, len, &seed);
        if ((rc = write_all(fd, z->noise, len, &done)) < 0)
            break;
    }
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc < 0) {
        unlink(z->dirty);
        if (is_full(-rc))
            return vp_run_error(err, -rc, "%s: disk full while dirtying the page cache", z->dirty);
        return vp_run_error(err, -rc, "%s: writing dirty data", z->dirty);
    }
    return 0;
}

/* One pass: create the file anew and write size bytes of zeros. */
static int write_pass(struct zfg *z)
{
    bool direct = z->p.sync == SYNC_DIRECT;
    int fd = open_new(z->path, direct);
    if (fd < 0)
        return -errno;
    uint64_t done = 0;
    int rc = 0;
    while (done < z->p.size) {
        if (vp_interrupted) {
            rc = -EINTR;
            break;
        }
        uint64_t left = z->p.size - done;
        size_t len = left < z->p.block ? (size_t)left : (size_t)z->p.block;
        /* an unaligned tail cannot go through O_DIRECT */
        if (direct && len % ALIGN != 0) {
            if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_DIRECT) != 0) {
                rc = -errno;
                break;
            }
            direct = false;
        }
        uint64_t before = done;
        rc = write_all(fd, z->zeros, len, &done);
        z->written += done - before;
        if (rc < 0)
            break;
    }
    if (rc == 0 && z->p.sync == SYNC_FSYNC && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

/* Test hook: one non-zero byte inside a verified sample block. */
static int damage(struct zfg *z)
{
    int fd = open(z->path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    const unsigned char bad = 0x5a;
    ssize_t n = pwrite(fd, &bad, 1, (off_t)(z->samples[NSAMPLES / 2] + 123));
    int rc = n == 1 ? 0 : n < 0 ? -errno : -EIO;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    return rc;
}

static int zfg_round(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct zfg *z = state;
    z->written = 0;
    uint64_t t0 = vp_now_ns();
    for (int64_t i = 0; i < z->p.count; i++) {
        int rc = write_pass(z);
        if (rc < 0) {
            unlink(z->path);
            char w[32];
            vp_format_size(z->written, w, sizeof w);
            if (rc == -EINTR)
                return vp_run_error(err, EINTR, "disk-zfg: writing %s", z->path);
            if (is_full(-rc))
                return vp_run_error(err, -rc,
                                    "%s: disk full in pass %" PRId64 " of %" PRId64
                                    " (%s written this round)",
                                    z->path, i + 1, z->p.count, w);
            return vp_run_error(err, -rc, "%s: writing pass %" PRId64 " of %" PRId64, z->path,
                                i + 1, z->p.count);
        }
    }
    uint64_t t1 = vp_now_ns();
    if (ctx->inject_fault) {
        int rc = damage(z);
        if (rc < 0)
            return vp_run_error(err, -rc, "%s: injecting the fault", z->path);
    }
    double secs = (double)(t1 > t0 ? t1 - t0 : 1) / 1e9;
    ctx->metrics[0] = (double)z->written / 1e6 / secs;
    return 0;
}

static int zfg_verify(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct zfg *z = state;
    (void)ctx;
    uint64_t expect = z->p.size * (uint64_t)z->p.count;
    if (z->written != expect)
        return vp_run_error(err, 0, "disk-zfg: wrote %" PRIu64 " bytes, expected %" PRIu64,
                            z->written, expect);

    int fd = open(z->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vp_run_error(err, errno, "%s: open for verification", z->path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return vp_run_error(err, e, "%s: fstat", z->path);
    }
    if ((uint64_t)st.st_size != z->p.size) {
        close(fd);
        return vp_run_error(err, 0, "%s: %jd bytes, expected %" PRIu64, z->path,
                            (intmax_t)st.st_size, z->p.size);
    }
    unsigned char buf[SAMPLE];
    for (int i = 0; i < NSAMPLES; i++) {
        ssize_t n = pread(fd, buf, SAMPLE, (off_t)z->samples[i]);
        if (n != (ssize_t)SAMPLE) {
            int e = n < 0 ? errno : 0;
            close(fd);
            return vp_run_error(err, e, "%s: short read at offset %" PRIu64, z->path,
                                z->samples[i]);
        }
        for (size_t j = 0; j < SAMPLE; j++) {
            if (buf[j] != 0) {
                close(fd);
                return vp_run_error(err, 0, "%s: byte %" PRIu64 " is 0x%02x, expected zero",
                                    z->path, z->samples[i] + j, buf[j]);
            }
        }
    }
    close(fd);
    return 0;
}

const struct vp_workload vp_wl_disk_zfg = {
    .name = "disk-zfg",
    .summary = "write a file of zeros count times: sequential write speed",
    .origin = "ZFG (Zero File Generator), seed 003 sections 5.3.2 and 6.1.4-6.1.6",
    .opts = zfg_opts,
    .params_size = sizeof(struct zfg_params),
    .small_preset = "size=8M,count=2,block=256k,dirty-size=8M,rest=50ms",
    .metrics = zfg_metrics,
    .nmetrics = 1,
    .unsupported = NULL,
    .setup = zfg_setup,
    .before_round = zfg_before_round,
    .round = zfg_round,
    .verify = zfg_verify,
    .teardown = zfg_teardown,
};
