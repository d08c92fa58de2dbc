/* This process's journal (journal.h): its folder and lock, its run id, its
 * lines. Reading journal files back is journal_replay.c's. */
#include "platform/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "platform/journal_priv.h"

struct vp_journal {
    int refs;
    pid_t owner;
    char run[VP_RUN_ID_LEN + 1];
    char path[512];
    int fd;    /* -1 until the first entry */
    int watch; /* the watcher's pipe (journal_watch.c), -1 until one runs */
    int block; /* the network block (net.h), -1 until claimed */
    bool slot[VP_JOURNAL_SLOTS];
    struct vp_jentry *e;
    int n, cap;
};

/* The one journal of this process (a registry, like the signal flag). */
static struct vp_journal *current;

void vp_journal_default_dir(char *out, size_t len)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (geteuid() == 0)
        snprintf(out, len, "/run/virtperf");
    else if (xdg && *xdg)
        snprintf(out, len, "%s/virtperf", xdg);
    else
        snprintf(out, len, "/tmp/virtperf-%ld", (long)geteuid());
}

void vp_journal_dir(char *out, size_t len)
{
    const char *d = getenv("VIRTPERF_RUNDIR");
    if (d && *d)
        snprintf(out, len, "%s", d);
    else
        vp_journal_default_dir(out, len);
}

/* The folder is ours: a directory (not a link to one) owned by this user
 * that no one else may write; journals in any other could have been forged. */
static int dir_check(const char *dir, struct vp_err *err)
{
    struct stat st;
    if (lstat(dir, &st) != 0)
        return vp_run_error(err, errno, "journal folder %s", dir);
    if (S_ISLNK(st.st_mode))
        return vp_input_error(err, "journal folder %s: a symbolic link, not ours", dir);
    if (!S_ISDIR(st.st_mode))
        return vp_input_error(err, "journal folder %s: not a directory", dir);
    if (st.st_uid != geteuid())
        return vp_input_error(err, "journal folder %s: owned by uid %ld, not by us (uid %ld)", dir,
                              (long)st.st_uid, (long)geteuid());
    if (st.st_mode & 022)
        return vp_input_error(err, "journal folder %s: mode %03o lets others write it (want 0700)",
                              dir, (unsigned)(st.st_mode & 0777));
    return 0;
}

int vp_journal_dir_check(struct vp_err *err)
{
    char dir[400];
    struct stat st;
    vp_journal_dir(dir, sizeof dir);
    if (lstat(dir, &st) != 0 && errno == ENOENT)
        return 0;
    return dir_check(dir, err);
}

/* Made 0700 (whatever the umask) or, when it was there, checked. */
static int dir_make(char *out, size_t len, bool *made, struct vp_err *err)
{
    vp_journal_dir(out, len);
    *made = mkdir(out, 0700) == 0;
    if (!*made && errno != EEXIST)
        return vp_run_error(err, errno, "journal folder %s", out);
    if (*made && chmod(out, 0700) != 0)
        return vp_run_error(err, errno, "journal folder %s", out);
    return dir_check(out, err);
}

int vp_journal_dir_make(char *out, size_t len, struct vp_err *err)
{
    bool made;
    return dir_make(out, len, &made, err);
}

/* The lock is on the folder itself, so an empty one can still go; a folder
 * removed and made again meanwhile is locked again. */
int vp_journal_dir_lock(int how, int wait_ms, bool *made, struct vp_err *err)
{
    char dir[400];
    for (int waited = 0;; waited += 20) {
        bool m;
        int rc = dir_make(dir, sizeof dir, &m, err);
        if (rc < 0)
            return rc;
        if (made)
            *made |= m;
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return vp_run_error(err, errno, "journal folder %s", dir);
        struct stat a, b;
        if (flock(fd, how | LOCK_NB) == 0) {
            if (fstat(fd, &a) == 0 && lstat(dir, &b) == 0 && a.st_dev == b.st_dev &&
                a.st_ino == b.st_ino)
                return fd;
        } else if (errno != EWOULDBLOCK) {
            rc = vp_run_error(err, errno, "journal folder %s: lock", dir);
            close(fd);
            return rc;
        }
        close(fd);
        if (waited >= wait_ms) {
            vp_run_error(err, 0, "journal folder %s: busy, another cleanup is running", dir);
            return -EBUSY;
        }
        usleep(20000);
    }
}

