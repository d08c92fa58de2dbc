/* The document every command prints with --json, in iperf3 -J's shape: one
 * object with exactly four sections, in this order and always of these types:
 *
 *   start              object: what was asked (options, target, run id, host facts)
 *   intervals|rounds   array: the per-interval (or per-round, per-step,
 *                      per-point) figures, one object each; a command uses
 *                      one of the two names, on success and on failure alike
 *   end                object: the summary
 *   error              null, or the one-line message of a failed run
 *
 * With --csv the same calls print the rows section alone as CSV (a header
 * line, then a line per row; see core/json.h), so the CSV always holds the
 * rows the JSON does.
 *
 *     struct vp_doc d;
 *     vp_doc_init(&d, VP_DOC_INTERVALS, argc, argv);
 *     ...parse, run; on failure: return vp_doc_fail(&d, out.json, &err);
 *     struct vp_json *j = vp_doc_start(&d, stdout, out.csv);
 *     vp_json_string(j, "target", ...);             (start's members)
 *     j = vp_doc_rows(&d);
 *     for each interval: vp_json_object_begin(j, NULL); ...; vp_json_object_end(j);
 *     j = vp_doc_end(&d);
 *     vp_json_int(j, "sent", ...);                  (end's members)
 *     vp_doc_close(&d, NULL);                       (or the run's error message)
 *
 * A section not written is written empty: a command without rows goes from
 * start to end. */
#ifndef VP_CORE_DOC_H
#define VP_CORE_DOC_H

#include <stdbool.h>
#include <stdio.h>

#include "core/error.h"
#include "core/json.h"

#define VP_DOC_INTERVALS "intervals"
#define VP_DOC_ROUNDS    "rounds"

enum vp_doc_state { VP_DOC_IDLE, VP_DOC_START, VP_DOC_ROWS, VP_DOC_END, VP_DOC_DONE };

struct vp_doc {
    const char *rows; /* VP_DOC_INTERVALS or VP_DOC_ROUNDS */
    enum vp_doc_state state;
    bool csv;
    bool asked; /* the command line has --json */
    struct vp_json j;
};

/* Nothing is written yet; rows names the command's rows section. argv (may
 * be NULL) is the command's: a --json anywhere in it before "--" asks for
 * the failure document even when the options are not parsed that far. */
void vp_doc_init(struct vp_doc *d, const char *rows, int argc, char **argv);

/* Begin the document on out (CSV: the rows alone) and open start. */
struct vp_json *vp_doc_start(struct vp_doc *d, FILE *out, bool csv);
/* Close start and open the rows array: each row is an object with no key. */
struct vp_json *vp_doc_rows(struct vp_doc *d);
/* Close the rows and open end. */
struct vp_json *vp_doc_end(struct vp_doc *d);
/* Close end and the document; error is the run's one-line message, or NULL. */
void vp_doc_close(struct vp_doc *d, const char *error);

/* Write a document's rows to the file path as CSV: write(d, f, arg) writes
 * the document (vp_doc_start(d, f, true) ... vp_doc_end), this closes it.
 * what names the option for messages ("--interval-csv"). Nothing is left
 * at path on failure. */
int vp_doc_csv_file(const char *path, const char *what, const char *rows,
                    void (*write)(struct vp_doc *d, FILE *f, const void *arg), const void *arg,
                    struct vp_err *err);

/* err's message, or NULL when err holds none: vp_doc_close's error. */
const char *vp_doc_error_of(const struct vp_err *err);

/* A command failed: with json (or --json on its command line), a document
 * not begun yet is written whole
 * (empty sections and the error) and one begun is closed with the error;
 * one already closed is left as it is. The message goes to stderr as well.
 * Returns the exit status (vp_err_report's). */
int vp_doc_fail(struct vp_doc *d, bool json, const struct vp_err *err);

#endif
