/* The store's migrations are append-only: a store made by an older virtperf
 * has run the first N of them (PRAGMA user_version = N) and is brought up to
 * date by the rest, so a migration that changed after it was committed would
 * leave such stores without what it adds. Each one's SHA-256 is pinned here,
 * in order; a new migration appends its line (and nothing above changes).
 * And a store left at an older version is migrated when it is opened. */
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "store/db.h"
#include "store/schema.h"
#include "store/schema_pg.h"
#include "store/store.h"

static const char *const released[] = {
    "e550b1f8faf427358842cdb5e29a67eda250e1e5c2c527124340c6bc04c9bdcc", /* 0 -> 1 runs, rounds */
    "f0fe04f87f64a13365a87614e03410e9d719bb219e5e43e8d5ea74bd0e329e5f", /* 1 -> 2 */
    "dface0493cf51737dfe527675d8a7152b044e43ff7d8238f7a23ddecf45bc09c", /* 2 -> 3 */
    "5afb9925ef8c563df929392801cd5d93edf135e895a0d8d7b39fefe483d94523", /* 3 -> 4 */
    "bb6ab2e01da1d1d983afa3a920c06b8c114e1a9890218ce35c3eebb877800079", /* 4 -> 5 */
    "fa7584e2b195ae1a9a254b6ec7da3c7e5672c4651e17204a2ee61f39b15f4aa9", /* 5 -> 6 */
    "b787a42b6d387131b7da9c10cfc5c2872a8e25d7328bd94799d50db211b40e6b", /* 6 -> 7 */
    "c484356f18e81be2095fa2d8b2fbf8bea79e9bad74810c4629c9136acaf00607", /* 7 -> 8 */
    "ed11d637fa44ca3e9b2f40e1676d35761f334754ffd8e08751c6da58e9894430", /* 8 -> 9 platform */
    "c582edaeaa8535d76519d8fce66faec52664a618aa99f41e1af2f8f008c20d4c", /* 9 -> 10 control_s */
    "e2e810a64e6a9aad0abbedf0068623550f2017b29f84e202f29c437f81c80cd5", /* 10 -> 11 udp runs */
    "555c4b02aea5fe169645cdb82e0c6aaa2dea75f6c2224cd0848c2e21ff028bd5", /* 11 -> 12 router runs */
    "487ab2727123302c3b682a10f43b407b6eeeda8f288b9f37df093907d2e765af", /* 12 -> 13 tcp_runs */
    "b8c5a13cf7c94472a905f8f6f1a18365c923baf97642185c20fa1cf8e60fe4ff", /* 13 -> 14 router platform
                                                                         */
    "7beb053d0a057d9a6b3aceb3575f133ce5099ee1e7792a0a6cd78fbd2005c100", /* 14 -> 15 incomplete */
    "16750ba5d37246375fa10cf7f64e869b6038c46431296b2f24b00317d28e79b9", /* 15 -> 16 appliance CPU */
    "3ba328456cd99724518a6d1b558710feb620cb14f36c6f05656a44496968ea29", /* 16 -> 17 monotonic */
    "1e91e7fb210c48c9295a981234bb9c3f8c55ad04a354c93d34615fbd272abe81", /* 17 -> 18 parent_id */
};
#define NRELEASED ((int)(sizeof released / sizeof released[0]))

static void test_pinned(void)
{
    CHECK(sodium_init() >= 0);
    CHECK(vp_schema_version() >= NRELEASED); /* none was taken away */
    for (int i = 0; i < NRELEASED && i < vp_schema_version(); i++) {
        const char *m = vp_schema_migration(i);
        unsigned char h[crypto_hash_sha256_BYTES];
        char hex[2 * crypto_hash_sha256_BYTES + 1];
        crypto_hash_sha256(h, (const unsigned char *)m, strlen(m));
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        if (strcmp(hex, released[i]) != 0)
            fprintf(stderr, "  migration %d -> %d changed after its release: add a new one\n", i,
                    i + 1);
        CHECK(strcmp(hex, released[i]) == 0);
    }
    if (vp_schema_version() > NRELEASED)
        fprintf(stderr, "  migrations past %d are not pinned yet: add their lines\n", NRELEASED);
    CHECK_INT(vp_schema_version(), NRELEASED);
}

