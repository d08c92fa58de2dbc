/* The store's database, whichever engine holds it: SQLite (a file, the
 * default) or PostgreSQL (a postgresql:// or postgres:// URL, through libpq).
 *
 * The calls follow SQLite's prepare/bind/step/column shape, which every
 * module of the store was written against; one backend file per engine
 * (db_sqlite.c, db_pg.c) implements them behind struct vp_db_ops. SQL is
 * written once, in the dialect both engines accept (parameters ?N or ?,
 * UPSERT by ON CONFLICT, CASE rather than booleans summed); the PostgreSQL
 * backend only renumbers parameters ($N) and spells a few words its way. */
#ifndef VP_STORE_DB_H
#define VP_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vp_db_ops;

/* A handle and a statement; each engine's own begin with these. */
struct vp_db {
    const struct vp_db_ops *ops;
};
struct vp_stmt {
    struct vp_db *db;
};

/* What vp_db_step returns: SQLite's own codes, all positive, so that a
 * step's result is never taken for 0 (success) or a negative error. */
enum { VP_DB_ERROR = 1, VP_DB_ROW = 100, VP_DB_DONE = 101 };

/* Whether target names a PostgreSQL database rather than a file. */
bool vp_db_is_url(const char *target);

/* The directory of the socket a PostgreSQL URL connects through (a host
 * that is a path, or libpq's default when it names no host): what a
 * container's processes need bound to reach the store. 0, or -1 when the
 * URL connects over TCP or does not parse. */
int vp_db_socket_dir(const char *url, char *dir, size_t len);

/* Open target (a file path is created when missing). On failure *db is NULL
 * and msg says why. */
int vp_db_open(const char *target, struct vp_db **db, char *msg, size_t len);
void vp_db_close(struct vp_db *db);

/* "sqlite" or "postgresql". */
const char *vp_db_engine(const struct vp_db *db);

/* The engine's message for the last call that failed on db. */
const char *vp_db_errmsg(struct vp_db *db);

/* Statements without parameters, several separated by ';'. 0 or -1. */
int vp_db_exec(struct vp_db *db, const char *sql);

/* Transactions: begin takes the write lock at once (SQLite's BEGIN
 * IMMEDIATE), so that two writers wait rather than fail at their commit. */
int vp_db_begin(struct vp_db *db);
int vp_db_commit(struct vp_db *db);
void vp_db_rollback(struct vp_db *db);

/* The id given to the row the last INSERT on db made. */
int64_t vp_db_last_insert_id(struct vp_db *db);

int vp_db_prepare(struct vp_db *db, const char *sql, struct vp_stmt **s);
/* Parameters count from 1. Text is copied; NULL text and NaN bind NULL. */
int vp_db_bind_int64(struct vp_stmt *s, int i, int64_t v);
int vp_db_bind_int(struct vp_stmt *s, int i, int v);
int vp_db_bind_double(struct vp_stmt *s, int i, double v);
int vp_db_bind_text(struct vp_stmt *s, int i, const char *v);
int vp_db_bind_null(struct vp_stmt *s, int i);
int vp_db_param_count(struct vp_stmt *s);
/* VP_DB_ROW while there are rows, then VP_DB_DONE; VP_DB_ERROR. */
int vp_db_step(struct vp_stmt *s);
/* Ready to run again (the bindings stay). */
void vp_db_reset(struct vp_stmt *s);
void vp_db_clear_bindings(struct vp_stmt *s);
void vp_db_finalize(struct vp_stmt *s);

/* Columns of the current row count from 0. A NULL reads 0, 0.0 or NULL. */
bool vp_db_column_is_null(struct vp_stmt *s, int i);
int64_t vp_db_column_int64(struct vp_stmt *s, int i);
int vp_db_column_int(struct vp_stmt *s, int i);
double vp_db_column_double(struct vp_stmt *s, int i);
const char *vp_db_column_text(struct vp_stmt *s, int i);

/* The store's schema in db: see the ops below. */
int vp_db_schema_version(struct vp_db *db, int *version);
int vp_db_migrate(struct vp_db *db, int from, int to);
int vp_db_migrated(struct vp_db *db);

/* An engine: db_sqlite.c, db_pg.c. */
struct vp_db_ops {
    const char *name;
    int (*open)(const char *target, struct vp_db **db, char *msg, size_t len);
    void (*close)(struct vp_db *db);
    const char *(*errmsg)(struct vp_db *db);
    int (*exec)(struct vp_db *db, const char *sql);
    int (*begin)(struct vp_db *db);
    int64_t (*last_insert_id)(struct vp_db *db);
    int (*prepare)(struct vp_db *db, const char *sql, struct vp_stmt **s);
    int (*bind_int64)(struct vp_stmt *s, int i, int64_t v);
    int (*bind_double)(struct vp_stmt *s, int i, double v);
    int (*bind_text)(struct vp_stmt *s, int i, const char *v);
    int (*bind_null)(struct vp_stmt *s, int i);
    int (*param_count)(struct vp_stmt *s);
    int (*step)(struct vp_stmt *s);
    void (*reset)(struct vp_stmt *s);
    void (*clear_bindings)(struct vp_stmt *s);
    void (*finalize)(struct vp_stmt *s);
    bool (*column_is_null)(struct vp_stmt *s, int i);
    int64_t (*column_int64)(struct vp_stmt *s, int i);
    double (*column_double)(struct vp_stmt *s, int i);
    const char *(*column_text)(struct vp_stmt *s, int i);
    /* the store's schema (store/schema.c): the version the database holds
     * (taking the lock that keeps other processes from migrating meanwhile;
     * inside the caller's transaction), the migrations from one version to
     * another, and what is switched on once the schema is current */
    int (*schema_version)(struct vp_db *db, int *version);
    int (*migrate)(struct vp_db *db, int from, int to);
    int (*migrated)(struct vp_db *db);
};

extern const struct vp_db_ops vp_db_sqlite_ops;
extern const struct vp_db_ops vp_db_pg_ops;

#endif
