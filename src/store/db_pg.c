/* The PostgreSQL engine, through libpq: a postgresql:// URL is a libpq
 * connection string. Statements are sent with their parameters typed
 * (int8, float8, text left for the server to infer) and read back as text;
 * each step of a statement that returns rows walks the rows of one result. */
#include <libpq-fe.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/schema.h"
#include "store/schema_pg.h"

#define INT8_OID   20
#define FLOAT8_OID 701
#define MAX_PARAMS 65535 /* the protocol's limit */

struct pg_db {
    struct vp_db base;
    PGconn *conn;
    char err[1024];
};

struct pg_stmt {
    struct vp_stmt base;
    char *sql; /* with $N parameters */
    int nparams;
    char **values; /* nparams of them; NULL: SQL NULL */
    Oid *types;
    PGresult *res; /* NULL until run */
    int row;       /* the current row; -1 before the first */
};

static struct pg_db *pg(struct vp_db *db)
{
    return (struct pg_db *)db;
}

static struct pg_stmt *st(struct vp_stmt *s)
{
    return (struct pg_stmt *)s;
}

/* Keep libpq's message, on one line. */
static void set_error(struct pg_db *db, const char *msg)
{
    snprintf(db->err, sizeof db->err, "%s", msg && *msg ? msg : "error");
    char *p = db->err;
    for (; *p; p++)
        if (*p == '\n')
            *p = ' ';
    while (p > db->err && p[-1] == ' ')
        *--p = '\0';
}

int vp_db_socket_dir(const char *url, char *dir, size_t len)
{
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    int rc = -1;
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (strcmp(o->keyword, "host") != 0)
            continue;
        const char *host = o->val && *o->val ? o->val : getenv("PGHOST");
        if (host == NULL || *host == '\0')
            host = "/var/run/postgresql"; /* Debian's libpq default */
        if (host[0] == '/' && strchr(host, ',') == NULL) {
            snprintf(dir, len, "%s", host);
            rc = 0;
        }
    }
    PQconninfoFree(opts);
    return rc;
}

static int pg_open(const char *target, struct vp_db **out, char *msg, size_t len)
{
    struct pg_db *db = calloc(1, sizeof *db);
    if (db == NULL) {
        snprintf(msg, len, "out of memory");
        return -1;
    }
    db->base.ops = &vp_db_pg_ops;
    db->conn = PQconnectdb(target);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        set_error(db, PQerrorMessage(db->conn));
        snprintf(msg, len, "%s", db->err);
        PQfinish(db->conn);
        free(db);
        return -1;
    }
    /* notices (a table that already exists...) are not the user's business */
    PQclear(PQexec(db->conn, "SET client_min_messages = warning"));
    *out = &db->base;
    return 0;
}

static void pg_close(struct vp_db *db)
{
    PQfinish(pg(db)->conn);
    free(db);
}

static const char *pg_errmsg(struct vp_db *db)
{
    return pg(db)->err;
}

