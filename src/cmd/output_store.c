/* The store a command writes to, and a stored run shown as the output
 * options ask: the store's side of cmd/output.c (apart, so that a command
 * without a store, such as the servers a VM's guest runs, needs none). */
#include <stdio.h>

#include "cmd/cmd.h"
#include "report/run_view.h"
#include "store/query.h"

int vp_output_open_store(const struct vp_output_opts *o, struct vp_store **st, struct vp_err *err)
{
    char path[4096];
    if (o->store[0])
        snprintf(path, sizeof path, "%s", o->store);
    else
        vp_store_default_path(path, sizeof path);
    return vp_store_open(path, st, err);
}

int vp_show_run(const struct vp_output_opts *o, struct vp_doc *d, struct vp_store *st,
                int64_t run_id, struct vp_err *err)
{
    struct vp_run_data run;
    int rc = vp_store_load_run(st, run_id, &run, err);
    if (rc < 0)
        return rc;
    if (o->json || o->csv)
        vp_run_print_doc(d, stdout, o->csv && !o->json, &run, vp_store_name(st));
    else
        vp_run_print_text(stdout, &run);
    vp_run_data_free(&run);
    return 0;
}
