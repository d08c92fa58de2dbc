/* Least privilege and process hygiene (issue 18): a process started in a
 * container appliance sees its own /tmp (nothing it writes there reaches
 * the host's, nothing of the host's is there) and the host's file system
 * read-only but for the paths bound writable; in native and container
 * appliances it has no capability but those it is given (CapEff, CapBnd),
 * NoNewPrivs 1, runs as the user it is given, inherits no descriptor but
 * 0-3 however high (fd 2000), and gets SIGPIPE back at its default; virtperf
 * itself is not killed by a write to a closed socket. Root for the
 * appliances (those parts are skipped otherwise). */
#include <linux/capability.h>
#include <pwd.h>
#include <sys/socket.h>

#include "core/fds.h"
#include "core/workdir.h"
#include "core/signals.h"
#include "platform/privs.h"
#include "platform_util.h"
#include "run/barrier.h"

static struct vp_journal *journal;

static const struct vp_platform_ops *const host_platforms[] = {&vp_platform_native,
                                                               &vp_platform_container, NULL};

/* Run a shell line in a as tmpl says (its caps and user); its stdout in out. */
static int run_as(const struct vp_platform_ops *ops, struct vp_appliance *a, const char *line,
                  const struct vp_exec *tmpl, char *out, size_t len)
{
    int p[2];
    struct vp_err err = {0};
    pid_t pid;
    char *argv[] = {"/bin/sh", "-c", (char *)line, NULL};
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    struct vp_exec ex = *tmpl;
    ex.argv = argv;
    ex.stdin_fd = -1;
    ex.stdout_fd = p[1];
    ex.stderr_fd = 2;
    ex.sync_fd = -1;
    int rc = ops->start(a, &ex, &pid, &err);
    close(p[1]);
    if (rc < 0) {
        fprintf(stderr, "  start: %s\n", err.msg);
        close(p[0]);
        return -1;
    }
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len && (r = read(p[0], out + n, len - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(p[0]);
    int ws;
    if (waitpid(pid, &ws, 0) != pid)
        return -1;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

/* The hex value of a /proc/self/status line ("CapEff:\t0000...") in out. */
static unsigned long long status_field(const char *out, const char *name)
{
    const char *p = strstr(out, name);
    return p ? strtoull(p + strlen(name) + 1, NULL, 16) : ~0ULL;
}

static struct vp_appliance *appliance(const struct vp_platform_ops *ops, const char *name,
                                      const struct vp_bind *binds, int nbinds)
{
    struct vp_appliance_spec s;
    vp_appliance_spec_init(&s, name);
    for (int i = 0; i < nbinds; i++)
        s.binds[i] = binds[i];
    return make(ops, journal, &s);
}

/* No capability by default; exactly those asked for; NoNewPrivs 1; SIGPIPE
 * not ignored (virtperf ignores it, its children must not). */
static void test_caps(void)
{
    static const char line[] = "grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs|SigIgn)' "
                               "/proc/self/status";
    const unsigned long long bind_service = 1ULL << CAP_NET_BIND_SERVICE;
    signal(SIGPIPE, SIG_IGN); /* as virtperf has it */
    for (int i = 0; host_platforms[i]; i++) {
        const struct vp_platform_ops *ops = host_platforms[i];
        struct vp_appliance *a = appliance(ops, "vpt-caps", NULL, 0);
        char out[1024];
        struct vp_exec none = {0}, some = {.caps = bind_service};
        if (!a)
            continue;
        CHECK_INT(run_as(ops, a, line, &none, out, sizeof out), 0);
        if (status_field(out, "CapEff:") != 0)
            fprintf(stderr, "  %s:\n%s", ops->name, out);
        CHECK_INT(status_field(out, "CapEff:"), 0);
        CHECK_INT(status_field(out, "CapPrm:"), 0);
        CHECK_INT(status_field(out, "CapBnd:"), 0);
        CHECK_INT(status_field(out, "NoNewPrivs:"), 1);
        CHECK_INT(status_field(out, "SigIgn:") >> (SIGPIPE - 1) & 1, 0);
        CHECK_INT(run_as(ops, a, line, &some, out, sizeof out), 0);
        CHECK_INT(status_field(out, "CapEff:"), bind_service);
        CHECK_INT(status_field(out, "CapBnd:"), bind_service);
        CHECK_INT(status_field(out, "NoNewPrivs:"), 1);
        ops->destroy(a);
    }
    signal(SIGPIPE, SIG_DFL);
}

/* A server's user: that uid and gid, no supplementary group, no capability
 * (or, when given one, that one kept across the exec as an ambient one). */
static void test_user(void)
{
    struct vp_err err = {0};
    struct vp_exec as = {.user = true};
    CHECK_INT(vp_user_lookup("nobody", &as.uid, &as.gid, &err), 0);
    CHECK_INT(vp_user_lookup("no-such-user-vpt", &as.uid, &as.gid, &err), -EINVAL);
    CHECK_STR(err.msg, "user \"no-such-user-vpt\": no such user");
    CHECK_INT(vp_user_lookup("nobody", &as.uid, &as.gid, &err), 0);
    uid_t u;
    gid_t g;
    CHECK_INT(vp_user_lookup("4242", &u, &g, &err), 0); /* a number: itself */
    CHECK_INT(u, 4242);
    for (int i = 0; host_platforms[i]; i++) {
        const struct vp_platform_ops *ops = host_platforms[i];
        struct vp_appliance *a = appliance(ops, "vpt-user", NULL, 0);
        char out[1024], want[128];
        if (!a)
            continue;
        CHECK(ops->set_user);
        CHECK_INT(run_as(ops, a, "echo $(id -u) $(id -g) $(id -G); grep CapEff /proc/self/status",
                         &as, out, sizeof out),
                  0);
        snprintf(want, sizeof want, "%ld %ld %ld\nCapEff:\t0000000000000000\n", (long)as.uid,
                 (long)as.gid, (long)as.gid);
        CHECK_STR(out, want);
        struct vp_exec keep = as;
        keep.caps = 1ULL << CAP_NET_BIND_SERVICE;
        CHECK_INT(run_as(ops, a, "grep CapEff /proc/self/status", &keep, out, sizeof out), 0);
        CHECK_INT(status_field(out, "CapEff:"), keep.caps);
        ops->destroy(a);
    }
}

/* A descriptor left open (not close-on-exec) at 2000, past the old limit
 * of 1024, does not reach the process. */
static void test_fd_2000(void)
{
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_INT(dup2(fd, 2000), 2000);
    CHECK_INT(dup2(fd, 700), 700);
    close(fd);
    for (int i = 0; host_platforms[i]; i++) {
        const struct vp_platform_ops *ops = host_platforms[i];
        struct vp_appliance *a = appliance(ops, "vpt-fds", NULL, 0);
        char out[1024];
        struct vp_exec none = {0};
        if (!a)
            continue;
        /* the shell's own descriptors: 0-2, and ls's directory */
        CHECK_INT(run_as(ops, a, "ls /proc/self/fd | tr '\\n' ' '", &none, out, sizeof out), 0);
        if (strstr(out, "2000") || strstr(out, "700"))
            fprintf(stderr, "  %s: the child has %s\n", ops->name, out);
        CHECK(strstr(out, "2000") == NULL);
        CHECK(strstr(out, "700") == NULL);
        ops->destroy(a);
    }
    close(2000);
    close(700);
}

/* The /proc/self/fd way, where close_range(2) is missing. */
static void test_fds_fallback(void)
{
    int fd = open("/dev/null", O_RDONLY);
    CHECK_INT(dup2(fd, 2001), 2001);
    CHECK_INT(dup2(fd, 2002), 2002);
    close(fd);
    CHECK_INT(vp_fds_each(2001, true), 0);
    CHECK(fcntl(2001, F_GETFD) & FD_CLOEXEC);
    CHECK(fcntl(2002, F_GETFD) & FD_CLOEXEC);
    CHECK(!(fcntl(2, F_GETFD) & FD_CLOEXEC)); /* below first: untouched */
    CHECK_INT(vp_fds_each(2002, false), 0);
    CHECK(fcntl(2001, F_GETFD) >= 0);
    CHECK(fcntl(2002, F_GETFD) < 0 && errno == EBADF);
    close(2001);
}

/* /tmp inside is a tmpfs of the appliance's own: the host's files are not
 * there, and what is written there does not reach the host's /tmp. */
static void test_tmp_private(void)
{
    char host_file[64], inner[64], line[512], out[1024];
    snprintf(host_file, sizeof host_file, "/tmp/vpt-host-%ld", (long)getpid());
    snprintf(inner, sizeof inner, "/tmp/vpt-inner-%ld", (long)getpid());
    int fd = open(host_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    close(fd);
    unlink(inner);
    struct vp_appliance *a = appliance(&vp_platform_container, "vpt-tmp", NULL, 0);
    if (a) {
        struct vp_exec none = {0};
        snprintf(line, sizeof line,
                 "[ -e %s ] && echo sees-host; echo x >%s && echo wrote; stat -f -c %%T /tmp",
                 host_file, inner);
        CHECK_INT(run_as(&vp_platform_container, a, line, &none, out, sizeof out), 0);
        CHECK_STR(out, "wrote\ntmpfs\n");
        CHECK(access(inner, F_OK) != 0); /* not on the host */
        vp_platform_container.destroy(a);
    }
    unlink(host_file);
    unlink(inner);
}

/* The host's file system is read-only inside, but for the binds: a
 * writable one (in /var/tmp, and one under /tmp: the host's, through the
 * private /tmp) takes writes that reach the host; a read-only one under /tmp
 * is there to read. */
static void test_readonly(void)
{
    char rw[] = "/var/tmp/vpt-rw.XXXXXX", tmp_rw[] = "/tmp/vpt-trw.XXXXXX";
    char tmp_ro[] = "/tmp/vpt-tro.XXXXXX", ro_file[600], line[2048], out[1024], path[600];
    CHECK(mkdtemp(rw) && mkdtemp(tmp_rw) && mkdtemp(tmp_ro));
    snprintf(ro_file, sizeof ro_file, "%s/hello", tmp_ro);
    FILE *f = fopen(ro_file, "w");
    CHECK(f && fputs("hello\n", f) >= 0 && fclose(f) == 0);
    struct vp_bind binds[3] = {{.writable = true}, {.writable = true}, {.writable = false}};
    snprintf(binds[0].path, sizeof binds[0].path, "%s", rw);
    snprintf(binds[1].path, sizeof binds[1].path, "%s", tmp_rw);
    snprintf(binds[2].path, sizeof binds[2].path, "%s", tmp_ro);
    struct vp_appliance *a = appliance(&vp_platform_container, "vpt-ro", binds, 3);
    if (a) {
        struct vp_exec none = {0};
        snprintf(line, sizeof line,
                 "touch /var/tmp/vpt-ro-%ld 2>/dev/null && echo wrote-host; "
                 "touch %s/in 2>/dev/null && echo wrote-rw; "
                 "touch %s/in 2>/dev/null && echo wrote-tmp-rw; "
                 "cat %s/hello; touch %s/in 2>/dev/null && echo wrote-ro; true",
                 (long)getpid(), rw, tmp_rw, tmp_ro, tmp_ro);
        CHECK_INT(run_as(&vp_platform_container, a, line, &none, out, sizeof out), 0);
        CHECK_STR(out, "wrote-rw\nwrote-tmp-rw\nhello\n");
        snprintf(path, sizeof path, "/var/tmp/vpt-ro-%ld", (long)getpid());
        CHECK(access(path, F_OK) != 0);
        unlink(path);
        snprintf(path, sizeof path, "%s/in", rw);
        CHECK_INT(access(path, F_OK), 0);
        snprintf(path, sizeof path, "%s/in", tmp_rw);
        CHECK_INT(access(path, F_OK), 0);
        vp_platform_container.destroy(a);
    }
    CHECK_INT(vp_rmtree(rw), 0);
    CHECK_INT(vp_rmtree(tmp_rw), 0);
    CHECK_INT(vp_rmtree(tmp_ro), 0);
}

/* A peer that closed its end: the write fails with EPIPE, and this process
 * (with virtperf's signal set-up) lives on. */
static void test_sigpipe(void)
{
    int sv[2];
    vp_signals_install();
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    close(sv[1]);
    CHECK_INT(vp_barrier_release(sv[0]), -EPIPE);
    close(sv[0]);
    signal(SIGPIPE, SIG_DFL);
}

int main(void)
{
    RUN(test_sigpipe);
    RUN(test_fds_fallback);
    if (geteuid() != 0 || vp_platform_container.unsupported()) {
        fprintf(stderr, "SKIP: appliances: %s\n",
                geteuid() ? "needs root" : vp_platform_container.unsupported());
        return check_failures ? 1 : 77;
    }
    struct vp_err err = {0};
    CHECK_INT(vp_journal_open(&journal, &err), 0);
    RUN(test_caps);
    RUN(test_user);
    RUN(test_fd_2000);
    RUN(test_tmp_private);
    RUN(test_readonly);
    char run[VP_RUN_ID_LEN + 1];
    snprintf(run, sizeof run, "%s", vp_journal_run(journal));
    vp_journal_close(journal);
    CHECK_INT(leftovers(run), 0);
    return CHECK_DONE();
}
