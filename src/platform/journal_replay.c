/* Reading journal files back (journal.h): `virtperf cleanup`'s replay of
 * the journals of runs that are gone, the watcher's stop of what a killed
 * run left running, and whether a run's name is still in use. A line is
 * acted on only when it is whole, its checksum holds and its guard
 * (res_guard.h) says it names what this run made. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "platform/journal.h"
#include "platform/journal_priv.h"

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

/* One journal file as read: its header, then its "+" lines ("-" applied). */
struct jfile {
    const char *path;
    const struct vp_sweep_fn *fn;
    FILE *f;
    char *line;
    size_t size;
    int lineno;
    char run[24]; /* the run id, or its pid for a journal of version 2 */
    long pid;     /* the owner */
    unsigned long long start, ns;
    struct vp_jentry *e;
    int n, cap;
    bool left; /* something stays: the file is kept */
};

static void refuse(struct jfile *r, int line, const char *what, const char *reason, bool failure)
{
    r->left |= failure;
    if (r->fn->refused)
        r->fn->refused(r->fn->arg, r->path, line, what, reason, failure);
}

static void jfile_free(struct jfile *r)
{
    free(r->line);
    free(r->e);
}

/* Whether dir (not the folder being read) holds a journal of run id: two
 * files cannot both be that run's (ids are unique over both folders). */
static bool twin_in(const char *dir, const char *path, const char *id)
{
    char twin[480], a[PATH_MAX], b[PATH_MAX];
    snprintf(twin, sizeof twin, "%s/%s.journal", dir, id);
    return realpath(twin, a) && realpath(path, b) && strcmp(a, b) != 0;
}

/* The header of version 3 ("<id> <pid> <start> <ns>") or 2 ("<pid> <start>
 * <ns>", the run named by its pid); NULL or why not. */
static const char *parse_head(struct jfile *r, const char *text)
{
    int end = 0;
    char id[24];
    if (sscanf(text, "virtperf-journal 3 %23s %ld %llu %llu%n", id, &r->pid, &r->start, &r->ns,
               &end) == 4 &&
        !text[end] && r->pid > 0) {
        const char *base = strrchr(r->path, '/');
        char want[40], def[400];
        if (!vp_journal_id_valid(id))
            return "not a run id in the header";
        snprintf(want, sizeof want, "%s.journal", id);
        if (strcmp(base ? base + 1 : r->path, want) != 0)
            return "the file is not named after its run id";
        vp_journal_default_dir(def, sizeof def);
        if (twin_in(def, r->path, id))
            return "another journal of this run id is in the default folder";
        snprintf(r->run, sizeof r->run, "%s", id);
        return NULL;
    }
    if (sscanf(text, "virtperf-journal 2 %ld %llu %llu%n", &r->pid, &r->start, &r->ns, &end) == 3 &&
        !text[end] && r->pid > 0) {
        snprintf(r->run, sizeof r->run, "%ld", r->pid);
        return NULL;
    }
    return "not a journal header (virtperf-journal 3 ...)";
}

/* Open the file as a journal of ours: 0 (r->f set), 1 when refused whole
 * (reported), or -errno. */
static int open_file(struct jfile *r)
{
    struct stat st;
    int fd = open(r->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ELOOP ? (refuse(r, 0, NULL, "a symbolic link", true), 1) : -errno;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        close(fd);
        refuse(r, 0, NULL, "not a regular file of ours", true);
        return 1;
    }
    if (!(r->f = fdopen(fd, "r"))) {
        close(fd);
        return -errno;
    }
    return 0;
}

/* The header from r->f: 0, or 1 when refused (reported). */
static int read_head(struct jfile *r)
{
    char *text;
    const char *why = "empty";
    ssize_t len = getline(&r->line, &r->size, r->f);
    if (len > 0) {
        r->lineno = 1;
        why = vp_journal_line_check(r->line, (size_t)len, &text);
        if (!why)
            why = parse_head(r, text);
    }
    if (why) {
        refuse(r, 1, NULL, why, true);
        return 1;
    }
    return 0;
}

/* One checked line of the body: "+ <id> <kind> <what>" or "- <id>". */
static int body_line(struct jfile *r, const char *text)
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
        refuse(r, r->lineno, NULL, "not a journal line", true);
        return 0;
    }
    int k = vp_res_parse(kind);
    if (k < 0) {
        refuse(r, r->lineno, text + off, "a kind this build does not know", true);
        return 0;
    }
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 32;
        struct vp_jentry *ne = realloc(r->e, (size_t)cap * sizeof *ne);
        if (!ne)
            return -ENOMEM;
        r->e = ne;
        r->cap = cap;
    }
    struct vp_jentry *e = &r->e[r->n++];
    e->kind = (enum vp_res)k;
    e->live = true;
    e->id = id;
    e->line = r->lineno;
    snprintf(e->what, VP_JOURNAL_WHAT_MAX, "%s", text + off);
    return 0;
}

/* The body's lines; after it, r->left says a line was refused (a damaged
 * journal: nothing in it is trusted). 0 or -errno. */
