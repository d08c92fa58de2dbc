/* The guards of a journal replay (res_guard.h): a line names only what
 * virtperf itself makes, or nothing is done with it. */
#include "platform/res_guard.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "core/workdir.h"
#include "platform/journal.h"

#define CG_ROOT   "/sys/fs/cgroup"
#define CG1_MAGIC 0x27e0eb
#define CG2_MAGIC 0x63677270
#define MAXCOMP   64

const char *vp_guard_path(const char *path, size_t trusted)
{
    if (path[0] != '/')
        return "not an absolute path";
    for (const char *c = path + 1;; c = strchr(c, '/') + 1) {
        size_t n = strcspn(c, "/");
        if (n == 0)
            return "an empty path component";
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return "a '.' or '..' path component";
        if (!c[n])
            break;
    }
    char sub[4096];
    size_t len = strlen(path);
    if (len >= sizeof sub)
        return "path too long";
    for (size_t i = trusted + 1; i <= len; i++) {
        if (i < len && path[i] != '/')
            continue;
        memcpy(sub, path, i);
        sub[i] = '\0';
        struct stat st;
        if (lstat(sub, &st) != 0)
            return errno == ENOENT ? NULL : "cannot be checked";
        if (S_ISLNK(st.st_mode))
            return "a symbolic link on the way";
    }
    return NULL;
}

/* Split an absolute path into its components (in buf). */
static int components(const char *path, char *buf, size_t len, const char *comp[MAXCOMP])
{
    snprintf(buf, len, "%s", path + 1);
    int n = 0;
    for (char *s = buf, *save = NULL, *t; n < MAXCOMP && (t = strtok_r(s, "/", &save)); s = NULL)
        comp[n++] = t;
    return n;
}

const char *vp_guard_proc(const char *what, const struct vp_res_owner *o)
{
    long pid;
    unsigned long long start;
    int end = 0;
    if (sscanf(what, "%ld %llu%n", &pid, &start, &end) != 2 || what[end] || pid <= 1 || start == 0)
        return "not \"<pid> <start time>\" of a process";
    if (o->start && start < o->start) /* the run's children start after it */
        return "a process older than the run";
    return NULL;
}

