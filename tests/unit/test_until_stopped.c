/* `workload run --until-stopped` started through the platforms as the
 * experiment runner starts it: SIGUSR1 to the pid that start() returns (for
 * a container, the helper outside it, which passes it on) ends the run
 * normally after the round at hand. This process blocks SIGUSR1 first: what
 * it starts must get it all the same. Needs root. */
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>

#include "core/clock.h"
#include "core/workdir.h"
#include "platform_util.h"

#define WAIT_NS 20000000000ull

static struct vp_journal *journal;
static const char *virtperf;
static char dir[] = "/var/tmp/vpt-stop.XXXXXX";

/* A number from the store (0 while it is not there yet). */
static long long query(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *q = NULL;
    long long v = 0;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(h, 1000);
        if (sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
            v = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
    }
    sqlite3_close(h);
    return v;
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* Read the child's stdout until EOF or the deadline; false on the deadline. */
static bool read_all(int fd, char *out, size_t len, uint64_t deadline)
{
    size_t n = 0;
    for (;;) {
        uint64_t now = vp_now_ns();
        if (now >= deadline)
            return false;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)((deadline - now) / 1000000 + 1)) <= 0)
            continue;
        ssize_t r = read(fd, out + n, len - 1 - n);
        if (r <= 0 || (n += (size_t)r) + 1 >= len)
            break;
    }
    out[n] = '\0';
    return true;
}

static void stop_on(const struct vp_platform_ops *ops)
{
    static char out[1 << 18];
    char db[600];
    int p[2];
    snprintf(db, sizeof db, "%s/%s.db", dir, ops->name);
    struct vp_appliance_spec s;
    vp_appliance_spec_init(&s, "vpt-stop");
    s.binds[0].writable = true; /* the store's directory: the rest is read-only inside */
    snprintf(s.binds[0].path, sizeof s.binds[0].path, "%s", dir);
    struct vp_appliance *a = make(ops, journal, &s);
    if (!a)
        return;
    char *argv[] = {(char *)virtperf,  "workload", "run",    "cpu-pi",   "--preset", "small",
                    "--until-stopped", "--rounds", "100000", "--warmup", "1",        "--json",
                    "--store",         db,         NULL};
    struct vp_err err = {0};
    pid_t pid = 0;
    CHECK_INT(pipe2(p, O_CLOEXEC), 0);
    struct vp_exec ex = {
        .argv = argv, .stdin_fd = -1, .stdout_fd = p[1], .stderr_fd = 2, .sync_fd = -1};
    int rc = ops->start(a, &ex, &pid, &err);
    close(p[1]);
    CHECK_INT(rc, 0);
    if (rc < 0) {
        fprintf(stderr, "  start on %s: %s\n", ops->name, err.msg);
        goto out;
    }
    uint64_t deadline = vp_now_ns() + WAIT_NS;
    while (query(db, "SELECT count(*) FROM rounds WHERE warmup = 0") < 2 && vp_now_ns() < deadline)
        usleep(50000);
    CHECK_INT(kill(pid, SIGUSR1), 0);
    bool ended = read_all(p[0], out, sizeof out, vp_now_ns() + WAIT_NS);
    CHECK(ended);
    if (!ended) {
        fprintf(stderr, "  %s: no end after SIGUSR1\n", ops->name);
        goto out; /* destroy() kills it */
    }
    int ws = 0;
    CHECK_INT(waitpid(pid, &ws, 0), pid);
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
        fprintf(stderr, "  %s: wait status %#x\n", ops->name, ws);
    CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    CHECK(strstr(out, "\"status\": \"complete\"") != NULL);
    int measured = count(out, "\"warmup\": false");
    CHECK(measured >= 2);
    CHECK_INT(query(db, "SELECT count(*) FROM runs WHERE status = 'complete'"), 1);
    CHECK_INT(query(db, "SELECT count(*) FROM rounds WHERE warmup = 0"), measured);
out:
    close(p[0]);
    ops->destroy(a);
}

static void test_stop_native(void)
{
    stop_on(&vp_platform_native);
}

static void test_stop_container(void)
{
    stop_on(&vp_platform_container);
}

int main(void)
{
    SKIP_UNLESS_ROOT();
    virtperf = getenv("VIRTPERF");
    CHECK(virtperf != NULL);
    if (virtperf == NULL)
        return CHECK_DONE();
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    CHECK(mkdtemp(dir) != NULL);
    struct vp_err err = {0};
    CHECK_INT(vp_journal_open(&journal, &err), 0);
    RUN(test_stop_native);
    RUN(test_stop_container);
    char run[VP_RUN_ID_LEN + 1];
    snprintf(run, sizeof run, "%s", vp_journal_run(journal));
    vp_journal_close(journal);
    CHECK_INT(vp_rmtree(dir), 0);
    CHECK_INT(leftovers(run), 0);
    return CHECK_DONE();
}
