/* Agents of other hosts over OpenSSH: see ssh.h. */
#include "guest/ssh.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fds.h"
#include "guest/console.h"
#include "guest/proto.h"

#define SESSIONS_MAX 32
#define SAID_WAIT_MS 2000 /* for ssh to finish saying why it left */

/* The ssh sessions open in this process: the channel's end and the read
 * end of the client's stderr. */
static struct {
    bool used;
    int fd, said;
} sessions[SESSIONS_MAX];

bool vp_ssh_address(const char *address)
{
    return strncmp(address, "ssh:", 4) == 0;
}

/* A tag for the agent's command line (the appliance its sessions serve, for
 * the usage request): letters, digits, '.', '_' and '-' only. */
static bool tag_ok(const char *tag)
{
    if (tag == NULL || tag[0] == '\0' || strlen(tag) > 96)
        return false;
    for (const char *p = tag; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return false;
    return true;
}

/* In the client's process: the channel as stdin and stdout, stderr to the
 * pipe, out of our session (a terminal's ^C is the runner's to handle:
 * the channel's end closing ends the client). */
static void exec_client(const char *dest, int channel, int said)
{
    const char *config = getenv("VIRTPERF_SSH_CONFIG");
    const char *agent = getenv("VIRTPERF_REMOTE_AGENT");
    const char *tag = getenv("VIRTPERF_AGENT_TAG");
    const char *attach = getenv("VIRTPERF_AGENT_ATTACH");
    char *argv[16];
    int n = 0;
    argv[n++] = "ssh";
    argv[n++] = "-T"; /* no terminal: the channel carries protocol lines */
    argv[n++] = "-o";
    argv[n++] = "BatchMode=yes"; /* never a prompt: a missing key is an error */
    if (config && config[0]) {
        argv[n++] = "-F";
        argv[n++] = (char *)config;
    }
    argv[n++] = "--";
    argv[n++] = (char *)dest;
    argv[n++] = (char *)(agent && agent[0] ? agent : "virtperf");
    argv[n++] = "agent";
    char socket[128];
    if (tag_ok(attach)) { /* a session in an appliance kept there (agent_keeper.c) */
        snprintf(socket, sizeof socket, "@%s", attach);
        argv[n++] = "--connect";
        argv[n++] = socket;
    } else {
        argv[n++] = "--stdio";
    }
    if (!tag_ok(attach) &&
        tag_ok(tag)) { /* the remote shell reads the command line: plain words only */
        argv[n++] = "--tag";
        argv[n++] = (char *)tag;
    }
    argv[n] = NULL;
    setsid();
    if (dup2(channel, 0) < 0 || dup2(channel, 1) < 0 || dup2(said, 2) < 0)
        _exit(127);
    vp_fds_close_from(3);
    execvp(argv[0], argv);
    fprintf(stderr, "cannot run ssh: %s\n", strerror(errno));
    _exit(127);
}

/* Start the client, not our child for long: its child, left to init (no
 * zombie to reap; it ends when the channel does). */
static int start_client(const char *dest, int channel, int said, struct vp_err *err)
{
    pid_t p = fork();
    if (p < 0)
        return vp_run_error(err, errno, "ssh %s: fork", dest);
    if (p == 0) {
        pid_t c = fork();
        if (c == 0)
            exec_client(dest, channel, said);
        _exit(c < 0 ? 1 : 0);
    }
    int status = 0;
    while (waitpid(p, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return vp_run_error(err, EAGAIN, "ssh %s: fork", dest);
    return 0;
}

static int ssh_connect(const char *address, struct vp_err *err)
{
    const char *dest = address + 4;
    if (dest[0] == '\0' || dest[0] == '-' || strpbrk(dest, " \t\n'\"\\;") != NULL)
        return vp_input_error(err, "agent %s: want ssh:DEST, an SSH destination ([user@]host)",
                              address);
    int slot = 0;
    while (slot < SESSIONS_MAX && sessions[slot].used)
        slot++;
    if (slot == SESSIONS_MAX)
        return vp_run_error(err, EMFILE, "ssh %s: more than %d sessions", dest, SESSIONS_MAX);
    int sv[2], ep[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return vp_run_error(err, errno, "ssh %s: socketpair", dest);
    if (pipe2(ep, O_CLOEXEC) < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return vp_run_error(err, e, "ssh %s: pipe", dest);
    }
    int rc = start_client(dest, sv[1], ep[1], err);
    close(sv[1]);
    close(ep[1]);
    if (rc < 0) {
        close(sv[0]);
        close(ep[0]);
        return rc;
    }
    sessions[slot].used = true;
    sessions[slot].fd = sv[0];
    sessions[slot].said = ep[0];
    return sv[0];
}

int vp_agent_connect(const char *address, int timeout_ms, struct vp_err *err)
{
    return vp_ssh_address(address) ? ssh_connect(address, err)
                                   : vp_proto_connect(address, timeout_ms, err);
}

static int session_of(int fd)
{
    for (int i = 0; i < SESSIONS_MAX; i++)
        if (sessions[i].used && sessions[i].fd == fd)
            return i;
    return -1;
}

void vp_agent_close(int fd)
{
    int i = session_of(fd);
    if (i >= 0) {
        close(sessions[i].said);
        sessions[i].used = false;
    }
    close(fd);
}

const char *vp_ssh_said(int fd, char *buf, size_t len)
{
    int i = session_of(fd);
    if (i < 0 || len < 2)
        return NULL;
    size_t n = 0;
    struct pollfd p = {sessions[i].said, POLLIN, 0};
    while (n + 1 < len && poll(&p, 1, SAID_WAIT_MS) > 0) {
        ssize_t got = read(sessions[i].said, buf + n, len - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (n == 0)
        return NULL;
    const char *nl = strrchr(buf, '\n');
    return nl ? nl + 1 : buf;
}

int vp_agent_lost(struct vp_err *err, const char *address, int fd, const char *what)
{
    char msg[160], buf[512];
    if (!vp_ssh_address(address)) {
        snprintf(msg, sizeof msg, "the guest's agent %s", what);
        return vp_guest_error(err, 0, address, msg);
    }
    const char *said = vp_ssh_said(fd, buf, sizeof buf);
    return vp_run_error(err, 0, "the agent on %s %s%s%s", address + 4, what, said ? "; ssh: " : "",
                        said ? said : "");
}
