/* Descriptors a child must not inherit: every one from a number up, however
 * high (close_range(2), else the list in /proc/self/fd). Both functions make
 * system calls only (no malloc), so they are safe in a child forked from a
 * process with threads and right after a raw clone(). */
#ifndef VP_CORE_FDS_H
#define VP_CORE_FDS_H

#include <stdbool.h>
#include <stddef.h>

/* Close every descriptor >= first; 0 or -errno. */
int vp_fds_close_from(int first);
/* Mark every descriptor >= first close-on-exec (the exec closes them; a
 * close-on-exec pipe that reports an exec failure stays usable until then). */
int vp_fds_cloexec_from(int first);
/* The fallback both use where close_range(2) is missing (public for its
 * test): close, or mark close-on-exec, each descriptor >= first that
 * /proc/self/fd lists, read with getdents64. */
int vp_fds_each(int first, bool cloexec);

/* All of buf to a blocking fd (a pipe or socket may take less at a time,
 * a signal may interrupt it); false when it could not. */
bool vp_write_all(int fd, const void *buf, size_t len);

#endif
