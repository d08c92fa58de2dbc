/* The processes of an experiment point: workloads behind the start
 * barrier, servers that must listen before anything else starts, load
 * generators on the host; what they print, how they are stopped, and what
 * of them goes into the store. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/signals.h"
#include "drivers/app.h"
#include "drivers/driver.h"
#include "experiment/exp_store.h"
#include "platform/privs.h"
#include "run/app_ready.h"
#include "run/barrier.h"
#include "run/runner_priv.h"

#define POLL_MS        200
#define LISTEN_WAIT_NS 30000000000ull  /* a server's set-up, until it listens */
#define WIND_DOWN_NS   600000000000ull /* a workload's last round after the loads */
#define REAP_GRACE_NS  3000000000ull

static int interrupted(struct vp_err *err)
{
    return vp_run_error(err, EINTR, "experiment interrupted");
}

static void close_pair(int p[2])
{
    for (int k = 0; k < 2; k++)
        if (p[k] >= 0)
            close(p[k]);
}

/* Start argv in slot s's appliance; stdout (and, when err_pipe, stderr)
 * come back through pipes, sync_fd goes to the child as its fd 3. It keeps
 * no capability (none of the workloads, servers and loads needs one) but
 * for the generator of a privileged driver (one that builds a test bed of
 * its own: namespaces, links), and a server runs as its user: when one is
 * set. */
static int start_in(struct slot *s, char *const *argv, bool err_pipe, int sync_fd,
                    struct vp_err *err)
{
    int out[2] = {-1, -1}, ep[2] = {-1, -1};
    int rc = 0;
    struct vp_exec ex = {
        .argv = argv, .stdin_fd = -1, .stderr_fd = STDERR_FILENO, .sync_fd = sync_fd};
    if (s->kind == SLOT_GENERATOR && s->load->driver->privileged)
        ex.caps = VP_EXEC_ALL_CAPS;
    if (s->kind == SLOT_SERVER && s->in->f.user[0]) {
        if ((rc = vp_user_lookup(s->in->f.user, &ex.uid, &ex.gid, err)) < 0)
            return rc;
        ex.user = true;
    }
    if ((!s->app && pipe2(out, O_CLOEXEC) < 0) || (err_pipe && pipe2(ep, O_CLOEXEC) < 0)) {
        rc = vp_run_error(err, errno, "appliance %s: pipe", s->name);
        goto out;
    }
    ex.stdout_fd = s->app ? ep[1] : out[1]; /* an app's output is lines to read, not a document */
    if (err_pipe)
        ex.stderr_fd = ep[1];
    if ((rc = s->ops->start(s->a, &ex, &s->pid, err)) < 0) {
        vp_err_prefix(err, "appliance %s", s->name);
        goto out;
    }
    s->out_fd = out[0];
    s->err_fd = ep[0];
    out[0] = ep[0] = -1;
    s->err_eof = !err_pipe;
out:
    close_pair(out);
    close_pair(ep);
    return rc;
}

