/* Appliances this host keeps for a runner on another one (issue 17): the
 * "appliance" request makes an appliance of one of this host's platforms
 * (a container, a VM, a native appliance with its cgroup) for as long as
 * the session that asked lives, journaled here like a local run's, so that
 * a killed session's watcher removes it and `virtperf cleanup` here mends
 * what is left. The session then answers usage and stop for it. With
 * "check": true the request only says whether it could be made (a run's
 * validation, before anything starts), and the session goes on.
 *
 * Processes get in through sessions of their own: the keeper listens on an
 * abstract UNIX socket, and for each connection (from this host's user
 * only) starts `virtperf agent --stdio` inside the appliance on the
 * connection — so everything that session runs (commands, a workload's
 * rounds) runs inside, in its cgroup and namespaces; a VM's start makes
 * that a session of the guest's own agent (platform/relay.h). The runner
 * reaches the socket through `virtperf agent --connect @NAME` over SSH. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fds.h"
#include "guest/agent.h"
#include "platform/journal.h"
#include "platform/platform.h"

#define SESSIONS_MAX 64

struct keeper {
    const struct vp_platform_ops *ops;
    struct vp_appliance *a;
    struct vp_journal *j;
    int listen_fd;
    char name[96]; /* the socket's abstract name, without its leading NUL */
    pid_t session[SESSIONS_MAX];
};

static int reply_error(struct agent_session *s, struct vp_err *err)
{
    return agent_send(s, vp_proto_error(err));
}

static void copy_str(char *dst, size_t len, const json_t *o, const char *key)
{
    const char *v = vp_proto_str(o, key);
    snprintf(dst, len, "%s", v ? v : "");
}

/* The spec as the runner sent it (host/host_platform are the runner's own
 * business: here it is a local appliance). */
static void spec_from(const json_t *o, struct vp_appliance_spec *s)
{
    char name[sizeof s->name];
    copy_str(name, sizeof name, o, "name");
    vp_appliance_spec_init(s, name);
    s->vcpus = vp_proto_int(o, "vcpus", 0);
    copy_str(s->cpus, sizeof s->cpus, o, "cpus");
    s->weight = vp_proto_int(o, "weight", 256);
    s->cap = vp_proto_int(o, "cap", 0);
    s->memory = (uint64_t)vp_proto_int(o, "memory", 0);
    s->net = (int)vp_proto_int(o, "net", VP_NET_NONE);
    s->overcommit = vp_proto_bool(o, "overcommit");
    s->accel = (int)vp_proto_int(o, "accel", 0);
    s->disk = (uint64_t)vp_proto_int(o, "disk", 0);
    copy_str(s->uri, sizeof s->uri, o, "uri");
}

/* Whether the appliance could be made here: its platform and its spec
 * (an input error naming what could not). */
static int check(struct keeper *k, const json_t *req, struct vp_appliance_spec *spec,
                 struct vp_err *err)
{
    const char *platform = vp_proto_str(req, "platform");
    k->ops = platform ? vp_platform_find(platform) : NULL;
    if (k->ops == NULL || strcmp(k->ops->name, "host") == 0)
        return vp_input_error(err, "appliance: no platform \"%s\" here", platform ? platform : "");
    const char *why = k->ops->unsupported ? k->ops->unsupported() : NULL;
    if (why)
        return vp_input_error(err, "platform %s cannot run here: %s", k->ops->name, why);
    spec_from(json_object_get(req, "spec"), spec);
    return k->ops->validate ? k->ops->validate(spec, err) : 0;
}

/* Make the appliance and its socket; an input error for what cannot be
 * made here. */
static int make(struct keeper *k, const json_t *req, struct vp_err *err)
{
    struct vp_appliance_spec spec;
    int rc = check(k, req, &spec, err);
    if (rc < 0)
        return rc;
    if ((rc = vp_journal_open(&k->j, err)) < 0)
        return rc;
    if ((rc = k->ops->create(&spec, k->j, &k->a, err)) < 0)
        return rc;
    /* abstract: nothing on disk to remove; the name carries the run id */
    snprintf(k->name, sizeof k->name, "virtperf-%s-%s", vp_journal_run(k->j), spec.name);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path + 1, k->name, strlen(k->name));
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(k->name));
    k->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (k->listen_fd < 0 || bind(k->listen_fd, (struct sockaddr *)&sa, len) < 0 ||
        listen(k->listen_fd, 16) < 0)
        return vp_run_error(err, errno, "appliance %s: its socket", spec.name);
    return 0;
}

/* A connection: a session inside the appliance, for this host's user only
 * (an abstract socket is open to every user of the network namespace). */
static void admit(struct keeper *k)
{
    int c = accept4(k->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
        return;
    struct ucred cred;
    socklen_t len = sizeof cred;
    int slot = -1;
    for (int i = 0; i < SESSIONS_MAX && slot < 0; i++)
        if (k->session[i] == 0)
            slot = i;
    if (slot < 0 || getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
        cred.uid != geteuid()) {
        close(c);
        return;
    }
    char *argv[] = {"/proc/self/exe", "agent", "--stdio", NULL};
    struct vp_exec ex = {
        .argv = argv, .stdin_fd = c, .stdout_fd = c, .stderr_fd = 2, .sync_fd = -1};
    struct vp_err err = {0};
    if (k->ops->start(k->a, &ex, &k->session[slot], &err) < 0) {
        fprintf(stderr, "virtperf agent: appliance: %s\n", err.msg);
        k->session[slot] = 0;
    }
    close(c); /* the session's process has it */
}

static void reap(struct keeper *k, bool wait)
{
    for (int i = 0; i < SESSIONS_MAX; i++)
        if (k->session[i] > 0 && waitpid(k->session[i], NULL, wait ? 0 : WNOHANG) != 0)
            k->session[i] = 0;
}

static int usage(struct agent_session *s, struct keeper *k)
{
    struct vp_appliance_usage u;
    struct vp_err err = {0};
    if (k->ops->usage == NULL)
        vp_run_error(&err, ENOTSUP, "platform %s reads no usage", k->ops->name);
    if (k->ops->usage == NULL || k->ops->usage(k->a, &u, &err) < 0)
        return reply_error(s, &err);
    return agent_send(
        s, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "ev", "usage", "cpu_user_ns",
                     (json_int_t)u.cpu_user_ns, "cpu_system_ns", (json_int_t)u.cpu_system_ns,
                     "throttled_periods", (json_int_t)u.throttled_periods, "throttled_ns",
                     (json_int_t)u.throttled_ns, "periods", (json_int_t)u.periods, "memory_bytes",
                     (json_int_t)u.memory_bytes, "oom_kills", (json_int_t)u.oom_kills));
}

