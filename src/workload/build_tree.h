/* The source tree the build workload compiles: a C project generated from a
 * seed, the same bytes on every machine, shaped like a real one — every unit
 * includes a common header and one declaring every function of the project
 * (as a kernel's or a library's big headers are), and a few of `headers`
 * shared headers with inline helpers; each of its `funcs` functions loops,
 * branches and calls one function of an earlier unit, so the program that
 * links them all computes a value through the whole call graph. A Makefile
 * builds the objects (target `objs`) and links the program `prog` (target
 * `prog`), which prints that value and the number of units. */
#ifndef VP_WORKLOAD_BUILD_TREE_H
#define VP_WORKLOAD_BUILD_TREE_H

#include <stdint.h>

#include "core/error.h"

struct vp_build_tree {
    uint64_t units;   /* u0000.c ... : translation units besides main.c */
    uint64_t funcs;   /* functions per unit */
    uint64_t headers; /* shared headers h000.h ... */
    uint64_t seed;
};

/* Write the tree into the existing directory dir; *lines gets the number of
 * source lines written (headers and Makefile included). */
int vp_build_tree_write(const char *dir, const struct vp_build_tree *t, uint64_t *lines,
                        struct vp_err *err);

#endif
