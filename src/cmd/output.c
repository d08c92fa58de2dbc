#include <stddef.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "report/run_view.h"
#include "store/query.h"

const struct vp_opt vp_output_opt_table[] = {
    {"json", VP_OPT_BOOL, offsetof(struct vp_output_opts, json), NULL, 0, 0, NULL,
     "print JSON (sections start, rounds, end, error) instead of a table", false},
    {"csv", VP_OPT_BOOL, offsetof(struct vp_output_opts, csv), NULL, 0, 0, NULL,
     "print one CSV line per round instead of a table", false},
    {"store", VP_OPT_STRING, offsetof(struct vp_output_opts, store), NULL, 0, 0, NULL,
     "results store (SQLite file) [default $VIRTPERF_STORE or ~/.local/share/virtperf/results.db]",
     false},
    VP_OPT_END,
};

int vp_output_open_store(const struct vp_output_opts *o, struct vp_store **st, struct vp_err *err)
{
    char path[4096];
    if (o->store[0])
        snprintf(path, sizeof path, "%s", o->store);
    else
        vp_store_default_path(path, sizeof path);
    return vp_store_open(path, st, err);
}

int vp_output_fail(const struct vp_output_opts *o, const struct vp_err *err)
{
    if (o->json) {
        struct vp_json j;
        vp_json_init(&j, stdout);
        vp_json_object_begin(&j, NULL);
        vp_json_null(&j, "start");
        vp_json_array_begin(&j, "rounds");
        vp_json_array_end(&j);
        vp_json_null(&j, "end");
        vp_json_string(&j, "error", err->msg);
        vp_json_object_end(&j);
        vp_json_finish(&j);
    }
    return vp_err_report(err);
}

int vp_show_run(const struct vp_output_opts *o, struct vp_store *st, int64_t run_id,
                struct vp_err *err)
{
    struct vp_run_data run;
    int rc = vp_store_load_run(st, run_id, &run, err);
    if (rc < 0)
        return rc;
    if (o->json)
        vp_run_print_json(stdout, &run, vp_store_path(st));
    else if (o->csv)
        vp_run_print_csv(stdout, &run);
    else
        vp_run_print_text(stdout, &run);
    vp_run_data_free(&run);
    return 0;
}

int vp_run_subcommand(const struct vp_subcommand *subs, int argc, char **argv)
{
    struct vp_err err = {0};
    char names[256] = "";
    for (int i = 0; subs[i].name; i++) {
        if (argc >= 2 && strcmp(argv[1], subs[i].name) == 0)
            return subs[i].run(argc - 1, argv + 1);
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                 subs[i].name);
    }
    if (argc >= 2)
        vp_input_error(&err, "%s: unknown subcommand \"%s\" (expected %s)", argv[0], argv[1],
                       names);
    else
        vp_input_error(&err, "%s: expected a subcommand: %s (see `virtperf help %s`)", argv[0],
                       names, argv[0]);
    return vp_err_report(&err);
}
