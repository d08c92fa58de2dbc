/* Writing a report's figures as JSON: see fig.h. */
#include "report/fig.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void vp_fig_begin(struct vp_json *j, const char *kind, const char *title, const char *note)
{
    vp_json_object_begin(j, NULL);
    vp_json_string(j, "kind", kind);
    vp_json_string(j, "title", title);
    if (note)
        vp_json_string(j, "note", note);
}

void vp_fig_end(struct vp_json *j)
{
    vp_json_object_end(j);
}

void vp_fig_num(struct vp_json *j, const char *key, double v)
{
    char buf[32];
    if (!isfinite(v)) {
        vp_json_null(j, key);
        return;
    }
    snprintf(buf, sizeof buf, "%.6g", v);
    vp_json_raw(j, key, buf);
}

void vp_fig_xy(struct vp_json *j, double x, double y)
{
    vp_json_array_begin(j, NULL);
    vp_fig_num(j, NULL, x);
    vp_fig_num(j, NULL, y);
    vp_json_array_end(j);
}

bool vp_fig_ci_ok(const struct vp_summary *s, bool nonnegative)
{
    return s->n >= 2 && isfinite(s->ci_half) && isfinite(s->ci_lo) && isfinite(s->ci_hi) &&
           !(nonnegative && s->ci_lo < 0);
}

void vp_fig_table_begin(struct vp_json *j, const char *const *columns)
{
    vp_json_object_begin(j, "table");
    vp_json_array_begin(j, "columns");
    for (; *columns; columns++)
        vp_json_string(j, NULL, *columns);
    vp_json_array_end(j);
    vp_json_array_begin(j, "rows");
}

void vp_fig_row_begin(struct vp_json *j)
{
    vp_json_array_begin(j, NULL);
}

void vp_fig_cell(struct vp_json *j, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    vp_json_string(j, NULL, buf);
}

void vp_fig_cell_num(struct vp_json *j, const char *fmt, double v)
{
    char buf[64];
    if (!isfinite(v)) {
        vp_json_string(j, NULL, "-");
        return;
    }
    snprintf(buf, sizeof buf, fmt, v);
    vp_json_string(j, NULL, buf);
}

void vp_fig_cell_ci(struct vp_json *j, const char *fmt, const struct vp_summary *s,
                    bool nonnegative)
{
    char num[64], buf[80];
    if (!vp_fig_ci_ok(s, nonnegative)) {
        vp_json_string(j, NULL, "n too small");
        return;
    }
    snprintf(num, sizeof num, fmt, s->ci_half);
    snprintf(buf, sizeof buf, "± %s", num);
    vp_json_string(j, NULL, buf);
}

void vp_fig_row_end(struct vp_json *j)
{
    vp_json_array_end(j);
}

void vp_fig_table_end(struct vp_json *j)
{
    vp_json_array_end(j);
    vp_json_object_end(j);
}

void vp_fig_point_label(char *buf, size_t len, int point, const char *params, size_t max)
{
    char text[256];
    size_t k = 0;
    const char *c = params;
    if (max >= sizeof text)
        max = sizeof text - 1;
    if (strncmp(c, "{\"case\":", 8) == 0)
        c += 8;
    for (; *c && k < max; c++)
        if (*c != '{' && *c != '}' && *c != '"')
            text[k++] = *c == ',' ? ' ' : *c;
    text[k] = '\0';
    if (point < 0)
        snprintf(buf, len, "%s", k ? text : "all");
    else
        snprintf(buf, len, "%d %s", point + 1, text);
}
