/* The servers appliances can run and the load drivers that drive them,
 * each a virtperf command whose own option table checks the file's
 * options. */
#include <string.h>

#include "cmd/cmd.h"
#include "experiment/experiment.h"

const char *const vp_exp_role_names[] = {"workload", "sip-server", "media-server", NULL};

/* Options whose values the runner chooses: addresses, output, files. */
static const char *const sip_uas_reserved[] = {"listen", NULL};
static const char *const media_reserved[] = {"listen", "json", "duration", "peer", NULL};
static const char *const sip_uac_reserved[] = {"target", "interval-csv", NULL};
static const char *const sip_capacity_reserved[] = {"target", NULL};
static const char *const rtp_reserved[] = {"server", "interval-csv", "token", NULL};

const struct vp_exp_program vp_exp_roles[VP_ROLE_COUNT] = {
    [VP_ROLE_SIP_SERVER] = {"sip-server", "sip-uas", &vp_sip_uas_options, NULL, NULL,
                            sip_uas_reserved, false},
    [VP_ROLE_MEDIA_SERVER] = {"media-server", "media-server", &vp_media_server_options, NULL, NULL,
                              media_reserved, false},
};

const struct vp_exp_program vp_exp_drivers[] = {
    {"sip-uac", "sip-uac", &vp_sip_uac_options, "sip-server", "target", sip_uac_reserved, true},
    /* a search has no duration to cut short: never background */
    {"sip-capacity", "sip-capacity", &vp_sip_capacity_options, "sip-server", "target",
     sip_capacity_reserved, false},
    {"rtp", "rtp-client", &vp_rtp_client_options, "media-server", "server", rtp_reserved, true},
    {NULL, NULL, NULL, NULL, NULL, NULL, false},
};

const struct vp_exp_program *vp_exp_driver_find(const char *name)
{
    for (int i = 0; vp_exp_drivers[i].name; i++)
        if (strcmp(vp_exp_drivers[i].name, name) == 0)
            return &vp_exp_drivers[i];
    return NULL;
}

bool vp_exp_reserved(const struct vp_exp_program *p, const char *key)
{
    for (int i = 0; p->reserved && p->reserved[i]; i++)
        if (strcmp(p->reserved[i], key) == 0)
            return true;
    return false;
}
