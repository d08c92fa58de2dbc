/* What a run journals (platform/journal.h) and how each kind is removed:
 * one remover per kind, listed in one table (resources.c). Adding a kind is
 * one enum value, one remover and one line there. */
#ifndef VP_PLATFORM_RESOURCES_H
#define VP_PLATFORM_RESOURCES_H

#include <stdbool.h>

#include "platform/res_guard.h"

enum vp_res {
    VP_RES_PROC,   /* "<pid> <starttime>": killed with SIGKILL */
    VP_RES_NETNS,  /* "<pid> <starttime>": the process holding a namespace; killed */
    VP_RES_CGROUP, /* directory under a cgroup mount: tasks killed, rmdir */
    VP_RES_LINK,   /* interface name in the host's network namespace: deleted */
    VP_RES_DIR,    /* directory tree: removed */
    VP_RES_FILE,   /* file: unlinked */
    VP_RES_DOMAIN, /* "<uri> <name>": a libvirt domain, destroyed */
    VP_RES_LEASE,  /* a network block's lease in the journal folder (net.h): unlinked */
};

/* The kind's name as journal files and `virtperf cleanup` write it. */
const char *vp_res_name(enum vp_res kind);
/* The kind a name written by vp_res_name stands for; -1 for none. */
int vp_res_parse(const char *name);

/* Remove one resource of a kind. dry_run: only say whether it exists.
 * Returns 1 removed (or would remove), 0 already gone, -errno failed. */
int vp_res_remove(enum vp_res kind, const char *what, bool dry_run);

/* Whether a kind is something that runs (a process, a namespace holder, a
 * cgroup's tasks), which the watcher of a killed run stops. */
bool vp_res_runs(enum vp_res kind);
/* Stop what runs there, removing nothing else: a process (and its process
 * group) killed, every task of a cgroup killed. 1 stopped, 0 nothing was
 * running, -errno. */
int vp_res_stop(enum vp_res kind, const char *what);
/* Whether something still runs there (a process that is that one, a task
 * in a cgroup). */
bool vp_res_alive(enum vp_res kind, const char *what);

/* Why a replay must not touch this resource of a run (NULL: it may). */
const char *vp_res_guard(enum vp_res kind, const char *what, const struct vp_res_owner *o);
/* Whether the kind's `what` is a path. */
bool vp_res_is_path(enum vp_res kind);

#endif
