/* Options as data.
 *
 * A command or workload declares its options in a const table of struct vp_opt
 * (name, type, offset into its parameter struct, default, range, help). One
 * parser serves the command line ("--name value", "--name=value") and
 * key/value sources such as experiment files and presets ("name=value,..."),
 * and `virtperf help` prints the same table. */
#ifndef VP_CORE_OPT_H
#define VP_CORE_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

#define VP_STR_MAX 256

enum vp_opt_type {
    VP_OPT_BOOL,     /* bool; "--name" alone sets it */
    VP_OPT_INT,      /* int64_t, decimal */
    VP_OPT_SIZE,     /* uint64_t bytes: "4M", "2GiB", "1.5k" (see units.h) */
    VP_OPT_COUNT,    /* uint64_t count with the same suffixes: "16k" files, "1M" digits */
    VP_OPT_DURATION, /* uint64_t nanoseconds: "10ms", "2s" */
    VP_OPT_DOUBLE,   /* double */
    VP_OPT_STRING,   /* char[VP_STR_MAX] */
    VP_OPT_ENUM,     /* int: index into choices */
    /* char[VP_STR_MAX], made absolute when set (core/path.h): a file or
     * directory the command reads (PATH), or writes: a file, or a directory
     * it writes in (OUTPUT). An appliance gets OUTPUT's writable, and
     * either visible, inside (platform.h: binds). */
    VP_OPT_PATH,
    VP_OPT_OUTPUT,
};

struct vp_opt {
    const char *name;
    enum vp_opt_type type;
    size_t offset;
    const char *def;            /* default in the option's own syntax; NULL = zero / empty */
    double min, max;            /* inclusive range for numbers; both 0 = unbounded */
    const char *const *choices; /* VP_OPT_ENUM: NULL-terminated names */
    const char *help;
    bool hidden; /* test hooks: parsed, not listed in help */
};

/* A table and the struct it fills. A NULL name ends a table. */
struct vp_optset {
    const struct vp_opt *opts;
    void *base;
};

/* A table and the size of the struct it fills, for code that makes one
 * (experiment files check a command's options against its table). */
struct vp_opt_table {
    const struct vp_opt *opts;
    size_t size;
};

/* Fill base with every option's default. */
int vp_opt_defaults(const struct vp_opt *opts, void *base, struct vp_err *err);

/* Set one option by name from its text form. Unknown name: -ENOENT (message set). */
int vp_opt_set(const struct vp_opt *opts, void *base, const char *name, const char *value,
               struct vp_err *err);

/* Apply "name=value,name=value" (presets). */
int vp_opt_apply_list(const struct vp_opt *opts, void *base, const char *list, struct vp_err *err);

/* Parse argv[0..argc) as options for any of the sets; other words are
 * returned in pos[] (at most maxpos). "--" ends options. */
int vp_opt_parse_argv(const struct vp_optset *sets, int nsets, int argc, char **argv, char **pos,
                      int maxpos, int *npos, struct vp_err *err);

/* The option's current value in a text form vp_opt_set reads back exactly
 * (sizes as byte counts, durations as "<n>ns"). */
void vp_opt_format(const struct vp_opt *opt, const void *base, char *buf, size_t len);

/* "  --digits N     digits of pi (default 4M)" lines, hidden options left out. */
void vp_opt_print_help(FILE *out, const struct vp_opt *opts);

/* Look up a table entry by name, or NULL. */
const struct vp_opt *vp_opt_find(const struct vp_opt *opts, const char *name);

#define VP_OPT_END                                                                                 \
    {                                                                                              \
        NULL, 0, 0, NULL, 0, 0, NULL, NULL, false                                                  \
    }

#endif
