/* virtperf workload list | run NAME [options] */
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/json.h"
#include "core/progress.h"
#include "guest/remote.h"
#include "run/stored_run.h"
#include "timing/observer.h"
#include "workload/workload.h"

struct round_opts {
    int64_t rounds, warmup;
    int preset;
    bool inject_fault;
    bool until_stopped;
    int64_t barrier_fd;
    char guest_agent[VP_STR_MAX];
};

/* How long a guest's agent has to answer the greeting (it is up already). */
#define GUEST_ANSWER_MS 10000

static const char *const preset_names[] = {"default", "small", NULL};
enum { PRESET_DEFAULT, PRESET_SMALL };

static const struct vp_opt round_opt_table[] = {
    {"rounds", VP_OPT_INT, offsetof(struct round_opts, rounds), "10", 1, 100000, NULL,
     "measured rounds (with --until-stopped: at most this many)", false},
    {"warmup", VP_OPT_INT, offsetof(struct round_opts, warmup), "1", 0, 1000, NULL,
     "warm-up rounds, run and stored but left out of the statistics", false},
    {"preset", VP_OPT_ENUM, offsetof(struct round_opts, preset), "default", 0, 0, preset_names,
     "parameter set: the papers' sizes, or small ones that run in seconds", false},
    {"until-stopped", VP_OPT_BOOL, offsetof(struct round_opts, until_stopped), NULL, 0, 0, NULL,
     "after the warm-up, run measured rounds until SIGUSR1, which ends the run normally "
     "after the round at hand",
     false},
    {"inject-fault", VP_OPT_BOOL, offsetof(struct round_opts, inject_fault), NULL, 0, 0, NULL,
     "test hook: damage the first measured round's result", true},
    {"barrier-fd", VP_OPT_INT, offsetof(struct round_opts, barrier_fd), NULL, 3, 1023, NULL,
     "experiment runner: report ready on FD and wait there to start (run/barrier.h)", true},
    {"guest-agent", VP_OPT_STRING, offsetof(struct round_opts, guest_agent), NULL, 0, 0, NULL,
     "vm platform: run the rounds in the guest whose agent listens on this socket", true},
    VP_OPT_END,
};

static int list(int argc, char **argv)
{
    struct vp_output_opts out = {0};
    struct vp_err err = {0};
    struct vp_doc doc;
    struct vp_optset sets[] = {{vp_output_json_only_opt_table, &out}};
    char *pos[1];
    int npos;
    vp_doc_init(&doc, VP_DOC_ROUNDS, argc, argv);
    if (vp_opt_defaults(vp_output_json_only_opt_table, &out, &err) < 0 ||
        vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, pos, 0, &npos, &err) < 0)
        return vp_doc_fail(&doc, out.json, &err);

    struct vp_json *j = NULL;
    if (out.json) { /* the list is the summary: there are no rounds */
        vp_doc_start(&doc, stdout, false);
        j = vp_doc_end(&doc);
        vp_json_array_begin(j, "workloads");
    }
    for (int i = 0; vp_workloads[i]; i++) {
        const struct vp_workload *w = vp_workloads[i];
        const char *why = w->unsupported ? w->unsupported() : NULL;
        if (!out.json) {
            if (why)
                printf("%-12s %s  [unavailable: %s]\n", w->name, w->summary, why);
            else
                printf("%-12s %s\n", w->name, w->summary);
            continue;
        }
        vp_json_object_begin(j, NULL);
        vp_json_string(j, "name", w->name);
        vp_json_string(j, "summary", w->summary);
        vp_json_string(j, "origin", w->origin);
        vp_json_string(j, "small_preset", w->small_preset);
        vp_json_string(j, "unavailable", why);
        vp_json_array_begin(j, "options");
        for (const struct vp_opt *o = w->opts; o->name; o++)
            vp_json_string(j, NULL, o->name);
        vp_json_array_end(j);
        vp_json_array_begin(j, "metrics");
        for (int m = 0; m < w->nmetrics; m++)
            vp_json_string(j, NULL, w->metrics[m].name);
        vp_json_array_end(j);
        vp_json_object_end(j);
    }
    if (out.json) {
        vp_json_array_end(j);
        vp_doc_close(&doc, NULL);
    }
    return VP_EXIT_OK;
}

