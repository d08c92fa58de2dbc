#include "core/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void vp_json_init(struct vp_json *j, FILE *out)
{
    memset(j, 0, sizeof *j);
    j->out = out;
    j->first[0] = true;
    j->row_depth = -1;
}

void vp_json_init_compact(struct vp_json *j, FILE *out)
{
    vp_json_init(j, out);
    j->compact = true;
}

void vp_json_init_csv(struct vp_json *j, FILE *out)
{
    vp_json_init(j, out);
    j->csv = true;
}

void vp_json_mute(struct vp_json *j, bool muted)
{
    j->muted = muted;
}

/* --- CSV rendering ---------------------------------------------------- */

static void text_add(struct vp_json_text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = realloc(t->s, cap);
        if (p == NULL)
            return; /* out of memory: the line comes out short */
        t->s = p;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void text_clear(struct vp_json_text *t)
{
    t->len = 0;
    if (t->s)
        t->s[0] = '\0';
}

/* One field, after a comma unless it is the row's first; text that holds
 * a comma, a quote or a line break is quoted (RFC 4180). */
static void csv_field(struct vp_json_text *t, bool first, const char *s, bool text)
{
    if (!first)
        text_add(t, ",", 1);
    if (!text || s[strcspn(s, ",\"\r\n")] == '\0') {
        text_add(t, s, strlen(s));
        return;
    }
    text_add(t, "\"", 1);
    for (const char *p = s; *p; p++)
        text_add(t, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
    text_add(t, "\"", 1);
}

/* The name of the value at hand within its container: its key, or in an
 * array its index. */
static const char *csv_name(struct vp_json *j, const char *key, char *buf, size_t len)
{
    if (key)
        return key;
    snprintf(buf, len, "%d", j->index[j->depth]++);
    return buf;
}

static void csv_value(struct vp_json *j, const char *key, const char *text, bool is_text)
{
    if (j->row_depth < 0)
        return; /* outside a row */
    char num[16], col[sizeof j->path + 64];
    const char *name = csv_name(j, key, num, sizeof num);
    snprintf(col, sizeof col, "%s%s%s", j->path, j->path[0] ? "." : "", name);
    bool first = j->cols.len == 0; /* a column's name is never empty */
    csv_field(&j->cols, first, col, true);
    csv_field(&j->vals, first, text, is_text);
}

static void csv_open(struct vp_json *j, const char *key, bool object)
{
    if (j->row_depth < 0) {
        if (object) { /* a row begins */
            j->row_depth = j->depth;
            text_clear(&j->cols);
            text_clear(&j->vals);
            j->path[0] = '\0';
        }
    } else {
        char num[16];
        const char *name = csv_name(j, key, num, sizeof num);
        size_t end = strlen(j->path);
        snprintf(j->path + end, sizeof j->path - end, "%s%s", end ? "." : "", name);
    }
    if (j->depth + 1 < VP_JSON_MAX_DEPTH)
        j->depth++;
    j->path_end[j->depth] = strlen(j->path);
    j->index[j->depth] = 0;
}

static void csv_close(struct vp_json *j)
{
    if (j->depth > 0)
        j->depth--;
    if (j->row_depth < 0)
        return;
    if (j->depth > j->row_depth) {
        j->path[j->path_end[j->depth]] = '\0';
        return;
    }
    /* the row ends: the header before the first, then its values */
    if (j->rows++ == 0)
        fprintf(j->out, "%s\n", j->cols.s ? j->cols.s : "");
    fprintf(j->out, "%s\n", j->vals.s ? j->vals.s : "");
    j->row_depth = -1;
}

/* --- JSON text -------------------------------------------------------- */

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
    if (j->muted)
        return;
    if (j->csv) {
        csv_open(j, key, c == '{');
        return;
    }
    lead(j, key);
    fputc(c, j->out);
    if (j->depth + 1 < VP_JSON_MAX_DEPTH)
        j->depth++;
    j->first[j->depth] = true;
}

static void close_(struct vp_json *j, char c)
{
    if (j->muted)
        return;
    if (j->csv) {
        csv_close(j);
        return;
    }
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

/* A scalar value as text: JSON writes it after its key (quoted when it is
 * text), CSV adds it to the row. */
static void scalar(struct vp_json *j, const char *key, const char *text, bool is_text)
{
    if (j->muted)
        return;
    if (j->csv) {
        csv_value(j, key, text, is_text);
        return;
    }
    lead(j, key);
    if (is_text)
        vp_json_quote(j->out, text);
    else
        fputs(text, j->out);
}

void vp_json_string(struct vp_json *j, const char *key, const char *value)
{
    if (value)
        scalar(j, key, value, true);
    else
        vp_json_null(j, key);
}

void vp_json_int(struct vp_json *j, const char *key, int64_t value)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)value);
    scalar(j, key, buf, false);
}

void vp_json_double(struct vp_json *j, const char *key, double value)
{
    char buf[40];
    if (!isfinite(value)) {
        vp_json_null(j, key);
        return;
    }
    snprintf(buf, sizeof buf, "%.17g", value);
    if (j->csv) { /* for people too: the short form when it reads back exactly */
        char brief[40];
        snprintf(brief, sizeof brief, "%.15g", value);
        if (strtod(brief, NULL) == value)
            memcpy(buf, brief, sizeof buf);
    }
    scalar(j, key, buf, false);
}

void vp_json_bool(struct vp_json *j, const char *key, bool value)
{
    scalar(j, key, value ? "true" : "false", false);
}

void vp_json_null(struct vp_json *j, const char *key)
{
    scalar(j, key, j->csv ? "" : "null", false);
}

void vp_json_raw(struct vp_json *j, const char *key, const char *json)
{
    if (json == NULL || *json == '\0')
        vp_json_null(j, key);
    else
        scalar(j, key, json, j->csv); /* in CSV, a field of text */
}

void vp_json_finish(struct vp_json *j)
{
    if (j->csv) {
        free(j->cols.s);
        free(j->vals.s);
        j->cols = j->vals = (struct vp_json_text){0};
    } else if (!j->muted) {
        fputc('\n', j->out);
    }
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
        case VP_OPT_PATH:
        case VP_OPT_OUTPUT:
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