/* The keeper's own session's requests; 1 when it asked to release. */
static int request(struct agent_session *s, struct keeper *k, const json_t *req)
{
    const char *op = vp_proto_str(req, "op");
    struct vp_err err = {0};
    if (op && strcmp(op, "usage") == 0)
        return usage(s, k);
    if (op && strcmp(op, "stop") == 0) {
        if (k->ops->stop(k->a, &err) < 0)
            return reply_error(s, &err);
        reap(k, true);
        return agent_send(s, json_pack("{s:s}", "ev", "stopped"));
    }
    if (op && strcmp(op, "release") == 0)
        return 1;
    vp_input_error(&err, "appliance %s: unknown request \"%s\"", k->name, op ? op : "");
    return reply_error(s, &err);
}

static void serve(struct agent_session *s, struct keeper *k)
{
    for (;;) {
        bool waiting = s->rd.len && memchr(s->rd.buf, '\n', s->rd.len);
        struct pollfd p[2] = {{s->rd.fd, POLLIN, 0}, {k->listen_fd, POLLIN, 0}};
        int ready = poll(p, 2, waiting ? 0 : VP_PROTO_ALIVE_MS);
        reap(k, false);
        if (ready < 0 && errno != EINTR)
            return;
        if (ready > 0 && p[1].revents)
            admit(k);
        if (ready <= 0 && !waiting)
            continue;
        if (!(p[0].revents || waiting))
            continue;
        json_t *req;
        struct vp_err err;
        int rc = vp_proto_recv(&s->rd, 0, &req, &err);
        if (rc == 0 || rc == -EINTR)
            continue;
        if (rc < 0) /* the runner went: the appliance goes */
            return;
        rc = request(s, k, req);
        json_decref(req);
        if (rc != 0)
            return;
    }
}

static void release(struct keeper *k)
{
    if (k->a)
        k->ops->destroy(k->a); /* kills its processes: the sessions end */
    reap(k, true);
    if (k->listen_fd >= 0)
        close(k->listen_fd);
    if (k->j)
        vp_journal_close(k->j);
}

int agent_appliance(struct agent_session *s, const json_t *req)
{
    struct keeper k = {.listen_fd = -1};
    struct vp_err err = {0};
    /* before a run: whether it could be made; the session goes on */
    if (vp_proto_bool(req, "check")) {
        struct vp_appliance_spec spec;
        if (check(&k, req, &spec, &err) < 0)
            return reply_error(s, &err);
        return agent_send(s, json_pack("{s:s}", "ev", "appliance"));
    }
    if (make(&k, req, &err) < 0) {
        release(&k);
        return reply_error(s, &err);
    }
    const char *addr = k.ops->address ? k.ops->address(k.a) : NULL;
    const char *facts = k.ops->facts ? k.ops->facts(k.a) : NULL;
    json_t *f = facts ? json_loads(facts, 0, NULL) : NULL;
    int rc = agent_send(s, json_pack("{s:s, s:s, s:s?, s:o?}", "ev", "appliance", "socket", k.name,
                                     "address", addr, "facts", f));
    if (rc >= 0)
        serve(s, &k);
    release(&k);
    if (rc >= 0)
        rc = agent_send(s, json_pack("{s:s}", "ev", "released"));
    return -1; /* the session was the appliance's: it ends with it */
}

/* `virtperf agent --connect ADDRESS`: stdin and stdout spliced to a UNIX
 * socket ("@NAME": abstract), both ways, until the socket's side ends. */
int vp_agent_splice(const char *address)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(address);
    if (n == 0 || n >= sizeof sa.sun_path) {
        fprintf(stderr, "virtperf agent: --connect %s: not a socket address\n", address);
        return 2;
    }
    memcpy(sa.sun_path, address, n);
    if (address[0] == '@')
        sa.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0) {
        if (address[0] == '@' && errno == ECONNREFUSED) /* nobody listens: its keeper ended */
            fprintf(stderr, "virtperf agent: the appliance %s kept here is gone\n", address + 1);
        else
            fprintf(stderr, "virtperf agent: --connect %s: %s\n", address, strerror(errno));
        return 1;
    }
    bool in_open = true;
    char buf[65536];
    for (;;) {
        struct pollfd p[2] = {{in_open ? 0 : -1, POLLIN, 0}, {fd, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents) {
            ssize_t got = read(0, buf, sizeof buf);
            if (got <= 0) {
                in_open = false;
                shutdown(fd, SHUT_WR);
            } else if (!vp_write_all(fd, buf, (size_t)got)) {
                break;
            }
        }
        if (p[1].revents) {
            ssize_t got = read(fd, buf, sizeof buf);
            if (got <= 0 || !vp_write_all(1, buf, (size_t)got))
                break;
        }
    }
    close(fd);
    return 0;
}
