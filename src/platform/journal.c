#include "platform/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WHAT_MAX 512

struct entry {
    enum vp_res kind;
    bool live;
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

int vp_journal_dir_make(char *out, size_t len, struct vp_err *err)
{
    vp_journal_dir(out, len);
    if (mkdir(out, 0700) != 0 && errno != EEXIST)
        return vp_run_error(err, errno, "%s", out);
    return 0;
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

static int write_line(struct vp_journal *j, const char *line)
{
    size_t len = strlen(line);
    ssize_t w = write(j->fd, line, len);
    if (w < 0)
        return -errno;
    return (size_t)w == len ? 0 : -EIO;
}

/* Create the file on first use; an older journal left under the same pid
 * (a reused pid) is renamed out of the way first. */
static int open_file(struct vp_journal *j, struct vp_err *err)
{
    char dir[400];
    int rc = vp_journal_dir_make(dir, sizeof dir, err);
    if (rc < 0)
        return rc;
    if (access(j->path, F_OK) == 0) {
        char old[600];
        snprintf(old, sizeof old, "%s/%ld-%ld.journal", dir, (long)j->owner, (long)time(NULL));
        rename(j->path, old);
    }
    j->fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (j->fd < 0)
        return vp_run_error(err, errno, "%s", j->path);
    char head[128];
    snprintf(head, sizeof head, "virtperf-journal 1 %ld %llu %llu\n", (long)j->owner,
             vp_proc_starttime(j->owner), pid_ns(0));
    if (write_line(j, head) < 0)
        return vp_run_error(err, errno, "%s", j->path);
    return 0;
}

int vp_journal_add(struct vp_journal *j, enum vp_res kind, const char *what, struct vp_err *err)
{
    int rc;
    if (strlen(what) >= WHAT_MAX || strchr(what, '\n'))
        return vp_run_error(err, ENAMETOOLONG, "journal: %s", what);
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
    snprintf(line, sizeof line, "+ %d %s %s\n", id, vp_res_name(kind), what);
    if ((rc = write_line(j, line)) < 0)
        return vp_run_error(err, -rc, "%s", j->path);
    j->e[id].kind = kind;
    j->e[id].live = true;
    snprintf(j->e[id].what, WHAT_MAX, "%s", what);
    j->n++;
    return id;
}

void vp_journal_done(struct vp_journal *j, int id)
{
    if (id < 0 || id >= j->n || !j->e[id].live)
        return;
    char line[32];
    snprintf(line, sizeof line, "- %d\n", id);
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

/* Replay one journal file whose owner is gone. */
static int sweep_file(const char *path, bool dry_run, const struct vp_sweep_fn *fn)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -errno;
    struct entry *e = NULL;
    int n = 0, cap = 0, rc = 0;
    long pid = 0;
    unsigned long long start = 0, ns = 0;
    char line[WHAT_MAX + 64];
    if (!fgets(line, sizeof line, f) ||
        sscanf(line, "virtperf-journal 1 %ld %llu %llu", &pid, &start, &ns) < 2) {
        rc = -EINVAL;
        goto out;
    }
    bool in_use = start != 0 && owner_alive(pid, start, ns);
    if (fn->journal)
        fn->journal(fn->arg, path, pid, in_use);
    if (in_use)
        goto out;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        int id, off = 0;
        char kind[16];
        if (line[0] == '-' && sscanf(line, "- %d", &id) == 1) {
            if (id >= 0 && id < n)
                e[id].live = false;
            continue;
        }
        if (sscanf(line, "+ %d %15s %n", &id, kind, &off) < 2 || off == 0 || id != n)
            continue; /* a torn last line */
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            struct entry *ne = realloc(e, (size_t)cap * sizeof *ne);
            if (!ne) {
                rc = -ENOMEM;
                goto out;
            }
            e = ne;
        }
        int k = vp_res_parse(kind); /* a kind this build does not know is left alone */
        e[n].kind = k < 0 ? VP_RES_FILE : (enum vp_res)k;
        e[n].live = k >= 0;
        snprintf(e[n].what, WHAT_MAX, "%s", line + off);
        n++;
    }
    bool left = false;
    for (int i = n - 1; i >= 0; i--) {
        if (!e[i].live)
            continue;
        int r = vp_res_remove(e[i].kind, e[i].what, dry_run);
        left |= r < 0;
        if (fn->entry)
            fn->entry(fn->arg, e[i].kind, e[i].what, r);
    }
    if (!dry_run && !left)
        unlink(path);
out:
    fclose(f);
    free(e);
    return rc;
}

int vp_journal_sweep(bool dry_run, const struct vp_sweep_fn *fn, struct vp_err *err)
{
    char dir[400];
    vp_journal_dir(dir, sizeof dir);
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0)
        return errno == ENOENT ? 0 : vp_run_error(err, errno, "%s", dir);
    int rc = 0;
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
    if (!dry_run)
        rmdir(dir); /* only when nothing is left in it */
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
