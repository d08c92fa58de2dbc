/* The profiler object and its sampler thread (see profiler.h). */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "profiler/internal.h"

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Read every target and write the sample out (caller holds p->mu). */
static void take_sample(struct vp_profiler *p, uint64_t wake_ns)
{
    for (size_t i = 0; i < p->ntargets; i++) {
        struct vp_prof_target *t = p->targets[i];
        vp_prof_begin(t);
        int rc = t->src->sample(t, vp_now_ns());
        vp_prof_finish(t, rc < 0);
    }
    p->samples++;
    if (p->out && p->out_err.kind == VP_ERR_NONE)
        vp_prof_out_sample(p->out, (double)(wake_ns - p->start_ns) / 1e9, p->targets, p->ntargets,
                           &p->out_err);
}

/* Ask for a short scheduler slice (EEVDF, Linux 6.12+): a waking sampler
 * then preempts a CPU-bound task at once instead of waiting out its slice.
 * Still SCHED_OTHER, no privilege; older kernels ignore it. */
static void short_slice(void)
{
    struct { /* struct sched_attr of sched_setattr(2) */
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t priority;
        uint64_t runtime, deadline, period;
    } a = {.size = sizeof a, .policy = SCHED_OTHER, .runtime = 100000 /* ns, the least */};
    (void)syscall(SYS_sched_setattr, 0, &a, 0);
}

/* The sampler: wake at each absolute deadline, note how late, sample. */
static void *sampler_main(void *arg)
{
    struct vp_profiler *p = arg;
    short_slice();
    if (p->realtime) { /* checked at start; cannot fail here */
        struct sched_param sp = {.sched_priority = 1};
        pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
    }
    uint64_t cpu0 = thread_cpu_ns();
    uint64_t k = 0; /* index of the last deadline handled */
    pthread_mutex_lock(&p->mu);
    take_sample(p, p->start_ns); /* the baseline at t = 0 */
    p->cpu_ns = thread_cpu_ns() - cpu0;
    pthread_mutex_unlock(&p->mu);
    struct pollfd pfd[2] = {{.fd = p->tfd, .events = POLLIN}, {.fd = p->efd, .events = POLLIN}};
    for (;;) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[1].revents)
            break;
        uint64_t exp = 0;
        if (read(p->tfd, &exp, sizeof exp) != sizeof exp || exp == 0)
            continue;
        uint64_t wake = vp_now_ns();
        k += exp;
        uint64_t deadline = p->start_ns + k * p->interval_ns;
        pthread_mutex_lock(&p->mu);
        p->missed += exp - 1;
        vp_prof_hist_add(&p->hist, wake > deadline ? wake - deadline : 0);
        take_sample(p, wake);
        p->cpu_ns = thread_cpu_ns() - cpu0;
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

/* Add a target made by make() under name; the first sample reads it. */
static int add_target(struct vp_profiler *p, const char *name, struct vp_prof_target *t,
                      struct vp_err *err)
{
    pthread_mutex_lock(&p->mu);
    if (p->ntargets == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        struct vp_prof_target **n = realloc(p->targets, cap * sizeof *n);
        if (n == NULL) {
            pthread_mutex_unlock(&p->mu);
            vp_prof_target_free(t);
            return vp_run_error(err, ENOMEM, "profiler: %s", name);
        }
        p->targets = n;
        p->cap = cap;
    }
    p->targets[p->ntargets++] = t;
    pthread_mutex_unlock(&p->mu);
    return 0;
}

/* A new target named name with its appliance label; NULL on a bad name. */
static struct vp_prof_target *new_target(const char *name, struct vp_err *err)
{
    if (name == NULL || name[0] == '\0' || strlen(name) >= 64 || strchr(name, '/') ||
        strchr(name, '"') || strchr(name, '\\') || strchr(name, '\n')) {
        vp_input_error(err, "appliance name \"%s\": 1 to 63 characters, no / \" or \\",
                       name ? name : "");
        return NULL;
    }
    struct vp_prof_target *t = calloc(1, sizeof *t);
    if (t == NULL) {
        vp_run_error(err, ENOMEM, "profiler");
        return NULL;
    }
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->labels, sizeof t->labels, "appliance=\"%s\"", name);
    return t;
}

