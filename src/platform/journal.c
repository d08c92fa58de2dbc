#include "platform/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define WHAT_MAX 512

struct entry {
    enum vp_res kind;
    bool live;
    int id, line; /* line: in the file, for a replay's reports */
    char what[WHAT_MAX];
};

struct vp_journal {
    int refs;
    pid_t owner;
    char run[16];
    char path[512];
    int fd; /* -1 until the first entry */
    bool slot[VP_JOURNAL_SLOTS];
    struct entry *e;
    int n, cap;
};

/* The one journal of this process (a registry, like the signal flag). */
static struct vp_journal *current;

/* The journal directory when $VIRTPERF_RUNDIR is not set. */
static void default_dir(char *out, size_t len)
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
        default_dir(out, len);
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

/* The journal folder, open and flock'ed (how: LOCK_SH for a run creating
 * its file, LOCK_EX for a replay), waiting at most wait_ms; the descriptor,
 * or -errno. The lock is on the folder itself, so an empty one can still go;
 * a folder removed and made again meanwhile is locked again. */
static int dir_lock(int how, int wait_ms, bool *made, struct vp_err *err)
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
    return dir_lock(LOCK_EX, wait_ms, made, err);
}

void vp_journal_unlock(int fd, bool remove_dir)
{
    if (fd < 0)
        return;
    if (remove_dir) { /* only when nothing is left in it */
        char dir[400];
        vp_journal_dir(dir, sizeof dir);
        rmdir(dir);
    }
    close(fd);
}

unsigned long long vp_proc_starttime(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p)
        return 0;
    unsigned long long start = 0;
    /* after ") " come fields 3..; starttime is field 22 */
    if (sscanf(p + 2,
               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
               "%*d %llu",
               &start) != 1)
        return 0;
    if (p[2] == 'Z') /* a zombie is gone for our purposes */
        return 0;
    return start;
}

/* The initial pid namespace's inode (PROC_PID_INIT_INO). */
#define HOST_PIDNS 0xEFFFFFFCULL

/* The pid namespace of pid (0: this process), as its nsfs inode; 0 if gone. */
static unsigned long long pid_ns(pid_t pid)
{
    char path[64];
    struct stat st;
    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/ns/pid");
    else
        snprintf(path, sizeof path, "/proc/%ld/ns/pid", (long)pid);
    return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

/* Whether any process visible here still lives in pid namespace ns. */
static bool pid_ns_alive(unsigned long long ns)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    bool alive = false;
    while (d && !alive && (e = readdir(d)))
        if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
            alive = pid_ns((pid_t)atol(e->d_name)) == ns;
    if (d)
        closedir(d);
    return alive;
}

/* Whether the process that wrote a journal or made a run's resources may
 * still be running: its pid, start time (0: any process with that pid counts)
 * and pid namespace (0: this one). */
