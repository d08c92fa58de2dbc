/* What a journal replay may touch: each kind's guard says why a journaled
 * resource is not virtperf's (NULL when it is), before anything acts on it.
 * A journal line can be forged or damaged; these checks keep a replay inside
 * the folders, cgroups and names virtperf makes (resources.c lists them). */
#ifndef VP_PLATFORM_RES_GUARD_H
#define VP_PLATFORM_RES_GUARD_H

#include <stddef.h>

/* The run that wrote a journal: its tag (vp_journal_run) and its start time
 * (0: unknown). */
struct vp_res_owner {
    const char *run;
    unsigned long long start;
};

/* "<pid> <starttime>" of a process the run started (after itself). */
const char *vp_guard_proc(const char *what, const struct vp_res_owner *o);
/* <cgroup root>/.../virtperf[/<run>[/<name>]], on a cgroup filesystem. */
const char *vp_guard_cgroup(const char *what, const struct vp_res_owner *o);
/* vp<run> and br, d, m or a letter and a number (platform/net.c's names;
 * runs from before ids: vpbr<pid>, vpd<pid>, vpm<pid>, vp<pid><letter><n>). */
const char *vp_guard_link(const char *what, const struct vp_res_owner *o);
/* .../virtperf-<run>-<tag>.XXXXXX (core/workdir.c's scratch folders; a
 * run from before ids: virtperf-<tag>.XXXXXX without one). */
const char *vp_guard_dir(const char *what, const struct vp_res_owner *o);
/* A file inside such a scratch folder of the run. */
const char *vp_guard_file(const char *what, const struct vp_res_owner *o);
/* <journal folder>/subnet-<block>.lease holding the run's id (net.h). */
const char *vp_guard_lease(const char *what, const struct vp_res_owner *o);
/* "<uri> vp-<run>-<name>" (platform/vm_libvirt.c). */
const char *vp_guard_domain(const char *what, const struct vp_res_owner *o);

/* Absolute, no empty, "." or ".." component, no symlink on the way from
 * the first component after `trusted` (a prefix of path, "" for all); the
 * last component may be missing. NULL or why not. */
const char *vp_guard_path(const char *path, size_t trusted);

#endif
