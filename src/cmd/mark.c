/* virtperf mark start|end|token: one round mark from a shell script, the
 * papers' probe packet (timing/sender.h). */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/doc.h"
#include "core/json.h"
#include "timing/sender.h"

struct mark_opts {
    char run[VP_STR_MAX];
    char appliance[VP_STR_MAX];
    int64_t round;
    char timeserver[VP_STR_MAX];
    char key_file[VP_STR_MAX];
    uint64_t timeout;
    bool json;
};

static const struct vp_opt mark_opt_table[] = {
    {"run", VP_OPT_STRING, offsetof(struct mark_opts, run), NULL, 0, 0, NULL,
     "run token: 16 hex digits (make one with `virtperf mark token`)", false},
    {"appliance", VP_OPT_STRING, offsetof(struct mark_opts, appliance), NULL, 0, 0, NULL,
     "appliance name, 1 to 31 bytes", false},
    {"round", VP_OPT_INT, offsetof(struct mark_opts, round), "0", 0, 1e9, NULL, "round index",
     false},
    {"timeserver", VP_OPT_STRING, offsetof(struct mark_opts, timeserver), NULL, 0, 0, NULL,
     "ADDR:PORT of the time server", false},
    {"key-file", VP_OPT_PATH, offsetof(struct mark_opts, key_file), NULL, 0, 0, NULL,
     "the run key: 32 raw bytes or 64 hex digits, mode 600", false},
    {"timeout", VP_OPT_DURATION, offsetof(struct mark_opts, timeout), "5s", 1e6, 1e13, NULL,
     "give up when the server has not acknowledged after this long", false},
    {"json", VP_OPT_BOOL, offsetof(struct mark_opts, json), NULL, 0, 0, NULL,
     "print JSON (sections start, rounds (none), end with the acknowledgement, error)", false},
    VP_OPT_END,
};

static int send_mark(int argc, char **argv)
{
    struct mark_opts o = {0};
    struct vp_err err = {0};
    struct vp_doc doc;
    struct vp_mark_client *c = NULL;
    struct vp_optset sets[] = {{mark_opt_table, &o}};
    char *pos[1];
    int npos, rc;
    struct vp_mark_ack ack = {0};
    int kind = vp_probe_kind_parse(argv[0]);
    struct vp_mark_client_cfg cfg = {0};
    vp_doc_init(&doc, VP_DOC_ROUNDS, argc, argv);
    if ((rc = vp_opt_defaults(mark_opt_table, &o, &err)) < 0 ||
        (rc = vp_opt_parse_argv(sets, 1, argc - 1, argv + 1, pos, 0, &npos, &err)) < 0)
        goto out;
    const char *missing = !o.run[0]          ? "--run"
                          : !o.appliance[0]  ? "--appliance"
                          : !o.timeserver[0] ? "--timeserver"
                          : !o.key_file[0]   ? "--key-file"
                                             : NULL;
    if (missing) {
        rc = vp_input_error(&err, "mark %s: %s is required", argv[0], missing);
        goto out;
    }
    if (strlen(o.run) != 16 || vp_probe_token_parse(o.run, &cfg.token) < 0) {
        rc = vp_input_error(&err, "--run \"%s\": expected a token of 16 hex digits", o.run);
        goto out;
    }
    cfg.server = o.timeserver;
    cfg.appliance = o.appliance;
    cfg.timeout_ns = o.timeout;
    if ((rc = vp_probe_key_load(o.key_file, &cfg.key, &err)) < 0 ||
        (rc = vp_mark_client_open(&cfg, &c, &err)) < 0 ||
        (rc = vp_mark_send(c, kind, (uint32_t)o.round, &ack, &err)) < 0)
        goto out;
    if (o.json) {
        struct vp_json *j = vp_doc_start(&doc, stdout, false);
        vp_json_string(j, "kind", argv[0]);
        vp_json_string(j, "run", o.run);
        vp_json_string(j, "appliance", o.appliance);
        vp_json_int(j, "round", o.round);
        vp_json_string(j, "timeserver", o.timeserver);
        j = vp_doc_end(&doc);
        vp_json_int(j, "server_ns", (int64_t)ack.server_ns);
        vp_json_int(j, "copies", ack.copies);
        vp_json_int(j, "stamped_copy", ack.stamped_copy);
        vp_doc_close(&doc, NULL);
    } else {
        printf("%s %s %s round %lld: server_ns %llu (%d cop%s sent)\n", argv[0], o.run, o.appliance,
               (long long)o.round, (unsigned long long)ack.server_ns, ack.copies,
               ack.copies == 1 ? "y" : "ies");
    }
out:
    vp_mark_client_close(c);
    return rc < 0 ? vp_doc_fail(&doc, o.json, &err) : VP_EXIT_OK;
}

static int new_token(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "virtperf: mark token takes no options\n");
        return VP_EXIT_USAGE;
    }
    char hex[17];
    vp_probe_token_format(vp_probe_new_token(), hex);
    printf("%s\n", hex);
    return VP_EXIT_OK;
}

static int mark_main(int argc, char **argv)
{
    static const struct vp_subcommand subs[] = {
        {"start", send_mark}, {"end", send_mark}, {"token", new_token}, {NULL, NULL}};
    return vp_run_subcommand(subs, argc, argv);
}

static void mark_help(FILE *f)
{
    fputs("Sends one start or end mark to a time server and waits for its acknowledgement,\n"
          "retransmitting with backoff (the server counts a retransmitted mark once, and\n"
          "refuses a second `mark end` for the same round as a replay). Wrap any benchmark:\n"
          "  tok=$(virtperf mark token)\n"
          "  virtperf mark start --run $tok --appliance vm1 --round 0 --timeserver H:P "
          "--key-file K\n"
          "  make -j2 ...\n"
          "  virtperf mark end   --run $tok --appliance vm1 --round 0 --timeserver H:P "
          "--key-file K\n"
          "then `virtperf timing show $tok` where the server's store is.\n\nOptions:\n",
          f);
    vp_opt_print_help(f, mark_opt_table);
}

const struct vp_command vp_cmd_mark = {
    .name = "mark",
    .run = mark_main,
    .summary = "send one round mark (start or end) to a time server",
    .usage = "virtperf mark start|end --run TOKEN --appliance A --round N\n"
             "                        --timeserver ADDR:PORT --key-file F [--json]\n"
             "virtperf mark token",
    .help = mark_help,
};
