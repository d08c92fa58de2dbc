/* virtperf-guest: the program a VM appliance's initramfs carries.
 * `agent` serves the host (guest/agent.h) and runs the workloads inside it
 * (`agent --stdio`: one session on stdin and stdout, for a runner on
 * another host over SSH, guest/ssh.h); the servers a VM appliance can run
 * are virtperf's own commands, so that `/proc/self/exe sip-uas ...` means
 * in the guest what it means on the host. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/error.h"
#include "core/signals.h"
#include "guest/agent.h"
#include "vp_config.h"

static const struct vp_command *const servers[] = {
    &vp_cmd_sip_uas, &vp_cmd_media_server, &vp_cmd_udp_sink, &vp_cmd_tcp_sink, &vp_cmd_router_node};

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "agent") == 0)
        return vp_guest_agent_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("virtperf-guest %s (protocol %d)\n", VP_VERSION, VP_PROTO_VERSION);
        return VP_EXIT_OK;
    }
    for (size_t i = 0; argc >= 2 && i < sizeof servers / sizeof servers[0]; i++) {
        if (strcmp(argv[1], servers[i]->name) == 0) {
            vp_signals_install();
            return servers[i]->run(argc - 1, argv + 1);
        }
    }
    fprintf(
        stderr,
        "usage: virtperf-guest agent [--stdio] | sip-uas ... | media-server ... | udp-sink ... | "
        "tcp-sink ... | router-node ... | --version\n");
    return VP_EXIT_USAGE;
}
