/* The run's SSH configuration for its hosts: see ssh_hosts.h. */
#include "run/ssh_hosts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/workdir.h"

/* Which configuration the user's ssh would read: $VIRTPERF_SSH_CONFIG, or
 * ~/.ssh/config when there is one (NULL: none). */
static const char *users_config(char *buf, size_t len)
{
    const char *env = getenv("VIRTPERF_SSH_CONFIG"), *home = getenv("HOME");
    if (env && env[0])
        return env;
    if (home == NULL)
        return NULL;
    snprintf(buf, len, "%s/.ssh/config", home);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

static int write_config(const struct vp_experiment *e, const char *path, const char *include)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -errno;
    fprintf(f, "# virtperf: the hosts of %s\n", e->path);
    for (int i = 0; i < e->nhosts; i++) {
        const struct vp_exp_host *h = &e->hosts[i];
        fprintf(f, "Host %s\n    HostName %s\n", h->name, h->address);
        if (h->user[0])
            fprintf(f, "    User %s\n", h->user);
        if (h->port)
            fprintf(f, "    Port %d\n", h->port);
        if (h->identity[0])
            fprintf(f, "    IdentityFile %s\n    IdentitiesOnly yes\n", h->identity);
    }
    /* the first value ssh finds wins: ours above, the user's for the rest
     * (known hosts, options); Match all ends the last Host block */
    if (include)
        fprintf(f, "Match all\nInclude %s\n", include);
    return fclose(f) == 0 ? 0 : -errno;
}

int vp_ssh_hosts_begin(const struct vp_experiment *e, struct vp_ssh_hosts *h, struct vp_err *err)
{
    memset(h, 0, sizeof *h);
    if (e->nhosts == 0)
        return 0;
    char buf[512], path[sizeof h->dir + 16];
    const char *include = users_config(buf, sizeof buf);
    const char *tmp = getenv("TMPDIR"); /* the user's temporary folder, as for ssh itself */
    int rc =
        vp_workdir_make(tmp && tmp[0] == '/' ? tmp : "/tmp", "ssh", h->dir, sizeof h->dir, err);
    if (rc < 0) {
        h->dir[0] = '\0';
        return rc;
    }
    snprintf(path, sizeof path, "%s/ssh_config", h->dir);
    if ((rc = write_config(e, path, include)) < 0) {
        vp_ssh_hosts_end(h);
        return vp_run_error(err, -rc, "%s", path);
    }
    const char *prev = getenv("VIRTPERF_SSH_CONFIG");
    h->had_previous = prev != NULL;
    h->previous = prev ? strdup(prev) : NULL;
    setenv("VIRTPERF_SSH_CONFIG", path, 1);
    return 0;
}

void vp_ssh_hosts_end(struct vp_ssh_hosts *h)
{
    if (h->dir[0] == '\0')
        return;
    if (h->had_previous && h->previous)
        setenv("VIRTPERF_SSH_CONFIG", h->previous, 1);
    else
        unsetenv("VIRTPERF_SSH_CONFIG");
    free(h->previous);
    vp_rmtree(h->dir);
    h->dir[0] = '\0';
}
