#include "core/workdir.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int vp_workdir_make(const char *base, const char *tag, char *out, size_t len, struct vp_err *err)
{
    struct stat st;
    if (stat(base, &st) != 0 || !S_ISDIR(st.st_mode))
        return vp_input_error(err, "--dir %s: not a directory", base);
    int n = snprintf(out, len, "%s/%s%s.XXXXXX", base, VP_WORKDIR_PREFIX, tag);
    if (n < 0 || (size_t)n >= len)
        return vp_input_error(err, "--dir %s: path too long", base);
    if (mkdtemp(out) == NULL) {
        int e = errno;
        if (e == EACCES || e == EROFS || e == EPERM)
            return vp_input_error(err, "--dir %s: cannot create a directory there", base);
        return vp_run_error(err, e, "%s: mkdtemp", base);
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 ? 0 : errno;
}

int vp_rmtree(const char *path)
{
    int rc = nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (rc == -1)
        return -errno;
    return rc > 0 ? -rc : 0;
}
