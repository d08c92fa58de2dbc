/* Source: another host's appliance seen from that host (issue 17): the
 * processes under the agents that carry its tag (core/proc_tag.h), their
 * CPU time as one process's. A sample with no such agent is a target gone
 * for now. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/proc_tag.h"
#include "profiler/series.h"

static int tag_sample(struct vp_prof_target *t, uint64_t now_ns)
{
    double user, sys;
    int agents;
    if (vp_proc_tag_cpu(t->state, &user, &sys, &agents) < 0)
        return -ENOMEM;
    if (agents == 0)
        return -ENOENT;
    if (!vp_prof_put(t, VP_FAM_PROC_CPU, "", "cpu.user", "mode=\"user\"", user, now_ns) ||
        !vp_prof_put(t, VP_FAM_PROC_CPU, "", "cpu.system", "mode=\"system\"", sys, now_ns) ||
        !vp_prof_put(t, VP_FAM_PROC_USAGE, "", "cpu.total", "", user + sys, now_ns))
        return -ENOMEM;
    return 0;
}

static const struct vp_prof_source tag_source = {"tag", tag_sample, free};

int vp_prof_tag_new(struct vp_prof_target *t, const char *tag, struct vp_err *err)
{
    t->state = strdup(tag);
    if (t->state == NULL)
        return vp_run_error(err, ENOMEM, "profiler");
    t->src = &tag_source;
    return 0;
}
