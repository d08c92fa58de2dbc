/* The journal of tests/guest/cgroup_v2.c, a static program run in a VM
 * guest: the calls platform/cgroup.c makes, kept in memory. (The real
 * journal, platform/journal.c, removes every kind of resource, libvirt's
 * among them, which a static guest binary cannot link.) cgroup.c uses it
 * as it uses the real one: an entry before each directory it makes, and on
 * destroy each undone, deepest first, through vp_cgroup_remove_path. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "platform/cgroup.h"
#include "platform/journal.h"
#include "journal_stub.h"

#define MAX_ENTRIES 64

struct vp_journal {
    char run[24];
    char what[MAX_ENTRIES][256];
    bool live[MAX_ENTRIES];
    int n;
};

struct vp_journal *guest_journal(void)
{
    static struct vp_journal j;
    if (j.run[0] == '\0')
        snprintf(j.run, sizeof j.run, "%ld", (long)getpid());
    return &j;
}

const char *vp_journal_run(const struct vp_journal *j)
{
    return j->run;
}

/* No other run shares this guest. */
bool vp_journal_run_in_use(const char *run)
{
    (void)run;
    return false;
}

int vp_journal_add(struct vp_journal *j, enum vp_res kind, const char *what, struct vp_err *err)
{
    if (kind != VP_RES_CGROUP || j->n == MAX_ENTRIES || strlen(what) >= sizeof j->what[0])
        return vp_run_error(err, ENOSPC, "journal stub: cannot keep %s", what);
    snprintf(j->what[j->n], sizeof j->what[0], "%s", what);
    j->live[j->n] = true;
    return j->n++;
}

void vp_journal_done(struct vp_journal *j, int id)
{
    if (id >= 0 && id < j->n)
        j->live[id] = false;
}

int vp_journal_undo(struct vp_journal *j, int id)
{
    if (id < 0 || id >= j->n || !j->live[id])
        return 0;
    j->live[id] = false;
    int rc = vp_cgroup_remove_path(j->what[id], false);
    return rc < 0 ? rc : 0;
}