static bool owner_alive(long pid, unsigned long long start, unsigned long long ns)
{
    if (ns == 0 || ns == pid_ns(0)) {
        unsigned long long now = pid > 0 ? vp_proc_starttime((pid_t)pid) : 0;
        return now != 0 && (start == 0 || now == start);
    }
    if (pid_ns(0) != HOST_PIDNS) /* we may not see the writer: leave it */
        return true;
    /* written in a container: its pid means nothing here; wait for the namespace to go */
    return pid_ns_alive(ns);
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
    j->fd = -1;
    snprintf(j->run, sizeof j->run, "%ld", (long)j->owner);
    char dir[400];
    vp_journal_dir(dir, sizeof dir);
    unsigned long long ns = pid_ns(0);
    if (ns == HOST_PIDNS || ns == 0)
        snprintf(j->path, sizeof j->path, "%s/%ld.journal", dir, (long)j->owner);
    else /* inside a container: its pids repeat in every container */
        snprintf(j->path, sizeof j->path, "%s/%ld-%llu.journal", dir, (long)j->owner, ns);
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
    char line[WHAT_MAX + 96];
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

const char *vp_journal_line_check(char *line, size_t len, char **text)
{
    if (len == 0 || line[len - 1] != '\n')
        return "not terminated (a torn last line)";
    line[--len] = '\0';
    if (len < 9 || line[8] != ' ' || strspn(line, "0123456789abcdef") != 8)
        return "no checksum";
    if (memchr(line, '\0', len))
        return "a NUL byte in the line";
    unsigned long want = strtoul(line, NULL, 16);
    if (crc32(0L, (const Bytef *)line + 9, (uInt)(len - 9)) != want)
        return "checksum mismatch";
    *text = line + 9;
    return NULL;
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

/* Create the file on first use (under a shared lock of the folder, so no
 * replay is reading a journal of a reused pid); an older journal left under
 * the same pid is renamed out of the way first. */
static int open_file(struct vp_journal *j, struct vp_err *err)
{
    char dir[400];
    int lock = dir_lock(LOCK_SH, 30000, NULL, err), rc = 0;
    if (lock < 0)
        return lock;
    vp_journal_dir(dir, sizeof dir);
    if (access(j->path, F_OK) == 0) {
        char old[600];
        snprintf(old, sizeof old, "%s/%ld-%ld.journal", dir, (long)j->owner, (long)time(NULL));
        rename(j->path, old);
    }
    j->fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (j->fd < 0) {
        rc = vp_run_error(err, errno, "%s", j->path);
        goto out;
    }
    char head[128];
    snprintf(head, sizeof head, "virtperf-journal 2 %ld %llu %llu", (long)j->owner,
             vp_proc_starttime(j->owner), pid_ns(0));
    if ((rc = write_line(j, head)) < 0 || (rc = sync_file(j->fd, dir)) < 0)
        rc = vp_run_error(err, -rc, "%s", j->path);
out:
    close(lock);
    return rc;
}

int vp_journal_add(struct vp_journal *j, enum vp_res kind, const char *what, struct vp_err *err)
{
    int rc;
    char real[WHAT_MAX];
    if (strlen(what) >= WHAT_MAX || strchr(what, '\n'))
        return vp_run_error(err, ENAMETOOLONG, "journal: %s", what);
    if (vp_res_is_path(kind) && (rc = canonical(what, real, sizeof real)) < 0)
        return vp_run_error(err, -rc, "journal: %s", what);
    if (j->fd < 0 && (rc = open_file(j, err)) < 0)
        return rc;
    if (j->n == j->cap) {
        int cap = j->cap ? j->cap * 2 : 32;
        struct entry *e = realloc(j->e, (size_t)cap * sizeof *e);
        if (!e)
            return vp_run_error(err, ENOMEM, "journal");
        j->e = e;
        j->cap = cap;
    }
    int id = j->n;
    char line[WHAT_MAX + 64];
    snprintf(line, sizeof line, "+ %d %s %s", id, vp_res_name(kind),
             vp_res_is_path(kind) ? real : what);
    /* on disk before the caller creates the resource */
    if ((rc = write_line(j, line)) < 0 || (rc = sync_file(j->fd, NULL)) < 0)
        return vp_run_error(err, -rc, "%s", j->path);
    j->e[id].kind = kind;
    j->e[id].live = true;
    snprintf(j->e[id].what, WHAT_MAX, "%s", what); /* as the caller names it (forget) */
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
    if (current == j)
        current = NULL;
    free(j->e);
    free(j);
}

/* A replay of one journal file. */
struct replay {
    const char *path;
    const struct vp_sweep_fn *fn;
    struct entry *e;
    int n, cap;
    bool left; /* something stays: the file is kept */
};

static void refuse(struct replay *r, int line, const char *what, const char *reason, bool failure)
{
    r->left |= failure;
    if (r->fn->refused)
        r->fn->refused(r->fn->arg, r->path, line, what, reason, failure);
}

/* One checked line of the body: "+ <id> <kind> <what>" or "- <id>". */
static int replay_line(struct replay *r, int lineno, const char *text)
{
    int id, off = 0, end = 0;
    char kind[16];
    if (sscanf(text, "- %d%n", &id, &end) == 1 && !text[end]) {
        for (int i = r->n - 1; i >= 0; i--)
            if (r->e[i].id == id)
                r->e[i].live = false;
        return 0;
    }
    if (sscanf(text, "+ %d %15s %n", &id, kind, &off) < 2 || off == 0 ||
        (r->n && id <= r->e[r->n - 1].id)) {
        refuse(r, lineno, NULL, "not a journal line", true);
        return 0;
    }
    int k = vp_res_parse(kind);
    if (k < 0) {
        refuse(r, lineno, text + off, "a kind this build does not know", true);
        return 0;
    }
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 32;
        struct entry *ne = realloc(r->e, (size_t)cap * sizeof *ne);
        if (!ne)
            return -ENOMEM;
        r->e = ne;
        r->cap = cap;
    }
    struct entry *e = &r->e[r->n++];
    e->kind = (enum vp_res)k;
    e->live = true;
    e->id = id;
    e->line = lineno;
    snprintf(e->what, WHAT_MAX, "%s", text + off);
    return 0;
}

/* Open and check one journal file, replay it, and delete it when nothing
 * of it stays. */
static int sweep_file(const char *path, bool dry_run, const struct vp_sweep_fn *fn)
{
    struct replay r = {.path = path, .fn = fn};
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return errno == ELOOP ? (refuse(&r, 0, NULL, "a symbolic link", true), 0) : -errno;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        close(fd);
        refuse(&r, 0, NULL, "not a regular file of ours", true);
        return 0;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return -errno;
    }
    int rc = vp_journal_replay(f, path, dry_run ? VP_REPLAY_DRY_RUN : VP_REPLAY_REMOVE, fn);
    fclose(f);
    if (rc == 1 && !dry_run)
        unlink(path);
    return rc < 0 ? rc : 0;
}

