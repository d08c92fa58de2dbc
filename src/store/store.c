#include "store/store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/path.h"
#include "store/db.h"
#include "store/schema.h"
#include "vp_config.h"

struct vp_store {
    struct vp_db *db;
    char path[4096]; /* a file's absolute path, or a postgresql:// URL */
    char name[4096]; /* path for messages: a URL without its password */
};

void vp_store_default_path(char *buf, size_t len)
{
    const char *env = getenv("VIRTPERF_STORE");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (env && *env)
        snprintf(buf, len, "%s", env);
    else if (xdg && *xdg)
        snprintf(buf, len, "%s/virtperf/results.db", xdg);
    else
        snprintf(buf, len, "%s/.local/share/virtperf/results.db", home && *home ? home : ".");
}

int vp_store_schema_version(void)
{
    return vp_schema_version();
}

const char *vp_store_path(const struct vp_store *st)
{
    return st->path;
}

const char *vp_store_name(const struct vp_store *st)
{
    return st->name;
}

struct vp_db *vp_store_db(struct vp_store *st)
{
    return st->db;
}

/* mkdir -p of the directory holding path. */
static int make_parent_dirs(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int vp_store_sql_error(struct vp_store *st, struct vp_err *err, const char *what)
{
    return vp_run_error(err, 0, "store %s: %s: %s", st->name, what, vp_db_errmsg(st->db));
}

int vp_store_prepare(struct vp_store *st, const char *sql, struct vp_stmt **q, struct vp_err *err)
{
    if (vp_db_prepare(st->db, sql, q) != 0)
        return vp_store_sql_error(st, err, "prepare");
    return 0;
}

static int begin(struct vp_store *st, struct vp_err *err)
{
    return vp_db_begin(st->db) == 0 ? 0 : vp_store_sql_error(st, err, "beginning a transaction");
}

static int commit(struct vp_store *st, struct vp_err *err)
{
    return vp_db_commit(st->db) == 0 ? 0 : vp_store_sql_error(st, err, "committing");
}

static int migrate(struct vp_store *st, struct vp_err *err)
{
    int version;
    if (vp_db_schema_version(st->db, &version) < 0)
        return vp_store_sql_error(st, err, "reading the schema version");
    if (version > vp_schema_version())
        return vp_input_error(err, "store %s: schema version %d is newer than this virtperf (%d)",
                              st->name, version, vp_schema_version());
    if (version < vp_schema_version() && vp_db_migrate(st->db, version, vp_schema_version()) < 0)
        return vp_run_error(err, 0, "store %s: migrating the schema from version %d to %d: %s",
                            st->name, version, vp_schema_version(), vp_db_errmsg(st->db));
    return 0;
}

/* "boot-id:pid:start-time": names this process uniquely across pid reuse
 * (start time 0 for a zombie: it has died, only no one reaped it yet). */
static void owner_of(pid_t pid, char *buf, size_t len)
{
    char boot[64] = "?", path[64], stat[1024];
    unsigned long long start = 0;
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (f) {
        if (fgets(boot, sizeof boot, f))
            boot[strcspn(boot, "\n")] = '\0';
        fclose(f);
    }
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (f) {
        /* field 22 (starttime) follows the ')' that ends the command name */
        if (fgets(stat, sizeof stat, f)) {
            char *p = strrchr(stat, ')');
            if (p && p[1] == ' ' && p[2] != 'Z')
                sscanf(p + 2,
                       "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
                       "%*d %*d %*d %llu",
                       &start);
        }
        fclose(f);
    }
    snprintf(buf, len, "%s:%d:%llu", boot, (int)pid, start);
}

/* /etc/machine-id, or "" when there is none. */
static void machine_id(char *buf, size_t len)
{
    FILE *f = fopen("/etc/machine-id", "r");
    buf[0] = '\0';
    if (f) {
        if (fgets(buf, (int)len, f))
            buf[strcspn(buf, "\n")] = '\0';
        fclose(f);
    }
}

/* "boot:pid:start@machine": a store several machines write (PostgreSQL)
 * has rows of processes that only their own machine can judge. */
void vp_store_owner(char *buf, size_t len)
{
    char machine[64];
    owner_of(getpid(), buf, len);
    machine_id(machine, sizeof machine);
    if (machine[0] && strlen(buf) + strlen(machine) + 2 <= len)
        strcat(strcat(buf, "@"), machine);
}

/* Rows a process writes while it runs: those still 'running' whose owner is
 * gone become 'incomplete' (an experiment's points with it). Rows from
 * before owners were kept (NULL) are left as they are. */
static const struct {
    const char *rows;    /* id, owner of the rows still running */
    const char *mark[2]; /* the updates for one id */
} orphan_rows[] = {
    {"SELECT id, owner FROM runs WHERE status = 'running'",
     {"UPDATE runs SET status = 'incomplete' WHERE id = ?1 AND status = 'running'"}},
    {"SELECT id, owner FROM experiments WHERE status = 'running' AND owner IS NOT NULL",
     {"UPDATE experiments SET status = 'incomplete' WHERE id = ?1 AND status = 'running'",
      "UPDATE experiment_points SET status = 'incomplete' WHERE experiment_id = ?1 AND status = "
      "'running'"}},
    {"SELECT id, owner FROM profiles WHERE status = 'running' AND owner IS NOT NULL",
     {"UPDATE profiles SET status = 'incomplete' WHERE id = ?1 AND status = 'running'"}},
};

/* Whether the process an owner string names ("boot:pid:start[@machine]")
 * still runs; one of another machine is taken to (it is not ours to judge). */
static bool owner_alive(const char *owner)
{
    const char *colon = owner ? strchr(owner, ':') : NULL;
    const char *at = owner ? strchr(owner, '@') : NULL;
    int pid = colon ? atoi(colon + 1) : 0;
    char now[128], machine[64];
    if (at) {
        machine_id(machine, sizeof machine);
        if (strcmp(at + 1, machine) != 0)
            return true;
    }
    if (pid <= 0)
        return false;
    owner_of(pid, now, sizeof now);
    size_t n = at ? (size_t)(at - owner) : strlen(owner);
    return strlen(now) == n && strncmp(now, owner, n) == 0; /* still being written */
}

static int mark_orphans(struct vp_store *st, struct vp_err *err)
{
    int rc = 0;
    for (size_t t = 0; rc == 0 && t < sizeof orphan_rows / sizeof orphan_rows[0]; t++) {
        struct vp_stmt *q, *u[2] = {NULL, NULL};
        if (vp_db_prepare(st->db, orphan_rows[t].rows, &q) != 0)
            return vp_store_sql_error(st, err, "reading rows still running");
        for (int k = 0; rc == 0 && k < 2 && orphan_rows[t].mark[k]; k++)
            if (vp_db_prepare(st->db, orphan_rows[t].mark[k], &u[k]) != 0)
                rc = vp_store_sql_error(st, err, "marking incomplete rows");
        while (rc == 0 && vp_db_step(q) == VP_DB_ROW) {
            if (owner_alive(vp_db_column_text(q, 1)))
                continue;
            for (int k = 0; k < 2 && u[k]; k++) {
                vp_db_bind_int64(u[k], 1, vp_db_column_int64(q, 0));
                if (vp_db_step(u[k]) != VP_DB_DONE)
                    rc = vp_store_sql_error(st, err, "marking incomplete rows");
                vp_db_reset(u[k]);
            }
        }
        vp_db_finalize(q);
        vp_db_finalize(u[0]);
        vp_db_finalize(u[1]);
    }
    return rc;
}

/* A file's absolute path (processes started in appliances open it by this
 * name from other working directories), its directory made. */
static int file_target(struct vp_store *st, const char *path, struct vp_err *err)
{
    int rc = vp_path_absolute(path, st->path, sizeof st->path);
    if (rc < 0)
        return vp_input_error(err, "store %s: %s", path, strerror(-rc));
    snprintf(st->name, sizeof st->name, "%s", st->path);
    if ((rc = make_parent_dirs(st->path)) < 0)
        return vp_input_error(err, "store %s: cannot create its directory: %s", st->path,
                              strerror(-rc));
    return 0;
}

/* A URL as given; named in messages without its password. */
static void url_target(struct vp_store *st, const char *url)
{
    snprintf(st->path, sizeof st->path, "%s", url);
    snprintf(st->name, sizeof st->name, "%s", url);
    char *scheme_end = strstr(st->name, "://");
    char *at = scheme_end ? strchr(scheme_end + 3, '@') : NULL;
    char *colon = scheme_end ? strchr(scheme_end + 3, ':') : NULL;
    if (at && colon && colon < at)
        memmove(colon + 4, at, strlen(at) + 1), memcpy(colon, ":***", 4);
}

int vp_store_open(const char *path, struct vp_store **out, struct vp_err *err)
{
    struct vp_store *st = calloc(1, sizeof *st);
    char msg[1024];
    int rc;
    if (st == NULL)
        return vp_run_error(err, ENOMEM, "store");
    if (vp_db_is_url(path))
        url_target(st, path);
    else if ((rc = file_target(st, path, err)) < 0) {
        free(st);
        return rc;
    }
    if (vp_db_open(st->path, &st->db, msg, sizeof msg) != 0) {
        rc = vp_input_error(err, "store %s: cannot open: %s", st->name, msg);
        goto fail;
    }
    /* migrations and the orphan sweep in one transaction holding the write
     * lock from its start, so that stores opened by several processes at
     * once wait rather than fail */
    if ((rc = begin(st, err)) < 0)
        goto fail;
    if ((rc = migrate(st, err)) < 0 || (rc = mark_orphans(st, err)) < 0 ||
        (rc = commit(st, err)) < 0) {
        vp_db_rollback(st->db);
        goto fail;
    }
    if (vp_db_migrated(st->db) != 0) {
        rc = vp_store_sql_error(st, err, "switching foreign keys on");
        goto fail;
    }
    *out = st;
    return 0;
fail:
    if (err->kind == VP_ERR_RUN && !vp_db_is_url(st->path) && access(st->path, W_OK) != 0)
        err->kind = VP_ERR_INPUT; /* an unwritable path is the user's to fix */
    vp_db_close(st->db);
    free(st);
    return rc;
}

void vp_store_close(struct vp_store *st)
{
    if (st == NULL)
        return;
    vp_db_close(st->db);
    free(st);
}

void vp_store_now(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static int insert_metric_defs(struct vp_store *st, int64_t run_id, const struct vp_run_info *info,
                              struct vp_err *err)
{
    struct vp_stmt *q;
    int rc = 0;
    if (info->nmetrics > VP_STORE_MAX_METRICS)
        return vp_run_error(err, 0, "store: %d metrics, at most %d", info->nmetrics,
                            VP_STORE_MAX_METRICS);
    if (vp_db_prepare(st->db,
                      "INSERT INTO metric_defs (run_id, position, name, unit, average,"
                      " higher_is_better) VALUES (?,?,?,?,?,?)",
                      &q) != 0)
        return vp_store_sql_error(st, err, "describing metrics");
    for (int i = 0; i < info->nmetrics && rc == 0; i++) {
        const struct vp_metric_desc *m = &info->metrics[i];
        vp_db_reset(q);
        vp_db_bind_int64(q, 1, run_id);
        vp_db_bind_int(q, 2, i);
        vp_db_bind_text(q, 3, m->name);
        vp_db_bind_text(q, 4, m->unit);
        vp_db_bind_text(q, 5, m->harmonic ? "harmonic" : "arithmetic");
        vp_db_bind_int(q, 6, m->higher_is_better);
        if (vp_db_step(q) != VP_DB_DONE)
            rc = vp_store_sql_error(st, err, "describing metrics");
    }
    vp_db_finalize(q);
    return rc;
}

int vp_store_run_begin(struct vp_store *st, const struct vp_run_info *info, int64_t *run_id,
                       struct vp_err *err)
{
    static const char sql[] =
        "INSERT INTO runs (kind, subject, command, params, host, version, rounds_planned,"
        " warmup_planned, status, owner, started_at, platform)"
        " VALUES (?,?,?,?,?,?,?,?,'running',?,?,?)";
    struct vp_stmt *q;
    char owner[128], now[64];
    vp_store_owner(owner, sizeof owner);
    vp_store_now(now, sizeof now);
    if (vp_db_prepare(st->db, sql, &q) != 0)
        return vp_store_sql_error(st, err, "starting a run");
    vp_db_bind_text(q, 1, info->kind);
    vp_db_bind_text(q, 2, info->subject);
    vp_db_bind_text(q, 3, info->command);
    vp_db_bind_text(q, 4, info->params);
    vp_db_bind_text(q, 5, info->host);
    vp_db_bind_text(q, 6, VP_VERSION);
    vp_db_bind_int(q, 7, info->rounds);
    vp_db_bind_int(q, 8, info->warmup);
    vp_db_bind_text(q, 9, owner);
    vp_db_bind_text(q, 10, now);
    vp_db_bind_text(q, 11, info->platform); /* NULL binds NULL */
    int rc = begin(st, err);
    if (rc < 0) {
        vp_db_finalize(q);
        return rc;
    }
    rc = vp_db_step(q) == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "starting a run");
    vp_db_finalize(q);
    if (rc == 0) {
        *run_id = vp_db_last_insert_id(st->db);
        rc = insert_metric_defs(st, *run_id, info, err);
    }
    if (rc == 0)
        rc = commit(st, err);
    if (rc < 0)
        vp_db_rollback(st->db);
    return rc;
}

int vp_store_round(struct vp_store *st, int64_t run_id, const struct vp_run_info *info, int round,
                   bool warmup, double elapsed_s, const double *values, struct vp_err *err)
{
    struct vp_stmt *r = NULL, *m = NULL;
    char now[64];
    int rc;
    vp_store_now(now, sizeof now);
    if ((rc = begin(st, err)) < 0)
        return rc;
    if (vp_db_prepare(st->db,
                      "INSERT INTO rounds (run_id, round, warmup, elapsed_s, finished_at)"
                      " VALUES (?,?,?,?,?)",
                      &r) != 0 ||
        vp_db_prepare(st->db, "INSERT INTO metrics (run_id, round, name, value) VALUES (?,?,?,?)",
                      &m) != 0) {
        rc = vp_store_sql_error(st, err, "storing a round");
        goto out;
    }
    vp_db_bind_int64(r, 1, run_id);
    vp_db_bind_int(r, 2, round);
    vp_db_bind_int(r, 3, warmup);
    vp_db_bind_double(r, 4, elapsed_s);
    vp_db_bind_text(r, 5, now);
    if (vp_db_step(r) != VP_DB_DONE) {
        rc = vp_store_sql_error(st, err, "storing a round");
        goto out;
    }
    for (int i = 0; i < info->nmetrics; i++) {
        vp_db_reset(m);
        vp_db_bind_int64(m, 1, run_id);
        vp_db_bind_int(m, 2, round);
        vp_db_bind_text(m, 3, info->metrics[i].name);
        if (isnan(values[i]))
            vp_db_bind_null(m, 4);
        else
            vp_db_bind_double(m, 4, values[i]);
        if (vp_db_step(m) != VP_DB_DONE) {
            rc = vp_store_sql_error(st, err, "storing a metric");
            goto out;
        }
    }
    rc = commit(st, err);
out:
    vp_db_finalize(r);
    vp_db_finalize(m);
    if (rc < 0)
        vp_db_rollback(st->db);
    return rc;
}

int vp_store_run_end(struct vp_store *st, int64_t run_id, const char *status, const char *error,
                     struct vp_err *err)
{
    struct vp_stmt *q;
    char now[64];
    vp_store_now(now, sizeof now);
    if (vp_db_prepare(st->db, "UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                      &q) != 0)
        return vp_store_sql_error(st, err, "ending a run");
    vp_db_bind_text(q, 1, status);
    vp_db_bind_text(q, 2, error);
    vp_db_bind_text(q, 3, now);
    vp_db_bind_int64(q, 4, run_id);
    int rc = vp_db_step(q) == VP_DB_DONE ? 0 : vp_store_sql_error(st, err, "ending a run");
    vp_db_finalize(q);
    return rc;
}