int vp_journal_lock(int wait_ms, bool *made, struct vp_err *err)
{
    *made = false;
    return vp_journal_dir_lock(LOCK_EX, wait_ms, made, err);
}

int vp_journal_lock_shared(struct vp_err *err)
{
    return vp_journal_dir_lock(LOCK_SH, 30000, NULL, err);
}

void vp_journal_unlock(int fd, bool remove_dir)
{
    if (fd < 0)
        return;
    if (remove_dir) { /* runs hold the folder shared while they use its lock files */
        char dir[400], path[480];
        vp_journal_dir(dir, sizeof dir);
        snprintf(path, sizeof path, "%s/%s", dir, VP_JOURNAL_SUBNET_LOCK);
        unlink(path);
        rmdir(dir); /* only when nothing is left in it */
    }
    close(fd);
}

unsigned long long vp_journal_pid_ns(pid_t pid)
{
    char path[64];
    struct stat st;
    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/ns/pid");
    else
        snprintf(path, sizeof path, "/proc/%ld/ns/pid", (long)pid);
    return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

/* Whether any process visible here still lives in pid namespace ns (a
 * zombie does not: its namespace's init, killed, may wait to be reaped). */
static bool pid_ns_alive(unsigned long long ns)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    bool alive = false;
    while (d && !alive && (e = readdir(d)))
        if (e->d_name[0] >= '1' && e->d_name[0] <= '9') {
            pid_t pid = (pid_t)atol(e->d_name);
            alive = vp_journal_pid_ns(pid) == ns && vp_proc_starttime(pid) != 0;
        }
    if (d)
        closedir(d);
    return alive;
}

bool vp_journal_owner_alive(long pid, unsigned long long start, unsigned long long ns)
{
    if (ns == 0 || ns == vp_journal_pid_ns(0)) {
        unsigned long long now = pid > 0 ? vp_proc_starttime((pid_t)pid) : 0;
        return now != 0 && (start == 0 || now == start);
    }
    if (vp_journal_pid_ns(0) != VP_HOST_PIDNS) /* we may not see the writer: leave it */
        return true;
    /* written in a container: its pid means nothing here; wait for the namespace to go */
    return pid_ns_alive(ns);
}

bool vp_journal_id_valid(const char *s)
{
    if (strlen(s) != VP_RUN_ID_LEN || s[0] < 'a' || s[0] > 'z')
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789") == VP_RUN_ID_LEN;
}

/* Whether a journal of run id is in dir. */
static bool id_taken(const char *dir, const char *id)
{
    char path[480];
    snprintf(path, sizeof path, "%s/%s.journal", dir, id);
    return access(path, F_OK) == 0;
}

/* A fresh run id, none of whose journals is in this or the default folder
 * (the file's O_EXCL creation settles a race of two that drew the same). */
static int new_id(char *out)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    char dir[400], def[400];
    vp_journal_dir(dir, sizeof dir);
    vp_journal_default_dir(def, sizeof def);
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned char r[VP_RUN_ID_LEN];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
            return -EIO;
        out[0] = alnum[r[0] % 26];
        for (int i = 1; i < VP_RUN_ID_LEN; i++)
            out[i] = alnum[r[i] % 36];
        out[VP_RUN_ID_LEN] = '\0';
        if (!id_taken(dir, out) && !id_taken(def, out))
            return 0;
    }
    return -EEXIST;
}

static void close_at_exit(void)
{
    while (current && current->owner == getpid())
        vp_journal_close(current);
}

