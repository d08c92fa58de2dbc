/* The report's HTML page: see html.h. */
#include "report/html.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vp_config.h"

/* A script file's text (malloc'd): one that would end its <script> early
 * (or open an HTML comment in it) is refused. */
static int read_script(const char *path, const char *fix, char **text, struct vp_err *err)
{
    FILE *f = fopen(path, "r");
    size_t len = 0, cap = 1 << 20, got;
    char *buf = NULL;
    if (f == NULL)
        return vp_run_error(err, errno, "report: %s: %s", path, fix);
    do {
        char *more = realloc(buf, cap + 1);
        if (more == NULL) {
            free(buf);
            fclose(f);
            return vp_run_error(err, ENOMEM, "report: %s", path);
        }
        buf = more;
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len == cap)
            cap *= 2;
    } while (got > 0);
    int bad = ferror(f);
    fclose(f);
    buf[len] = '\0';
    if (bad || strlen(buf) != len || strstr(buf, "</script") != NULL ||
        strstr(buf, "<!--") != NULL) {
        free(buf);
        return vp_run_error(err, EINVAL, "report: %s: not a script that can be inlined", path);
    }
    *text = buf;
    return 0;
}

static void html_text(FILE *out, const char *s)
{
    static const char *const esc[256] = {
        ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;"};
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (esc[*p])
            fputs(esc[*p], out);
        else
            fputc(*p, out);
}

/* JSON inside <script>: every "<" written "\u003c" (the same string to
 * JSON, where "<" is only ever inside a string), so no label can end the
 * script or open a comment in it. */
static void script_json(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("\\u003c", out);
        else
            fputc(*s, out);
    }
}

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em auto;max-width:1100px;color:#222}"
    "h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:1px solid #ccc;margin-top:2em}"
    "h3{font-size:1.05em;margin-bottom:.2em}.note{color:#555;font-size:.9em;margin:.2em 0}"
    ".chart{width:100%;height:380px}table{border-collapse:collapse;font-size:.85em;margin:.5em 0 "
    "1.5em}td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}"
    "td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}"
    "details>summary{cursor:pointer;color:#555;font-size:.9em}";

int vp_report_echarts(char **text, struct vp_err *err)
{
    const char *path = getenv("VIRTPERF_ECHARTS"); /* another copy, or a test's missing one */
    return read_script(path && path[0] ? path : VP_ECHARTS_JS,
                       "ECharts is missing: run scripts/install-deps", text, err);
}

int vp_report_html(FILE *out, const char *title, const char *data, struct vp_err *err)
{
    char *echarts = NULL, *script = NULL;
    int rc = vp_report_echarts(&echarts, err);
    if (rc == 0)
        rc = read_script(VP_REPORT_JS, "the report's script is missing from the source tree",
                         &script, err);
    if (rc == 0) {
        fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", out);
        html_text(out, title);
        fprintf(out, "</title>\n<style>%s</style>\n<script>\n%s\n</script>\n</head>\n<body>\n",
                style, echarts);
        fputs("<h1>", out);
        html_text(out, title);
        fputs("</h1>\n<div id=\"report\"></div>\n"
              "<script type=\"application/json\" id=\"vp-data\">\n",
              out);
        script_json(out, data);
        fprintf(out, "\n</script>\n<script>\n%s\n</script>\n</body></html>\n", script);
    }
    free(echarts);
    free(script);
    return rc;
}
