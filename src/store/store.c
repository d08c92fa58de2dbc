#include "store/store.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/path.h"
#include "store/schema.h"
#include "vp_config.h"

struct vp_store {
    sqlite3 *db;
    char path[4096];
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

struct sqlite3 *vp_store_db(struct vp_store *st)
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
    return vp_run_error(err, 0, "store %s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

int vp_store_prepare(struct vp_store *st, const char *sql, sqlite3_stmt **q, struct vp_err *err)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, q, NULL) != SQLITE_OK)
        return vp_store_sql_error(st, err, "prepare");
    return 0;
}

static int exec(struct vp_store *st, const char *sql, struct vp_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = vp_run_error(err, 0, "store %s: %s", st->path, msg ? msg : "error");
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

static int migrate(struct vp_store *st, struct vp_err *err)
{
    sqlite3_stmt *q;
    int version = 0;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
        return vp_store_sql_error(st, err, "reading the schema version");
    if (sqlite3_step(q) == SQLITE_ROW)
        version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (version > vp_schema_version())
        return vp_input_error(err, "store %s: schema version %d is newer than this virtperf (%d)",
                              st->path, version, vp_schema_version());
    /* the caller holds the write lock: no other process migrates meanwhile */
    for (; version < vp_schema_version(); version++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version + 1);
        int rc = exec(st, vp_schema_migration(version), err);
        if (rc == 0)
            rc = exec(st, pragma, err);
        if (rc < 0) {
            vp_err_prefix(err, "migrating the schema to version %d", version + 1);
            return rc;
        }
    }
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

void vp_store_owner(char *buf, size_t len)
{
    owner_of(getpid(), buf, len);
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

/* Whether the process an owner string names ("boot:pid:start") still runs. */
static bool owner_alive(const char *owner)
{
    const char *colon = owner ? strchr(owner, ':') : NULL;
    int pid = colon ? atoi(colon + 1) : 0;
    char now[128];
    if (pid <= 0)
        return false;
    owner_of(pid, now, sizeof now);
    return strcmp(now, owner) == 0; /* still being written */
}

static int mark_orphans(struct vp_store *st, struct vp_err *err)
{
    int rc = 0;
    for (size_t t = 0; rc == 0 && t < sizeof orphan_rows / sizeof orphan_rows[0]; t++) {
        sqlite3_stmt *q, *u[2] = {NULL, NULL};
        if (sqlite3_prepare_v2(st->db, orphan_rows[t].rows, -1, &q, NULL) != SQLITE_OK)
            return vp_store_sql_error(st, err, "reading rows still running");
        for (int k = 0; rc == 0 && k < 2 && orphan_rows[t].mark[k]; k++)
            if (sqlite3_prepare_v2(st->db, orphan_rows[t].mark[k], -1, &u[k], NULL) != SQLITE_OK)
                rc = vp_store_sql_error(st, err, "marking incomplete rows");
        while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
            if (owner_alive((const char *)sqlite3_column_text(q, 1)))
                continue;
            for (int k = 0; k < 2 && u[k]; k++) {
                sqlite3_bind_int64(u[k], 1, sqlite3_column_int64(q, 0));
                if (sqlite3_step(u[k]) != SQLITE_DONE)
                    rc = vp_store_sql_error(st, err, "marking incomplete rows");
                sqlite3_reset(u[k]);
            }
        }
        sqlite3_finalize(q);
        sqlite3_finalize(u[0]);
        sqlite3_finalize(u[1]);
    }
    return rc;
}

int vp_store_open(const char *path, struct vp_store **out, struct vp_err *err)
{
    struct vp_store *st = calloc(1, sizeof *st);
    int rc;
    if (st == NULL)
        return vp_run_error(err, ENOMEM, "store");
    /* absolute: processes started in appliances open it by this name from
     * other working directories */
    if ((rc = vp_path_absolute(path, st->path, sizeof st->path)) < 0) {
        free(st);
        return vp_input_error(err, "store %s: %s", path, strerror(-rc));
    }
    path = st->path;
    if ((rc = make_parent_dirs(path)) < 0) {
        rc = vp_input_error(err, "store %s: cannot create its directory: %s", path, strerror(-rc));
        free(st);
        return rc;
    }
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = vp_input_error(err, "store %s: cannot open: %s", path,
                            st->db ? sqlite3_errmsg(st->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(st->db, 10000);
    /* WAL: readers never block the writer; NORMAL sync survives a killed process */
    if (sqlite3_exec(st->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK) {
        rc = vp_input_error(err, "store %s: cannot write: %s", path, sqlite3_errmsg(st->db));
        goto fail;
    }
    if ((rc = exec(st, "PRAGMA synchronous = NORMAL", err)) < 0)
        goto fail;
    /* migrations and the orphan sweep under one write lock, taken up front so
     * that stores opened by several processes at once wait rather than fail;
     * foreign keys only after it: a migration that remakes a table drops the
     * old one, which must not delete its children */
    if ((rc = exec(st, "BEGIN IMMEDIATE", err)) < 0)
        goto fail;
    if ((rc = migrate(st, err)) < 0 || (rc = mark_orphans(st, err)) < 0 ||
        (rc = exec(st, "COMMIT", err)) < 0) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        goto fail;
    }
    if ((rc = exec(st, "PRAGMA foreign_keys = ON", err)) < 0)
        goto fail;
    *out = st;
    return 0;
fail:
    if (err->kind == VP_ERR_RUN && access(path, W_OK) != 0)
        err->kind = VP_ERR_INPUT; /* an unwritable path is the user's to fix */
    sqlite3_close(st->db);
    free(st);
    return rc;
}

void vp_store_close(struct vp_store *st)
{
    if (st == NULL)
        return;
    sqlite3_close(st->db);
    free(st);
}

static void iso_now(char *buf, size_t len)
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
    sqlite3_stmt *q;
    int rc = 0;
    if (info->nmetrics > VP_STORE_MAX_METRICS)
        return vp_run_error(err, 0, "store: %d metrics, at most %d", info->nmetrics,
                            VP_STORE_MAX_METRICS);
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO metric_defs (run_id, position, name, unit, average,"
                           " higher_is_better) VALUES (?,?,?,?,?,?)",
                           -1, &q, NULL) != SQLITE_OK)
        return vp_store_sql_error(st, err, "describing metrics");
    for (int i = 0; i < info->nmetrics && rc == 0; i++) {
        const struct vp_metric_desc *m = &info->metrics[i];
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_int(q, 2, i);
        sqlite3_bind_text(q, 3, m->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, m->unit, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, m->harmonic ? "harmonic" : "arithmetic", -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 6, m->higher_is_better);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = vp_store_sql_error(st, err, "describing metrics");
    }
    sqlite3_finalize(q);
    return rc;
}

int vp_store_run_begin(struct vp_store *st, const struct vp_run_info *info, int64_t *run_id,
                       struct vp_err *err)
{
    static const char sql[] =
        "INSERT INTO runs (kind, subject, command, params, host, version, rounds_planned,"
        " warmup_planned, status, owner, started_at, platform)"
        " VALUES (?,?,?,?,?,?,?,?,'running',?,?,?)";
    sqlite3_stmt *q;
    char owner[128], now[64];
    owner_of(getpid(), owner, sizeof owner);
    iso_now(now, sizeof now);
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
        return vp_store_sql_error(st, err, "starting a run");
    sqlite3_bind_text(q, 1, info->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, info->subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, info->command, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, info->params, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, info->host, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, VP_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 7, info->rounds);
    sqlite3_bind_int(q, 8, info->warmup);
    sqlite3_bind_text(q, 9, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 10, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 11, info->platform, -1, SQLITE_STATIC); /* NULL binds NULL */
    int rc = exec(st, "BEGIN IMMEDIATE", err);
    if (rc < 0) {
        sqlite3_finalize(q);
        return rc;
    }
    rc = sqlite3_step(q) == SQLITE_DONE ? 0 : vp_store_sql_error(st, err, "starting a run");
    sqlite3_finalize(q);
    if (rc == 0) {
        *run_id = sqlite3_last_insert_rowid(st->db);
        rc = insert_metric_defs(st, *run_id, info, err);
    }
    if (rc == 0)
        rc = exec(st, "COMMIT", err);
    if (rc < 0)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int vp_store_round(struct vp_store *st, int64_t run_id, const struct vp_run_info *info, int round,
                   bool warmup, double elapsed_s, const double *values, struct vp_err *err)
{
    sqlite3_stmt *r = NULL, *m = NULL;
    char now[64];
    int rc;
    iso_now(now, sizeof now);
    if ((rc = exec(st, "BEGIN IMMEDIATE", err)) < 0)
        return rc;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO rounds (run_id, round, warmup, elapsed_s, finished_at)"
                           " VALUES (?,?,?,?,?)",
                           -1, &r, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db,
                           "INSERT INTO metrics (run_id, round, name, value) VALUES (?,?,?,?)", -1,
                           &m, NULL) != SQLITE_OK) {
        rc = vp_store_sql_error(st, err, "storing a round");
        goto out;
    }
    sqlite3_bind_int64(r, 1, run_id);
    sqlite3_bind_int(r, 2, round);
    sqlite3_bind_int(r, 3, warmup);
    sqlite3_bind_double(r, 4, elapsed_s);
    sqlite3_bind_text(r, 5, now, -1, SQLITE_STATIC);
    if (sqlite3_step(r) != SQLITE_DONE) {
        rc = vp_store_sql_error(st, err, "storing a round");
        goto out;
    }
    for (int i = 0; i < info->nmetrics; i++) {
        sqlite3_reset(m);
        sqlite3_bind_int64(m, 1, run_id);
        sqlite3_bind_int(m, 2, round);
        sqlite3_bind_text(m, 3, info->metrics[i].name, -1, SQLITE_STATIC);
        if (isnan(values[i]))
            sqlite3_bind_null(m, 4);
        else
            sqlite3_bind_double(m, 4, values[i]);
        if (sqlite3_step(m) != SQLITE_DONE) {
            rc = vp_store_sql_error(st, err, "storing a metric");
            goto out;
        }
    }
    rc = exec(st, "COMMIT", err);
out:
    sqlite3_finalize(r);
    sqlite3_finalize(m);
    if (rc < 0)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int vp_store_run_end(struct vp_store *st, int64_t run_id, const char *status, const char *error,
                     struct vp_err *err)
{
    sqlite3_stmt *q;
    char now[64];
    iso_now(now, sizeof now);
    if (sqlite3_prepare_v2(st->db,
                           "UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                           -1, &q, NULL) != SQLITE_OK)
        return vp_store_sql_error(st, err, "ending a run");
    sqlite3_bind_text(q, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, error, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, run_id);
    int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : vp_store_sql_error(st, err, "ending a run");
    sqlite3_finalize(q);
    return rc;
}
