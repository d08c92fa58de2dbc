/* The SQLite engine: one file, WAL, a 10 s wait for another writer's lock. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/db.h"
#include "store/schema.h"

struct sq_db {
    struct vp_db base;
    sqlite3 *h;
};

struct sq_stmt {
    struct vp_stmt base;
    sqlite3_stmt *h;
};

static sqlite3 *handle(struct vp_db *db)
{
    return ((struct sq_db *)db)->h;
}

static sqlite3_stmt *stmt(struct vp_stmt *s)
{
    return ((struct sq_stmt *)s)->h;
}

static int sq_open(const char *target, struct vp_db **out, char *msg, size_t len)
{
    struct sq_db *db = calloc(1, sizeof *db);
    if (db == NULL) {
        snprintf(msg, len, "out of memory");
        return -1;
    }
    db->base.ops = &vp_db_sqlite_ops;
    if (sqlite3_open_v2(target, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(msg, len, "%s", db->h ? sqlite3_errmsg(db->h) : "out of memory");
        sqlite3_close(db->h);
        free(db);
        return -1;
    }
    sqlite3_busy_timeout(db->h, 10000);
    /* WAL: readers never block the writer; NORMAL sync survives a killed process */
    if (sqlite3_exec(db->h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db->h, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(msg, len, "cannot write: %s", sqlite3_errmsg(db->h));
        sqlite3_close(db->h);
        free(db);
        return -1;
    }
    *out = &db->base;
    return 0;
}

static void sq_close(struct vp_db *db)
{
    sqlite3_close(handle(db));
    free(db);
}

static const char *sq_errmsg(struct vp_db *db)
{
    return sqlite3_errmsg(handle(db));
}

static int sq_exec(struct vp_db *db, const char *sql)
{
    return sqlite3_exec(handle(db), sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int sq_begin(struct vp_db *db)
{
    return sq_exec(db, "BEGIN IMMEDIATE");
}

static int64_t sq_last_insert_id(struct vp_db *db)
{
    return sqlite3_last_insert_rowid(handle(db));
}

static int sq_prepare(struct vp_db *db, const char *sql, struct vp_stmt **out)
{
    struct sq_stmt *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -1;
    s->base.db = db;
    if (sqlite3_prepare_v2(handle(db), sql, -1, &s->h, NULL) != SQLITE_OK) {
        free(s);
        return -1;
    }
    *out = &s->base;
    return 0;
}

static int bound(int rc)
{
    return rc == SQLITE_OK ? 0 : -1;
}

static int sq_bind_int64(struct vp_stmt *s, int i, int64_t v)
{
    return bound(sqlite3_bind_int64(stmt(s), i, v));
}

static int sq_bind_double(struct vp_stmt *s, int i, double v)
{
    return bound(sqlite3_bind_double(stmt(s), i, v));
}

static int sq_bind_text(struct vp_stmt *s, int i, const char *v)
{
    return bound(sqlite3_bind_text(stmt(s), i, v, -1, SQLITE_TRANSIENT));
}

static int sq_bind_null(struct vp_stmt *s, int i)
{
    return bound(sqlite3_bind_null(stmt(s), i));
}

static int sq_param_count(struct vp_stmt *s)
{
    return sqlite3_bind_parameter_count(stmt(s));
}

static int sq_step(struct vp_stmt *s)
{
    switch (sqlite3_step(stmt(s))) {
    case SQLITE_ROW:
        return VP_DB_ROW;
    case SQLITE_DONE:
        return VP_DB_DONE;
    default:
        return VP_DB_ERROR;
    }
}

static void sq_reset(struct vp_stmt *s)
{
    sqlite3_reset(stmt(s));
}

static void sq_clear_bindings(struct vp_stmt *s)
{
    sqlite3_clear_bindings(stmt(s));
}

static void sq_finalize(struct vp_stmt *s)
{
    sqlite3_finalize(stmt(s));
    free(s);
}

static bool sq_column_is_null(struct vp_stmt *s, int i)
{
    return sqlite3_column_type(stmt(s), i) == SQLITE_NULL;
}

static int64_t sq_column_int64(struct vp_stmt *s, int i)
{
    return sqlite3_column_int64(stmt(s), i);
}

static double sq_column_double(struct vp_stmt *s, int i)
{
    return sqlite3_column_double(stmt(s), i);
}

static const char *sq_column_text(struct vp_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(stmt(s), i);
}

/* The version is the database's user_version; the caller's BEGIN IMMEDIATE
 * already holds the lock. */
static int sq_schema_version(struct vp_db *db, int *version)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(handle(db), "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
        return -1;
    *version = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
    sqlite3_finalize(q);
    return 0;
}

static int sq_migrate(struct vp_db *db, int from, int to)
{
    for (int v = from; v < to; v++) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if (sq_exec(db, vp_schema_migration(v)) < 0 || sq_exec(db, pragma) < 0)
            return -1;
    }
    return 0;
}

/* Foreign keys only now: a migration that remakes a table drops the old
 * one, which must not delete its children. */
static int sq_migrated(struct vp_db *db)
{
    return sq_exec(db, "PRAGMA foreign_keys = ON");
}

const struct vp_db_ops vp_db_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .errmsg = sq_errmsg,
    .exec = sq_exec,
    .begin = sq_begin,
    .last_insert_id = sq_last_insert_id,
    .prepare = sq_prepare,
    .bind_int64 = sq_bind_int64,
    .bind_double = sq_bind_double,
    .bind_text = sq_bind_text,
    .bind_null = sq_bind_null,
    .param_count = sq_param_count,
    .step = sq_step,
    .reset = sq_reset,
    .clear_bindings = sq_clear_bindings,
    .finalize = sq_finalize,
    .column_is_null = sq_column_is_null,
    .column_int64 = sq_column_int64,
    .column_double = sq_column_double,
    .column_text = sq_column_text,
    .schema_version = sq_schema_version,
    .migrate = sq_migrate,
    .migrated = sq_migrated,
};
