/* What each role of appliance runs, and the options of such a server or of
 * a load driver that the runner sets, not the file. */
#include <string.h>

#include "drivers/media_server.h"
#include "drivers/sip_uas.h"
#include "drivers/udp_sink.h"
#include "drivers/tcp_sink.h"
#include "experiment/experiment.h"
#include "platform/privs.h"

const char *const vp_exp_role_names[] = {"workload", "sip-server", "media-server",
                                         "udp-sink", "tcp-sink",   NULL};

const struct vp_server *const vp_exp_roles[VP_ROLE_COUNT] = {
    [VP_ROLE_SIP_SERVER] = &vp_server_sip_uas,
    [VP_ROLE_MEDIA_SERVER] = &vp_server_media,
    [VP_ROLE_UDP_SINK] = &vp_server_udp_sink,
    [VP_ROLE_TCP_SINK] = &vp_server_tcp_sink,
};

bool vp_exp_reserved(const char *const *reserved, const char *key)
{
    for (int i = 0; reserved && reserved[i]; i++)
        if (strcmp(reserved[i], key) == 0)
            return true;
    return false;
}

int vp_exp_check_user(const struct vp_exp_fields *f, struct vp_err *err)
{
    uid_t uid;
    gid_t gid;
    if (f->user[0] == '\0')
        return 0;
    /* a workload writes the store and the journal as virtperf does */
    if (f->role == VP_ROLE_WORKLOAD)
        return vp_input_error(err, "user \"%s\": only servers run as another user, not a workload",
                              f->user);
    return vp_user_lookup(f->user, &uid, &gid, err);
}
