/* virtperf: the dispatch table over the library. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/signals.h"
#include "vp_config.h"

/* Every command, in the order `virtperf help` lists them. */
// clang-format off
static const struct vp_command *const commands[] = {
    &vp_cmd_workload,
    &vp_cmd_results,
    &vp_cmd_compare,
    &vp_cmd_report,
    &vp_cmd_demo,
    &vp_cmd_run,
    &vp_cmd_model,
    &vp_cmd_cleanup,
    &vp_cmd_timeserver,
    &vp_cmd_mark,
    &vp_cmd_timing,
    &vp_cmd_profile,
    &vp_cmd_sip_uac,
    &vp_cmd_sip_uas,
    &vp_cmd_sip_capacity,
    &vp_cmd_rtp_client,
    &vp_cmd_media_server,
    &vp_cmd_udp_gen,
    &vp_cmd_udp_sink,
    &vp_cmd_router,
    &vp_cmd_tcp_gen,
    &vp_cmd_tcp_sink,
    &vp_cmd_router_node,
    &vp_cmd_serve,
    &vp_cmd_agent,
    &vp_cmd_guest_exec,
};
// clang-format on

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct vp_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static void print_overview(FILE *f)
{
    fprintf(f,
            "virtperf %s — how applications behave when consolidated on virtualized "
            "platforms\n\nusage: virtperf <command> [options]\n\ncommands:\n",
            VP_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!commands[i]->hidden)
            fprintf(f, "  %-13s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "  %-13s %s\n", "help", "help [COMMAND]: this list, or one command's options");
    fputs("\nexit status: 0 ok, 1 failed run or verification, 2 usage or input error\n", f);
}

static int help(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stdout);
        return VP_EXIT_OK;
    }
    const struct vp_command *c = find_command(argv[1]);
    if (c == NULL) {
        fprintf(stderr, "virtperf: help: unknown command \"%s\"\n", argv[1]);
        return VP_EXIT_USAGE;
    }
    printf("usage: %s\n\n%s\n", c->usage, c->summary);
    if (c->help) {
        putchar('\n');
        c->help(stdout);
    }
    return VP_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return VP_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("virtperf %s\n", VP_VERSION);
        return VP_EXIT_OK;
    }
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return help(argc - 1, argv + 1);
    const struct vp_command *c = find_command(name);
    if (c == NULL) {
        fprintf(stderr, "virtperf: unknown command \"%s\" (see `virtperf help`)\n", name);
        return VP_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            char *args[] = {"help", (char *)name};
            return help(2, args);
        }
    }
    vp_signals_install();
    return c->run(argc - 1, argv + 1);
}
