/* A command in the guest: started in its own process group, its stdout and
 * stderr relayed to the host as they come, signals from the host passed
 * on, its exit status the last event. Once it has exited, or when the host
 * goes away, its whole process group is killed: nothing outlives it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest/agent.h"

#define MAX_ARGS 128

/* Fork argv with stdout and stderr on pipes, in a process group of its
 * own (set on both sides: a signal right after "started" finds it); the
 * child's cwd is the scratch disk when there is one. */
static pid_t spawn(char **argv, const json_t *env, int out[2], int err[2])
{
    pid_t pid = fork();
    if (pid > 0)
        setpgid(pid, pid);
    if (pid != 0)
        return pid;
    setpgid(0, 0);
    /* the agent killed outright (another host's agent, whose SSH session
     * was cut) takes its command with it: nothing is left running there */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1)
        _exit(127);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    if (chdir("/scratch") < 0 && chdir("/tmp") < 0)
        _exit(127);
    signal(SIGPIPE, SIG_DFL);
    size_t i;
    json_t *var;
    json_array_foreach(env, i, var) /* virtperf's own variables only */
        if (json_is_string(var) && strncmp(json_string_value(var), "VIRTPERF_", 9) == 0)
            putenv((char *)json_string_value(var));
    execvp(argv[0], argv);
    dprintf(2, "virtperf-guest: %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Relay what is there on a pipe; 0 at its end. */
static int relay(struct agent_session *s, int fd, int which)
{
    char buf[16384];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 1;
    if (n <= 0)
        return 0;
    char *data = vp_proto_b64(buf, (size_t)n);
    int rc = agent_send(
        s, json_pack("{s:s, s:i, s:s}", "ev", "out", "fd", which, "data", data ? data : ""));
    free(data);
    return rc < 0 ? rc : 1;
}

/* Requests while the command runs: signals are passed on; anything else
 * (a host that took this port for free) is told the port is busy. */
static int request(struct agent_session *s, pid_t pid)
{
    json_t *m;
    struct vp_err err = {0};
    int rc;
    while ((rc = vp_proto_recv(&s->rd, 0, &m, &err)) == 1) {
        const char *op = vp_proto_str(m, "op");
        if (op && strcmp(op, "signal") == 0) {
            kill(-pid, (int)vp_proto_int(m, "signal", SIGTERM));
        } else {
            vp_run_error(&err, EBUSY, "agent port busy: a command runs on it");
            rc = agent_send(s, vp_proto_error(&err));
        }
        json_decref(m);
        if (rc < 0)
            return rc;
    }
    return rc == -EINTR ? 0 : rc;
}

/* Whether a whole request line is already read (taken without waiting). */
static bool line_waiting(const struct agent_session *s)
{
    return s->rd.len && memchr(s->rd.buf, '\n', s->rd.len);
}

static int send_error(struct agent_session *s, struct vp_err *err)
{
    return agent_send(s, vp_proto_error(err));
}

int agent_exec(struct agent_session *s, const json_t *req)
{
    struct vp_err err = {0};
    json_t *args = json_object_get(req, "argv");
    char *argv[MAX_ARGS + 1];
    size_t n = json_array_size(args);
    if (n == 0 || n > MAX_ARGS) {
        vp_input_error(&err, "exec: argv of 1 to %d words", MAX_ARGS);
        return send_error(s, &err);
    }
    for (size_t i = 0; i < n; i++) {
        const char *a = json_string_value(json_array_get(args, i));
        argv[i] = (char *)(a ? a : "");
    }
    argv[n] = NULL;
    int out[2], errp[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) < 0) {
        vp_run_error(&err, errno, "exec: pipe");
        return send_error(s, &err);
    }
    if (pipe2(errp, O_CLOEXEC) < 0) {
        vp_run_error(&err, errno, "exec: pipe");
        close(out[0]);
        close(out[1]);
        return send_error(s, &err);
    }
    pid_t pid = spawn(argv, json_object_get(req, "env"), out, errp);
    int e = errno;
    close(out[1]);
    close(errp[1]);
    if (pid < 0) {
        close(out[0]);
        close(errp[0]);
        vp_run_error(&err, e, "exec: fork");
        return send_error(s, &err);
    }
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    int rc = agent_send(s, json_pack("{s:s, s:i}", "ev", "started", "pid", (int)pid));
    bool open_out = true, open_err = true, exited = pidfd < 0;
    while (rc >= 0 && (open_out || open_err || !exited)) {
        struct pollfd p[4] = {{s->rd.fd, POLLIN, 0},
                              {open_out ? out[0] : -1, POLLIN, 0},
                              {open_err ? errp[0] : -1, POLLIN, 0},
                              {exited ? -1 : pidfd, POLLIN, 0}};
        /* a request already read with an earlier one is taken at once; a
         * quiet second is a sign of life to send */
        bool waiting = line_waiting(s);
        int ready = poll(p, 4, waiting ? 0 : VP_PROTO_ALIVE_MS);
        if (ready < 0) {
            if (errno != EINTR)
                rc = -errno;
            continue;
        }
        if (ready == 0 && !waiting) {
            rc = agent_send(s, json_pack("{s:s}", "ev", "alive"));
            continue;
        }
        if ((p[0].revents || waiting) && (rc = request(s, pid)) < 0)
            break;
        if (p[1].revents && (rc = relay(s, out[0], 1)) <= 0)
            open_out = false;
        if (p[2].revents && rc >= 0 && (rc = relay(s, errp[0], 2)) <= 0)
            open_err = false;
        if (p[3].revents) {
            exited = true;
            kill(-pid, SIGKILL); /* what it left running would hold its output open */
        }
        rc = rc < 0 ? rc : 0;
    }
    int status = 0;
    kill(-pid, SIGKILL); /* the host is gone, or the command ended: its group goes */
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (pidfd >= 0)
        close(pidfd);
    close(out[0]);
    close(errp[0]);
    if (rc < 0)
        return rc;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return agent_send(s, json_pack("{s:s, s:i}", "ev", "exit", "status", code));
}
