#include "run/remote_hosts.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "experiment/exp_store.h"
#include "guest/remote.h"
#include "timing/probe.h"

#define ANSWER_MS 10000
#define READY_NS  (15 * 1000000000ull)

/* One host's facts as its agent's greeting gave them. */
static int greet(const char *name, json_t **facts, struct vp_err *err)
{
    char dest[128];
    struct vp_remote *r;
    snprintf(dest, sizeof dest, "ssh:%s", name);
    int rc = vp_remote_open(dest, ANSWER_MS, &r, err);
    if (rc < 0) {
        vp_err_prefix(err, "host %s", name);
        return rc;
    }
    json_t *p = json_loads(vp_remote_platform(r), 0, NULL);
    vp_remote_close(r);
    *facts = json_pack("{s:O?, s:O?, s:O?}", "kernel", json_object_get(p, "kernel"),
                       "clock_offset_s", json_object_get(p, "clock_offset_s"), "clock_rtt_s",
                       json_object_get(p, "clock_rtt_s"));
    json_decref(p);
    return 0;
}

int vp_remote_hosts_facts(const struct vp_experiment *e, struct vp_store *st, int64_t exp_id,
                          struct vp_err *err)
{
    if (e->nhosts == 0)
        return 0;
    json_t *hosts = json_object();
    int rc = 0;
    for (int i = 0; rc == 0 && i < e->nhosts; i++) {
        json_t *facts = NULL;
        if ((rc = greet(e->hosts[i].name, &facts, err)) == 0)
            json_object_set_new(hosts, e->hosts[i].name, facts);
    }
    json_t *time = e->time_host[0] ? json_object_get(hosts, e->time_host) : NULL;
    if (rc == 0 && time) { /* every clock against the time host's: theirs minus its */
        double t = json_real_value(json_object_get(time, "clock_offset_s"));
        const char *name;
        json_t *h;
        json_object_set_new(hosts, "local", json_object());
        json_object_foreach(hosts, name, h)
        {
            double own = json_real_value(json_object_get(h, "clock_offset_s")); /* local: 0 */
            json_object_set_new(h, "offset_to_time_host_s", json_real(own - t));
        }
        json_object_set_new(hosts, "time_host", json_string(e->time_host));
    }
    char *text = rc == 0 ? json_dumps(hosts, JSON_COMPACT) : NULL;
    json_decref(hosts);
    if (rc == 0)
        rc = text ? vp_exp_store_host_fact(st, exp_id, "hosts", text, err)
                  : vp_run_error(err, ENOMEM, "hosts");
    free(text);
    return rc;
}

/* The key file's key as 64 hex digits. */
static int key_hex(const char *path, char *hex, struct vp_err *err)
{
    struct vp_probe_key key;
    int rc = vp_probe_key_load(path, &key, err);
    for (size_t i = 0; rc == 0 && i < sizeof key.k; i++)
        sprintf(hex + 2 * i, "%02x", key.k[i]);
    return rc;
}

/* Until the server says it listens (its first line), or ends, or 15 s. */
static int wait_ready(struct vp_remote_process *t, const char *host, struct vp_err *err)
{
    char buf[1024];
    size_t len = 0;
    uint64_t until = vp_now_ns() + READY_NS;
    while (vp_now_ns() < until) {
        struct pollfd p = {t->out_fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = read(t->out_fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "listening on"))
            return 0;
        if (len == sizeof buf - 1)
            break;
    }
    buf[strcspn(buf, "\n")] = '\0';
    return vp_run_error(err, 0, "the time server on host %s did not start%s%s", host,
                        len ? ": " : "", buf);
}

int vp_remote_process_start(const struct vp_platform_ops *host_ops, struct vp_journal *journal,
                            const char *host, const char *name, char *const *argv, const char *env,
                            struct vp_remote_process *p, struct vp_err *err)
{
    struct vp_appliance_spec spec;
    int rc, pipe_fds[2] = {-1, -1};
    memset(p, 0, sizeof *p);
    p->ops = host_ops;
    p->out_fd = -1;
    vp_appliance_spec_init(&spec, name);
    snprintf(spec.host, sizeof spec.host, "%s", host);
    if ((rc = host_ops->create(&spec, journal, &p->a, err)) < 0)
        p->a = NULL;
    if (rc == 0 && pipe2(pipe_fds, O_CLOEXEC) < 0)
        rc = vp_run_error(err, errno, "%s: pipe", name);
    if (rc == 0) {
        struct vp_exec ex = {.argv = argv,
                             .stdin_fd = -1,
                             .stdout_fd = pipe_fds[1],
                             .stderr_fd = pipe_fds[1],
                             .sync_fd = -1};
        char *value = env ? strchr(env, '=') : NULL;
        char var[64];
        if (value)
            snprintf(var, sizeof var, "%.*s", (int)(value - env), env);
        if (value) /* its relay passes VIRTPERF_ variables on */
            setenv(var, value + 1, 1);
        rc = host_ops->start(p->a, &ex, &p->pid, err);
        if (value)
            unsetenv(var);
    }
    p->out_fd = pipe_fds[0];
    if (pipe_fds[1] >= 0)
        close(pipe_fds[1]);
    if (rc < 0) {
        vp_err_prefix(err, "%s on host %s", name, host);
        vp_remote_process_stop(p);
    }
    return rc;
}

void vp_remote_process_stop(struct vp_remote_process *p)
{
    struct vp_err err = {0};
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        uint64_t until = vp_now_ns() + 5000000000ull;
        while (waitpid(p->pid, NULL, WNOHANG) == 0 && vp_now_ns() < until)
            usleep(20000);
        if (kill(p->pid, SIGKILL) == 0)
            waitpid(p->pid, NULL, 0);
    }
    if (p->a && p->ops->stop(p->a, &err) < 0)
        vp_err_report(&err);
    if (p->a)
        p->ops->destroy(p->a);
    if (p->out_fd >= 0)
        close(p->out_fd);
    memset(p, 0, sizeof *p);
    p->out_fd = -1;
}

int vp_time_host_start(const struct vp_experiment *e, const struct vp_platform_ops *host_ops,
                       struct vp_journal *journal, const char *store, struct vp_remote_process *t,
                       struct vp_err *err)
{
    memset(t, 0, sizeof *t);
    t->out_fd = -1;
    if (e->time_host[0] == '\0')
        return 0;
    char env[32 + 2 * VP_PROBE_KEY_SIZE + 1];
    int rc = key_hex(e->s.key_file, env + sprintf(env, "VIRTPERF_TIME_KEY="), err);
    char *argv[] = {"/proc/self/exe", "timeserver",  "--listen", (char *)e->s.timeserver,
                    "--store",        (char *)store, NULL};
    if (rc == 0)
        rc = vp_remote_process_start(host_ops, journal, e->time_host, "timeserver", argv, env, t,
                                     err);
    if (rc == 0 && (rc = wait_ready(t, e->time_host, err)) < 0)
        vp_remote_process_stop(t);
    if (rc < 0)
        vp_err_prefix(err, "timeserver %s", e->s.timeserver);
    return rc;
}
