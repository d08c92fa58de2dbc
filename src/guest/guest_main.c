/* virtperf-guest: the static binary a VM appliance's initramfs carries.
 * `agent` serves the host (guest/agent.h); the workloads run inside it. */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "guest/agent.h"
#include "vp_config.h"

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "agent") == 0)
        return vp_guest_agent_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("virtperf-guest %s (protocol %d)\n", VP_VERSION, VP_PROTO_VERSION);
        return VP_EXIT_OK;
    }
    fprintf(stderr, "usage: virtperf-guest agent | --version\n");
    return VP_EXIT_USAGE;
}
