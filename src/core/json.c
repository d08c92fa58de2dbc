#include "core/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

void vp_json_init(struct vp_json *j, FILE *out)
{
    j->out = out;
    j->depth = 0;
    j->compact = false;
    j->first[0] = true;
}

void vp_json_init_compact(struct vp_json *j, FILE *out)
{
    vp_json_init(j, out);
    j->compact = true;
}

/* Line break and indentation for the current depth (nothing when compact). */
static void newline(struct vp_json *j)
{
    if (j->compact)
        return;
    fprintf(j->out, "\n%*s", 2 * j->depth, "");
}

void vp_json_quote(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

/* Comma, newline, indentation and key before a value. */
static void lead(struct vp_json *j, const char *key)
{
    if (!j->first[j->depth])
        fputc(',', j->out);
    if (j->depth > 0)
        newline(j);
    j->first[j->depth] = false;
    if (key) {
        vp_json_quote(j->out, key);
        fputs(j->compact ? ":" : ": ", j->out);
    }
}

static void open_(struct vp_json *j, const char *key, char c)
{
    lead(j, key);
    fputc(c, j->out);
    if (j->depth + 1 < VP_JSON_MAX_DEPTH)
        j->depth++;
    j->first[j->depth] = true;
}

static void close_(struct vp_json *j, char c)
{
    bool empty = j->first[j->depth];
    if (j->depth > 0)
        j->depth--;
    if (!empty)
        newline(j);
    fputc(c, j->out);
}

void vp_json_object_begin(struct vp_json *j, const char *key)
{
    open_(j, key, '{');
}

void vp_json_object_end(struct vp_json *j)
{
    close_(j, '}');
}

void vp_json_array_begin(struct vp_json *j, const char *key)
{
    open_(j, key, '[');
}

void vp_json_array_end(struct vp_json *j)
{
    close_(j, ']');
}

void vp_json_string(struct vp_json *j, const char *key, const char *value)
{
    lead(j, key);
    if (value)
        vp_json_quote(j->out, value);
    else
        fputs("null", j->out);
}

void vp_json_int(struct vp_json *j, const char *key, int64_t value)
{
    lead(j, key);
    fprintf(j->out, "%lld", (long long)value);
}

void vp_json_double(struct vp_json *j, const char *key, double value)
{
    lead(j, key);
    if (isfinite(value))
        fprintf(j->out, "%.17g", value);
    else
        fputs("null", j->out);
}

void vp_json_bool(struct vp_json *j, const char *key, bool value)
{
    lead(j, key);
    fputs(value ? "true" : "false", j->out);
}

void vp_json_null(struct vp_json *j, const char *key)
{
    lead(j, key);
    fputs("null", j->out);
}

void vp_json_raw(struct vp_json *j, const char *key, const char *json)
{
    lead(j, key);
    fputs(json && *json ? json : "null", j->out);
}

void vp_json_finish(struct vp_json *j)
{
    fputc('\n', j->out);
    fflush(j->out);
}

void vp_json_options(struct vp_json *j, const char *key, const struct vp_opt *opts,
                     const void *base)
{
    vp_json_object_begin(j, key);
    for (const struct vp_opt *o = opts; o && o->name; o++) {
        const char *field = (const char *)base + o->offset;
        switch (o->type) {
        case VP_OPT_BOOL:
            vp_json_bool(j, o->name, *(const bool *)field);
            break;
        case VP_OPT_INT:
            vp_json_int(j, o->name, *(const int64_t *)field);
            break;
        case VP_OPT_SIZE:
        case VP_OPT_COUNT:
            vp_json_int(j, o->name, (int64_t) * (const uint64_t *)field);
            break;
        case VP_OPT_DURATION:
            vp_json_double(j, o->name, (double)*(const uint64_t *)field / 1e9);
            break;
        case VP_OPT_DOUBLE:
            vp_json_double(j, o->name, *(const double *)field);
            break;
        case VP_OPT_STRING:
            vp_json_string(j, o->name, field);
            break;
        case VP_OPT_ENUM:
            vp_json_string(j, o->name, o->choices[*(const int *)field]);
            break;
        }
    }
    vp_json_object_end(j);
}

int vp_json_buf_open(struct vp_json_buf *b)
{
    b->text = NULL;
    b->len = 0;
    b->f = open_memstream(&b->text, &b->len);
    if (b->f == NULL)
        return -errno;
    vp_json_init_compact(&b->j, b->f);
    return 0;
}

char *vp_json_buf_close(struct vp_json_buf *b)
{
    if (fclose(b->f) != 0) {
        free(b->text);
        return NULL;
    }
    return b->text;
}
