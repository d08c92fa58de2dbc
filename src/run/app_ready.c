/* Readiness probes of an app: see app_ready.h. */
#include "run/app_ready.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"

static int socket_to(int type, const char *host, int port, struct sockaddr_in *to)
{
    memset(to, 0, sizeof *to);
    to->sin_family = AF_INET;
    to->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &to->sin_addr) != 1)
        return -1;
    return socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

static int wait_for(int fd, short events, int wait_ms)
{
    struct pollfd p = {.fd = fd, .events = events};
    int n;
    while ((n = poll(&p, 1, wait_ms)) < 0 && errno == EINTR)
        ;
    return n == 1 ? p.revents : 0;
}

static int probe_tcp(const char *host, int port, int wait_ms)
{
    struct sockaddr_in to;
    int fd = socket_to(SOCK_STREAM, host, port, &to), ok = 0, e = 0;
    socklen_t len = sizeof e;
    if (fd < 0)
        return 0;
    if (connect(fd, (struct sockaddr *)&to, sizeof to) == 0)
        ok = 1;
    else if (errno == EINPROGRESS && (wait_for(fd, POLLOUT, wait_ms) & POLLOUT))
        ok = getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 && e == 0;
    close(fd);
    return ok;
}

/* An OPTIONS request (RFC 3261 11): any response means a SIP stack serves
 * the port; a refused port (ICMP unreachable) or silence does not. */
static int probe_sip(const char *host, int port, int wait_ms)
{
    unsigned seq = (unsigned)(vp_now_ns() / 1000); /* a new transaction each probe */
    struct sockaddr_in to, me;
    socklen_t len = sizeof me;
    char msg[1024], local[INET_ADDRSTRLEN] = "0.0.0.0", reply[512];
    int fd = socket_to(SOCK_DGRAM, host, port, &to), ok = 0;
    if (fd < 0)
        return 0;
    if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0 ||
        getsockname(fd, (struct sockaddr *)&me, &len) < 0)
        goto out;
    inet_ntop(AF_INET, &me.sin_addr, local, sizeof local);
    int n = snprintf(msg, sizeof msg,
                     "OPTIONS sip:%s:%d SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-vp-ready-%u\r\n"
                     "Max-Forwards: 70\r\n"
                     "To: <sip:%s:%d>\r\n"
                     "From: <sip:ready@%s>;tag=vp-ready\r\n"
                     "Call-ID: vp-ready-%u-%d@%s\r\n"
                     "CSeq: %u OPTIONS\r\n"
                     "Content-Length: 0\r\n\r\n",
                     host, port, local, ntohs(me.sin_port), seq, host, port, local, seq,
                     (int)getpid(), local, seq);
    if (send(fd, msg, (size_t)n, 0) != n || !(wait_for(fd, POLLIN, wait_ms) & POLLIN))
        goto out;
    ssize_t got = recv(fd, reply, sizeof reply - 1, 0);
    ok = got >= 8 && memcmp(reply, "SIP/2.0 ", 8) == 0;
out:
    close(fd);
    return ok;
}

int vp_app_probe(enum vp_app_ready method, const char *host, int port, int wait_ms)
{
    switch (method) {
    case VP_APP_READY_TCP:
        return probe_tcp(host, port, wait_ms);
    case VP_APP_READY_SIP:
        return probe_sip(host, port, wait_ms);
    default:
        return 0;
    }
}

int vp_app_free_port(void)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        struct sockaddr_in a = {.sin_family = AF_INET};
        socklen_t len = sizeof a;
        int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), port = 0;
        if (u >= 0 && bind(u, (struct sockaddr *)&a, sizeof a) == 0 &&
            getsockname(u, (struct sockaddr *)&a, &len) == 0) {
            /* the same number must be free for TCP too */
            int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (t >= 0 && bind(t, (struct sockaddr *)&a, sizeof a) == 0)
                port = ntohs(a.sin_port);
            if (t >= 0)
                close(t);
        }
        if (u >= 0)
            close(u);
        if (port > 0)
            return port;
    }
    return 0;
}