/* A store at version N-1 (the last migration not run) is migrated on open. */
static void remove_store(const char *path);
static long long one(struct vp_db *db, const char *sql);

static void test_upgrade(void)
{
    char path[] = "/tmp/vp-schema-test.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    sqlite3 *db;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    for (int i = 0; i < vp_schema_version() - 1; i++)
        CHECK_INT(sqlite3_exec(db, vp_schema_migration(i), NULL, NULL, NULL), SQLITE_OK);
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", vp_schema_version() - 1);
    CHECK_INT(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    struct vp_store *st = NULL;
    struct vp_err err = {0};
    CHECK_INT(vp_store_open(path, &st, &err), 0);
    CHECK_INT(one(vp_store_db(st), "PRAGMA user_version"), vp_schema_version());
    /* what the last migration adds is there */
    CHECK_INT(vp_db_exec(vp_store_db(st), "SELECT direction FROM udp_intervals"), 0);
    CHECK_INT(vp_db_exec(vp_store_db(st),
                         "SELECT count(*) FROM tcp_runs, tcp_streams, tcp_intervals;"
                         "INSERT INTO point_loads SELECT * FROM point_loads WHERE 0;"
                         "SELECT experiments.owner, profiles.owner FROM experiments, profiles"),
              0);
    vp_store_close(st);
    remove_store(path);
}

static void remove_store(const char *path)
{
    char side[512];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* The first row of sql as an integer (-1 when none). */
static long long one(struct vp_db *db, const char *sql)
{
    struct vp_stmt *q;
    long long v = -1;
    if (vp_db_prepare(db, sql, &q) != 0) {
        fprintf(stderr, "  %s: %s\n", sql, vp_db_errmsg(db));
        return -2;
    }
    if (vp_db_step(q) == VP_DB_ROW)
        v = vp_db_column_int64(q, 0);
    vp_db_finalize(q);
    return v;
}

/* The migration that remakes experiments, their points and profiles keeps
 * every row of theirs and of their children (an experiment's points, runs,
 * loads and services; a profile's samples and marks), foreign keys whole. */
static void test_remake_keeps_children(void)
{
    char path[] = "/tmp/vp-schema-test.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    sqlite3 *db;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    int last = vp_schema_version() - 1;
    for (int i = 0; i < last; i++)
        CHECK_INT(sqlite3_exec(db, vp_schema_migration(i), NULL, NULL, NULL), SQLITE_OK);
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", last);
    CHECK_INT(
        sqlite3_exec(
            db,
            "PRAGMA foreign_keys = ON;"
            "INSERT INTO runs (id, kind, subject, command, params, host, version, rounds_planned,"
            "  warmup_planned, status, owner, started_at) VALUES (1, 'workload', 'cpu-pi', 'c',"
            "  '{}', '{}', 'v', 3, 0, 'complete', 'x:1:1', 't');"
            "INSERT INTO profiles (id, command, interval_s, status, started_at) VALUES"
            "  (5, 'p', 1, 'running', 't');"
            "INSERT INTO profile_samples VALUES (5, 0.5, 'a', 'cpu', 1), (5, 1.0, 'a', 'cpu', 2);"
            "INSERT INTO profile_marks VALUES (5, 0.5, 'point 1 start');"
            "INSERT INTO experiments (id, name, file, spec, host, cpus_available, status,"
            "  started_at) VALUES (7, 'e', 'e.yaml', '', '{}', 2, 'running', 't');"
            "INSERT INTO experiment_points (experiment_id, point, kind, params, series, platform,"
            "  instances, cpus_available, status, profile_id) VALUES"
            "  (7, 0, 'run', '{}', '{}', 'native', 1, 2, 'complete', 5),"
            "  (7, 1, 'run', '{}', '{}', 'native', 1, 2, 'running', NULL);"
            "INSERT INTO point_runs VALUES (7, 0, 'pi', 1);"
            "INSERT INTO point_loads VALUES (7, 0, 'l', 'pi', 'udp', 'udp', NULL);"
            "INSERT INTO point_services (experiment_id, point, appliance, role, address) VALUES"
            "  (7, 0, 'pi', 'sip-server', 'a');",
            NULL, NULL, NULL),
        SQLITE_OK);
    CHECK_INT(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    struct vp_store *st = NULL;
    struct vp_err err = {0};
    CHECK_INT(vp_store_open(path, &st, &err), 0);
    if (!st)
        return;
    struct vp_db *sdb = vp_store_db(st);
    CHECK_INT(one(sdb, "SELECT count(*) FROM experiment_points"), 2);
    CHECK_INT(one(sdb, "SELECT count(*) FROM point_runs"), 1);
    CHECK_INT(one(sdb, "SELECT count(*) FROM point_loads"), 1);
    CHECK_INT(one(sdb, "SELECT count(*) FROM point_services"), 1);
    CHECK_INT(one(sdb, "SELECT count(*) FROM profile_samples"), 2);
    CHECK_INT(one(sdb, "SELECT count(*) FROM profile_marks"), 1);
    CHECK_INT(one(sdb, "SELECT profile_id FROM experiment_points WHERE point = 0"), 5);
    CHECK_INT(one(sdb, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    CHECK_INT(one(sdb, "PRAGMA foreign_keys"), 1); /* on again after the migration */
    /* rows from before owners: their status is left as it was */
    CHECK_INT(one(sdb, "SELECT count(*) FROM experiments WHERE status = 'running'"), 1);
    /* and the cascade still works on the new tables */
    CHECK_INT(vp_db_exec(vp_store_db(st), "DELETE FROM experiments WHERE id = 7"), 0);
    CHECK_INT(one(sdb, "SELECT count(*) FROM point_runs"), 0);
    vp_store_close(st);
    remove_store(path);
}

/* Experiments (their points too) and profiles whose owner is gone read as
 * incomplete once the store is opened; those of a live owner stay running. */
static void test_orphan_rows(void)
{
    char path[] = "/tmp/vp-schema-test.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    struct vp_store *st = NULL;
    struct vp_err err = {0};
    CHECK_INT(vp_store_open(path, &st, &err), 0);
    if (!st)
        return;
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    char mine[128], gone[160], sql[2048];
    vp_store_owner(mine, sizeof mine);
    snprintf(gone, sizeof gone, "%.*s:%ld:12345", (int)strcspn(mine, ":"), mine, (long)dead);
    snprintf(sql, sizeof sql,
             "INSERT INTO experiments (id, name, file, spec, host, cpus_available, status,"
             "  started_at, owner) VALUES (1, 'a', 'a', '', '{}', 2, 'running', 't', '%s'),"
             "  (2, 'b', 'b', '', '{}', 2, 'running', 't', '%s'),"
             "  (3, 'c', 'c', '', '{}', 2, 'complete', 't', '%s'),"
             "  (4, 'd', 'd', '', '{}', 2, 'running', 't', '%s@another-machine');"
             "INSERT INTO experiment_points (experiment_id, point, kind, params, series,"
             "  platform, instances, cpus_available, status) VALUES"
             "  (1, 0, 'run', '{}', '{}', 'native', 1, 2, 'complete'),"
             "  (1, 1, 'run', '{}', '{}', 'native', 1, 2, 'running'),"
             "  (2, 0, 'run', '{}', '{}', 'native', 1, 2, 'running');"
             "INSERT INTO profiles (id, command, interval_s, status, started_at, owner) VALUES"
             "  (1, 'p', 1, 'running', 't', '%s'), (2, 'q', 1, 'running', 't', '%s');",
             gone, mine, gone, gone, gone, mine);
    CHECK_INT(vp_db_exec(vp_store_db(st), sql), 0);
    vp_store_close(st);
    CHECK_INT(vp_store_open(path, &st, &err), 0);
    if (!st)
        return;
    struct vp_db *db = vp_store_db(st);
    CHECK_INT(one(db, "SELECT id FROM experiments WHERE status = 'incomplete'"), 1);
    /* 4: a dead pid, but of another machine's (a shared PostgreSQL store) */
    CHECK_INT(one(db, "SELECT count(*) FROM experiments WHERE status = 'running'"), 2);
    CHECK_INT(one(db, "SELECT id FROM experiments WHERE status = 'running' AND id <> 2"), 4);
    CHECK_INT(one(db, "SELECT id FROM experiments WHERE status = 'complete'"), 3);
    CHECK_INT(one(db, "SELECT count(*) FROM experiment_points WHERE experiment_id = 1 AND"
                      "  status = 'incomplete'"),
              1);
    CHECK_INT(one(db, "SELECT point FROM experiment_points WHERE experiment_id = 1 AND"
                      "  status = 'complete'"),
              0);
    CHECK_INT(one(db, "SELECT count(*) FROM experiment_points WHERE experiment_id = 2 AND"
                      "  status = 'running'"),
              1);
    CHECK_INT(one(db, "SELECT id FROM profiles WHERE status = 'incomplete'"), 1);
    CHECK_INT(one(db, "SELECT id FROM profiles WHERE status = 'running'"), 2);
    vp_store_close(st);
    remove_store(path);
}

/* The SQL the PostgreSQL store runs: parameters renumbered as SQLite
 * numbers them (a bare ? is one more than the highest before it), quoted
 * text and identifiers left alone; the DDL's types; the whole schema with
 * each table after those it references. */
static void test_postgresql_sql(void)
{
    int n;
    char *s = vp_schema_pg_statement("SELECT ?, '?' || \"a?\", ?3, ? FROM t WHERE x = ?1", &n);
    CHECK_STR(s, "SELECT $1, '?' || \"a?\", $3, $4 FROM t WHERE x = $1");
    CHECK_INT(n, 4);
    free(s);
    s = vp_schema_pg_statement("SELECT 'it''s ?' ORDER BY point, rowid, rowids", &n);
    CHECK_STR(s, "SELECT 'it''s ?' ORDER BY point, ctid, rowids");
    CHECK_INT(n, 0);
    free(s);
    s = vp_schema_pg_ddl("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, x REAL, "
                         "window INTEGER, windows TEXT CHECK (windows <> 'REAL'))");
    CHECK_STR(s, "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                 "n BIGINT, x DOUBLE PRECISION, \"window\" BIGINT, windows TEXT CHECK "
                 "(windows <> 'REAL'))");
    free(s);
    char msg[256];
    s = vp_schema_pg_create(vp_schema_version(), msg, sizeof msg);
    CHECK(s != NULL);
    if (s == NULL)
        return;
    /* every table once, none before one it references */
    const char *runs = strstr(s, "CREATE TABLE runs ");
    const char *points = strstr(s, "CREATE TABLE \"experiment_points\"");
    const char *point_runs = strstr(s, "CREATE TABLE point_runs ");
    CHECK(runs && points && point_runs && runs < point_runs && points < point_runs);
    CHECK(strstr(s, "INTEGER") == NULL && strstr(s, "REAL,") == NULL);
    CHECK(strstr(s, "CREATE INDEX profile_samples_series") > point_runs);
    CHECK(strstr(s, "_new") == NULL); /* remade tables under their own names */
    free(s);
}

int main(void)
{
    RUN(test_pinned);
    RUN(test_upgrade);
    RUN(test_remake_keeps_children);
    RUN(test_orphan_rows);
    RUN(test_postgresql_sql);
    return CHECK_DONE();
}
