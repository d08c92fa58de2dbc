/* The file system inside a container appliance, built by its init in its
 * own mount namespace (propagation already private): the host's, read-only
 * but for the writable binds of its spec, with a tmpfs of its own on /tmp. */
#ifndef VP_PLATFORM_CONTAINER_FS_H
#define VP_PLATFORM_CONTAINER_FS_H

#include "platform/platform.h"

/* What failed, for init's report. */
enum vp_cfs_step { VP_CFS_BIND, VP_CFS_READONLY, VP_CFS_TMP, VP_CFS_ATTACH };
struct vp_cfs_failure {
    int step; /* enum vp_cfs_step */
    int bind; /* index into spec->binds, for the bind steps */
};

/* Each bind is taken from the host's tree first (so one under /tmp is the
 * host's), read-only unless writable; then every mount read-only (unless a
 * bind is "/" itself and writable), a tmpfs on /tmp, and the binds put back
 * at their places, parents first (under /tmp the places are made). A path
 * that is not there is left out. System calls only: init runs right after a
 * raw clone(). 0, or -errno with *f set. */
int vp_container_fs(const struct vp_appliance_spec *s, struct vp_cfs_failure *f);

#endif
