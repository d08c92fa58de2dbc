/* virtperf agent --stdio: the agent of this host for a runner on another
 * one, over an SSH channel (guest/ssh.h): the VM guest's agent (guest/
 * agent.h), one session on stdin and stdout, in the full virtperf — so
 * every command of virtperf's, not only the servers a guest carries, can
 * run here for that runner, and appliances of this host's platforms are
 * made here for it (guest/agent_keeper.c; `--connect @NAME` reaches one). */
#include <string.h>

#include "cmd/cmd.h"
#include "guest/agent.h"

static int agent_main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--connect") == 0)
        return vp_agent_splice(argv[2]);
    agent_keeper = agent_appliance; /* this host's platforms are at hand */
    return vp_guest_agent_main(argc, argv);
}

const struct vp_command vp_cmd_agent = {
    .name = "agent",
    .run = agent_main,
    .summary = "serve a runner on another host over SSH (--stdio: one session on stdin/stdout)",
    .usage = "virtperf agent --stdio [--tag TAG] | --connect SOCKET",
};