int vp_journal_replay(FILE *f, const char *path, enum vp_replay_mode mode,
                      const struct vp_sweep_fn *fn)
{
    struct replay r = {.path = path, .fn = fn};
    char *line = NULL, *text;
    size_t size = 0;
    ssize_t len;
    long pid = 0;
    unsigned long long start = 0, ns = 0;
    const char *why = "empty";
    int end = 0, rc = 0, lineno = 0;
    if ((len = getline(&line, &size, f)) > 0) {
        lineno = 1;
        why = vp_journal_line_check(line, (size_t)len, &text);
        if (!why &&
            (sscanf(text, "virtperf-journal 2 %ld %llu %llu%n", &pid, &start, &ns, &end) < 3 ||
             text[end] || pid <= 0))
            why = "not a journal header (virtperf-journal 2 ...)";
    }
    if (why) {
        refuse(&r, 1, NULL, why, true);
        goto out;
    }
    bool in_use = start != 0 && owner_alive(pid, start, ns);
    if (fn->journal)
        fn->journal(fn->arg, path, pid, in_use);
    r.left = in_use;
    if (in_use)
        goto out;
    while ((len = getline(&line, &size, f)) > 0) {
        lineno++;
        bool terminated = line[len - 1] == '\n'; /* else: the last line */
        if ((why = vp_journal_line_check(line, (size_t)len, &text))) {
            /* a torn last line was being written when the run died: its
             * resource was not made yet (lines are synced first) */
            refuse(&r, lineno, NULL, why, terminated);
            continue;
        }
        if ((rc = replay_line(&r, lineno, text)) < 0)
            goto out;
    }
    /* a damaged line in the middle is no torn write: trust none of it */
    bool damaged = r.left;
    char run[24];
    snprintf(run, sizeof run, "%ld", pid);
    struct vp_res_owner owner = {run, start};
    for (int i = r.n - 1; i >= 0; i--) {
        struct entry *e = &r.e[i];
        if (!e->live)
            continue;
        if ((why = damaged ? "in a damaged journal" : vp_res_guard(e->kind, e->what, &owner))) {
            refuse(&r, e->line, e->what, why, true);
            continue;
        }
        int res = mode == VP_REPLAY_GUARD_ONLY
                      ? 0
                      : vp_res_remove(e->kind, e->what, mode == VP_REPLAY_DRY_RUN);
        r.left |= res < 0;
        if (fn->entry)
            fn->entry(fn->arg, e->kind, e->what, res);
    }
out:
    free(line);
    free(r.e);
    return rc < 0 ? rc : !r.left; /* a refused header or an owner alive left it */
}

int vp_journal_sweep(bool dry_run, const struct vp_sweep_fn *fn, struct vp_err *err)
{
    char dir[400];
    int rc = vp_journal_dir_check(err);
    if (rc < 0)
        return rc;
    vp_journal_dir(dir, sizeof dir);
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0)
        return errno == ENOENT ? 0 : vp_run_error(err, errno, "%s", dir);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        size_t len = strlen(name);
        if (len > 8 && strcmp(name + len - 8, ".journal") == 0) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            int r = sweep_file(path, dry_run, fn);
            if (r < 0 && rc == 0)
                rc = vp_run_error(err, -r, "%s", path);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Whether dir holds a journal of pid: <pid>.journal, <pid>-<pidns>.journal,
 * or <pid>-<time>.journal put aside for a reused pid. */
static bool journal_in(const char *dir, long pid)
{
    char prefix[32];
    int plen = snprintf(prefix, sizeof prefix, "%ld", pid);
    DIR *d = opendir(dir);
    struct dirent *e;
    bool found = false;
    while (d && !found && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        found = strncmp(e->d_name, prefix, (size_t)plen) == 0 &&
                (e->d_name[plen] == '.' || e->d_name[plen] == '-') && len > 8 &&
                strcmp(e->d_name + len - 8, ".journal") == 0;
    }
    if (d)
        closedir(d);
    return found;
}

bool vp_journal_run_in_use(const char *run)
{
    char *end;
    errno = 0;
    long pid = strtol(run, &end, 10);
    if (run[0] < '1' || run[0] > '9' || *end || errno || pid > INT_MAX)
        return true;             /* not a tag vp_journal_open makes */
    if (pid_ns(0) != HOST_PIDNS) /* the tag may be a pid of another namespace */
        return true;
    if (owner_alive(pid, 0, 0))
        return true;
    char dir[400];
    vp_journal_dir(dir, sizeof dir);
    if (journal_in(dir, pid))
        return true;
    /* a cleanup pointed at another $VIRTPERF_RUNDIR leaves default runs alone */
    default_dir(dir, sizeof dir);
    return journal_in(dir, pid);
}
