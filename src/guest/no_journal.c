/* The journal in a guest: there is none. Everything a guest session makes
 * lives inside the VM (its tmpfs, its scratch disk), and the host's journal
 * removes the VM whole; so core/workdir.c, which journals a scratch
 * directory when it can, takes its unjournaled path here. */
#include <errno.h>

#include "platform/journal.h"

int vp_journal_open(struct vp_journal **out, struct vp_err *err)
{
    *out = NULL;
    return vp_run_error(err, ENOTSUP, "no journal in a guest");
}

struct vp_journal *vp_journal_current(void)
{
    return NULL;
}

/* Never reached without an open journal; defined for the linker. */
int vp_journal_add(struct vp_journal *j, enum vp_res kind, const char *what, struct vp_err *err)
{
    (void)j, (void)kind, (void)what;
    return vp_run_error(err, ENOTSUP, "no journal in a guest");
}

void vp_journal_done(struct vp_journal *j, int id)
{
    (void)j, (void)id;
}

void vp_journal_close(struct vp_journal *j)
{
    (void)j;
}

bool vp_journal_forget(struct vp_journal *j, enum vp_res kind, const char *what)
{
    (void)j, (void)kind, (void)what;
    return false;
}

const char *vp_journal_run(const struct vp_journal *j)
{
    (void)j;
    return "";
}
