/* The servers appliances run (the roles sip-server and media-server), each
 * a virtperf command described by one const struct vp_server in its own
 * file here, next to its option table, which the command and experiment
 * files share. The load drivers that drive them are in driver.h; which
 * role runs which server is experiment/programs.c's table. These files are
 * also built into the guest agent: they use core/ only. */
#ifndef VP_DRIVERS_SERVER_H
#define VP_DRIVERS_SERVER_H

#include "core/opt.h"

struct vp_server {
    const char *name;            /* the role, as written in experiment files: "sip-server" */
    const char *command;         /* the virtperf command: "sip-uas" */
    struct vp_opt_table options; /* the command's own */
    const char *const *reserved; /* options the runner sets (refused in files) */
};

#endif
