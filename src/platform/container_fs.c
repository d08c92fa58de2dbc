#include "platform/container_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int failed(struct vp_cfs_failure *f, int step, int bind)
{
    int e = errno;
    f->step = step;
    f->bind = bind;
    return -e;
}

/* Make path's place, for a bind under the new /tmp: its directories (0755,
 * root's) and a directory or an empty file as the mount point. */
static int make_place(const char *path, bool dir)
{
    char p[VP_STR_MAX];
    size_t n = strlen(path);
    if (n >= sizeof p)
        return -ENAMETOOLONG;
    memcpy(p, path, n + 1);
    for (size_t i = 1; i < n; i++) {
        if (p[i] != '/')
            continue;
        p[i] = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            return -errno;
        p[i] = '/';
    }
    if (dir)
        return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
    int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    close(fd);
    return 0;
}

/* Attach the detached tree fd at path, making the place when it is not
 * there (a path under the new /tmp). */
static int attach(int fd, const char *path)
{
    if (move_mount(fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) == 0)
        return 0;
    struct stat st;
    if (errno != ENOENT || fstat(fd, &st) < 0)
        return -errno;
    int rc = make_place(path, S_ISDIR(st.st_mode));
    if (rc < 0) {
        errno = -rc;
        return rc;
    }
    return move_mount(fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0 ? -errno : 0;
}

int vp_container_fs(const struct vp_appliance_spec *s, struct vp_cfs_failure *f)
{
    struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
    int fd[VP_SPEC_BINDS], order[VP_SPEC_BINDS], n = 0, rc = 0;
    bool root_writable = false;
    for (int i = 0; i < VP_SPEC_BINDS; i++)
        fd[i] = -1;
    for (int i = 0; rc == 0 && i < VP_SPEC_BINDS; i++) {
        const struct vp_bind *b = &s->binds[i];
        if (b->path[0] != '/')
            continue;
        if (strcmp(b->path, "/") == 0) {
            root_writable |= b->writable;
            continue;
        }
        fd[i] = open_tree(AT_FDCWD, b->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (fd[i] < 0 && errno != ENOENT)
            rc = failed(f, VP_CFS_BIND, i);
        else if (fd[i] >= 0 && !b->writable &&
                 mount_setattr(fd[i], "", AT_EMPTY_PATH | AT_RECURSIVE, &ro, sizeof ro) < 0)
            rc = failed(f, VP_CFS_BIND, i);
        /* parents before what is under them: by length, shortest first */
        if (fd[i] >= 0) {
            int k = n++;
            while (k > 0 && strlen(s->binds[order[k - 1]].path) > strlen(b->path)) {
                order[k] = order[k - 1];
                k--;
            }
            order[k] = i;
        }
    }
    if (rc == 0 && !root_writable && mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof ro) < 0)
        rc = failed(f, VP_CFS_READONLY, -1);
    if (rc == 0 && mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
        rc = failed(f, VP_CFS_TMP, -1);
    for (int k = 0; rc == 0 && k < n; k++)
        if (attach(fd[order[k]], s->binds[order[k]].path) < 0)
            rc = failed(f, VP_CFS_ATTACH, order[k]);
    for (int i = 0; i < VP_SPEC_BINDS; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    return rc;
}
