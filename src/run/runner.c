#include "run/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/host.h"
#include "core/json.h"
#include "core/progress.h"
#include "core/signals.h"
#include "experiment/exp_store.h"
#include "platform/journal.h"
#include "profiler/profiler.h"
#include "run/barrier.h"
#include "run/hostcpu.h"

#define POLL_MS          200
#define IDLE_SETTLE_NS   500000000ull
#define IDLE_INTERVAL_NS 500000000ull
#define TERM_GRACE_NS    3000000000ull

/* One appliance of the point being run and its workload process. */
struct slot {
    struct vp_appliance *a;
    pid_t pid;
    int out_fd;  /* the child's stdout */
    int sync_fd; /* our end of the barrier */
    bool ready, eof;
    char *out; /* what the child printed */
    size_t len;
};

struct runner {
    const struct vp_runner_cfg *cfg;
    const struct vp_platform_ops *ops;
    struct vp_journal *journal;
    int64_t exp_id;
    uint64_t t0;
    double work_total, work_done; /* for the ETA */
    struct slot *slots;
    int nslots;
    int64_t run_floor;        /* runs newer than this are the point's (progress) */
    struct vp_profiler *prof; /* the point's profile, or NULL */
};

static const struct vp_platform_ops *find_ops(const struct vp_runner_cfg *cfg, const char *name)
{
    return cfg->find ? cfg->find(name) : vp_platform_find(name);
}

static void make_spec(const struct vp_instance *in, struct vp_appliance_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    snprintf(spec->name, sizeof spec->name, "%s", in->name);
    spec->vcpus = in->f.vcpus;
    snprintf(spec->cpus, sizeof spec->cpus, "%s", in->f.cpus);
    spec->weight = in->f.weight;
    spec->cap = in->f.cap;
    spec->memory = in->f.memory;
    spec->net = in->f.net;
}

int vp_runner_validate(const struct vp_runner_cfg *cfg, struct vp_err *err)
{
    for (int p = 0; p < cfg->plan->npoints; p++) {
        const struct vp_point *pt = &cfg->plan->points[p];
        const struct vp_platform_ops *ops = find_ops(cfg, pt->s.platform);
        if (ops == NULL)
            return vp_input_error(err, "point %d: unknown platform \"%s\"", p + 1, pt->s.platform);
        const char *why = ops->unsupported ? ops->unsupported() : NULL;
        if (why)
            return vp_input_error(err, "point %d: platform %s cannot run here: %s", p + 1,
                                  ops->name, why);
        for (int i = 0; i < pt->ninst; i++) {
            struct vp_appliance_spec spec;
            make_spec(&pt->inst[i], &spec);
            int rc = ops->validate ? ops->validate(&spec, err) : 0;
            if (rc < 0) {
                vp_err_prefix(err, "point %d, appliance %s", p + 1, spec.name);
                return rc;
            }
        }
    }
    return 0;
}

/* How long a point should take relative to the others, for the ETA. */
static double point_work(const struct vp_experiment *exp, const struct vp_point *pt)
{
    if (pt->kind == VP_POINT_IDLE)
        return (double)(exp->overhead_seconds * 3 / 2 + IDLE_SETTLE_NS) / 1e9;
    int P = pt->cpus_available > 0 ? pt->cpus_available : 1;
    double share = pt->ninst > P ? (double)pt->ninst / P : 1.0;
    return (double)(pt->s.rounds + pt->s.warmup) * share;
}

static void progress(struct runner *r, const struct vp_point *pt, const char *what)
{
    if (!r->cfg->progress)
        return;
    double elapsed = (double)(vp_now_ns() - r->t0) / 1e9;
    char eta[32] = "--:--";
    if (r->work_done > 0) {
        double left = elapsed * (r->work_total - r->work_done) / r->work_done;
        snprintf(eta, sizeof eta, "%d:%02d", (int)left / 60, (int)left % 60);
    }
    vp_progress(true, "point %d/%d %s  ETA %s", pt->index + 1, r->cfg->plan->npoints, what, eta);
}

/* Whether a started process has ended: reaped when it is our child, else
 * no longer there. */