/* The workload (or, idle, a sleep) of slot s. */
static int start_workload(struct runner *r, const struct vp_point *pt, struct slot *s,
                          struct vp_err *err)
{
    struct vp_cmdline cl;
    int sv[2] = {-1, -1};
    bool idle = pt->kind == VP_POINT_IDLE;
    int rc = vp_instance_cmdline(pt, s->in, vp_store_path(r->cfg->st), idle ? -1 : 3, &cl, err);
    if (rc < 0)
        return rc;
    if (idle) {
        struct vp_exec ex = {.argv = cl.argv,
                             .stdin_fd = -1,
                             .stdout_fd = -1,
                             .stderr_fd = STDERR_FILENO,
                             .sync_fd = -1};
        if ((rc = s->ops->start(s->a, &ex, &s->pid, err)) < 0)
            vp_err_prefix(err, "appliance %s", s->name);
        s->eof = s->err_eof = true;
        return rc;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return vp_run_error(err, errno, "appliance %s: socketpair", s->name);
    if ((rc = start_in(s, cl.argv, false, sv[1], err)) == 0) {
        s->sync_fd = sv[0];
        sv[0] = -1;
    }
    close_pair(sv);
    return rc;
}

static int pump(struct runner *r, int timeout_ms, struct vp_err *err);

/* Wait until the workload of slot s reports ready at the start barrier
 * (reading what the servers print meanwhile). */
static int wait_ready(struct runner *r, const struct vp_point *pt, struct slot *s, int k,
                      struct vp_err *err)
{
    char what[64];
    snprintf(what, sizeof what, "setting up %d/%d", k + 1, r->nslots);
    while (!s->ready) {
        if (vp_interrupted)
            return interrupted(err);
        int rc = vp_barrier_poll_ready(s->sync_fd, POLL_MS);
        if (rc < 0)
            return vp_run_error(err, 0, "appliance %s: its workload ended before starting",
                                s->name);
        if (rc == 0 && (rc = pump(r, 0, err)) < 0)
            return rc;
        s->ready = rc == 1;
        vp_runner_progress(r, pt, what);
    }
    return 0;
}

int vp_runner_start_workloads(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    /* one set-up at a time: they would only compete for the CPUs and the store */
    for (int k = 0; k < r->nslots; k++) {
        struct slot *s = &r->slots[k];
        int rc = 0;
        if (s->kind != SLOT_WORKLOAD)
            continue;
        if ((rc = start_workload(r, pt, s, err)) < 0 ||
            (pt->kind == VP_POINT_RUN && (rc = wait_ready(r, pt, s, k, err)) < 0))
            return rc;
    }
    return 0;
}

int vp_runner_release(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    (void)pt;
    for (int k = 0; k < r->nslots; k++)
        if (r->slots[k].kind == SLOT_WORKLOAD && vp_barrier_release(r->slots[k].sync_fd) < 0)
            return vp_run_error(err, errno, "appliance %s: release", r->slots[k].name);
    return 0;
}

/* A server's line "...listening on HOST:PORT..." gives the port; the host
 * is the appliance's address as the host sees it. */
static void take_address(struct slot *s, const char *line)
{
    const char *p = strstr(line, "listening on ");
    if (p == NULL || s->address[0])
        return;
    p += strlen("listening on ");
    size_t n = strcspn(p, " ,\n");
    char hostport[128];
    snprintf(hostport, sizeof hostport, "%.*s", (int)n, p);
    const char *colon = strrchr(hostport, ':');
    const char *host = s->ops->address(s->a);
    if (colon && host && atoi(colon + 1) > 0)
        snprintf(s->address, sizeof s->address, "%s:%d", host, atoi(colon + 1));
}

/* A complete stderr line of a server or generator: a server's address;
 * virtperf's errors and warnings are passed on, naming the appliance; the
 * rest (a capacity search's steps) only feeds the progress line. */
static void stderr_line(struct slot *s)
{
    static const char ours[] = "virtperf: ";
    s->line[s->line_len] = '\0';
    s->line_len = 0;
    if (s->kind == SLOT_SERVER && s->address[0] == '\0' && strstr(s->line, "listening on ")) {
        take_address(s, s->line);
        return;
    }
    if (s->app && !s->app_ready && s->ready_text[0] && strstr(s->line, s->ready_text))
        s->app_ready = true;
    bool error = strncmp(s->line, ours, sizeof ours - 1) == 0;
    snprintf(s->last_line, sizeof s->last_line, "%s", s->line + (error ? sizeof ours - 1 : 0));
    if (error)
        fprintf(stderr, "virtperf: %s: %s\n", s->name, s->last_line);
}

/* Read what is there on fd (stdout or a server's stderr): 1, or 0 at its
 * end, or -ENOMEM. */
static int read_some(struct slot *s, int fd, struct vp_err *err)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (n == 0)
        return 0;
    if (fd == s->err_fd) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n' || s->line_len == sizeof s->line - 1)
                stderr_line(s);
            if (buf[i] != '\n')
                s->line[s->line_len++] = buf[i];
        }
        return 1;
    }
    char *more = realloc(s->out, s->len + (size_t)n + 1);
    if (more == NULL)
        return vp_run_error(err, ENOMEM, "appliance %s: output", s->name);
    s->out = more;
    memcpy(s->out + s->len, buf, (size_t)n);
    s->len += (size_t)n;
    s->out[s->len] = '\0';
    return 1;
}

