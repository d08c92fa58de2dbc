/* The command document's sections (see doc.h). */
#include "core/doc.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void vp_doc_init(struct vp_doc *d, const char *rows, int argc, char **argv)
{
    d->rows = rows;
    d->state = VP_DOC_IDLE;
    d->csv = false;
    d->asked = false;
    for (int i = 1; argv && i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "--json=true") == 0 ||
            strcmp(argv[i], "--json=yes") == 0 || strcmp(argv[i], "--json=1") == 0)
            d->asked = true;
}

struct vp_json *vp_doc_start(struct vp_doc *d, FILE *out, bool csv)
{
    d->csv = csv;
    d->state = VP_DOC_START;
    if (csv) {
        vp_json_init_csv(&d->j, out);
        vp_json_mute(&d->j, true); /* a CSV holds the rows alone */
    } else {
        vp_json_init(&d->j, out);
        vp_json_object_begin(&d->j, NULL);
        vp_json_object_begin(&d->j, "start");
    }
    return &d->j;
}

struct vp_json *vp_doc_rows(struct vp_doc *d)
{
    if (d->state == VP_DOC_START) {
        d->state = VP_DOC_ROWS;
        vp_json_object_end(&d->j);
        vp_json_mute(&d->j, false);
        vp_json_array_begin(&d->j, d->rows);
    }
    return &d->j;
}

struct vp_json *vp_doc_end(struct vp_doc *d)
{
    vp_doc_rows(d);
    if (d->state == VP_DOC_ROWS) {
        d->state = VP_DOC_END;
        vp_json_array_end(&d->j);
        vp_json_mute(&d->j, d->csv);
        vp_json_object_begin(&d->j, "end");
    }
    return &d->j;
}

void vp_doc_close(struct vp_doc *d, const char *error)
{
    if (d->state == VP_DOC_IDLE || d->state == VP_DOC_DONE)
        return;
    vp_doc_end(d);
    vp_json_object_end(&d->j);
    vp_json_string(&d->j, "error", error);
    vp_json_object_end(&d->j);
    vp_json_finish(&d->j);
    d->state = VP_DOC_DONE;
}

int vp_doc_csv_file(const char *path, const char *what, const char *rows,
                    void (*write)(struct vp_doc *d, FILE *f, const void *arg), const void *arg,
                    struct vp_err *err)
{
    struct vp_doc d;
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return vp_input_error(err, "%s %s: %s", what, path, strerror(errno));
    vp_doc_init(&d, rows, 0, NULL);
    write(&d, f, arg);
    vp_doc_close(&d, NULL);
    if (ferror(f) | (fclose(f) != 0)) {
        int rc = vp_run_error(err, errno ? errno : EIO, "%s %s", what, path);
        unlink(path);
        return rc;
    }
    return 0;
}

const char *vp_doc_error_of(const struct vp_err *err)
{
    return err && err->kind != VP_ERR_NONE ? err->msg : NULL;
}

int vp_doc_fail(struct vp_doc *d, bool json, const struct vp_err *err)
{
    if (d->state == VP_DOC_IDLE && (json || d->asked))
        vp_doc_start(d, stdout, false);
    vp_doc_close(d, err->msg[0] ? err->msg : "unknown error");
    return vp_err_report(err);
}