/* The value of --preset, looked for before the other options are parsed so
 * that options given on the command line override the preset's values. */
static const char *find_preset(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--preset=", 9) == 0)
            return argv[i] + 9;
        if (strcmp(argv[i], "--preset") == 0 && i + 1 < argc)
            return argv[i + 1];
    }
    return NULL;
}

/* The command line as one string, for the store. */
static char *join_argv(int argc, char **argv)
{
    static const char prefix[] = "virtperf workload";
    size_t len = sizeof prefix;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len);
    if (s == NULL)
        return NULL;
    strcpy(s, prefix);
    for (int i = 0; i < argc; i++) {
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

static int run(int argc, char **argv)
{
    struct vp_output_opts out;
    struct round_opts ro;
    struct vp_timing_opts to;
    struct vp_timing_observer *timing = NULL;
    struct vp_timing_marks marks = {0}; /* in a VM: what the guest marks with */
    struct vp_remote *guest = NULL;
    struct vp_workload proxy;
    struct vp_err err = {0};
    struct vp_store *st = NULL;
    struct vp_doc doc;
    void *params = NULL;
    char *command = NULL;
    int64_t run_id = 0;
    int rc;

    vp_doc_init(&doc, VP_DOC_ROUNDS, argc, argv);
    vp_opt_defaults(vp_output_opt_table, &out, &err);
    vp_opt_defaults(round_opt_table, &ro, &err);
    vp_opt_defaults(vp_timing_opt_table, &to, &err);
    if (argc < 2 || argv[1][0] == '-') {
        vp_input_error(&err, "workload run: name a workload (see `virtperf workload list`)");
        return vp_doc_fail(&doc, out.json, &err);
    }
    const struct vp_workload *w = vp_workload_find(argv[1]);
    if (w == NULL) {
        vp_input_error(&err, "unknown workload \"%s\" (see `virtperf workload list`)", argv[1]);
        return vp_doc_fail(&doc, out.json, &err);
    }
    params = calloc(1, w->params_size);
    if (params == NULL) {
        vp_run_error(&err, 0, "out of memory");
        goto fail;
    }
    struct vp_optset sets[] = {{vp_output_opt_table, &out},
                               {round_opt_table, &ro},
                               {w->opts, params},
                               {vp_timing_opt_table, &to}};
    char *pos[1];
    int npos;
    const char *preset = find_preset(argc - 2, argv + 2);
    if ((rc = vp_opt_defaults(w->opts, params, &err)) < 0)
        goto fail;
    if (preset && strcmp(preset, "small") == 0 &&
        (rc = vp_opt_apply_list(w->opts, params, w->small_preset, &err)) < 0)
        goto fail;
    if ((rc = vp_opt_parse_argv(sets, 4, argc - 2, argv + 2, pos, 0, &npos, &err)) < 0)
        goto fail;
    const char *why = w->unsupported ? w->unsupported() : NULL;
    if (why && !ro.guest_agent[0]) {
        vp_input_error(&err, "%s cannot run here: %s", w->name, why);
        goto fail;
    }
    /* in a VM the guest marks its rounds to the time server itself */
    if ((rc = ro.guest_agent[0] ? vp_timing_marks_from(&to, NULL, &marks, &err)
                                : vp_timing_observer_open(&to, &timing, &err)) < 0)
        goto fail;
    if ((rc = vp_output_open_store(&out, &st, &err)) < 0)
        goto fail;
    if (ro.guest_agent[0]) {
        if ((rc = vp_remote_open(ro.guest_agent, GUEST_ANSWER_MS, &guest, &err)) < 0)
            goto fail;
        if (!to.appliance[0]) /* the guest's name, not the host's */
            snprintf(marks.appliance, sizeof marks.appliance, "%s", vp_remote_guest_name(guest));
        if ((rc = vp_remote_timeserver(guest, &marks, &err)) < 0)
            goto fail;
        sodium_memzero(&marks, sizeof marks); /* the key: the guest has it now */
        vp_remote_workload(guest, w, params, to.distortion_pct, to.distortion_ms, &proxy);
    }

    command = join_argv(argc, argv);
    struct vp_stored_run req = {
        .workload = guest ? &proxy : w,
        .params = params,
        .setup_arg = guest,
        .command = command ? command : "",
        .platform = guest ? vp_remote_platform(guest) : NULL,
        .barrier_fd = (int)ro.barrier_fd,
        .on_begin = guest    ? vp_remote_attach
                    : timing ? vp_timing_observer_attach
                             : NULL,
        .on_begin_arg = guest ? (void *)guest : timing,
        .rounds = {.rounds = (int)ro.rounds,
                   .warmup = (int)ro.warmup,
                   .inject_fault = ro.inject_fault,
                   .until_stopped = ro.until_stopped,
                   .observer = vp_timing_observer_hooks(timing),
                   .progress = vp_progress_wanted() && !out.json && !out.csv},
    };
    rc = vp_stored_run(st, &req, &run_id, &err);
    if (run_id > 0) {
        /* what is shown is read back from the store: every figure recomputable */
        struct vp_err show_err = {0};
        if (vp_show_run(&out, &doc, st, run_id, &show_err) < 0 && rc == 0) {
            err = show_err;
            rc = -1;
        }
    }
    if (rc < 0)
        goto fail; /* a document shown already carries the run's error */
    vp_store_close(st);
    vp_timing_observer_close(timing);
    vp_remote_close(guest);
    free(params);
    free(command);
    return VP_EXIT_OK;
fail:
    sodium_memzero(&marks, sizeof marks);
    vp_store_close(st);
    vp_timing_observer_close(timing);
    vp_remote_close(guest);
    free(params);
    free(command);
    return vp_doc_fail(&doc, out.json, &err);
}

static int workload_main(int argc, char **argv)
{
    static const struct vp_subcommand subs[] = {{"list", list}, {"run", run}, {NULL, NULL}};
    return vp_run_subcommand(subs, argc, argv);
}

static void workload_help(FILE *f)
{
    fputs("Workloads do a fixed amount of work per round, independent of machine speed,\n"
          "and verify their own result. Elapsed time per round is measured on\n"
          "CLOCK_MONOTONIC around the work alone; results go to the store.\n\n"
          "Round options:\n",
          f);
    vp_opt_print_help(f, round_opt_table);
    fputs("External timekeeping (timing/observer.h):\n", f);
    vp_opt_print_help(f, vp_timing_opt_table);
    fputs("Output options (run):\n", f);
    vp_opt_print_help(f, vp_output_opt_table);
    fputs("list options:\n", f);
    vp_opt_print_help(f, vp_output_json_only_opt_table);
    for (int i = 0; vp_workloads[i]; i++) {
        const struct vp_workload *w = vp_workloads[i];
        fprintf(f, "\n%s — %s\n  (%s; small preset: %s)\n", w->name, w->summary, w->origin,
                w->small_preset);
        vp_opt_print_help(f, w->opts);
    }
}

const struct vp_command vp_cmd_workload = {
    .name = "workload",
    .run = workload_main,
    .summary = "list the workloads, or run one for a number of rounds",
    .usage = "virtperf workload list [--json]\n"
             "virtperf workload run NAME [workload options] [--rounds N] [--warmup N]\n"
             "                      [--until-stopped] [--preset small]\n"
             "                      [--json | --csv] [--store FILE]\n"
             "                      [--timeserver ADDR:PORT --key-file F]",
    .help = workload_help,
};
