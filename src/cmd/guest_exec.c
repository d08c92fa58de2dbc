/* virtperf guest-exec --agent SOCKET -- COMMAND...: run COMMAND in a VM
 * appliance's guest, from the host (or, --agent ssh:DEST, on another host:
 * guest/ssh.h). The vm platform starts it for every command that is not a
 * workload's rounds (a server, an idle sleep): its output comes out here as
 * the guest's process writes it, SIGTERM, SIGINT and SIGUSR1 sent here go
 * to that process, and this process exits with its status; so the runner
 * treats it as it treats any process it started. The agent is greeted
 * first: one that speaks another protocol version runs nothing. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/fds.h"
#include "core/signals.h"
#include "guest/proto.h"
#include "guest/remote.h"
#include "guest/ssh.h"

#define ANSWER_MS 10000
#define POLL_MS   100
#define OUT_MAX   (VP_PROTO_LINE_MAX / 4 * 3)

struct relay {
    int fd;
    struct vp_proto_reader *rd;
    const char *sock;
};

/* A signal that arrived here, passed on to the guest's process. */
static int pass_signals(struct relay *r, struct vp_err *err)
{
    int sig = 0;
    if (vp_interrupted) {
        sig = (int)vp_interrupted;
        vp_interrupted = 0;
    } else if (vp_stop_requested) {
        sig = SIGUSR1;
        vp_stop_requested = 0;
    }
    if (sig == 0)
        return 0;
    return vp_proto_send(r->fd, json_pack("{s:s, s:i}", "op", "signal", "signal", sig), err);
}

/* Relay events until the exit event; its status, or -errno. */
static int relay_events(struct relay *r, struct vp_err *err)
{
    char *out = malloc(OUT_MAX);
    int rc = out ? 0 : vp_run_error(err, ENOMEM, "guest-exec");
    uint64_t heard = vp_now_ns();
    while (rc == 0) {
        json_t *m;
        if ((rc = pass_signals(r, err)) < 0)
            break;
        rc = vp_proto_recv(r->rd, POLL_MS, &m, err);
        if (rc == 0 && vp_now_ns() - heard > (uint64_t)vp_proto_silence_ms() * 1000000ull) {
            rc = -ETIMEDOUT;
            break;
        }
        if (rc == 0 || rc == -EINTR) {
            rc = 0;
            continue;
        }
        heard = vp_now_ns();
        if (rc < 0)
            break;
        rc = 0;
        const char *ev = vp_proto_str(m, "ev");
        ev = ev ? ev : "";
        if (strcmp(ev, "out") == 0) {
            const char *data = vp_proto_str(m, "data");
            long n = data ? vp_proto_unb64(data, out, OUT_MAX) : -1;
            if (n > 0)
                vp_write_all(vp_proto_int(m, "fd", 1) == 2 ? 2 : 1, out, (size_t)n);
        } else if (strcmp(ev, "exit") == 0) {
            rc = 1000 + (int)vp_proto_int(m, "status", 1); /* done: status carried */
        } else if (strcmp(ev, "error") == 0) {
            rc = vp_proto_take_error(m, err);
        }
        json_decref(m);
    }
    free(out);
    if (rc == -EPIPE || rc == -ETIMEDOUT) {
        char hang[96];
        rc = vp_agent_lost(err, r->sock, r->fd,
                           rc == -EPIPE ? "went away" : vp_proto_hang_text(hang, sizeof hang));
    }
    return rc >= 1000 ? rc - 1000 : rc;
}

static int guest_exec_main(int argc, char **argv)
{
    struct vp_err err = {0};
    struct relay r = {.fd = -1};
    int i = 1, rc;
    if (argc > 2 && strcmp(argv[1], "--agent") == 0) {
        r.sock = argv[2];
        i = 3;
    }
    if (r.sock == NULL || i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc) {
        vp_input_error(&err, "usage: virtperf guest-exec --agent SOCKET -- COMMAND...");
        return vp_err_report(&err);
    }
    json_t *words = json_array(), *env = json_array();
    for (int k = i + 1; k < argc; k++)
        json_array_append_new(words, json_string(argv[k]));
    /* what virtperf's commands read from their environment that must hold
     * there too: the targets a generator may send to (net/target.h), a time
     * host's key (through the channel, never on a command line) */
    static const char *const forwarded[] = {"VIRTPERF_TARGETS", "VIRTPERF_TIME_KEY"};
    for (size_t k = 0; k < sizeof forwarded / sizeof forwarded[0]; k++) {
        const char *v = getenv(forwarded[k]);
        char var[4096];
        if (v && (size_t)snprintf(var, sizeof var, "%s=%s", forwarded[k], v) < sizeof var)
            json_array_append_new(env, json_string(var));
    }
    struct vp_remote *agent;
    if (vp_remote_open(r.sock, ANSWER_MS, &agent, &err) < 0) {
        json_decref(words);
        json_decref(env);
        return vp_err_report(&err);
    }
    r.fd = vp_remote_fd(agent);
    r.rd = vp_remote_reader(agent);
    rc = vp_proto_send(r.fd, json_pack("{s:s, s:o, s:o}", "op", "exec", "argv", words, "env", env),
                       &err);
    if (rc == 0)
        rc = relay_events(&r, &err);
    vp_remote_close(agent);
    return rc < 0 ? vp_err_report(&err) : rc;
}

const struct vp_command vp_cmd_guest_exec = {
    .name = "guest-exec",
    .run = guest_exec_main,
    .summary = "run a command in a VM appliance's guest, relaying its output and exit status",
    .usage = "virtperf guest-exec --agent SOCKET -- COMMAND [ARGS...]",
    .hidden = true,
};
