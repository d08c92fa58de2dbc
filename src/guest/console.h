/* A VM appliance's serial console, logged by QEMU to console.log in the
 * appliance's directory (beside its sockets): its last lines are what a
 * failure says about a guest that died or hung. */
#ifndef VP_GUEST_CONSOLE_H
#define VP_GUEST_CONSOLE_H

#include <stddef.h>

/* The last lines (at most len - 1 bytes, newlines as " | ") of the console
 * log in the directory of path (a file there, such as a socket); empty
 * when there is none. */
void vp_console_tail(const char *path, char *out, size_t len);

/* The same of any log file. */
void vp_file_tail(const char *file, char *out, size_t len);

#endif