/* Wait up to timeout_ms for output of any slot and read it. */
static int pump(struct runner *r, int timeout_ms, struct vp_err *err)
{
    size_t most = 2 * (size_t)r->nslots + 1;
    struct pollfd *pfd = calloc(most, sizeof *pfd);
    struct slot **owner = calloc(most, sizeof *owner);
    nfds_t n = 0;
    int rc = 0;
    if (pfd == NULL || owner == NULL) {
        rc = vp_run_error(err, ENOMEM, "poll");
        goto out;
    }
    for (int k = 0; k < r->nslots; k++) {
        struct slot *s = &r->slots[k];
        if (!s->eof && s->out_fd >= 0) {
            owner[n] = s;
            pfd[n++] = (struct pollfd){.fd = s->out_fd, .events = POLLIN};
        }
        if (!s->err_eof && s->err_fd >= 0) {
            owner[n] = s;
            pfd[n++] = (struct pollfd){.fd = s->err_fd, .events = POLLIN};
        }
    }
    if (n == 0) {
        vp_sleep_ns((uint64_t)timeout_ms * 1000000);
        goto out;
    }
    if (poll(pfd, n, timeout_ms) < 0 && errno != EINTR) {
        rc = vp_run_error(err, errno, "poll");
        goto out;
    }
    for (nfds_t i = 0; rc == 0 && i < n; i++) {
        struct slot *s = owner[i];
        if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) ||
            (rc = read_some(s, pfd[i].fd, err)) != 0)
            continue;
        if (pfd[i].fd == s->out_fd)
            s->eof = true;
        else
            s->err_eof = true;
        if (s->app)
            s->eof = s->err_eof; /* its one stream */
    }
out:
    free(pfd);
    free(owner);
    return rc < 0 ? rc : 0;
}

/* The folder of the experiment file, absolute ({dir} in an app's command);
 * dir holds PATH_MAX. */
static void experiment_dir(const struct runner *r, char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", r->cfg->exp->path);
    char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(path, sizeof path, ".");
    else
        slash[slash == path] = '\0'; /* "/x.yaml": the root */
    if (realpath(path, dir) == NULL)
        snprintf(dir, PATH_MAX, "%s", path);
}

/* Start slot s's app (role app) at its address and wait until it is ready:
 * its probe answered, or its ready-text printed. */
static int start_app(struct runner *r, const struct vp_point *pt, struct slot *s,
                     struct vp_err *err)
{
    struct vp_app_opts o;
    char dir[PATH_MAX], words[2 * VP_STR_MAX], *argv[64];
    const char *host = s->ops->address(s->a);
    int rc = vp_exp_app_opts(&pt->apps[s->in->app], &o, err);
    if (rc < 0)
        return rc;
    int port = o.port ? (int)o.port : vp_app_free_port();
    if (port == 0)
        return vp_run_error(err, EADDRINUSE, "appliance %s: no free port", s->name);
    experiment_dir(r, dir);
    if ((rc = vp_app_argv(&o, host, port, dir, words, sizeof words, argv, 64, err)) < 0)
        return rc;
    s->app = true;
    s->stop_signal = vp_app_signal(&o);
    snprintf(s->ready_text, sizeof s->ready_text, "%s", o.ready_text);
    snprintf(s->address, sizeof s->address, "%s:%d", host, port);
    if ((rc = start_in(s, argv, true, -1, err)) < 0)
        return rc;
    enum vp_app_ready method = vp_app_ready_method(&o);
    uint64_t until = vp_now_ns() + o.ready_timeout;
    while (!s->app_ready) {
        if (vp_interrupted)
            return interrupted(err);
        if (s->err_eof || vp_now_ns() > until)
            return vp_run_error(err, 0, "appliance %s: %s %s%s%s", s->name, argv[0],
                                s->err_eof ? "ended before it was ready"
                                           : "was not ready in its ready-timeout",
                                s->last_line[0] ? ": " : "", s->last_line);
        /* a refused probe returns at once: the pump's wait paces the probes */
        if ((rc = pump(r, POLL_MS, err)) < 0)
            return rc;
        if (method != VP_APP_READY_LOG)
            s->app_ready = vp_app_probe(method, host, port, POLL_MS);
        vp_runner_progress(r, pt, "starting servers");
    }
    return 0;
}

