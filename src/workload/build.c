/* build: seed 003's kernel compile — `make -jN` of a C project with the
 * system compiler. The project is generated from a seed (build_tree.h: tens
 * of thousands of lines at the defaults, headers shared across units as in
 * a real project), so every machine compiles the same sources. Setup builds
 * it once, untimed, as the reference: every object's BLAKE2b hash and what
 * the linked program prints. A round removes the objects (untimed), then
 * compiles every unit (`make objs`, the compile phase) and links the
 * program (`make prog`, the link phase); verify compares each object and the
 * program's output with the reference, so a miscompiled or truncated object
 * fails the round. The compiler and make come from the platform's file
 * system: where there are none (a VM guest's initramfs) the workload says
 * so instead of running. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/fds.h"
#include "core/signals.h"
#include "core/workdir.h"
#include "workload/build_tree.h"
#include "workload/workload.h"

#define HASH_BYTES 32

struct build_params {
    uint64_t units, funcs, headers;
    int64_t jobs;
    char cc[VP_STR_MAX];
    char dir[VP_STR_MAX];
};

static const struct vp_opt build_opts[] = {
    {"units", VP_OPT_COUNT, offsetof(struct build_params, units), "384", 1, 9999, NULL,
     "C files compiled besides main.c", false},
    {"funcs", VP_OPT_COUNT, offsetof(struct build_params, funcs), "12", 1, 1000, NULL,
     "functions in each file (the project's size grows with units x funcs)", false},
    {"headers", VP_OPT_COUNT, offsetof(struct build_params, headers), "16", 1, 999, NULL,
     "headers the files share (each includes three of them)", false},
    {"jobs", VP_OPT_INT, offsetof(struct build_params, jobs), "0", 0, 1024, NULL,
     "make -j: compilers at once (0: the CPUs online)", false},
    {"cc", VP_OPT_STRING, offsetof(struct build_params, cc), "cc", 0, 0, NULL,
     "the C compiler (looked up in PATH)", false},
    {"dir", VP_OPT_OUTPUT, offsetof(struct build_params, dir), "/var/tmp", 0, 0, NULL,
     "directory under which the project is generated and built", false},
    VP_OPT_END,
};

enum { M_COMPILE, M_LINK };

static const struct vp_metric_def build_metrics[] = {
    {"compile_s", "s", VP_AVG_ARITHMETIC, false},
    {"link_s", "s", VP_AVG_ARITHMETIC, false},
};

struct build {
    struct build_params p;
    char workdir[PATH_MAX];
    int nobj; /* units + main.o */
    unsigned char (*want)[HASH_BYTES];
    char want_out[64]; /* the reference program's output */
};

/* Whether name is an executable file in PATH (or a path to one). */
static bool in_path(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0;
    const char *path = getenv("PATH");
    char full[PATH_MAX];
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(full, sizeof full, "%.*s/%s", (int)n, p, name);
        if (n && access(full, X_OK) == 0)
            return true;
        p += n + (p[n] == ':');
    }
    return false;
}

static const char *build_unsupported(void)
{
    if (!in_path("make"))
        return "no make in PATH (a guest's initramfs has no build tools)";
    if (!in_path("cc"))
        return "no C compiler (cc) in PATH (a guest's initramfs has no build tools)";
    return NULL;
}

/* The last line of the workdir's log, for error messages. */
static void log_tail(const struct build *b, char *out, size_t len)
{
    char path[PATH_MAX + 8], line[512];
    snprintf(path, sizeof path, "%s/.log", b->workdir);
    out[0] = '\0';
    FILE *f = fopen(path, "re");
    while (f && fgets(line, sizeof line, f))
        if (line[0] != '\n')
            snprintf(out, len, "%s", line);
    if (f)
        fclose(f);
    out[strcspn(out, "\n")] = '\0';
}

/* Run argv in the workdir, its output into .log; 0 when it exited 0. make
 * must not join a make that started us (make check): its jobserver and
 * flags are not passed on. */
