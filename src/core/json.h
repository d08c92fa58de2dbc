/* A streaming JSON writer. Keys are given with each value (NULL inside
 * arrays); commas and indentation are handled here. Non-finite numbers are
 * written as null.
 *
 * The same calls can render CSV instead (vp_json_init_csv): each object
 * begun outside a row is a row, its scalar values the fields; nested
 * objects and arrays are flattened into columns named by their key path
 * joined with '.' (array elements by their index: "per_router.0"). The
 * first row's columns make the header line. A writer can also be muted:
 * then it writes nothing (the parts of a document a CSV leaves out). */
#ifndef VP_CORE_JSON_H
#define VP_CORE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/opt.h"

#define VP_JSON_MAX_DEPTH 32

/* A growing text (CSV rows are built in these before they are written). */
struct vp_json_text {
    char *s;
    size_t len, cap;
};

struct vp_json {
    FILE *out;
    int depth;
    bool compact;                  /* one line, no indentation */
    bool first[VP_JSON_MAX_DEPTH]; /* no value written yet at this depth */
    bool csv;                      /* render CSV rows, not JSON */
    bool muted;                    /* write nothing */
    /* CSV: the depth of the row at hand (-1: none), the key path of the
     * value at hand (its end at each depth), elements so far at each depth,
     * the row's columns and values, the rows written. */
    int row_depth;
    char path[512];
    size_t path_end[VP_JSON_MAX_DEPTH];
    int index[VP_JSON_MAX_DEPTH];
    struct vp_json_text cols, vals;
    long rows;
};

void vp_json_init(struct vp_json *j, FILE *out);
/* One line: for JSON kept in the store. */
void vp_json_init_compact(struct vp_json *j, FILE *out);
/* CSV rows (see above); vp_json_finish ends them and frees what they used. */
void vp_json_init_csv(struct vp_json *j, FILE *out);
/* Write nothing while muted (begin and end calls must still pair up). */
void vp_json_mute(struct vp_json *j, bool muted);
void vp_json_object_begin(struct vp_json *j, const char *key);
void vp_json_object_end(struct vp_json *j);
void vp_json_array_begin(struct vp_json *j, const char *key);
void vp_json_array_end(struct vp_json *j);
void vp_json_string(struct vp_json *j, const char *key, const char *value); /* NULL → null */
void vp_json_int(struct vp_json *j, const char *key, int64_t value);
void vp_json_double(struct vp_json *j, const char *key, double value);
void vp_json_bool(struct vp_json *j, const char *key, bool value);
void vp_json_null(struct vp_json *j, const char *key);
/* A value that is already JSON text (kept in the store), written as is. */
void vp_json_raw(struct vp_json *j, const char *key, const char *json);
/* Ends the document with a newline (CSV: flushes the rows and frees the
 * writer's buffers). */
void vp_json_finish(struct vp_json *j);

/* An object with one member per (visible or hidden) option, typed:
 * sizes as byte counts, durations in seconds. */
void vp_json_options(struct vp_json *j, const char *key, const struct vp_opt *opts,
                     const void *base);

/* A compact document built in memory, for JSON text kept in the store:
 * open, write to b.j, close to get the text (malloc'd; NULL on failure). */
struct vp_json_buf {
    char *text;
    size_t len;
    FILE *f;
    struct vp_json j;
};
int vp_json_buf_open(struct vp_json_buf *b);
char *vp_json_buf_close(struct vp_json_buf *b);

/* Write s as a quoted JSON string to out. */
void vp_json_quote(FILE *out, const char *s);

#endif