int vp_journal_open(struct vp_journal **out, struct vp_err *err)
{
    static bool registered;
    if (current && current->owner == getpid()) {
        current->refs++;
        *out = current;
        return 0;
    }
    int rc = vp_journal_dir_check(err); /* stop before anything is made */
    if (rc < 0)
        return rc;
    struct vp_journal *j = calloc(1, sizeof *j);
    if (!j)
        return vp_run_error(err, ENOMEM, "journal");
    j->refs = 1;
    j->owner = getpid();
    j->fd = j->watch = j->block = -1;
    if ((rc = new_id(j->run)) < 0) {
        free(j);
        return vp_run_error(err, -rc, "journal: a run id");
    }
    char dir[400];
    vp_journal_dir(dir, sizeof dir);
    snprintf(j->path, sizeof j->path, "%s/%s.journal", dir, j->run);
    current = j;
    if (!registered) {
        atexit(close_at_exit);
        registered = true;
    }
    *out = j;
    return 0;
}

struct vp_journal *vp_journal_current(void)
{
    return current && current->owner == getpid() ? current : NULL;
}

const char *vp_journal_run(const struct vp_journal *j)
{
    return j->run;
}

int vp_journal_block(const struct vp_journal *j)
{
    return j->block;
}

void vp_journal_set_block(struct vp_journal *j, int block)
{
    j->block = block;
}

int vp_journal_slot_take(struct vp_journal *j)
{
    for (int i = 0; i < VP_JOURNAL_SLOTS; i++)
        if (!j->slot[i]) {
            j->slot[i] = true;
            return i;
        }
    return -ENOSPC;
}

void vp_journal_slot_give(struct vp_journal *j, int slot)
{
    if (slot >= 0 && slot < VP_JOURNAL_SLOTS)
        j->slot[slot] = false;
}

/* One line: "<crc32 of text, 8 hex digits> <text>\n", in one write. */
static int write_line(struct vp_journal *j, const char *text)
{
    char line[VP_JOURNAL_WHAT_MAX + 96];
    size_t tlen = strlen(text);
    int len =
        snprintf(line, sizeof line, "%08lx %s\n", crc32(0L, (const Bytef *)text, (uInt)tlen), text);
    if (len < 0 || (size_t)len >= sizeof line)
        return -ENAMETOOLONG;
    ssize_t w = write(j->fd, line, (size_t)len);
    if (w < 0)
        return -errno;
    return w == len ? 0 : -EIO;
}

/* Make a path absolute with its folder's symlinks resolved, so a replay
 * from anywhere finds it and its guard sees the real place. */
