/* Scratch directories for disk workloads: "<base>/virtperf-<run>-<tag>.XXXXXX"
 * (<run>: the id of the process's journal, which lists it; without a
 * journal "<base>/virtperf-<tag>.XXXXXX"), always removed with everything
 * in them (the prefix lets `virtperf cleanup` find what a killed run left). */
#ifndef VP_CORE_WORKDIR_H
#define VP_CORE_WORKDIR_H

#include <stddef.h>

#include "core/error.h"

#define VP_WORKDIR_PREFIX "virtperf-"

int vp_workdir_make(const char *base, const char *tag, char *out, size_t len, struct vp_err *err);

/* Remove path and everything below it; 0 or -errno. */
int vp_rmtree(const char *path);

#endif
