/* The guest agent: one server process per virtio-serial port, each taking
 * one session at a time. A port has no "connect" event: while no host is
 * connected, reads end at once (POLLHUP), so the server waits a little and
 * looks again; a session ends when the host closes its side. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "guest/agent.h"
#include "vp_config.h"

/* Between looks at a port with no host: a port has no "host connected"
 * event to wait for. Soon after a session (or the boot) a host is likely
 * to come, and the wait is short; on an idle port it grows, since every
 * wake-up is noise in the guest measured. */
#define IDLE_POLL_MIN_NS 10000000ull
#define IDLE_POLL_MAX_NS 200000000ull

int (*agent_keeper)(struct agent_session *s, const json_t *req);

int agent_send(struct agent_session *s, json_t *msg)
{
    struct vp_err err;
    pthread_mutex_lock(&s->lock);
    int rc = vp_proto_send(s->fd, msg, &err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int hello(struct agent_session *s, const json_t *req)
{
    struct utsname u;
    char agent[96]; /* "virtperf-guest 0.x" in a guest, "virtperf 0.x" on a host */
    uname(&u);
    const char *self = program_invocation_short_name;
    /* started as /proc/self/exe (in an appliance a host keeps) */
    snprintf(agent, sizeof agent, "%s %s", strcmp(self, "exe") == 0 ? "virtperf" : self,
             VP_VERSION);
    return agent_send(s, json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:I, s:I}", "ev", "hello",
                                   "version", VP_PROTO_VERSION, "nonce",
                                   (json_int_t)vp_proto_int(req, "nonce", 0), "agent", agent,
                                   "name", u.nodename, "kernel", u.release, "mono_ns",
                                   (json_int_t)vp_now_ns(), "wall_ns", (json_int_t)vp_wall_ns()));
}

/* Answer one request; below 0 when the channel is gone. */
static int dispatch(struct agent_session *s, const json_t *req)
{
    struct vp_err err = {0};
    const char *op = vp_proto_str(req, "op");
    if (op == NULL)
        op = "";
    if (strcmp(op, "hello") == 0)
        return hello(s, req);
    if (strcmp(op, "setup") == 0)
        return agent_setup(s, req);
    if (strcmp(op, "round") == 0)
        return agent_round(s, req);
    if (strcmp(op, "teardown") == 0)
        return agent_finish(s);
    if (strcmp(op, "exec") == 0)
        return agent_exec(s, req);
    if (strcmp(op, "signal") == 0)
        return 0; /* for a command that has ended already */
    if (strcmp(op, "usage") == 0)
        return agent_usage(s, req);
    if (strcmp(op, "appliance") == 0 && agent_keeper)
        return agent_keeper(s, req);
    vp_input_error(&err, "unknown request \"%s\"", op);
    return agent_send(s, vp_proto_error(&err));
}

/* One session on stdin and stdout (an SSH channel: guest/ssh.h), until
 * the host closes it. What else would write to stdout goes to stderr. */
static int serve_stdio(void)
{
    int out = dup(1);
    if (out < 0 || dup2(2, 1) < 0) {
        fprintf(stderr, "virtperf-guest: agent --stdio: %s\n", strerror(errno));
        return 1;
    }
    struct agent_session s = {.fd = out, .lock = PTHREAD_MUTEX_INITIALIZER};
    vp_proto_reader_init(&s.rd, 0);
    json_t *req;
    struct vp_err err;
    while (vp_proto_recv(&s.rd, -1, &req, &err) == 1) {
        int rc = dispatch(&s, req);
        json_decref(req);
        if (rc < 0)
            break;
    }
    agent_teardown(&s);
    vp_proto_reader_free(&s.rd);
    return 0;
}

/* Serve sessions on one port for ever. */
static void serve(const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "virtperf-guest: %s: %s\n", path, strerror(errno));
        _exit(1);
    }
    struct agent_session s = {.fd = fd, .lock = PTHREAD_MUTEX_INITIALIZER};
    uint64_t idle_ns = IDLE_POLL_MIN_NS;
    for (;;) {
        vp_proto_reader_init(&s.rd, fd);
        int rc;
        json_t *req;
        struct vp_err err;
        while ((rc = vp_proto_recv(&s.rd, -1, &req, &err)) == 1) {
            idle_ns = IDLE_POLL_MIN_NS;
            rc = dispatch(&s, req);
            json_decref(req);
            if (rc < 0)
                break;
        }
        /* the host went away (or sent garbage): the session's state goes too */
        agent_teardown(&s);
        vp_proto_reader_free(&s.rd);
        struct timespec ts = {0, (long)idle_ns};
        nanosleep(&ts, NULL);
        idle_ns = idle_ns * 2 < IDLE_POLL_MAX_NS ? idle_ns * 2 : IDLE_POLL_MAX_NS;
    }
}

int vp_guest_agent_main(int argc, char **argv)
{
    pid_t server[VP_GUEST_PORTS] = {0};
    char path[VP_GUEST_PORTS][64];
    int nports = 0;
    signal(SIGPIPE, SIG_IGN); /* a host that goes mid-write is an error return */
    /* --tag names the sessions of one appliance, for the usage request
     * (agent_usage.c) to find them: nothing else reads it */
    if ((argc == 2 || (argc == 4 && strcmp(argv[2], "--tag") == 0)) &&
        strcmp(argv[1], "--stdio") == 0)
        return serve_stdio();
    if (argc > 1) {
        fprintf(stderr, "virtperf-guest: usage: agent [--stdio [--tag TAG]]\n");
        return 2;
    }
    for (int i = 0; i < VP_GUEST_PORTS; i++) {
        char name[32];
        snprintf(name, sizeof name, VP_GUEST_PORT_NAME, i);
        snprintf(path[i], sizeof path[i], "/dev/virtio-ports/%s", name);
        if (access(path[i], F_OK) == 0)
            nports = i + 1;
    }
    if (nports == 0) {
        fprintf(stderr, "virtperf-guest: no port /dev/virtio-ports/vp.agent.0\n");
        return 1;
    }
    /* one process per port, started again if it dies */
    for (;;) {
        for (int i = 0; i < nports; i++) {
            if (server[i] > 0)
                continue;
            server[i] = fork();
            if (server[i] == 0)
                serve(path[i]);
        }
        int status;
        pid_t gone = wait(&status);
        for (int i = 0; i < nports; i++)
            if (server[i] == gone)
                server[i] = 0;
        if (gone < 0 && errno == ECHILD)
            return 1;
    }
}