static int run(struct build *b, char *const argv[], struct vp_err *err)
{
    char log[PATH_MAX + 8];
    snprintf(log, sizeof log, "%s/.log", b->workdir);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return vp_run_error(err, errno, "%s", log);
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(b->workdir) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        unsetenv("MAKEFLAGS");
        unsetenv("MFLAGS");
        unsetenv("MAKELEVEL");
        setenv("LC_ALL", "C", 1);
        vp_fds_close_from(3);
        signal(SIGPIPE, SIG_DFL); /* virtperf ignores it; make and cc must not */
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fd);
    if (pid < 0)
        return vp_run_error(err, errno, "fork");
    int ws = 0;
    bool stopped = false;
    while (waitpid(pid, &ws, 0) < 0) {
        if (errno != EINTR)
            return vp_run_error(err, errno, "waitpid");
        if (vp_interrupted && !stopped) {
            kill(pid, SIGTERM);
            stopped = true;
        }
    }
    if (stopped || vp_interrupted)
        return -EINTR;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
        return 0;
    char tail[256];
    log_tail(b, tail, sizeof tail);
    if (WIFEXITED(ws))
        return vp_run_error(err, 0, "%s %s exited %d: %s", argv[0], argv[1], WEXITSTATUS(ws), tail);
    return vp_run_error(err, 0, "%s %s killed by signal %d", argv[0], argv[1], WTERMSIG(ws));
}

static int make(struct build *b, const char *target, struct vp_err *err)
{
    char jobs[32], cc[VP_STR_MAX + 4];
    snprintf(jobs, sizeof jobs, "-j%" PRId64,
             b->p.jobs ? b->p.jobs : (int64_t)sysconf(_SC_NPROCESSORS_ONLN));
    snprintf(cc, sizeof cc, "CC=%s", b->p.cc);
    char *argv[] = {"make", "-s", jobs, cc, (char *)target, NULL};
    return run(b, argv, err);
}

static void object_name(const struct build *b, int i, char *out, size_t len)
{
    if (i == b->nobj - 1)
        snprintf(out, len, "%s/main.o", b->workdir);
    else
        snprintf(out, len, "%s/u%04d.o", b->workdir, i);
}

