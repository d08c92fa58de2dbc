#include "core/workdir.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <unistd.h>

#include "platform/journal.h"

/* Make "<base>/virtperf-<run id>-<tag>.XXXXXX" with its name journaled
 * first (so `virtperf cleanup` removes it after a kill); the journal
 * reference is dropped by vp_rmtree. -1 when no journal can be written:
 * the caller falls back to mkdtemp; -2 (err set) when the journal folder is
 * not ours: nothing is made. */
static int journaled_mkdir(const char *base, const char *tag, char *out, size_t len,
                           struct vp_err *err)
{
    struct vp_journal *j;
    struct vp_err jerr = {0};
    if (vp_journal_open(&j, &jerr) < 0) {
        if (jerr.kind != VP_ERR_INPUT)
            return -1;
        *err = jerr;
        return -2;
    }
    int n =
        snprintf(out, len, "%s/%s%s-%s.XXXXXX", base, VP_WORKDIR_PREFIX, vp_journal_run(j), tag);
    char *x = out + n - 6;
    for (int attempt = 0; n > 0 && (size_t)n < len && attempt < 100; attempt++) {
        unsigned char r[6];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
            break;
        for (int i = 0; i < 6; i++)
            x[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[r[i] % 62];
        int id = vp_journal_add(j, VP_RES_DIR, out, &jerr);
        if (id < 0)
            break;
        if (mkdir(out, 0700) == 0)
            return 0;
        int e = errno;
        vp_journal_done(j, id);
        if (e != EEXIST) {
            vp_journal_close(j);
            errno = e;
            return -1;
        }
    }
    vp_journal_close(j);
    return -1;
}

int vp_workdir_make(const char *base, const char *tag, char *out, size_t len, struct vp_err *err)
{
    struct stat st;
    if (stat(base, &st) != 0 || !S_ISDIR(st.st_mode))
        return vp_input_error(err, "--dir %s: not a directory", base);
    /* the longer, journaled name must fit too */
    int n = snprintf(out, len, "%s/%s%s-%s.XXXXXX", base, VP_WORKDIR_PREFIX, "12345678", tag);
    if (n < 0 || (size_t)n >= len)
        return vp_input_error(err, "--dir %s: path too long", base);
    int jr = journaled_mkdir(base, tag, out, len, err);
    if (jr == -2)
        return -EINVAL;
    if (jr < 0) {
        snprintf(out, len, "%s/%s%s.XXXXXX", base, VP_WORKDIR_PREFIX, tag);
        if (mkdtemp(out) == NULL) {
            int e = errno;
            if (e == EACCES || e == EROFS || e == EPERM)
                return vp_input_error(err, "--dir %s: cannot create a directory there", base);
            return vp_run_error(err, e, "%s: mkdtemp", base);
        }
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
        rc = -errno;
    else if (rc > 0)
        rc = -rc;
    struct vp_journal *j = vp_journal_current();
    if (rc == 0 && j && vp_journal_forget(j, VP_RES_DIR, path))
        vp_journal_close(j);
    return rc;
}
