#include "platform/privs.h"

#include <cap-ng.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

/* libcap-ng's state: ex->caps (those this kernel knows) in the sets given,
 * nothing else. */
static int keep_only(const struct vp_exec *ex, capng_type_t sets)
{
    capng_clear(CAPNG_SELECT_ALL);
    for (unsigned c = 0; c < 64 && c <= CAP_LAST_CAP; c++)
        if ((ex->caps >> c & 1) && capng_update(CAPNG_ADD, sets, c) < 0)
            return -EINVAL;
    return 0;
}

int vp_privs_drop(const struct vp_exec *ex)
{
    if (ex->caps == VP_EXEC_ALL_CAPS && !ex->user)
        return 0; /* what builds a test bed of its own keeps what the runner has */
    /* as root even the same user: its supplementary groups go */
    bool other = ex->user && (geteuid() == 0 || ex->uid != geteuid() || ex->gid != getegid());
    /* a process run as another user keeps its capabilities across exec as
     * ambient ones; root gets its permitted set back from the bounding one */
    bool ambient = ex->user && ex->uid != 0 && ex->caps;
    capng_type_t sets = CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE | CAPNG_BOUNDING_SET |
                        (ambient ? CAPNG_AMBIENT : 0);
    if (capng_get_caps_process() < 0)
        return -EPERM;
    bool setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
    if (keep_only(ex, sets) < 0)
        return -EINVAL;
    /* the bounding set first: dropping from it takes CAP_SETPCAP (without
     * it, no_new_privs below keeps an exec from regaining what goes here) */
    if (setpcap && capng_apply(CAPNG_SELECT_BOUNDS) < 0)
        return -EPERM;
    if (other ? capng_change_id((int)ex->uid, (int)ex->gid, CAPNG_DROP_SUPP_GRP) < 0
              : capng_apply(CAPNG_SELECT_CAPS) < 0)
        return -EPERM;
    if (ambient && capng_apply(CAPNG_SELECT_AMBIENT) < 0)
        return -EPERM;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    return 0;
}

int vp_user_lookup(const char *name, uid_t *uid, gid_t *gid, struct vp_err *err)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(name, &end, 10);
    bool number = name[0] >= '0' && name[0] <= '9' && *end == '\0' && errno == 0 &&
                  n < (unsigned long)INT_MAX;
    struct passwd pw, *found = NULL;
    char buf[4096];
    int rc = number ? getpwuid_r((uid_t)n, &pw, buf, sizeof buf, &found)
                    : getpwnam_r(name, &pw, buf, sizeof buf, &found);
    if (found) {
        *uid = pw.pw_uid;
        *gid = pw.pw_gid;
        return 0;
    }
    if (number) {
        *uid = (uid_t)n;
        *gid = (gid_t)n;
        return 0;
    }
    if (rc != 0 && rc != ENOENT && rc != ESRCH)
        return vp_run_error(err, rc, "user \"%s\"", name);
    return vp_input_error(err, "user \"%s\": no such user", name);
}