const char *vp_guard_cgroup(const char *what, const struct vp_res_owner *o)
{
    const char *v2 = getenv("VIRTPERF_CGROUP2_ROOT");
    size_t trusted, rl = v2 && *v2 ? strlen(v2) : 0;
    if (rl && strncmp(what, v2, rl) == 0 && what[rl] == '/') {
        trusted = rl; /* the test hook's hierarchy */
    } else if (strncmp(what, CG_ROOT "/", sizeof CG_ROOT) == 0) {
        /* a v1 controller's mount point may be a link (cpu -> cpu,cpuacct) */
        trusted = sizeof CG_ROOT + strcspn(what + sizeof CG_ROOT, "/");
        if (!what[trusted])
            return "a cgroup hierarchy's root";
    } else {
        return "outside the cgroup hierarchies";
    }
    const char *why = vp_guard_path(what, trusted);
    if (why)
        return why;
    char buf[4096];
    const char *c[MAXCOMP];
    int n = components(what, buf, sizeof buf, c);
    int top = 0; /* components in the trusted prefix */
    for (size_t i = 1; i < trusted; i++)
        top += what[i] == '/';
    top++;
    bool ours =
        (n - 1 >= top && strcmp(c[n - 1], "virtperf") == 0) ||
        (n - 2 >= top && strcmp(c[n - 2], "virtperf") == 0 && strcmp(c[n - 1], o->run) == 0) ||
        (n - 3 >= top && strcmp(c[n - 3], "virtperf") == 0 && strcmp(c[n - 2], o->run) == 0);
    if (!ours)
        return "not virtperf/<run>/... of this run";
    struct statfs fs;
    if (statfs(what, &fs) == 0 && fs.f_type != CG1_MAGIC && fs.f_type != CG2_MAGIC)
        return "not on a cgroup filesystem";
    return NULL;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* What follows vp<run> in a link name: "br", "d", "m" (one per run: the
 * bridge, the direct parent, the host's macvlan) or a letter and the
 * appliance's number (vp<run>b3). */
static bool link_suffix(const char *s)
{
    return strcmp(s, "br") == 0 || strcmp(s, "d") == 0 || strcmp(s, "m") == 0 ||
           (s[0] >= 'a' && s[0] <= 'z' && all_digits(s + 1));
}

const char *vp_guard_link(const char *what, const struct vp_res_owner *o)
{
    size_t n = strlen(o->run);
    if (strlen(what) >= 16 || strncmp(what, "vp", 2) != 0)
        return "not a virtperf interface name (vp...)";
    const char *r = what + 2;
    if (strncmp(r, o->run, n) == 0 && link_suffix(r + n))
        return NULL;
    /* a run from before run ids (named by its pid): vpbr<run>, vpd<run>, vpm<run> */
    static const char *const shared[] = {"br", "d", "m"};
    for (size_t i = 0; all_digits(o->run) && i < sizeof shared / sizeof shared[0]; i++) {
        size_t k = strlen(shared[i]);
        if (strncmp(r, shared[i], k) == 0 && strcmp(r + k, o->run) == 0)
            return NULL;
    }
    return "not an interface name of this run";
}

/* virtperf-<tag>.XXXXXX, as vp_workdir_make names its folders. */
static bool workdir_name(const char *name)
{
    size_t p = strlen(VP_WORKDIR_PREFIX);
    const char *dot = strrchr(name, '.');
    if (strncmp(name, VP_WORKDIR_PREFIX, p) != 0 || !dot || dot == name + p || strlen(dot + 1) != 6)
        return false;
    for (const char *s = name + p; s < dot; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *s))
            return false;
    for (const char *s = dot + 1; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", *s))
            return false;
    return true;
}

/* Whether a scratch folder's name is this run's: virtperf-<run>-<tag>.XXXXXX
 * for a run with an id; for a run from before ids, one without an id. */
static bool workdir_of(const char *name, const char *run)
{
    const char *tag = name + strlen(VP_WORKDIR_PREFIX);
    char id[VP_RUN_ID_LEN + 1];
    snprintf(id, sizeof id, "%s", tag);
    bool has_id =
        strlen(tag) > VP_RUN_ID_LEN && tag[VP_RUN_ID_LEN] == '-' && vp_journal_id_valid(id);
    if (!vp_journal_id_valid(run))
        return !has_id;
    return has_id && strcmp(id, run) == 0;
}

/* An existing path must belong to whoever replays (root's or the user's). */
static const char *owned(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && st.st_uid != geteuid())
        return "owned by another user";
    return NULL;
}

const char *vp_guard_dir(const char *what, const struct vp_res_owner *o)
{
    const char *why = vp_guard_path(what, 0);
    if (why)
        return why;
    const char *name = strrchr(what, '/') + 1;
    if (!workdir_name(name))
        return "not a virtperf scratch folder (" VP_WORKDIR_PREFIX "<run>-<tag>.XXXXXX)";
    if (!workdir_of(name, o->run))
        return "another run's scratch folder";
    return owned(what);
}

const char *vp_guard_file(const char *what, const struct vp_res_owner *o)
{
    const char *why = vp_guard_path(what, 0);
    if (why)
        return why;
    char buf[4096];
    const char *c[MAXCOMP];
    int n = components(what, buf, sizeof buf, c);
    bool inside = false;
    for (int i = 0; i < n - 1 && !inside; i++)
        inside = workdir_name(c[i]) && workdir_of(c[i], o->run);
    if (!inside)
        return "not inside a scratch folder of this run";
    return owned(what);
}

const char *vp_guard_lease(const char *what, const struct vp_res_owner *o)
{
    char dir[400], real[PATH_MAX], want[PATH_MAX + 32], got[64] = "";
    int block = -1, end = 0;
    vp_journal_dir(dir, sizeof dir);
    const char *slash = strrchr(what, '/');
    if (!realpath(dir, real) || !slash || (size_t)(slash - what) != strlen(real) ||
        strncmp(what, real, strlen(real)) != 0)
        return "not in the journal folder";
    if (sscanf(slash + 1, "subnet-%d.lease%n", &block, &end) != 1 || slash[1 + end] || block < 0)
        return "not a network lease (subnet-<block>.lease)";
    snprintf(want, sizeof want, "%s\n", o->run);
    FILE *f = fopen(what, "re");
    if (!f)
        return errno == ENOENT ? NULL : "cannot be read";
    size_t len = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    got[len] = '\0';
    if (strcmp(got, want) != 0)
        return "another run's lease";
    return owned(what);
}

const char *vp_guard_domain(const char *what, const struct vp_res_owner *o)
{
    const char *name = strrchr(what, ' ');
    char want[64];
    int n = snprintf(want, sizeof want, "vp-%s-", o->run);
    if (!name || strncmp(name + 1, want, (size_t)n) != 0 || !name[1 + n])
        return "not a domain name of this run (vp-<run>-...)";
    return NULL;
}
