/* Command lines, and the relay's: see relay.h. */
#include "platform/relay.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/path.h"

bool vp_argv_add(struct vp_argv *c, const char *fmt, ...)
{
    va_list ap;
    size_t used =
        c->argc ? (size_t)(c->argv[c->argc - 1] - c->buf) + strlen(c->argv[c->argc - 1]) + 1 : 0;
    if (c->argc + 1 >= (int)(sizeof c->argv / sizeof c->argv[0]))
        return false;
    va_start(ap, fmt);
    int n = vsnprintf(c->buf + used, sizeof c->buf - used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof c->buf - used)
        return false;
    c->argv[c->argc++] = c->buf + used;
    c->argv[c->argc] = NULL;
    return true;
}

int vp_relay_argv(char *const *argv, const char *sock, struct vp_argv *out, struct vp_err *err)
{
    const char *self = vp_path_self(); /* the host side is virtperf itself */
    bool ours = strcmp(argv[0], "/proc/self/exe") == 0;
    bool workload = ours && argv[1] && strcmp(argv[1], "workload") == 0 && argv[2] &&
                    strcmp(argv[2], "run") == 0;
    bool ok = true;
    out->argc = 0;
    /* a session of virtperf's agent (another host's runner through this
     * host's keeper: guest/agent_keeper.c): the agent's own session there */
    if (ours && argv[1] && strcmp(argv[1], "agent") == 0) {
        ok = vp_argv_add(out, "%s", self) && vp_argv_add(out, "agent") &&
             vp_argv_add(out, "--connect") && vp_argv_add(out, "%s", sock);
        return ok ? 0 : vp_input_error(err, "%s: socket path too long", sock);
    }
    if (!workload)
        ok = vp_argv_add(out, "%s", self) && vp_argv_add(out, "guest-exec") &&
             vp_argv_add(out, "--agent") && vp_argv_add(out, "%s", sock) && vp_argv_add(out, "--");
    for (int i = 0; ok && argv[i]; i++) /* a workload's host side: self, as named above */
        ok = vp_argv_add(out, "%s", i == 0 && workload ? self : argv[i]);
    if (ok && workload)
        ok = vp_argv_add(out, "--guest-agent") && vp_argv_add(out, "%s", sock);
    return ok ? 0 : vp_input_error(err, "%s: command line too long for the agent", argv[0]);
}
