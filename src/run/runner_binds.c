/* What an appliance's processes use of the host's file system, for a
 * container's binds (platform.h): the run's journal folder and the store
 * (written; a PostgreSQL store's socket directory), and the paths its
 * command's options name (outputs written). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "platform/journal.h"
#include "run/runner_priv.h"
#include "store/db.h"

static void add(struct vp_appliance_spec *spec, int *n, const char *path, bool writable)
{
    if (*n >= VP_SPEC_BINDS || path[0] != '/')
        return;
    struct vp_bind *b = &spec->binds[(*n)++];
    snprintf(b->path, sizeof b->path, "%s", path);
    b->writable = writable;
}

/* The directory a file is in ("/" for one at the top). */
static void parent(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    snprintf(out, len, "%.*s", slash && slash != path ? (int)(slash - path) : 1, path);
}

/* Something written: a directory or a file that is there as itself, else
 * the directory it will be made in. */
static void add_output(struct vp_appliance_spec *spec, int *n, const char *path)
{
    struct stat st;
    char dir[VP_STR_MAX];
    if (stat(path, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
        add(spec, n, path, true);
        return;
    }
    parent(path, dir, sizeof dir);
    add(spec, n, dir, true);
}

/* The store: in WAL mode SQLite keeps FILE-wal and FILE-shm beside it while
 * the runner has it open, and makes nothing else there, so the three files
 * are enough; without them, its directory. */
static void add_store(struct vp_appliance_spec *spec, int *n, const char *store)
{
    static const char *const sides[] = {"", "-wal", "-shm"};
    char path[3][VP_STR_MAX];
    struct stat st;
    bool all = true;
    if (vp_db_is_url(store)) { /* PostgreSQL: its socket, when it is reached by one */
        if (vp_db_socket_dir(store, path[0], sizeof path[0]) == 0)
            add(spec, n, path[0], true);
        return;
    }
    for (int i = 0; i < 3; i++) {
        snprintf(path[i], sizeof path[i], "%s%s", store, sides[i]);
        all = all && stat(path[i], &st) == 0 && S_ISREG(st.st_mode);
    }
    for (int i = 0; all && i < 3; i++)
        add(spec, n, path[i], true);
    if (!all)
        add_output(spec, n, store);
}

void vp_runner_binds(const struct vp_point *pt, const struct vp_instance *in, const char *store,
                     struct vp_appliance_spec *spec)
{
    struct vp_path_use use[VP_SPEC_BINDS];
    char dir[VP_STR_MAX];
    int n = 0;
    memset(spec->binds, 0, sizeof spec->binds);
    vp_journal_dir(dir, sizeof dir); /* scratch directories are journaled there */
    add(spec, &n, dir, true);
    if (store && store[0])
        add_store(spec, &n, store);
    int k = vp_instance_paths(pt, in, use, VP_SPEC_BINDS);
    for (int i = 0; i < k; i++) {
        if (use[i].writes)
            add_output(spec, &n, use[i].path);
        else
            add(spec, &n, use[i].path, false);
    }
}
