/* Least privilege for the processes appliances run: what a started process
 * may still do (libcap-ng), and the users servers may run as. */
#ifndef VP_PLATFORM_PRIVS_H
#define VP_PLATFORM_PRIVS_H

#include <sys/types.h>

#include "core/error.h"
#include "platform/platform.h"

/* In the child, right before exec: no_new_privs; the bounding, permitted,
 * effective and inheritable sets cut to ex->caps (ambient too, so that a
 * process run as another user keeps them across exec; the bounding set only
 * with CAP_SETPCAP); with ex->user, that uid and gid and no supplementary
 * groups (another user takes CAP_SETUID and CAP_SETGID: root). 0 or -errno
 * (-EPERM: a capability or a user this process cannot give). */
int vp_privs_drop(const struct vp_exec *ex);

/* A user as experiment files name it: a name from the user database, or a
 * number (its group: the user's entry's, else the same number). Input error
 * "user \"x\": no such user". */
int vp_user_lookup(const char *name, uid_t *uid, gid_t *gid, struct vp_err *err);

#endif