int vp_profiler_add_cgroup(struct vp_profiler *p, const char *name, const char *path,
                           struct vp_err *err)
{
    struct vp_prof_target *t = new_target(name, err);
    if (t == NULL)
        return -EINVAL;
    int rc = vp_prof_cgroup_new(t, path, err);
    if (rc < 0) {
        free(t);
        return rc;
    }
    return add_target(p, name, t, err);
}

int vp_profiler_add_pid(struct vp_profiler *p, const char *name, pid_t pid, struct vp_err *err)
{
    struct vp_prof_target *t = new_target(name, err);
    if (t == NULL)
        return -EINVAL;
    int rc = vp_prof_proc_new(t, (int)pid, err);
    if (rc < 0) {
        free(t);
        return rc;
    }
    return add_target(p, name, t, err);
}

int vp_profiler_add_iface(struct vp_profiler *p, const char *name, const char *iface,
                          struct vp_err *err)
{
    struct vp_prof_target *t = new_target(name, err);
    if (t == NULL)
        return -EINVAL;
    int rc = vp_prof_net_new(t, iface, err);
    if (rc < 0) {
        free(t);
        return rc;
    }
    return add_target(p, name, t, err);
}

int vp_profiler_add_tag(struct vp_profiler *p, const char *name, const char *tag,
                        struct vp_err *err)
{
    struct vp_prof_target *t = new_target(name, err);
    if (t == NULL)
        return -EINVAL;
    int rc = vp_prof_tag_new(t, tag, err);
    if (rc < 0) {
        free(t);
        return rc;
    }
    return add_target(p, name, t, err);
}

int vp_profiler_remove(struct vp_profiler *p, const char *name)
{
    int removed = 0;
    pthread_mutex_lock(&p->mu);
    size_t k = 0;
    for (size_t i = 0; i < p->ntargets; i++) {
        if (strcmp(p->targets[i]->name, name) == 0 &&
            strcmp(p->targets[i]->src->kind, "cores") != 0) {
            vp_prof_target_free(p->targets[i]);
            removed++;
        } else {
            p->targets[k++] = p->targets[i];
        }
    }
    p->ntargets = k;
    pthread_mutex_unlock(&p->mu);
    return removed;
}