/* Start the server of slot s and wait until it listens. */
static int start_server(struct runner *r, const struct vp_point *pt, struct slot *s,
                        struct vp_err *err)
{
    if (pt->apps[s->in->app].server == &vp_server_app)
        return start_app(r, pt, s, err);
    struct vp_cmdline cl;
    char listen[96];
    snprintf(listen, sizeof listen, "%s:0", s->ops->address(s->a));
    int rc = vp_server_cmdline(pt, s->in, listen, &cl, err);
    if (rc < 0 || (rc = start_in(s, cl.argv, true, -1, err)) < 0)
        return rc;
    uint64_t until = vp_now_ns() + LISTEN_WAIT_NS;
    while (s->address[0] == '\0') {
        if (vp_interrupted)
            return interrupted(err);
        if (s->err_eof || vp_now_ns() > until)
            return vp_run_error(
                err, 0, "appliance %s: its %s %s%s%s", s->name, pt->apps[s->in->app].server->name,
                s->err_eof ? "ended before listening" : "is not listening after 30 s",
                s->last_line[0] ? ": " : "", s->last_line);
        if ((rc = pump(r, POLL_MS, err)) < 0)
            return rc;
        vp_runner_progress(r, pt, "starting servers");
    }
    return 0;
}

int vp_runner_start_servers(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    for (int k = 0; k < r->nslots; k++) {
        int rc = r->slots[k].kind == SLOT_SERVER ? start_server(r, pt, &r->slots[k], err) : 0;
        if (rc < 0)
            return rc;
    }
    return 0;
}

