/* A report page from ids: see page.h. */
#include "report/page.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "report/figures.h"
#include "report/html.h"

struct item {
    bool run;
    long long id;
};

/* "12" an experiment, "run:12" a run. */
static int parse_item(const char *s, struct item *it, struct vp_err *err)
{
    char *end;
    it->run = strncmp(s, "run:", 4) == 0;
    it->id = strtoll(it->run ? s + 4 : s, &end, 10);
    if (*end != '\0' || it->id <= 0 || end == (it->run ? s + 4 : s))
        return vp_input_error(err,
                              "report: \"%s\" is neither an experiment id (N) nor a run "
                              "(run:N)",
                              s);
    return 0;
}

/* The figures' document: a section per experiment, in the order given,
 * then the runs side by side in one; as JSON text (malloc'd). */
static int document(struct vp_store *st, const struct item *items, int n, const char *title,
                    char **text, struct vp_err *err)
{
    struct vp_json_buf b;
    int64_t runs[VP_REPORT_MAX_IDS];
    int nruns = 0, rc = vp_json_buf_open(&b);
    if (rc < 0)
        return vp_run_error(err, -rc, "report");
    vp_json_object_begin(&b.j, NULL);
    vp_json_string(&b.j, "title", title);
    vp_json_string(&b.j, "store", vp_store_name(st));
    vp_json_array_begin(&b.j, "sections");
    for (int i = 0; rc == 0 && i < n; i++) {
        if (items[i].run)
            runs[nruns++] = items[i].id;
        else
            rc = vp_figures_experiment(st, items[i].id, &b.j, err);
    }
    if (rc == 0 && nruns > 0)
        rc = vp_figures_runs(st, runs, nruns, &b.j, err);
    vp_json_array_end(&b.j);
    vp_json_object_end(&b.j);
    *text = vp_json_buf_close(&b);
    if (rc == 0 && *text == NULL)
        rc = vp_run_error(err, ENOMEM, "report");
    if (rc < 0) {
        free(*text);
        *text = NULL;
    }
    return rc;
}

int vp_report_page(struct vp_store *st, char *const *ids, int n, const char *title, FILE *out,
                   struct vp_err *err)
{
    struct item items[VP_REPORT_MAX_IDS];
    char name[VP_STR_MAX + 64], *data = NULL;
    if (n < 1 || n > VP_REPORT_MAX_IDS)
        return vp_input_error(err, "report: name 1 to %d experiments (ID) or runs (run:ID)",
                              VP_REPORT_MAX_IDS);
    for (int i = 0; i < n; i++) {
        int rc = parse_item(ids[i], &items[i], err);
        if (rc < 0)
            return rc;
    }
    if (title)
        snprintf(name, sizeof name, "%s", title);
    else if (n == 1)
        snprintf(name, sizeof name, "virtperf report: %s %lld", items[0].run ? "run" : "experiment",
                 items[0].id);
    else
        snprintf(name, sizeof name, "virtperf report: %d experiments and runs", n);
    int rc = document(st, items, n, name, &data, err);
    if (rc == 0)
        rc = vp_report_html(out, name, data, err);
    free(data);
    return rc;
}