static int canonical(const char *what, char *out, size_t len)
{
    char parent[PATH_MAX], real[PATH_MAX];
    const char *slash = strrchr(what, '/');
    if (!slash)
        snprintf(parent, sizeof parent, ".");
    else
        snprintf(parent, sizeof parent, "%.*s", slash == what ? 1 : (int)(slash - what), what);
    if (!realpath(parent, real))
        return -errno;
    int n =
        snprintf(out, len, "%s/%s", strcmp(real, "/") == 0 ? "" : real, slash ? slash + 1 : what);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Make the file durable: its data, and (new) its name in the folder. */
static int sync_file(int fd, const char *dir)
{
    if (fdatasync(fd) != 0)
        return -errno;
    if (!dir)
        return 0;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    int rc = fsync(dfd) == 0 ? 0 : -errno;
    close(dfd);
    return rc;
}

/* Create the file on first use, under a shared lock of the folder (no
 * replay reads meanwhile); it is new (O_EXCL): the run id is ours alone. */
static int open_file(struct vp_journal *j, struct vp_err *err)
{
    char dir[400];
    int lock = vp_journal_lock_shared(err), rc = 0;
    if (lock < 0)
        return lock;
    vp_journal_dir(dir, sizeof dir);
    j->fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (j->fd < 0) {
        rc = vp_run_error(err, errno, "%s%s", j->path,
                          errno == EEXIST ? " (the run id is another run's)" : "");
        goto out;
    }
    char head[160];
    snprintf(head, sizeof head, "virtperf-journal 3 %s %ld %llu %llu", j->run, (long)j->owner,
             vp_proc_starttime(j->owner), vp_journal_pid_ns(0));
    if ((rc = write_line(j, head)) < 0 || (rc = sync_file(j->fd, dir)) < 0)
        rc = vp_run_error(err, -rc, "%s", j->path);
out:
    close(lock);
    return rc;
}

int vp_journal_add(struct vp_journal *j, enum vp_res kind, const char *what, struct vp_err *err)
{
    int rc;
    char real[VP_JOURNAL_WHAT_MAX];
    if (strlen(what) >= VP_JOURNAL_WHAT_MAX || strchr(what, '\n'))
        return vp_run_error(err, ENAMETOOLONG, "journal: %s", what);
    if (vp_res_is_path(kind) && (rc = canonical(what, real, sizeof real)) < 0)
        return vp_run_error(err, -rc, "journal: %s", what);
    if (j->fd < 0 && (rc = open_file(j, err)) < 0)
        return rc;
    /* something that runs: from now on a watcher stops it if the run dies */
    if (j->watch < 0 && vp_res_runs(kind) &&
        (j->watch = vp_journal_watch_start(j->path, j->run)) < 0) {
        rc = j->watch;
        j->watch = -1;
        return vp_run_error(err, -rc, "journal %s: its watcher", j->path);
    }
    if (j->n == j->cap) {
        int cap = j->cap ? j->cap * 2 : 32;
        struct vp_jentry *e = realloc(j->e, (size_t)cap * sizeof *e);
        if (!e)
            return vp_run_error(err, ENOMEM, "journal");
        j->e = e;
        j->cap = cap;
    }
    int id = j->n;
    char line[VP_JOURNAL_WHAT_MAX + 64];
    snprintf(line, sizeof line, "+ %d %s %s", id, vp_res_name(kind),
             vp_res_is_path(kind) ? real : what);
    /* on disk before the caller creates the resource */
    if ((rc = write_line(j, line)) < 0 || (rc = sync_file(j->fd, NULL)) < 0)
        return vp_run_error(err, -rc, "%s", j->path);
    j->e[id].kind = kind;
    j->e[id].live = true;
    snprintf(j->e[id].what, VP_JOURNAL_WHAT_MAX, "%s", what); /* as the caller names it (forget) */
    j->n++;
    return id;
}

void vp_journal_done(struct vp_journal *j, int id)
{
    if (id < 0 || id >= j->n || !j->e[id].live)
        return;
    char line[32];
    snprintf(line, sizeof line, "- %d", id); /* not synced: a lost one reads "already gone" */
    write_line(j, line);
    j->e[id].live = false;
}

int vp_journal_undo(struct vp_journal *j, int id)
{
    if (id < 0 || id >= j->n || !j->e[id].live)
        return 0;
    int rc = vp_res_remove(j->e[id].kind, j->e[id].what, false);
    if (rc >= 0)
        vp_journal_done(j, id);
    return rc < 0 ? rc : 0;
}

bool vp_journal_forget(struct vp_journal *j, enum vp_res kind, const char *what)
{
    for (int i = j->n - 1; i >= 0; i--)
        if (j->e[i].live && j->e[i].kind == kind && strcmp(j->e[i].what, what) == 0) {
            vp_journal_done(j, i);
            return true;
        }
    return false;
}

/* The folder's subnet lock file goes with the last run that used it: when
 * the folder can be held alone, no run is choosing a block (that holds it
 * shared) and the file keeps nothing (leases do). */
static void drop_subnet_lock(void)
{
    struct vp_err err;
    char dir[400], path[480];
    int fd = vp_journal_dir_lock(LOCK_EX, 0, NULL, &err);
    if (fd < 0)
        return;
    vp_journal_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s", dir, VP_JOURNAL_SUBNET_LOCK);
    unlink(path);
    close(fd);
}

void vp_journal_close(struct vp_journal *j)
{
    if (!j || j->owner != getpid() || --j->refs > 0)
        return;
    bool left = false;
    for (int i = j->n - 1; i >= 0; i--)
        if (j->e[i].live && vp_journal_undo(j, i) < 0)
            left = true;
    if (j->fd >= 0) {
        close(j->fd);
        if (!left) /* a failed removal stays for `virtperf cleanup` */
            unlink(j->path);
    }
    vp_journal_watch_stop(j->watch);
    if (j->block >= 0)
        drop_subnet_lock();
    if (current == j)
        current = NULL;
    free(j->e);
    free(j);
}