static int result_ok(struct pg_db *db, PGresult *res)
{
    ExecStatusType s = PQresultStatus(res);
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
        return 0;
    set_error(db, res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
    return -1;
}

static int pg_exec(struct vp_db *db, const char *sql)
{
    PGresult *res = PQexec(pg(db)->conn, sql);
    int rc = result_ok(pg(db), res);
    PQclear(res);
    return rc;
}

static int pg_begin(struct vp_db *db)
{
    return pg_exec(db, "BEGIN");
}

static int64_t pg_last_insert_id(struct vp_db *db)
{
    PGresult *res = PQexec(pg(db)->conn, "SELECT lastval()");
    int64_t id = 0;
    if (result_ok(pg(db), res) == 0 && PQntuples(res) == 1)
        id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return id;
}

static int pg_prepare(struct vp_db *db, const char *sql, struct vp_stmt **out)
{
    struct pg_stmt *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -1;
    s->base.db = db;
    s->row = -1;
    s->sql = vp_schema_pg_statement(sql, &s->nparams);
    if (s->sql && s->nparams <= MAX_PARAMS) {
        s->values = calloc((size_t)s->nparams + 1, sizeof *s->values);
        s->types = calloc((size_t)s->nparams + 1, sizeof *s->types);
    }
    if (s->sql == NULL || s->nparams > MAX_PARAMS || s->values == NULL || s->types == NULL) {
        set_error(pg(db),
                  s->sql && s->nparams > MAX_PARAMS ? "too many parameters" : "out of memory");
        free(s->values);
        free(s->types);
        free(s->sql);
        free(s);
        return -1;
    }
    *out = &s->base;
    return 0;
}

static int bind(struct vp_stmt *s, int i, Oid type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bind(struct vp_stmt *s, int i, Oid type, const char *fmt, ...)
{
    struct pg_stmt *p = st(s);
    if (i < 1 || i > p->nparams)
        return -1;
    free(p->values[i - 1]);
    p->values[i - 1] = NULL;
    p->types[i - 1] = type;
    if (fmt == NULL)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int rc = vasprintf(&p->values[i - 1], fmt, ap);
    va_end(ap);
    if (rc < 0) {
        p->values[i - 1] = NULL;
        return -1;
    }
    return 0;
}

static int pg_bind_int64(struct vp_stmt *s, int i, int64_t v)
{
    return bind(s, i, INT8_OID, "%lld", (long long)v);
}

static int pg_bind_double(struct vp_stmt *s, int i, double v)
{
    if (isinf(v)) /* PostgreSQL's spelling; NaN binds NULL (db.c), as in SQLite */
        return bind(s, i, FLOAT8_OID, "%s", v > 0 ? "Infinity" : "-Infinity");
    return bind(s, i, FLOAT8_OID, "%.17g", v);
}

static int pg_bind_text(struct vp_stmt *s, int i, const char *v)
{
    return bind(s, i, 0, "%s", v);
}

static int pg_bind_null(struct vp_stmt *s, int i)
{
    return bind(s, i, 0, NULL);
}

static int pg_param_count(struct vp_stmt *s)
{
    return st(s)->nparams;
}

static void pg_reset(struct vp_stmt *s)
{
    PQclear(st(s)->res);
    st(s)->res = NULL;
    st(s)->row = -1;
}

static int pg_step(struct vp_stmt *s)
{
    struct pg_stmt *p = st(s);
    if (p->res == NULL) {
        p->res = PQexecParams(pg(s->db)->conn, p->sql, p->nparams, p->types,
                              (const char *const *)p->values, NULL, NULL, 0);
        if (result_ok(pg(s->db), p->res) < 0) {
            pg_reset(s);
            return VP_DB_ERROR;
        }
    }
    if (++p->row < PQntuples(p->res))
        return VP_DB_ROW;
    pg_reset(s); /* as SQLite: the next step runs the statement again */
    return VP_DB_DONE;
}

static void pg_clear_bindings(struct vp_stmt *s)
{
    for (int i = 1; i <= st(s)->nparams; i++)
        bind(s, i, 0, NULL);
}

static void pg_finalize(struct vp_stmt *s)
{
    pg_reset(s);
    pg_clear_bindings(s);
    free(st(s)->values);
    free(st(s)->types);
    free(st(s)->sql);
    free(s);
}

/* The current row's column i, or NULL (SQL NULL, no row, no such column). */
static const char *value(struct vp_stmt *s, int i)
{
    struct pg_stmt *p = st(s);
    if (p->res == NULL || p->row < 0 || p->row >= PQntuples(p->res) || i < 0 ||
        i >= PQnfields(p->res) || PQgetisnull(p->res, p->row, i))
        return NULL;
    return PQgetvalue(p->res, p->row, i);
}

static bool pg_column_is_null(struct vp_stmt *s, int i)
{
    return value(s, i) == NULL;
}

static int64_t pg_column_int64(struct vp_stmt *s, int i)
{
    const char *v = value(s, i);
    if (v == NULL)
        return 0;
    if (strcmp(v, "t") == 0 || strcmp(v, "f") == 0) /* a boolean, as SQLite's 1 and 0 */
        return *v == 't';
    char *end;
    long long n = strtoll(v, &end, 10);
    return *end == '\0' ? n : (int64_t)strtod(v, NULL); /* numeric, float8: truncated */
}

static double pg_column_double(struct vp_stmt *s, int i)
{
    const char *v = value(s, i);
    if (v == NULL)
        return 0.0;
    if (strcmp(v, "t") == 0 || strcmp(v, "f") == 0)
        return *v == 't';
    return strtod(v, NULL);
}

static const char *pg_column_text(struct vp_stmt *s, int i)
{
    return value(s, i);
}

/* The version is the one row of virtperf_schema, read under a lock of the
 * transaction's (the key spells "virt"): stores opened by several processes
 * at once wait for the one migrating. */
static int pg_schema_version(struct vp_db *db, int *version)
{
    struct pg_db *p = pg(db);
    if (pg_exec(db, "SELECT pg_advisory_xact_lock(1986622068)") < 0 ||
        pg_exec(db, "CREATE TABLE IF NOT EXISTS virtperf_schema (version INTEGER NOT NULL)") < 0)
        return -1;
    PGresult *res = PQexec(p->conn, "SELECT max(version) FROM virtperf_schema");
    int rc = result_ok(p, res);
    *version = rc == 0 && !PQgetisnull(res, 0, 0) ? atoi(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return rc;
}

static int pg_migrate(struct vp_db *db, int from, int to)
{
    char msg[512], record[128];
    int rc = 0;
    if (from == 0) {
        char *ddl = vp_schema_pg_create(to, msg, sizeof msg);
        if (ddl == NULL) {
            set_error(pg(db), msg);
            return -1;
        }
        rc = pg_exec(db, ddl);
        free(ddl);
    }
    for (int v = from; from > 0 && v < to && rc == 0; v++) {
        char *ddl = vp_schema_pg_ddl(vp_schema_migration(v));
        rc = ddl ? pg_exec(db, ddl) : -1;
        free(ddl);
    }
    snprintf(record, sizeof record,
             "DELETE FROM virtperf_schema; INSERT INTO virtperf_schema VALUES (%d)", to);
    return rc == 0 ? pg_exec(db, record) : rc;
}

static int pg_migrated(struct vp_db *db)
{
    (void)db; /* foreign keys always hold */
    return 0;
}

const struct vp_db_ops vp_db_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .errmsg = pg_errmsg,
    .exec = pg_exec,
    .begin = pg_begin,
    .last_insert_id = pg_last_insert_id,
    .prepare = pg_prepare,
    .bind_int64 = pg_bind_int64,
    .bind_double = pg_bind_double,
    .bind_text = pg_bind_text,
    .bind_null = pg_bind_null,
    .param_count = pg_param_count,
    .step = pg_step,
    .reset = pg_reset,
    .clear_bindings = pg_clear_bindings,
    .finalize = pg_finalize,
    .column_is_null = pg_column_is_null,
    .column_int64 = pg_column_int64,
    .column_double = pg_column_double,
    .column_text = pg_column_text,
    .schema_version = pg_schema_version,
    .migrate = pg_migrate,
    .migrated = pg_migrated,
};
