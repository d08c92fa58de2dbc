/* A streaming JSON writer. Keys are given with each value (NULL inside
 * arrays); commas and indentation are handled here. Non-finite numbers are
 * written as null. */
#ifndef VP_CORE_JSON_H
#define VP_CORE_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/opt.h"

#define VP_JSON_MAX_DEPTH 32

struct vp_json {
    FILE *out;
    int depth;
    bool compact;                  /* one line, no indentation */
    bool first[VP_JSON_MAX_DEPTH]; /* no value written yet at this depth */
};

void vp_json_init(struct vp_json *j, FILE *out);
/* One line: for JSON kept in the store. */
void vp_json_init_compact(struct vp_json *j, FILE *out);
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
/* Ends the document with a newline. */
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
