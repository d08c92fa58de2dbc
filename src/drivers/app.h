/* The user's own application as an appliance (role app): any command, with
 * a readiness check and a stop signal, standing in for one of virtperf's
 * servers so that the loads that drive that server drive it (Kamailio for
 * the sip-server, say). Its fields are checked like a server's options. */
#ifndef VP_DRIVERS_APP_H
#define VP_DRIVERS_APP_H

#include <stdint.h>

#include "drivers/server.h"

enum vp_app_ready {
    VP_APP_READY_AUTO, /* sip for a sip-server, tcp for a tcp-sink */
    VP_APP_READY_TCP,  /* a TCP connection to the port is accepted */
    VP_APP_READY_SIP,  /* an OPTIONS request over UDP gets a SIP response */
    VP_APP_READY_LOG,  /* a line holding ready-text on its stdout or stderr */
};

struct vp_app_opts {
    char command[VP_STR_MAX]; /* words; {address}, {port} and {dir} replaced */
    int serves;               /* index into vp_app_serves */
    int64_t port;             /* 0: a free port chosen at run time */
    int ready;                /* enum vp_app_ready */
    char ready_text[VP_STR_MAX];
    uint64_t ready_timeout; /* ns */
    int stop_signal;        /* index into vp_app_signals */
};
extern const struct vp_opt vp_app_opt_table[];
/* The roles an app may stand in for ("sip-server", ...), and the signals it
 * may be stopped with ("TERM", "INT": what every platform passes on). */
extern const char *const vp_app_serves[];
extern const char *const vp_app_signals[];
int vp_app_signal(const struct vp_app_opts *o);

/* The app's ready method, AUTO resolved; VP_APP_READY_AUTO when the role it
 * serves has no automatic one (a UDP server without a log line to wait for). */
enum vp_app_ready vp_app_ready_method(const struct vp_app_opts *o);

/* command split into words (at most max - 1, NULL-terminated, in buf) with
 * {address}, {port} and {dir} replaced: an input error when it is empty,
 * too long, or names another {...}. */
int vp_app_argv(const struct vp_app_opts *o, const char *address, int port, const char *dir,
                char *buf, size_t len, char **argv, int max, struct vp_err *err);

extern const struct vp_server vp_server_app;

#endif
