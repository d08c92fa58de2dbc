/* Network namespaces of a run's own, held by descriptors only.
 *
 * A namespace made by vp_netns_new has no name in /run/netns and no
 * process of its own: it lives while its descriptor is open (and while a
 * thread is inside it), so the kernel removes it, with every link, address
 * and route in it, when the run closes it or dies — even by SIGKILL. A
 * thread moves into one with vp_netns_enter (setns affects the calling
 * thread only); sockets stay in the namespace they were made in. */
#ifndef VP_NET_NETNS_H
#define VP_NET_NETNS_H

#include <stddef.h>

#include "core/error.h"

/* A new, empty namespace (loopback down); *fd its descriptor. */
int vp_netns_new(int *fd, struct vp_err *err);

/* Move the calling thread into the namespace fd; *back gets a descriptor
 * of where it was, for vp_netns_leave. */
int vp_netns_enter(int fd, int *back, struct vp_err *err);
/* Back to where vp_netns_enter found the thread; closes back. */
void vp_netns_leave(int back);

/* Write value to /proc/sys/PATH as seen in the namespace fd
 * ("net/ipv4/ip_forward"): 0 or -errno. */
int vp_netns_sysctl(int fd, const char *path, const char *value);

/* Write value to /sys/class/net/DEV/FILE of a link in the namespace fd
 * ("queues/rx-0/rps_cpus"). sysfs shows the links of the namespace it was
 * mounted from, so a child process joins the namespace, mounts its own
 * sysfs in a mount namespace of its own, and writes there: 0 or -errno. */
int vp_netns_sysfs(int fd, const char *dev, const char *file, const char *value);
/* The same file read, its text in out (at most len - 1 bytes). */
int vp_netns_sysfs_read(int fd, const char *dev, const char *file, char *out, size_t len);

/* Open the character device of the macvtap name (ifindex) of the namespace
 * fd (-1: the caller's): its descriptor, or -errno. */
int vp_netns_macvtap_open(int fd, const char *name, int ifindex);

#endif
