/* Commands: one file each, one const descriptor each; the table that lists
 * them is in main.c. */
#ifndef VP_CMD_CMD_H
#define VP_CMD_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "core/doc.h"
#include "core/opt.h"
#include "store/store.h"

struct vp_command {
    const char *name;
    /* argv[0] is the command's own name. Returns an exit status (enum vp_exit). */
    int (*run)(int argc, char **argv);
    const char *summary;     /* one line for `virtperf help` */
    const char *usage;       /* synopsis lines */
    void (*help)(FILE *out); /* details and options; optional */
    bool hidden;             /* internal (the vm platform's): not listed by `help` */
};

extern const struct vp_command vp_cmd_workload;
extern const struct vp_command vp_cmd_results;
extern const struct vp_command vp_cmd_compare;
extern const struct vp_command vp_cmd_report;
extern const struct vp_command vp_cmd_demo;
extern const struct vp_command vp_cmd_rtp_client;
extern const struct vp_command vp_cmd_media_server;
extern const struct vp_command vp_cmd_run;
extern const struct vp_command vp_cmd_model;
extern const struct vp_command vp_cmd_cleanup;
extern const struct vp_command vp_cmd_sip_uac;
extern const struct vp_command vp_cmd_sip_uas;
extern const struct vp_command vp_cmd_sip_capacity;
extern const struct vp_command vp_cmd_profile;
extern const struct vp_command vp_cmd_timeserver;
extern const struct vp_command vp_cmd_mark;
extern const struct vp_command vp_cmd_timing;
extern const struct vp_command vp_cmd_guest_exec;
extern const struct vp_command vp_cmd_udp_gen;
extern const struct vp_command vp_cmd_udp_sink;
extern const struct vp_command vp_cmd_router;
extern const struct vp_command vp_cmd_tcp_gen;
extern const struct vp_command vp_cmd_tcp_sink;
extern const struct vp_command vp_cmd_router_node;
extern const struct vp_command vp_cmd_serve;
extern const struct vp_command vp_cmd_agent;

/* A command made of subcommands ("workload list", "results show"). */
struct vp_subcommand {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
};

/* Run the subcommand named by argv[1] of command argv[0]; a missing or unknown
 * one is a usage error that lists the choices. subs ends with a NULL name. */
int vp_run_subcommand(const struct vp_subcommand *subs, int argc, char **argv);

/* Options every reporting command takes: --json, --csv (the document's rows
 * as CSV: core/doc.h) and --store. A command whose rows do not make a CSV
 * (lists, nested per-point figures) takes the table without --csv, one
 * without a store (servers, lists) the table of --json alone. */
struct vp_output_opts {
    bool json;
    bool csv;
    char store[VP_STR_MAX]; /* empty: the default store */
};
extern const struct vp_opt vp_output_opt_table[];
extern const struct vp_opt vp_output_json_opt_table[];
extern const struct vp_opt vp_output_json_only_opt_table[];

/* Open the store named by the options, or the default one. */
int vp_output_open_store(const struct vp_output_opts *o, struct vp_store **st, struct vp_err *err);

/* Load run id from the store and print it as the options ask (table, or
 * the document d as JSON or CSV). */
int vp_show_run(const struct vp_output_opts *o, struct vp_doc *d, struct vp_store *st,
                int64_t run_id, struct vp_err *err);

#endif
