/* What every command shares: the output options, the error on the way out,
 * subcommands. (Opening the store and showing a run: output_store.c.) */
#include <stddef.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/json.h"

#define JSON_OPT                                                                                   \
    {                                                                                              \
        "json", VP_OPT_BOOL, offsetof(struct vp_output_opts, json), NULL, 0, 0, NULL,              \
            "print JSON (sections start, intervals or rounds, end, error) instead of a table",     \
            false                                                                                  \
    }
#define STORE_OPT                                                                                  \
    {                                                                                              \
        "store", VP_OPT_OUTPUT, offsetof(struct vp_output_opts, store), NULL, 0, 0, NULL,          \
            "results store (SQLite file) [default $VIRTPERF_STORE or "                             \
            "~/.local/share/virtperf/results.db]",                                                 \
            false                                                                                  \
    }

const struct vp_opt vp_output_opt_table[] = {
    JSON_OPT,
    {"csv", VP_OPT_BOOL, offsetof(struct vp_output_opts, csv), NULL, 0, 0, NULL,
     "print the JSON's intervals or rounds as CSV (a header line, then a line each)", false},
    STORE_OPT,
    VP_OPT_END,
};

const struct vp_opt vp_output_json_opt_table[] = {JSON_OPT, STORE_OPT, VP_OPT_END};

const struct vp_opt vp_output_json_only_opt_table[] = {JSON_OPT, VP_OPT_END};

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
