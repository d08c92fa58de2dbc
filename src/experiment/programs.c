/* What each role of appliance runs, and the options of such a server or of
 * a load driver that the runner sets, not the file. */
#include <string.h>

#include "drivers/app.h"
#include "drivers/media_server.h"
#include "drivers/sip_uas.h"
#include "drivers/udp_sink.h"
#include "drivers/tcp_sink.h"
#include "experiment/experiment.h"
#include "platform/privs.h"

const char *const vp_exp_role_names[] = {
    "workload", "sip-server", "media-server", "udp-sink", "tcp-sink", "app", NULL};

const struct vp_server *const vp_exp_roles[VP_ROLE_COUNT] = {
    [VP_ROLE_SIP_SERVER] = &vp_server_sip_uas,
    [VP_ROLE_MEDIA_SERVER] = &vp_server_media,
    [VP_ROLE_UDP_SINK] = &vp_server_udp_sink,
    [VP_ROLE_TCP_SINK] = &vp_server_tcp_sink,
    [VP_ROLE_APP] = &vp_server_app,
};

int vp_exp_app_opts(const struct vp_exp_app *a, struct vp_app_opts *o, struct vp_err *err)
{
    int rc = vp_opt_defaults(vp_app_opt_table, o, err);
    for (int i = 0; rc == 0 && i < a->nopts; i++)
        rc = vp_opt_set(vp_app_opt_table, o, a->opts[i].key, a->opts[i].value, err);
    return rc;
}

int vp_exp_app_resolve(struct vp_exp_app *a, struct vp_err *err)
{
    struct vp_app_opts o;
    char buf[2 * VP_STR_MAX], *argv[64];
    a->serves = a->server;
    if (a->server != &vp_server_app)
        return 0;
    int rc = vp_exp_app_opts(a, &o, err);
    if (rc < 0)
        return rc;
    if ((rc = vp_app_argv(&o, "ADDRESS", 1, "DIR", buf, sizeof buf, argv, 64, err)) < 0)
        return rc;
    enum vp_app_ready ready = vp_app_ready_method(&o);
    if (ready == VP_APP_READY_AUTO)
        return vp_input_error(err,
                              "ready: a %s has no automatic readiness check: give ready: log "
                              "and its ready-text",
                              vp_app_serves[o.serves]);
    if (ready == VP_APP_READY_LOG && o.ready_text[0] == '\0')
        return vp_input_error(err, "ready: log needs the ready-text to wait for");
    for (int r = 0; r < VP_ROLE_COUNT; r++)
        if (vp_exp_roles[r] && strcmp(vp_exp_roles[r]->name, vp_app_serves[o.serves]) == 0)
            a->serves = vp_exp_roles[r];
    return 0;
}

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