int vp_runner_start_generators(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    (void)pt;
    for (int k = 0; k < r->nslots; k++) {
        struct slot *s = &r->slots[k];
        struct vp_cmdline cl;
        if (s->kind != SLOT_GENERATOR)
            continue;
        const struct slot *t = s->target < 0 ? NULL : &r->slots[s->target];
        int rc =
            vp_load_cmdline(s->load, t ? t->address : NULL, vp_store_path(r->cfg->st), &cl, err);
        /* a server on one of the experiment's hosts is a target the
         * generator may send to (net/target.h) */
        bool remote = t && t->in && vp_exp_remote(&t->in->f);
        if (rc == 0 && remote)
            setenv("VIRTPERF_TARGETS", t->ops->address(t->a), 1);
        if (rc == 0)
            rc = start_in(s, cl.argv, true, -1, err);
        if (remote)
            unsetenv("VIRTPERF_TARGETS");
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The processes that end a point's measured part: its measured loads'
 * generators, or (with none) its workloads. */
static bool measured(const struct slot *s, bool loaded)
{
    return loaded ? s->kind == SLOT_GENERATOR && !s->load->f.background : s->kind == SLOT_WORKLOAD;
}

/* What a stop (SIGUSR1) ends after the measured part: workloads running
 * until stopped and background traffic. */
static bool stoppable(const struct slot *s)
{
    return s->kind == SLOT_WORKLOAD || (s->kind == SLOT_GENERATOR && s->load->f.background);
}

static bool is_server(const struct slot *s, bool unused)
{
    (void)unused;
    return s->kind == SLOT_SERVER;
}

static bool is_stoppable(const struct slot *s, bool unused)
{
    (void)unused;
    return stoppable(s);
}

/* Whether every slot that pick chooses has closed its stdout. */
static bool all_ended(const struct runner *r, bool (*pick)(const struct slot *, bool), bool arg)
{
    for (int k = 0; k < r->nslots; k++)
        if (pick(&r->slots[k], arg) && !r->slots[k].eof)
            return false;
    return true;
}

/* What a measured generator said last, for the progress line. */
static const char *last_generator_line(const struct runner *r)
{
    for (int k = 0; k < r->nslots; k++)
        if (measured(&r->slots[k], true) && r->slots[k].last_line[0])
            return r->slots[k].last_line;
    return "";
}

int vp_runner_collect(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    bool loaded = vp_point_has_load(pt);
    uint64_t shown = 0, started = vp_now_ns();
    while (!all_ended(r, measured, loaded)) {
        if (vp_interrupted)
            return interrupted(err);
        int rc = pump(r, POLL_MS, err);
        if (rc < 0)
            return rc;
        if (r->cfg->progress && vp_now_ns() - shown > 1000000000ull) {
            char what[96];
            shown = vp_now_ns();
            if (loaded) {
                snprintf(what, sizeof what, "load %.0f s: %.60s", (double)(shown - started) / 1e9,
                         last_generator_line(r));
            } else {
                int done = vp_exp_store_rounds_after(r->cfg->st, r->run_floor);
                snprintf(what, sizeof what, "round %d/%d", done > 0 ? done : 0,
                         pt->ninst * (int)(pt->s.rounds + pt->s.warmup));
            }
            vp_runner_progress(r, pt, what);
        }
    }
    for (int k = 0; loaded && k < r->nslots; k++)
        if (r->slots[k].kind == SLOT_WORKLOAD && r->slots[k].eof)
            fprintf(stderr,
                    "virtperf: point %d: appliance %s: its workload ended before the loads: "
                    "they went on without it\n",
                    pt->index + 1, r->slots[k].name);
    return 0;
}

/* The name of the first process pick chooses that still runs. */
static const char *first_running(const struct runner *r, bool (*pick)(const struct slot *, bool))
{
    for (int k = 0; k < r->nslots; k++)
        if (pick(&r->slots[k], false) && !r->slots[k].eof)
            return r->slots[k].name;
    return "?";
}

/* Send sig to the running processes pick chooses and wait until they end. */
static int stop_and_wait(struct runner *r, const struct vp_point *pt,
                         bool (*pick)(const struct slot *, bool), int sig, const char *what,
                         struct vp_err *err)
{
    for (int k = 0; k < r->nslots; k++) {
        struct slot *s = &r->slots[k];
        if (s->pid > 0 && !s->eof && pick(s, false))
            kill(s->pid, s->app ? s->stop_signal : sig);
    }
    uint64_t until = vp_now_ns() + WIND_DOWN_NS;
    while (!all_ended(r, pick, false)) {
        if (vp_interrupted)
            return interrupted(err);
        if (vp_now_ns() > until)
            return vp_run_error(err, 0, "point %d: %s: %s still running 10 min after the stop",
                                pt->index + 1, what, first_running(r, pick));
        int rc = pump(r, POLL_MS, err);
        if (rc < 0)
            return rc;
        vp_runner_progress(r, pt, what);
    }
    return 0;
}

int vp_runner_wind_down(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    /* SIGUSR1: workloads finish the round they are in, background traffic
     * its sending, and both end normally; then the servers they used */
    int rc = stop_and_wait(r, pt, is_stoppable, SIGUSR1, "finishing rounds", err);
    return rc < 0 ? rc : stop_and_wait(r, pt, is_server, SIGTERM, "stopping servers", err);
}

/* The run id in a command's JSON document ("run_id": N), or 0. */
static int64_t run_id_of(const char *json)
{
    const char *p = json ? strstr(json, "\"run_id\":") : NULL;
    return p ? strtoll(p + 9, NULL, 10) : 0;
}

/* Reap slot s (waiting a little); whether it exited with status 0. A
 * process that is not our child is taken as fine while it printed a run. */
static bool reap(struct slot *s)
{
    uint64_t until = vp_now_ns() + REAP_GRACE_NS;
    pid_t w = 0;
    while (!s->exited && s->pid > 0 && (w = waitpid(s->pid, &s->status, WNOHANG)) == 0 &&
           vp_now_ns() < until)
        usleep(10000);
    if (w == s->pid)
        s->exited = true;
    if (!s->exited)
        return w < 0 && run_id_of(s->out) > 0;
    return (WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0) ||
           (s->app && WIFSIGNALED(s->status) && WTERMSIG(s->status) == s->stop_signal);
}

/* What a server printed at its end: its counters, without the newline. */
static char *counters_of(struct slot *s)
{
    if (s->out == NULL)
        return NULL;
    while (s->len > 0 && (s->out[s->len - 1] == '\n' || s->out[s->len - 1] == ' '))
        s->out[--s->len] = '\0';
    return s->out[0] == '{' ? s->out : NULL;
}

/* A load host's generator that ended because the agent there was lost (its
 * relay's last words, guest/ssh.h): the load is recorded as failed (no run)
 * and the run goes on — the host may answer again for the next point, and
 * a load host's trouble is not the appliances' result. */
static bool host_lost(const struct slot *s)
{
    char mark[VP_STR_MAX + 32];
    snprintf(mark, sizeof mark, "the agent on %s ", s->load->f.host);
    return vp_exp_host_remote(s->load->f.host) && strstr(s->last_line, mark) != NULL;
}

static int record_one(struct runner *r, const struct vp_point *pt, struct slot *s,
                      struct vp_err *err)
{
    struct vp_store *st = r->cfg->st;
    bool ok = reap(s);
    int64_t run_id = run_id_of(s->out);
    int rc = 0;
    switch (s->kind) {
    case SLOT_WORKLOAD:
        rc = vp_exp_store_point_run(st, r->exp_id, pt->index, s->name, run_id, err);
        if (rc == 0 && (!ok || run_id == 0))
            rc = vp_run_error(err, 0, "appliance %s: its workload failed (run %lld)", s->name,
                              (long long)run_id);
        else if (rc == 0 && vp_exp_store_measured_rounds(st, run_id) == 0)
            fprintf(stderr,
                    "virtperf: point %d: appliance %s: no measured round (the loads ended "
                    "within its warm-up): lower warmup or shorten its rounds\n",
                    pt->index + 1, s->name);
        break;
    case SLOT_SERVER:
        rc = vp_exp_store_point_service(st, r->exp_id, pt->index, s->name,
                                        pt->apps[s->in->app].server->name, s->address,
                                        counters_of(s), err);
        if (rc == 0 && !ok)
            rc = vp_run_error(err, 0, "appliance %s: its %s failed%s%s", s->name,
                              pt->apps[s->in->app].server->name, s->last_line[0] ? ": " : "",
                              s->last_line);
        break;
    case SLOT_GENERATOR: {
        struct vp_exp_point_load l = {.load = s->load->f.name,
                                      .target = s->target < 0 ? "" : r->slots[s->target].name,
                                      .driver = s->load->driver->name,
                                      .kind = s->load->driver->store_kind,
                                      .run_id = run_id};
        rc = vp_exp_store_point_load(st, r->exp_id, pt->index, &l, err);
        if (rc == 0 && (!ok || run_id == 0) && host_lost(s))
            fprintf(stderr,
                    "virtperf: point %d: load %s against %s: %s: a failed load; the run "
                    "goes on\n",
                    pt->index + 1, l.load, l.target, s->last_line);
        else if (rc == 0 && (!ok || run_id == 0))
            rc = vp_run_error(err, 0, "load %s against %s: its %s failed%s%s", l.load, l.target,
                              s->load->driver->command, s->last_line[0] ? ": " : "", s->last_line);
        break;
    }
    }
    return rc;
}

int vp_runner_record(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    int rc = 0;
    for (int k = 0; k < r->nslots; k++) {
        struct vp_err e = {0};
        if (r->slots[k].pid <= 0)
            continue;
        if (record_one(r, pt, &r->slots[k], &e) < 0 && rc == 0) {
            *err = e;
            rc = -EIO;
        }
    }
    return rc;
}
