/* A VM appliance's serial console, logged by QEMU to console.log in the
 * appliance's directory (beside its sockets): its last lines are what a
 * failure says about a guest that died or hung. */
#ifndef VP_GUEST_CONSOLE_H
#define VP_GUEST_CONSOLE_H

#include <stddef.h>

#include "core/error.h"

/* The last lines (at most len - 1 bytes, newlines as " | ") of the console
 * log in the directory of path (a file there, such as a socket); empty
 * when there is none. */
void vp_console_tail(const char *path, char *out, size_t len);

/* The same of any log file. */
void vp_file_tail(const char *file, char *out, size_t len);

/* A run error "WHAT; console: TAIL" for a guest that died, panicked or
 * hangs (path: a file in the appliance's directory; QEMU's own log when
 * the console is empty). Returns the error code, as vp_run_error. */
int vp_guest_error(struct vp_err *err, int errnum, const char *path, const char *what);

#endif