static bool gone(pid_t pid)
{
    pid_t w = waitpid(pid, NULL, WNOHANG);
    if (w == pid)
        return true;
    return w < 0 && kill(pid, 0) < 0;
}

/* Stop and destroy every appliance of the point; children still running
 * get SIGTERM first so they can store themselves as interrupted. */
static void teardown(struct runner *r)
{
    bool alive = false;
    for (int i = 0; i < r->nslots; i++)
        if (r->slots[i].pid > 0 && !r->slots[i].eof && kill(r->slots[i].pid, SIGTERM) == 0)
            alive = true;
    uint64_t until = vp_now_ns() + TERM_GRACE_NS;
    while (alive && vp_now_ns() < until) {
        alive = false;
        for (int i = 0; i < r->nslots; i++)
            if (r->slots[i].pid > 0 && !gone(r->slots[i].pid))
                alive = true;
        if (alive)
            usleep(20000);
    }
    for (int i = 0; i < r->nslots; i++) {
        struct slot *s = &r->slots[i];
        struct vp_err err = {0};
        if (s->a && r->ops->stop(s->a, &err) < 0)
            vp_err_report(&err);
        if (s->pid > 0)
            waitpid(s->pid, NULL, WNOHANG);
        if (s->a)
            r->ops->destroy(s->a);
        if (s->out_fd >= 0)
            close(s->out_fd);
        if (s->sync_fd >= 0)
            close(s->sync_fd);
        free(s->out);
    }
    free(r->slots);
    r->slots = NULL;
    r->nslots = 0;
}

/* Create the point's appliances. */
static int create_all(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    r->slots = calloc((size_t)pt->ninst, sizeof *r->slots);
    if (r->slots == NULL)
        return vp_run_error(err, ENOMEM, "appliances");
    r->nslots = pt->ninst;
    for (int i = 0; i < pt->ninst; i++)
        r->slots[i].out_fd = r->slots[i].sync_fd = -1;
    for (int i = 0; i < pt->ninst; i++) {
        struct vp_appliance_spec spec;
        make_spec(&pt->inst[i], &spec);
        int rc = r->ops->create(&spec, r->journal, &r->slots[i].a, err);
        if (rc < 0) {
            r->slots[i].a = NULL;
            vp_err_prefix(err, "appliance %s", spec.name);
            return rc;
        }
    }
    return 0;
}

/* Start the workload (or, idle, a sleep) in appliance i. */
static int start_one(struct runner *r, const struct vp_point *pt, int i, struct vp_err *err)
{
    struct slot *s = &r->slots[i];
    struct vp_cmdline cl;
    int out[2] = {-1, -1}, sv[2] = {-1, -1};
    bool idle = pt->kind == VP_POINT_IDLE;
    int rc =
        vp_instance_cmdline(pt, &pt->inst[i], vp_store_path(r->cfg->st), idle ? -1 : 3, &cl, err);
    if (rc < 0)
        return rc;
    if (!idle &&
        (pipe2(out, O_CLOEXEC) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)) {
        rc = vp_run_error(err, errno, "appliance %s: pipe", pt->inst[i].name);
        goto out;
    }
    struct vp_exec ex = {.argv = cl.argv,
                         .stdin_fd = -1,
                         .stdout_fd = idle ? -1 : out[1],
                         .stderr_fd = STDERR_FILENO,
                         .sync_fd = idle ? -1 : sv[1]};
    if ((rc = r->ops->start(s->a, &ex, &s->pid, err)) < 0) {
        vp_err_prefix(err, "appliance %s", pt->inst[i].name);
        goto out;
    }
    s->out_fd = out[0];
    s->sync_fd = sv[0];
    out[0] = sv[0] = -1;
out:
    for (int k = 0; k < 2; k++) {
        if (out[k] >= 0)
            close(out[k]);
        if (sv[k] >= 0)
            close(sv[k]);
    }
    return rc;
}

