/* A sip-uac loop's socket, timer, call slots and buffers (see uac_loop.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "sip/uac_loop.h"

static void addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
        snprintf(buf, len, "%s:%u", host, port);
    } else {
        const struct sockaddr_in6 *a = (const void *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
        snprintf(buf, len, "[%s]:%u", host, port);
    }
}

int vp_uac_loop_init(struct vp_uac_loop *l, const struct vp_sip_uac_cfg *cfg, int index, int n,
                     uint32_t token, uint64_t t0, struct vp_err *err)
{
    memset(l, 0, sizeof *l);
    l->cfg = cfg;
    l->index = index;
    l->nthreads = n;
    l->t0 = t0;
    l->sock = l->tfd = l->ep = -1;
    snprintf(l->token, sizeof l->token, "%08x%x", token, (unsigned)index);
    addr_text(&cfg->target, l->target, sizeof l->target);
    l->sock = socket(cfg->target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->sock < 0)
        return vp_run_error(err, errno, "sip-uac: socket");
    int sz = 4 << 20;
    setsockopt(l->sock, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    setsockopt(l->sock, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    int one = 1;
    setsockopt(l->sock, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    if (connect(l->sock, (const struct sockaddr *)&cfg->target, cfg->target_len) < 0)
        return vp_input_error(err, "sip-uac: target %s is unreachable: %s", l->target,
                              strerror(errno));
    struct sockaddr_storage me;
    socklen_t ml = sizeof me;
    getsockname(l->sock, (struct sockaddr *)&me, &ml);
    addr_text(&me, l->local, sizeof l->local);
    l->token_len = strlen(l->token);
    l->local_len = strlen(l->local);
    l->target_len = strlen(l->target);
    l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    if (l->tfd < 0 || l->ep < 0)
        return vp_run_error(err, errno, "sip-uac: timerfd/epoll");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = l->sock};
    if (cfg->tick_ns == 0)
        epoll_ctl(l->ep, EPOLL_CTL_ADD, l->sock, &ev);
    ev.data.fd = l->tfd;
    epoll_ctl(l->ep, EPOLL_CTL_ADD, l->tfd, &ev);

    double peak = cfg->ramp_max > cfg->rate ? cfg->ramp_max : cfg->rate;
    double want = peak / n * ((double)(cfg->hold_ns + 64 * cfg->t1_ns) / 1e9 + 2) + 64;
    if (cfg->max_concurrent)
        want = (double)((cfg->max_concurrent + (uint64_t)n - 1) / (uint64_t)n);
    l->ncalls = want > (1 << 20) ? (1 << 20) : (uint32_t)want;
    l->calls = calloc(l->ncalls, sizeof *l->calls);
    l->wheel = calloc(NSLOT, sizeof *l->wheel);
    l->niv = (int)((cfg->duration_ns + cfg->drain_ns) / cfg->interval_ns) + 2;
    l->iv = calloc((size_t)l->niv, sizeof *l->iv);
    l->io = malloc(sizeof *l->io);
    if (!l->calls || !l->wheel || !l->iv || !l->io)
        return vp_run_error(err, ENOMEM, "sip-uac: %u call slots", l->ncalls);
    l->free_head = 0; /* recycled slots; fresh ones come from used_max up */
    l->wheel_min = UINT64_MAX;
    for (int i = 0; i < l->niv; i++) {
        vp_hist_init(&l->iv[i].inv100);
        vp_hist_init(&l->iv[i].inv200);
    }
    vp_hist_init(&l->lateness);
    struct vp_uac_io *io = l->io;
    memset(io->smsg, 0, sizeof io->smsg);
    memset(io->rmsg, 0, sizeof io->rmsg);
    io->nsend = 0;
    for (int i = 0; i < BATCH; i++) {
        io->siov[i].iov_base = io->sbuf[i];
        io->smsg[i].msg_hdr.msg_iov = &io->siov[i];
        io->smsg[i].msg_hdr.msg_iovlen = 1;
        io->riov[i].iov_base = io->rbuf[i];
        io->rmsg[i].msg_hdr.msg_iov = &io->riov[i];
        io->rmsg[i].msg_hdr.msg_iovlen = 1;
    }
    return 0;
}

void vp_uac_loop_free(struct vp_uac_loop *l)
{
    if (l->cfg == NULL)
        return;
    for (uint32_t i = 0; l->calls && i < l->used_max; i++)
        free(l->calls[i].route);
    free(l->calls);
    free(l->wheel);
    free(l->iv);
    free(l->io);
    if (l->sock >= 0)
        close(l->sock);
    if (l->tfd >= 0)
        close(l->tfd);
    if (l->ep >= 0)
        close(l->ep);
    memset(l, 0, sizeof *l);
    l->sock = l->tfd = l->ep = -1;
}