int vp_profiler_mark(struct vp_profiler *p, const char *label)
{
    pthread_mutex_lock(&p->mu);
    int rc = 0;
    if (p->out && p->out_err.kind == VP_ERR_NONE)
        rc =
            vp_prof_out_mark(p->out, (double)(vp_now_ns() - p->start_ns) / 1e9, label, &p->out_err);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

static int observe_start(void *arg, int round, bool warmup, struct vp_err *err)
{
    (void)err;
    char label[64];
    snprintf(label, sizeof label, "round %d%s start", round, warmup ? " (warm-up)" : "");
    vp_profiler_mark(arg, label);
    return 0;
}

static int observe_end(void *arg, int round, bool warmup, double elapsed_s, struct vp_err *err)
{
    (void)err;
    (void)elapsed_s;
    char label[64];
    snprintf(label, sizeof label, "round %d%s end", round, warmup ? " (warm-up)" : "");
    vp_profiler_mark(arg, label);
    return 0;
}

struct vp_round_observer vp_profiler_round_observer(struct vp_profiler *p)
{
    return (struct vp_round_observer){.arg = p, .start = observe_start, .end = observe_end};
}

/* The series whose store target and metric are given (caller holds p->mu). */
static const struct vp_prof_series *find_series(struct vp_profiler *p, const char *target,
                                                const char *metric)
{
    char name[128];
    for (size_t i = 0; i < p->ntargets; i++) {
        const struct vp_prof_target *t = p->targets[i];
        for (size_t k = 0; k < t->nseries; k++) {
            vp_prof_series_target(t, &t->series[k], name, sizeof name);
            if (strcmp(t->series[k].key, metric) == 0 && strcmp(name, target) == 0)
                return &t->series[k];
        }
    }
    return NULL;
}

int vp_profiler_read(struct vp_profiler *p, const char *target, const char *metric, double *value)
{
    pthread_mutex_lock(&p->mu);
    const struct vp_prof_series *s = find_series(p, target, metric);
    if (s)
        *value = s->value;
    pthread_mutex_unlock(&p->mu);
    return s ? 0 : -ENOENT;
}

int vp_profiler_mean_rate(struct vp_profiler *p, const char *target, const char *metric,
                          double *rate)
{
    pthread_mutex_lock(&p->mu);
    const struct vp_prof_series *s = find_series(p, target, metric);
    bool ok = s && s->nrates > 0;
    if (ok)
        *rate = vp_prof_families[s->fam].counter ? (s->sum_dt > 0 ? s->sum_delta / s->sum_dt : 0)
                                                 : s->sum_val / (double)s->nrates;
    pthread_mutex_unlock(&p->mu);
    return ok ? 0 : -ENOENT;
}

int vp_profiler_prometheus_port(const struct vp_profiler *p)
{
    return p->prom_port;
}

int64_t vp_profiler_id(const struct vp_profiler *p)
{
    return p->profile_id;
}

int vp_profiler_start(const struct vp_profiler_cfg *cfg, struct vp_profiler **out,
                      struct vp_err *err)
{
    uint64_t interval = cfg->interval_ns ? cfg->interval_ns : 1000000000u;
    if (interval < VP_PROFILER_MIN_INTERVAL_NS)
        return vp_input_error(err, "profiler interval: at least 10ms");
    struct vp_profiler *p = calloc(1, sizeof *p);
    if (p == NULL)
        return vp_run_error(err, ENOMEM, "profiler");
    int rc;
    pthread_mutex_init(&p->mu, NULL);
    p->tfd = p->efd = -1;
    p->interval_ns = interval;
    p->realtime = cfg->realtime;
    if (cfg->realtime && sched_get_priority_min(SCHED_FIFO) > 1) {
        rc = vp_input_error(err, "--realtime: SCHED_FIFO priority 1 not available");
        goto fail;
    }
    if (cfg->realtime) { /* try it here, where the error can be reported */
        struct sched_param sp = {.sched_priority = 1}, old = {0};
        int policy = SCHED_OTHER;
        pthread_getschedparam(pthread_self(), &policy, &old);
        if ((rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp)) != 0) {
            rc = vp_input_error(err, "--realtime: %s (needs root or CAP_SYS_NICE)", strerror(rc));
            goto fail;
        }
        pthread_setschedparam(pthread_self(), policy, &old);
    }
    struct vp_profiler_cfg c = *cfg;
    c.interval_ns = interval;
    if ((c.store_path || c.csv_path) &&
        (rc = vp_prof_out_open(&c, &p->out, &p->profile_id, err)) < 0)
        goto fail;
    if (!cfg->no_cores) {
        struct vp_prof_target *t = calloc(1, sizeof *t);
        if (t == NULL) {
            rc = vp_run_error(err, ENOMEM, "profiler");
            goto fail;
        }
        if ((rc = vp_prof_cores_new(t, err)) < 0) {
            free(t);
            goto fail;
        }
        if ((rc = add_target(p, "host", t, err)) < 0)
            goto fail;
    }
    if (cfg->prometheus && (rc = vp_prof_prom_start(p, cfg->prometheus, err)) < 0)
        goto fail;
    p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->tfd < 0 || p->efd < 0) {
        rc = vp_run_error(err, errno, "profiler: timerfd");
        goto fail;
    }
    p->start_ns = vp_now_ns();
    uint64_t first = p->start_ns + interval;
    struct itimerspec its = {
        .it_value = {.tv_sec = (time_t)(first / 1000000000u),
                     .tv_nsec = (long)(first % 1000000000u)},
        .it_interval = {.tv_sec = (time_t)(interval / 1000000000u),
                        .tv_nsec = (long)(interval % 1000000000u)},
    };
    if (timerfd_settime(p->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
        rc = vp_run_error(err, errno, "profiler: timerfd_settime");
        goto fail;
    }
    if ((rc = pthread_create(&p->thread, NULL, sampler_main, p)) != 0) {
        rc = vp_run_error(err, rc, "profiler: thread");
        goto fail;
    }
    p->running = true;
    *out = p;
    return 0;
fail:
    vp_profiler_free(p);
    return rc;
}

