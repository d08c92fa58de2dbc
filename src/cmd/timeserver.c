/* virtperf timeserver: the external time server (timing/server.h) on its
 * own, as on the separate machine of seeds 003 and 004. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/doc.h"
#include "core/json.h"
#include "core/signals.h"
#include "timing/server.h"

struct ts_opts {
    char listen[VP_STR_MAX];
    char key_file[VP_STR_MAX];
    char store[VP_STR_MAX];
    uint64_t duration, window;
    int64_t drop_acks, drop_marks;
    bool json;
};

static const struct vp_opt ts_opt_table[] = {
    {"listen", VP_OPT_STRING, offsetof(struct ts_opts, listen), "127.0.0.1:7807", 0, 0, NULL,
     "ADDR:PORT to receive marks on (port 0: any free port, printed on stderr)", false},
    {"key-file", VP_OPT_PATH, offsetof(struct ts_opts, key_file), NULL, 0, 0, NULL,
     "the run key: 32 raw bytes or 64 hex digits, mode 600 (required, unless "
     "$VIRTPERF_TIME_KEY holds the 64 digits)",
     false},
    {"store", VP_OPT_OUTPUT, offsetof(struct ts_opts, store), NULL, 0, 0, NULL,
     "record accepted marks in this results store (table timing_marks) [default $VIRTPERF_STORE "
     "or ~/.local/share/virtperf/results.db]",
     false},
    {"duration", VP_OPT_DURATION, offsetof(struct ts_opts, duration), "0", 0, 0, NULL,
     "serve this long; 0 until SIGINT or SIGTERM", false},
    {"window", VP_OPT_DURATION, offsetof(struct ts_opts, window), "1h", 1e9, 1e15, NULL,
     "refuse marks whose sender clock reading is further than this from the server's", false},
    {"json", VP_OPT_BOOL, offsetof(struct ts_opts, json), NULL, 0, 0, NULL,
     "print JSON on exit (sections start, rounds (none), end with the counters, error)", false},
    {"drop-acks", VP_OPT_INT, offsetof(struct ts_opts, drop_acks), "0", 0, 1000000, NULL,
     "test hook: do not send the first N acknowledgements", true},
    {"drop-marks", VP_OPT_INT, offsetof(struct ts_opts, drop_marks), "0", 0, 1000000, NULL,
     "test hook: ignore the first N valid marks, as if lost on the way", true},
    VP_OPT_END,
};

/* The counters: the document's end (a server has no rounds of its own). */
static void print_doc(struct vp_doc *d, const struct vp_timeserver_counters *c, const char *address,
                      const char *error)
{
    struct vp_json *j = vp_doc_start(d, stdout, false);
    vp_json_string(j, "address", address);
    j = vp_doc_end(d);
    vp_json_int(j, "received", (int64_t)c->received);
    vp_json_int(j, "accepted", (int64_t)c->accepted);
    vp_json_int(j, "duplicates", (int64_t)c->duplicates);
    vp_json_int(j, "acks_sent", (int64_t)c->acks_sent);
    vp_json_int(j, "acks_dropped", (int64_t)c->acks_dropped);
    vp_json_int(j, "marks_dropped", (int64_t)c->marks_dropped);
    vp_json_int(j, "truncated", (int64_t)c->truncated);
    vp_json_int(j, "malformed", (int64_t)c->malformed);
    vp_json_int(j, "bad_version", (int64_t)c->bad_version);
    vp_json_int(j, "bad_hmac", (int64_t)c->bad_hmac);
    vp_json_int(j, "replayed", (int64_t)c->replayed);
    vp_json_int(j, "out_of_window", (int64_t)c->out_of_window);
    vp_json_int(j, "no_room", (int64_t)c->no_room);
    vp_json_int(j, "no_kernel_ts", (int64_t)c->no_kernel_ts);
    vp_json_int(j, "store_errors", (int64_t)c->store_errors);
    vp_doc_close(d, error);
}

static int timeserver_main(int argc, char **argv)
{
    struct ts_opts o = {0};
    struct vp_err err = {0};
    struct vp_doc doc;
    struct vp_timeserver *ts = NULL;
    struct vp_optset sets[] = {{ts_opt_table, &o}};
    char *pos[1];
    int npos, rc;
    char store[4096];
    vp_doc_init(&doc, VP_DOC_ROUNDS, argc, argv);
    if ((rc = vp_opt_defaults(ts_opt_table, &o, &err)) < 0 ||
        (rc = vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, pos, 0, &npos, &err)) < 0)
        goto out;
    /* the key from the environment: a time host's server, started by a
     * runner on another machine, gets it through the agent's channel */
    const char *env_key = getenv("VIRTPERF_TIME_KEY");
    if (o.key_file[0] == 0 && (env_key == NULL || env_key[0] == '\0')) {
        rc = vp_input_error(&err, "timeserver: --key-file is required");
        goto out;
    }
    struct vp_timeserver_cfg cfg = {.listen = o.listen,
                                    .store_path = store,
                                    .window_ns = o.window,
                                    .drop_acks = (int)o.drop_acks,
                                    .drop_marks = (int)o.drop_marks};
    if (o.store[0])
        snprintf(store, sizeof store, "%s", o.store);
    else
        vp_store_default_path(store, sizeof store);
    if (o.key_file[0])
        rc = vp_probe_key_load(o.key_file, &cfg.key, &err);
    else if (!vp_probe_key_parse((const uint8_t *)env_key, strlen(env_key), &cfg.key))
        rc = vp_input_error(&err, "timeserver: $VIRTPERF_TIME_KEY: want 64 hex digits");
    if (rc < 0 || (rc = vp_timeserver_open(&cfg, &ts, &err)) < 0)
        goto out;
    fprintf(stderr, "timeserver: listening on %s\n", vp_timeserver_address(ts));
    fflush(stderr);
    rc = vp_timeserver_serve(ts, o.duration, &err);
    struct vp_timeserver_counters c;
    vp_timeserver_counters(ts, &c);
    if (o.json)
        print_doc(&doc, &c, vp_timeserver_address(ts), rc < 0 ? err.msg : NULL);
    else
        vp_timeserver_print_counters(stdout, &c);
    fflush(stdout);
out:
    vp_timeserver_close(ts);
    return rc < 0 ? vp_doc_fail(&doc, o.json, &err) : VP_EXIT_OK;
}

static void timeserver_help(FILE *f)
{
    fputs("Receives round marks (virtperf mark, or workload run --timeserver), stamps them\n"
          "with the kernel's receive time on this host's clock, acknowledges them and\n"
          "records first arrivals. Refused marks are counted, never recorded. Prints the\n"
          "counters on exit.\n\nOptions:\n",
          f);
    vp_opt_print_help(f, ts_opt_table);
}

const struct vp_command vp_cmd_timeserver = {
    .name = "timeserver",
    .run = timeserver_main,
    .summary = "an external time server that stamps and records round marks",
    .usage = "virtperf timeserver --key-file F [--listen ADDR:PORT] [--store FILE]\n"
             "                    [--duration T] [--window T] [--json]",
    .help = timeserver_help,
};
