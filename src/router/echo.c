#include "router/echo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "net/netns.h"

struct probe {
    uint64_t tx_ns; /* CLOCK_REALTIME, the clock of the receive stamps */
    uint64_t token;
};

static uint16_t checksum(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)(p[len - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return htons((uint16_t)~sum);
}

static int open_socket(int ns, struct vp_err *err)
{
    int back = -1, rc;
    if (ns >= 0 && (rc = vp_netns_enter(ns, &back, err)) < 0)
        return rc;
    int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP), e = errno;
    vp_netns_leave(back);
    if (fd < 0)
        return vp_run_error(err, e, "echo: raw ICMP socket");
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    return fd;
}

static void send_probe(int fd, const struct sockaddr_in *to, uint16_t id, uint16_t seq,
                       uint64_t token)
{
    uint8_t pkt[sizeof(struct icmphdr) + sizeof(struct probe)] = {0};
    struct icmphdr *ic = (struct icmphdr *)pkt;
    ic->type = ICMP_ECHO;
    ic->un.echo.id = htons(id);
    ic->un.echo.sequence = htons(seq);
    struct probe p = {vp_wall_ns(), token};
    memcpy(pkt + sizeof *ic, &p, sizeof p);
    ic->checksum = checksum(pkt, sizeof pkt);
    sendto(fd, pkt, sizeof pkt, 0, (const struct sockaddr *)to, sizeof *to);
}

/* One datagram off the socket: an answer to one of our probes adds its
 * round trip. */
static void take_reply(int fd, uint16_t id, uint64_t token, struct vp_echo_result *res)
{
    uint8_t buf[512], ctl[256];
    struct iovec iov = {buf, sizeof buf};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
    if (n < (ssize_t)sizeof(struct iphdr))
        return;
    const struct iphdr *ip = (const struct iphdr *)buf;
    size_t hl = (size_t)ip->ihl * 4;
    if ((size_t)n < hl + sizeof(struct icmphdr) + sizeof(struct probe))
        return;
    const struct icmphdr *ic = (const struct icmphdr *)(buf + hl);
    struct probe p;
    memcpy(&p, buf + hl + sizeof *ic, sizeof p);
    if (ic->type != ICMP_ECHOREPLY || ntohs(ic->un.echo.id) != id || p.token != token)
        return;
    uint64_t rx = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            rx = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
        }
    if (rx == 0)
        rx = vp_wall_ns();
    res->received++;
    vp_hist_add(&res->rtt, rx > p.tx_ns ? rx - p.tx_ns : 0);
}

int vp_echo_run(int ns, const struct vp_echo_cfg *cfg, struct vp_echo_result *res,
                struct vp_err *err)
{
    memset(res, 0, sizeof *res);
    vp_hist_init(&res->rtt);
    struct sockaddr_in to = {.sin_family = AF_INET};
    if (inet_pton(AF_INET, cfg->target, &to.sin_addr) != 1)
        return vp_input_error(err, "echo: '%s' is not a numeric IPv4 address", cfg->target);
    if (cfg->count < 1 || cfg->count > 65535)
        return vp_input_error(err, "echo: count %d is not 1..65535", cfg->count);
    int fd = open_socket(ns, err);
    if (fd < 0)
        return fd;
    uint16_t id = (uint16_t)(getpid() ^ (uint16_t)vp_now_ns());
    uint64_t token = vp_wall_ns() ^ ((uint64_t)id << 48);
    uint64_t start = vp_now_ns(), end = 0;
    for (;;) {
        uint64_t now = vp_now_ns();
        if (res->sent < cfg->count && now >= start + (uint64_t)res->sent * cfg->interval_ns) {
            send_probe(fd, &to, id, (uint16_t)res->sent, token);
            if (++res->sent == cfg->count)
                end = now + cfg->timeout_ns;
            continue;
        }
        if (res->sent == cfg->count && (res->received == res->sent || now >= end))
            break;
        uint64_t due =
            res->sent < cfg->count ? start + (uint64_t)res->sent * cfg->interval_ns : end;
        int wait_ms = due > now ? (int)((due - now + 999999) / 1000000) : 0;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, wait_ms) > 0)
            take_reply(fd, id, token, res);
    }
    close(fd);
    return 0;
}