int vp_profiler_stop(struct vp_profiler *p, struct vp_profiler_self *self, struct vp_err *err)
{
    if (p->running) {
        uint64_t one = 1;
        if (write(p->efd, &one, sizeof one) != sizeof one)
            return vp_run_error(err, errno, "profiler: stop");
        pthread_join(p->thread, NULL);
        p->running = false;
        p->stop_ns = vp_now_ns();
    }
    vp_prof_prom_stop(p);
    struct vp_profiler_self s = {
        .samples = p->samples,
        .missed = p->missed,
        .elapsed_s = (double)(p->stop_ns - p->start_ns) / 1e9,
        .start_s = (double)p->start_ns / 1e9,
        .cpu_s = (double)p->cpu_ns / 1e9,
        .lateness_p50_s = (double)vp_prof_hist_quantile(&p->hist, 0.5) / 1e9,
        .lateness_p99_s = (double)vp_prof_hist_quantile(&p->hist, 0.99) / 1e9,
        .lateness_max_s = (double)vp_prof_hist_quantile(&p->hist, 1) / 1e9,
    };
    s.cpu_percent = s.elapsed_s > 0 ? 100 * s.cpu_s / s.elapsed_s : 0;
    if (self)
        *self = s;
    int rc = 0;
    if (p->out_err.kind != VP_ERR_NONE) {
        *err = p->out_err;
        rc = -EIO;
    }
    struct vp_err close_err = {0};
    int crc = vp_prof_out_close(p->out, &s, &close_err);
    p->out = NULL;
    if (rc == 0 && crc < 0) {
        *err = close_err;
        rc = crc;
    }
    return rc;
}

void vp_profiler_summary(struct vp_profiler *p, vp_profiler_summary_fn fn, void *arg)
{
    char target[128];
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->ntargets; i++) {
        const struct vp_prof_target *t = p->targets[i];
        for (size_t k = 0; k < t->nseries; k++) {
            const struct vp_prof_series *s = &t->series[k];
            if (s->nrates == 0)
                continue;
            bool counter = vp_prof_families[s->fam].counter;
            double mean = counter ? (s->sum_dt > 0 ? s->sum_delta / s->sum_dt : 0)
                                  : s->sum_val / (double)s->nrates;
            vp_prof_series_target(t, s, target, sizeof target);
            struct vp_profiler_row row = {target, s->key,      counter,
                                          mean,   s->max_rate, counter ? s->sum_delta : s->value};
            fn(arg, &row);
        }
    }
    pthread_mutex_unlock(&p->mu);
}

void vp_profiler_free(struct vp_profiler *p)
{
    if (p == NULL)
        return;
    if (p->running) { /* freed without a stop: abandoned, its outputs go too */
        uint64_t one = 1;
        if (write(p->efd, &one, sizeof one) == sizeof one)
            pthread_join(p->thread, NULL);
        p->running = false;
    }
    vp_prof_prom_stop(p);
    vp_prof_out_close(p->out, NULL, NULL);
    for (size_t i = 0; i < p->ntargets; i++)
        vp_prof_target_free(p->targets[i]);
    free(p->targets);
    if (p->tfd >= 0)
        close(p->tfd);
    if (p->efd >= 0)
        close(p->efd);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