static int read_body(struct jfile *r)
{
    ssize_t len;
    char *text;
    const char *why;
    while ((len = getline(&r->line, &r->size, r->f)) > 0) {
        r->lineno++;
        bool terminated = r->line[len - 1] == '\n'; /* else: the last line */
        if ((why = vp_journal_line_check(r->line, (size_t)len, &text))) {
            /* a torn last line was being written when the run died: its
             * resource was not made yet (lines are synced first) */
            refuse(r, r->lineno, NULL, why, terminated);
            continue;
        }
        int rc = body_line(r, text);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Why entry e of a read journal must not be acted on, or NULL. */
static const char *entry_refusal(const struct jfile *r, const struct vp_jentry *e, bool damaged)
{
    struct vp_res_owner owner = {r->run, r->start};
    return damaged ? "in a damaged journal" : vp_res_guard(e->kind, e->what, &owner);
}

int vp_journal_replay(FILE *f, const char *path, enum vp_replay_mode mode,
                      const struct vp_sweep_fn *fn)
{
    struct jfile r = {.path = path, .fn = fn, .f = f};
    int rc = read_head(&r);
    if (rc != 0)
        goto out;
    bool in_use = r.start != 0 && vp_journal_owner_alive(r.pid, r.start, r.ns);
    if (fn->journal)
        fn->journal(fn->arg, path, r.pid, in_use);
    r.left = in_use;
    if (in_use || (rc = read_body(&r)) < 0)
        goto out;
    /* a damaged line in the middle is no torn write: trust none of it */
    bool damaged = r.left;
    for (int i = r.n - 1; i >= 0; i--) {
        struct vp_jentry *e = &r.e[i];
        const char *why;
        if (!e->live)
            continue;
        if ((why = entry_refusal(&r, e, damaged))) {
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
    jfile_free(&r);
    return rc < 0 ? rc : !r.left; /* a refused header or an owner alive left it */
}

/* Replay one journal file whose owner is gone, and delete it when nothing
 * of it stays: a line that is damaged or names what is not this run's
 * (vp_res_guard) is refused, never acted on. */
static int sweep_file(const char *path, bool dry_run, const struct vp_sweep_fn *fn)
{
    struct jfile r = {.path = path, .fn = fn};
    int rc = open_file(&r);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    rc = vp_journal_replay(r.f, path, dry_run ? VP_REPLAY_DRY_RUN : VP_REPLAY_REMOVE, fn);
    fclose(r.f);
    if (rc == 1 && !dry_run)
        unlink(path);
    return rc < 0 ? rc : 0;
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

/* Whether a live, running entry of r (that its guard lets be) still runs. */
static bool any_alive(const struct jfile *r, bool damaged)
{
    for (int i = r->n - 1; i >= 0; i--)
        if (r->e[i].live && vp_res_runs(r->e[i].kind) && !entry_refusal(r, &r->e[i], damaged) &&
            vp_res_alive(r->e[i].kind, r->e[i].what))
            return true;
    return false;
}

/* How long what the run's death signals itself (PR_SET_PDEATHSIG) has to
 * end before it is killed: a container's helper reaps what it started
 * then, so no zombie of the namespace waits for the host's init to reap it
 * (which the namespace's init would wait for in turn). */
#define STOP_GRACE_US 250000

int vp_journal_stop_file(const char *path, const struct vp_sweep_fn *fn)
{
    struct jfile r = {.path = path, .fn = fn};
    int rc = open_file(&r);
    if (rc != 0 || (rc = read_head(&r)) != 0 ||
        (r.start != 0 && vp_journal_owner_alive(r.pid, r.start, r.ns)) || (rc = read_body(&r)) < 0)
        goto out;
    bool damaged = r.left;
    for (int waited = 0; waited < STOP_GRACE_US && any_alive(&r, damaged); waited += 5000)
        usleep(5000);
    for (int i = r.n - 1; i >= 0; i--) {
        struct vp_jentry *e = &r.e[i];
        const char *why;
        if (!e->live || !vp_res_runs(e->kind))
            continue;
        if ((why = entry_refusal(&r, e, damaged))) {
            refuse(&r, e->line, e->what, why, true);
            continue;
        }
        int res = vp_res_stop(e->kind, e->what);
        if (fn->entry)
            fn->entry(fn->arg, e->kind, e->what, res);
    }
out:
    if (r.f)
        fclose(r.f);
    jfile_free(&r);
    return rc < 0 ? rc : 0;
}

/* Whether dir holds a journal of pid (a run from before run ids):
 * <pid>.journal, <pid>-<pidns>.journal, or <pid>-<time>.journal. */
static bool pid_journal_in(const char *dir, long pid)
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

/* Whether a journal of run id is in dir. */
static bool id_journal_in(const char *dir, const char *id)
{
    char path[480];
    snprintf(path, sizeof path, "%s/%s.journal", dir, id);
    return access(path, F_OK) == 0;
}

bool vp_journal_run_in_use(const char *run)
{
    char dir[400], def[400];
    vp_journal_dir(dir, sizeof dir);
    /* a cleanup pointed at another $VIRTPERF_RUNDIR leaves default runs alone */
    vp_journal_default_dir(def, sizeof def);
    if (vp_journal_id_valid(run)) /* its watcher: a run of another journal folder */
        return id_journal_in(dir, run) || id_journal_in(def, run) || vp_journal_watcher_alive(run);
    char *end;
    errno = 0;
    long pid = strtol(run, &end, 10);
    if (run[0] < '1' || run[0] > '9' || *end || errno || pid > INT_MAX)
        return true;                           /* neither an id nor a pid */
    if (vp_journal_pid_ns(0) != VP_HOST_PIDNS) /* the pid may be another namespace's */
        return true;
    return vp_journal_owner_alive(pid, 0, 0) || pid_journal_in(dir, pid) ||
           pid_journal_in(def, pid);
}