/* Wait until the child in slot i reports ready at the start barrier. */
static int wait_ready(struct runner *r, const struct vp_point *pt, int i, struct vp_err *err)
{
    struct slot *s = &r->slots[i];
    char what[64];
    snprintf(what, sizeof what, "setting up %d/%d", i + 1, r->nslots);
    while (!s->ready) {
        if (vp_interrupted)
            return vp_run_error(err, EINTR, "experiment interrupted");
        int rc = vp_barrier_poll_ready(s->sync_fd, POLL_MS);
        if (rc < 0)
            return vp_run_error(err, 0, "appliance %s: its workload ended before starting",
                                pt->inst[i].name);
        s->ready = rc == 1;
        progress(r, pt, what);
    }
    return 0;
}

/* Release every child from the start barrier at once. */
static int release_all(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    for (int i = 0; i < r->nslots; i++)
        if (vp_barrier_release(r->slots[i].sync_fd) < 0)
            return vp_run_error(err, errno, "appliance %s: release", pt->inst[i].name);
    return 0;
}

/* Read what the children print until every one has closed its stdout. */
static int collect(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    struct pollfd *pfd = calloc(r->nslots > 0 ? (size_t)r->nslots : 1, sizeof *pfd);
    int open = r->nslots, rc = 0;
    uint64_t shown = 0;
    double work = point_work(r->cfg->exp, pt);
    if (pfd == NULL)
        return vp_run_error(err, ENOMEM, "collect");
    while (open > 0) {
        if (vp_interrupted) {
            rc = vp_run_error(err, EINTR, "experiment interrupted");
            break;
        }
        for (int i = 0; i < r->nslots; i++)
            pfd[i] =
                (struct pollfd){.fd = r->slots[i].eof ? -1 : r->slots[i].out_fd, .events = POLLIN};
        if (poll(pfd, (nfds_t)r->nslots, POLL_MS) < 0 && errno != EINTR) {
            rc = vp_run_error(err, errno, "poll");
            break;
        }
        for (int i = 0; i < r->nslots; i++) {
            struct slot *s = &r->slots[i];
            if (s->eof || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t n = read(s->out_fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                s->eof = true;
                open--;
                continue;
            }
            char *more = realloc(s->out, s->len + (size_t)n + 1);
            if (more == NULL) {
                rc = vp_run_error(err, ENOMEM, "collect");
                goto out;
            }
            s->out = more;
            memcpy(s->out + s->len, buf, (size_t)n);
            s->len += (size_t)n;
            s->out[s->len] = '\0';
        }
        if (r->cfg->progress && vp_now_ns() - shown > 1000000000ull) {
            shown = vp_now_ns();
            int done = vp_exp_store_rounds_after(r->cfg->st, r->run_floor);
            int total = r->nslots * (int)(pt->s.rounds + pt->s.warmup);
            double part = done > 0 && total > 0 ? work * done / total : 0;
            char what[64];
            snprintf(what, sizeof what, "round %d/%d", done > 0 ? done : 0, total);
            r->work_done += part; /* the ETA counts the rounds done so far */
            progress(r, pt, what);
            r->work_done -= part;
        }
    }
out:
    free(pfd);
    return rc;
}

/* The run id in a `workload run --json` document ("run_id": N), or 0. */
static int64_t run_id_of(const char *json)
{
    const char *p = json ? strstr(json, "\"run_id\":") : NULL;
    return p ? strtoll(p + 9, NULL, 10) : 0;
}

/* Reap the children, store which run each appliance made; a child that
 * failed fails the point. */
static int record_runs(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    int rc = 0;
    for (int i = 0; i < r->nslots; i++) {
        struct slot *s = &r->slots[i];
        int status = 0;
        pid_t w;
        uint64_t until = vp_now_ns() + TERM_GRACE_NS;
        while ((w = waitpid(s->pid, &status, WNOHANG)) == 0 && vp_now_ns() < until)
            usleep(10000);
        int64_t run_id = run_id_of(s->out);
        struct vp_err e = {0};
        if (vp_exp_store_point_run(r->cfg->st, r->exp_id, pt->index, pt->inst[i].name, run_id, &e) <
                0 &&
            rc == 0) {
            *err = e;
            rc = -EIO;
        }
        /* a child of ours reports its exit; otherwise its JSON must name a run */
        bool failed = w == s->pid ? !WIFEXITED(status) || WEXITSTATUS(status) != 0 : run_id == 0;
        s->pid = 0;
        if (failed && rc == 0)
            rc = vp_run_error(err, 0, "appliance %s: its workload failed (run %lld)",
                              pt->inst[i].name, (long long)run_id);
    }
    return rc;
}

/* A mark on the point's profile, if it has one. */
static void mark(struct runner *r, const struct vp_point *pt, const char *what)
{
    char label[64];
    snprintf(label, sizeof label, "point %d %s", pt->index + 1, what);
    if (r->prof)
        vp_profiler_mark(r->prof, label);
}

/* Start the point's profile (unless profile-interval is 0) with each
 * appliance's cgroup as a target, and tie it to the point in the store. */
static int profile_start(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    char command[96];
    if (pt->s.profile_interval == 0)
        return 0;
    snprintf(command, sizeof command, "experiment %lld point %d", (long long)r->exp_id,
             pt->index + 1);
    struct vp_profiler_cfg cfg = {.interval_ns = pt->s.profile_interval,
                                  .store_path = vp_store_path(r->cfg->st),
                                  .command = command};
    int rc = vp_profiler_start(&cfg, &r->prof, err);
    for (int i = 0; rc == 0 && i < r->nslots; i++) {
        const char *cg = r->ops->cgroup_path ? r->ops->cgroup_path(r->slots[i].a) : NULL;
        if (cg)
            rc = vp_profiler_add_cgroup(r->prof, pt->inst[i].name, cg, err);
    }
    if (rc == 0 && vp_profiler_id(r->prof) > 0)
        rc = vp_exp_store_point_profile(r->cfg->st, r->exp_id, pt->index, vp_profiler_id(r->prof),
                                        err);
    if (rc < 0)
        vp_err_prefix(err, "profile");
    mark(r, pt, "start");
    return rc;
}

/* Appliances without a cgroup are profiled by their workload process. */
static int profile_pid(struct runner *r, const struct vp_point *pt, int i, struct vp_err *err)
{
    struct slot *s = &r->slots[i];
    if (r->prof == NULL || (r->ops->cgroup_path && r->ops->cgroup_path(s->a)) || s->pid <= 0)
        return 0;
    int rc = vp_profiler_add_pid(r->prof, pt->inst[i].name, s->pid, err);
    if (rc < 0)
        vp_err_prefix(err, "profile");
    return rc;
}

/* Stop the point's profile (before its appliances go); samples stay. */
static int profile_stop(struct runner *r, struct vp_err *err)
{
    int rc = 0;
    if (r->prof == NULL)
        return 0;
    struct vp_profiler_self self;
    if ((rc = vp_profiler_stop(r->prof, &self, err)) < 0)
        vp_err_prefix(err, "profile");
    vp_profiler_free(r->prof);
    r->prof = NULL;
    return rc;
}

static int run_point(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    int rc = create_all(r, pt, err);
    r->run_floor = r->cfg->progress ? vp_exp_store_max_run(r->cfg->st) : 0;
    if (rc == 0)
        rc = profile_start(r, pt, err);
    /* one set-up at a time (they would only compete for the CPUs and the
     * store); then all start their rounds together */
    for (int i = 0; rc == 0 && i < pt->ninst; i++)
        if ((rc = start_one(r, pt, i, err)) == 0 && (rc = profile_pid(r, pt, i, err)) == 0)
            rc = wait_ready(r, pt, i, err);
    if (rc == 0) {
        mark(r, pt, "release");
        rc = release_all(r, pt, err);
    }
    if (rc == 0)
        rc = collect(r, pt, err);
    mark(r, pt, "end");
    if (rc == 0)
        rc = record_runs(r, pt, err);
    return rc;
}

/* n appliances that only sleep, and the host CPU they cost: busy percent
 * with them, less busy percent just before they were made (the host is
 * rarely idle; what else runs is taken out as far as it is steady). */
static int idle_point(struct runner *r, const struct vp_point *pt, struct vp_summary *cpu,
                      struct vp_err *err)
{
    struct vp_summary base;
    uint64_t window = r->cfg->exp->overhead_seconds;
    progress(r, pt, "idle appliances: host CPU before");
    int rc = vp_cpu_sample(window / 2 > IDLE_INTERVAL_NS ? window / 2 : IDLE_INTERVAL_NS,
                           IDLE_INTERVAL_NS, &base, err);
    if (rc == 0)
        rc = create_all(r, pt, err);
    for (int i = 0; rc == 0 && i < pt->ninst; i++)
        rc = start_one(r, pt, i, err);
    progress(r, pt, "idle appliances: host CPU with them");
    if (rc == 0 && vp_sleep_ns(IDLE_SETTLE_NS) < 0)
        rc = vp_run_error(err, EINTR, "experiment interrupted");
    if (rc == 0)
        rc = vp_cpu_sample(window, IDLE_INTERVAL_NS, cpu, err);
    if (rc == 0) {
        cpu->mean -= base.mean;
        double a = isfinite(cpu->ci_half) ? cpu->ci_half : 0;
        double b = isfinite(base.ci_half) ? base.ci_half : 0;
        cpu->ci_half = sqrt(a * a + b * b);
    }
    for (int i = 0; i < r->nslots; i++)
        r->slots[i].eof = true; /* sleeps: no SIGTERM grace needed */
    return rc;
}

static int one_point(struct runner *r, const struct vp_point *pt, struct vp_err *err)
{
    struct vp_summary cpu = {0};
    struct vp_err store_err = {0};
    r->ops = find_ops(r->cfg, pt->s.platform);
    int rc = vp_exp_store_point(r->cfg->st, r->exp_id, pt, err);
    if (rc < 0)
        return rc;
    rc = pt->kind == VP_POINT_RUN ? run_point(r, pt, err) : idle_point(r, pt, &cpu, err);
    struct vp_err prof_err = {0};
    int prc = profile_stop(r, &prof_err);
    if (prc < 0 && rc == 0) {
        *err = prof_err;
        rc = prc;
    } else if (prc < 0) {
        vp_err_report(&prof_err);
    }
    teardown(r);
    const char *status = rc == 0 ? "complete" : vp_interrupted ? "interrupted" : "failed";
    if (vp_exp_store_point_end(r->cfg->st, r->exp_id, pt->index, status, rc ? err->msg : NULL,
                               cpu.mean, cpu.ci_half, cpu.n, &store_err) < 0 &&
        rc == 0) {
        *err = store_err;
        rc = -EIO;
    }
    return rc;
}

int vp_runner_run(const struct vp_runner_cfg *cfg, int64_t *exp_id, struct vp_err *err)
{
    struct runner r = {.cfg = cfg, .t0 = vp_now_ns()};
    struct vp_cpuset cpus;
    int rc;
    *exp_id = 0;
    if ((rc = vp_runner_validate(cfg, err)) < 0)
        return rc;
    vp_cpuset_self(&cpus);
    for (int p = 0; p < cfg->plan->npoints; p++)
        r.work_total += point_work(cfg->exp, &cfg->plan->points[p]);
    char *host = vp_host_json_text();
    rc = vp_exp_store_begin(cfg->st, cfg->exp, cfg->spec, host, cpus.n, &r.exp_id, err);
    free(host);
    if (rc < 0)
        return rc;
    *exp_id = r.exp_id;
    if ((rc = vp_journal_open(&r.journal, err)) == 0) {
        for (int p = 0; rc == 0 && p < cfg->plan->npoints; p++) {
            const struct vp_point *pt = &cfg->plan->points[p];
            if (pt->warning[0])
                fprintf(stderr, "virtperf: point %d: %s\n", p + 1, pt->warning);
            rc = one_point(&r, pt, err);
            r.work_done += point_work(cfg->exp, pt);
        }
        vp_journal_close(r.journal);
    }
    vp_progress_clear(cfg->progress);
    struct vp_err end_err = {0};
    const char *status = rc == 0 ? "complete" : vp_interrupted ? "interrupted" : "failed";
    if (vp_exp_store_end(cfg->st, r.exp_id, status, rc ? err->msg : NULL, &end_err) < 0 &&
        rc == 0) {
        *err = end_err;
        rc = -EIO;
    }
    return rc;
}
