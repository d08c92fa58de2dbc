/* Sockets of the TCP load (net/tcp_wire.h): connecting within a time,
 * listening, whole reads and writes before a deadline, the control
 * connection's frames, and a stream's TCP_INFO figures. Every socket here
 * is non-blocking; a wait is a poll bounded by a deadline (CLOCK_MONOTONIC
 * ns), so no peer can make either end hang. */
#ifndef VP_NET_TCP_SOCK_H
#define VP_NET_TCP_SOCK_H

#include <stdint.h>
#include <sys/socket.h>

#include "core/error.h"
#include "net/tcp_wire.h"

/* A connected socket to `to` (fd ≥ 0), within timeout_ns, or a run error:
 * "connect to HOST:PORT: Connection refused" / "...: no answer in 5 s".
 * window > 0 sets SO_SNDBUF and SO_RCVBUF first (as iperf3 -w). */
int vp_tcp_connect(const struct sockaddr_storage *to, socklen_t len, uint64_t timeout_ns,
                   uint32_t window, struct vp_err *err);
/* A listening socket (fd ≥ 0) and the port it got (port 0 asks for any). */
int vp_tcp_listen(const struct sockaddr_storage *at, socklen_t len, int *port, struct vp_err *err);
void vp_tcp_set_window(int fd, uint32_t window);
/* "127.0.0.1:5201" / "[::1]:5201" */
void vp_tcp_addr_text(const struct sockaddr_storage *ss, char *buf, size_t len);

/* All len bytes, before the deadline: 0, -ETIMEDOUT, -ECONNRESET (the peer
 * closed, also for a read that met the end early) or another -errno. */
int vp_tcp_write_all(int fd, const void *p, size_t len, uint64_t deadline);
int vp_tcp_read_all(int fd, void *p, size_t len, uint64_t deadline);

/* The sending end's TCP_INFO of a stream into f (bytes left alone). */
void vp_tcp_info(int fd, struct vp_tcp_fig *f);

/* The control connection: frames out whole, frames in as they complete. */
struct vp_tcp_ctl {
    int fd;
    uint8_t *buf;
    size_t len, cap, taken; /* taken: the frame last handed out */
};
void vp_tcp_ctl_init(struct vp_tcp_ctl *c, int fd);
void vp_tcp_ctl_free(struct vp_tcp_ctl *c); /* closes fd */
int vp_tcp_ctl_send(struct vp_tcp_ctl *c, uint8_t type, const void *body, uint32_t len,
                    uint64_t deadline);
/* The next frame (its body valid until the next call): 1; 0 when none came
 * by the deadline (or a signal came); -ECONNRESET when the peer closed,
 * -EBADMSG for a frame that is not ours, or -errno. */
int vp_tcp_ctl_recv(struct vp_tcp_ctl *c, uint64_t deadline, uint8_t *type, const uint8_t **body,
                    uint32_t *len);

#endif