static int hash_file(const char *path, unsigned char out[HASH_BYTES], struct vp_err *err)
{
    crypto_generichash_state st;
    unsigned char buf[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vp_run_error(err, errno, "%s", path);
    crypto_generichash_init(&st, NULL, 0, HASH_BYTES);
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        crypto_generichash_update(&st, buf, (unsigned long long)n);
    int saved = errno;
    close(fd);
    if (n < 0)
        return vp_run_error(err, saved, "%s", path);
    crypto_generichash_final(&st, out, HASH_BYTES);
    return 0;
}

/* What the linked program prints: "%08x UNITS". */
static int program_output(struct build *b, char *out, size_t len, struct vp_err *err)
{
    char *argv[] = {"./prog", NULL};
    int rc = run(b, argv, err);
    if (rc < 0)
        return rc;
    log_tail(b, out, len);
    unsigned value, units;
    char extra;
    if (sscanf(out, "%8x %u%c", &value, &units, &extra) != 2 || units != b->p.units)
        return vp_run_error(err, 0, "the program printed \"%s\", not its value and %" PRIu64, out,
                            b->p.units);
    return 0;
}

/* Remove what a build made, so the next one compiles everything. */
static int clean(struct build *b, struct vp_err *err)
{
    char path[PATH_MAX + 16];
    for (int i = 0; i <= b->nobj; i++) {
        if (i < b->nobj)
            object_name(b, i, path, sizeof path);
        else
            snprintf(path, sizeof path, "%s/prog", b->workdir);
        if (unlink(path) < 0 && errno != ENOENT)
            return vp_run_error(err, errno, "%s", path);
    }
    return 0;
}

static void build_teardown(void *state)
{
    struct build *b = state;
    if (b == NULL)
        return;
    if (b->workdir[0])
        vp_rmtree(b->workdir);
    free(b->want);
    free(b);
}

static int build_setup(const void *params, void **state, struct vp_err *err)
{
    const struct build_params *p = params;
    *state = NULL;
    if (!in_path(p->cc))
        return vp_input_error(err, "--cc %s: not found in PATH", p->cc);
    if (!in_path("make"))
        return vp_input_error(err, "build: no make in PATH");
    if (sodium_init() < 0)
        return vp_run_error(err, 0, "libsodium did not initialise");
    struct build *b = calloc(1, sizeof *b);
    if (b == NULL)
        return vp_run_error(err, ENOMEM, "build");
    b->p = *p;
    b->nobj = (int)p->units + 1;
    b->want = calloc((size_t)b->nobj, sizeof *b->want);
    int rc = b->want ? 0 : vp_run_error(err, ENOMEM, "build");
    if (rc == 0 && (rc = vp_workdir_make(p->dir, "build", b->workdir, sizeof b->workdir, err)) < 0)
        b->workdir[0] = '\0';
    struct vp_build_tree t = {p->units, p->funcs, p->headers, 0x6275696c64ull};
    uint64_t lines;
    if (rc == 0)
        rc = vp_build_tree_write(b->workdir, &t, &lines, err);
    /* the reference build */
    if (rc == 0 && (rc = make(b, "prog", err)) < 0)
        vp_err_prefix(err, "the reference build");
    char path[PATH_MAX + 16];
    for (int i = 0; rc == 0 && i < b->nobj; i++) {
        object_name(b, i, path, sizeof path);
        rc = hash_file(path, b->want[i], err);
    }
    if (rc == 0)
        rc = program_output(b, b->want_out, sizeof b->want_out, err);
    if (rc == 0)
        rc = clean(b, err);
    if (rc < 0) {
        build_teardown(b);
        return rc;
    }
    *state = b;
    return 0;
}

static int build_before_round(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    (void)ctx;
    return clean(state, err);
}

static int build_round(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct build *b = state;
    uint64_t t0 = vp_now_ns();
    int rc = make(b, "objs", err);
    uint64_t t1 = vp_now_ns();
    if (rc == 0)
        rc = make(b, "prog", err);
    if (rc < 0)
        return rc;
    ctx->metrics[M_COMPILE] = (double)(t1 - t0) / 1e9;
    ctx->metrics[M_LINK] = (double)(vp_now_ns() - t1) / 1e9;
    if (ctx->inject_fault) { /* a truncated object, as a full disk would leave */
        char path[PATH_MAX + 16];
        object_name(b, 0, path, sizeof path);
        if (truncate(path, 64) < 0)
            return vp_run_error(err, errno, "%s", path);
    }
    return 0;
}

static int build_verify(void *state, struct vp_round_ctx *ctx, struct vp_err *err)
{
    struct build *b = state;
    (void)ctx;
    char path[PATH_MAX + 16], out[sizeof b->want_out];
    unsigned char got[HASH_BYTES];
    for (int i = 0; i < b->nobj; i++) {
        object_name(b, i, path, sizeof path);
        int rc = hash_file(path, got, err);
        if (rc < 0)
            return rc;
        if (memcmp(got, b->want[i], HASH_BYTES) != 0)
            return vp_run_error(err, 0, "%s differs from the reference build's", path);
    }
    int rc = program_output(b, out, sizeof out, err);
    if (rc == 0 && strcmp(out, b->want_out) != 0)
        rc = vp_run_error(err, 0, "the program printed \"%s\", the reference build's \"%s\"", out,
                          b->want_out);
    return rc;
}

const struct vp_workload vp_wl_build = {
    .name = "build",
    .summary = "make -jN of a generated C project with the system compiler, objects verified",
    .origin = "Linux kernel compilation, seed 003 sections 5.5 and 6.1.9",
    .opts = build_opts,
    .params_size = sizeof(struct build_params),
    .small_preset = "units=8,funcs=6",
    .metrics = build_metrics,
    .nmetrics = sizeof build_metrics / sizeof build_metrics[0],
    .unsupported = build_unsupported,
    .setup = build_setup,
    .before_round = build_before_round,
    .round = build_round,
    .verify = build_verify,
    .teardown = build_teardown,
};
