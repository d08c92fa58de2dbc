/* The usage request (issue 17): the CPU time of the agents that carry a
 * tag (`agent --stdio --tag TAG`: the sessions a runner opened for one
 * appliance of another host) and of everything running under them
 * (core/proc_tag.h). */
#include "core/proc_tag.h"
#include "guest/agent.h"

int agent_usage(struct agent_session *s, const json_t *req)
{
    struct vp_err err = {0};
    const char *tag = vp_proto_str(req, "tag");
    double user, sys;
    int agents;
    if (tag == NULL || tag[0] == '\0') {
        vp_input_error(&err, "usage: a tag is needed");
        return agent_send(s, vp_proto_error(&err));
    }
    if (vp_proc_tag_cpu(tag, &user, &sys, &agents) < 0) {
        vp_run_error(&err, 0, "usage: out of memory");
        return agent_send(s, vp_proto_error(&err));
    }
    return agent_send(s, json_pack("{s:s, s:I, s:I, s:i}", "ev", "usage", "cpu_user_ns",
                                   (json_int_t)(user * 1e9), "cpu_system_ns",
                                   (json_int_t)(sys * 1e9), "agents", agents));
}
