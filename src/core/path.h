/* Paths the user gives are made absolute where they are read (option values
 * of type path or output, the store's): a process started in an appliance
 * runs from another working directory ("/" in a container), so a relative
 * path would name another file there. */
#ifndef VP_CORE_PATH_H
#define VP_CORE_PATH_H

#include <stddef.h>

/* in against the working directory ("./" and "." steps dropped; symbolic
 * links and ".." kept as written); "", "-" (standard output) and a URL
 * (a postgresql:// store) stay as they are. 0, or -ENAMETOOLONG when it does not fit in len, or
 * -errno of getcwd. out may be in. */
int vp_path_absolute(const char *in, char *out, size_t len);

/* The virtperf binary, to run one of its commands in an appliance:
 * /proc/self/exe, or $VIRTPERF_RELAY when the caller is not virtperf but a
 * test's binary, which names the one to use. */
const char *vp_path_self(void);

#endif
